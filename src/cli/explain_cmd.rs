//! `rulecheck explain`: the proof tree of a derived tuple, or with
//! `--why-not` how far each rule of its relation gets. Exit 0 with an
//! explanation, 1 when the tuple is not derived (with the hint to ask
//! `--why-not`), 2 for a malformed query or unreadable input.

use std::io::Write;

use crate::engine::{self, Limits};
use crate::explain::{self, render, Ctx};

use super::{
    eval_cmd, inputs, ExplainArgs, ExplainFormat, InputArgs, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK,
};

pub fn run(args: &ExplainArgs) -> i32 {
    // The query is the last positional argument unless --why-not carries it.
    let mut paths = args.args.clone();
    let query_text = match &args.why_not {
        Some(q) => q.clone(),
        None => match paths.pop() {
            Some(q) if !paths.is_empty() => q,
            _ => {
                eprintln!("error: give trace files or folders, then the query, e.g. rulecheck explain traces/ 'reported_pair(\"a\", _)'");
                return EXIT_ERROR;
            }
        },
    };
    if paths.is_empty() {
        eprintln!("error: no trace file or folder given");
        return EXIT_ERROR;
    }
    let program = match eval_cmd::load_rules(&args.rules) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let query = match explain::parse(&query_text, &program) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let input = InputArgs {
        inputs: paths.into_iter().map(Into::into).collect(),
        facts_dir: args.facts_dir.clone(),
        strict: false,
        stats: false,
    };
    let (facts, facts_dirs, failed) = eval_cmd::load_facts(&input, &|b| {
        Some(crate::lang::Demand::all(b.schema().columns.len()))
    });
    let limits = Limits {
        provenance: true,
        ..Limits::default()
    };
    let (result, problems) = engine::eval_with_dirs(&program, facts, &facts_dirs, &limits);
    let failed = failed | inputs::report(&problems, false);
    let db = match result {
        Ok(db) => db,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    if failed {
        return EXIT_ERROR;
    }
    let mut ctx = Ctx::new(&program, &db);
    let mut out = String::new();
    let code = if args.why_not.is_some() {
        let wanted = explain::pattern_cells(&mut ctx, &query);
        let rel = program.relation(query.relation);
        if rel.base.is_some() || !explain::has_rules(&ctx, query.relation) {
            eprintln!(
                "error: `{}` is not derived by any rule (it is {}); --why-not explains rule results",
                rel.name,
                if rel.base.is_some() { "a base relation" } else { "only read from .input facts" }
            );
            return EXIT_ERROR;
        }
        let present = !explain::matching(&mut ctx, &query).is_empty();
        let reports = explain::why_not(&mut ctx, query.relation, &wanted);
        match args.format {
            ExplainFormat::Json => {
                let v = serde_json::json!({
                    "query": query_text,
                    "derived": present,
                    "rules": render::why_not_json(&ctx, &reports),
                });
                out = serde_json::to_string_pretty(&v).expect("JSON values serialise") + "\n";
            }
            _ => {
                out.push_str(&format!(
                    "{}: {}\n",
                    render::tuple_text(&ctx, query.relation, &wanted),
                    if present {
                        "derived (run without --why-not for its proof)"
                    } else {
                        "not derived"
                    }
                ));
                out.push_str(&render::why_not_text(&ctx, &reports));
            }
        }
        EXIT_OK
    } else {
        let wanted_count = explain::matching(&mut ctx, &query).len().min(args.limit);
        let proofs = explain::explain(&mut ctx, &query, args.limit);
        if proofs.len() < wanted_count {
            // The engine derived it but its recorded proof does not
            // re-check: say so rather than claim it is not derived.
            eprintln!(
                "error: {} of {wanted_count} matching tuples have no proof that re-checks against the rules (a bug in the engine or explain; please report it)",
                wanted_count - proofs.len()
            );
            return EXIT_ERROR;
        }
        if proofs.is_empty() {
            let wanted = explain::pattern_cells(&mut ctx, &query);
            if program.relation(query.relation).base.is_some() {
                eprintln!(
                    "{}: no such base fact in the inputs",
                    render::tuple_text(&ctx, query.relation, &wanted)
                );
                return EXIT_FINDINGS;
            }
            eprintln!(
                "{} is not derived; ask why with --why-not '{}'",
                render::tuple_text(&ctx, query.relation, &wanted),
                query_text.replace('\'', "'\\''")
            );
            return EXIT_FINDINGS;
        }
        match args.format {
            ExplainFormat::Text => {
                for (i, p) in proofs.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    render::text(&mut ctx, p, 0, &mut out);
                }
            }
            ExplainFormat::Json => {
                let list: Vec<_> = proofs.iter().map(|p| render::json(&mut ctx, p)).collect();
                let v = serde_json::json!({"query": query_text, "proofs": list});
                out = serde_json::to_string_pretty(&v).expect("JSON values serialise") + "\n";
            }
            ExplainFormat::Dot => out = render::dot(&mut ctx, &proofs),
        }
        EXIT_OK
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the explanation: {e}");
            return EXIT_ERROR;
        }
    }
    code
}
