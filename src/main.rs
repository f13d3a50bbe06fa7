fn main() {
    std::process::exit(rulecheck::cli::main());
}
