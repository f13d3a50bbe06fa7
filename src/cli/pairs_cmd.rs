//! `rulecheck pairs`: evaluate the rules, export the pair relations with
//! everything `run` needs to replay them.

use std::collections::BTreeMap;

use crate::engine::{self, Limits};
use crate::facts::Base;
use crate::pairs::build::{self, TraceIndex};
use crate::pairs::format::PairFile;
use crate::pairs::microracer;

use super::eval_cmd::evaluate;
use super::{PairFormat, PairsArgs, EXIT_ERROR, EXIT_OK};

const DEFAULT_RELATIONS: [&str; 2] = ["candidate_pair", "reported_pair"];

/// Conflicting id values per pair: the `conflict` keys, else MicroRacer's
/// `mr_pair_id(A, B, Id)`.
fn pair_ids(
    program: &crate::lang::Program,
    db: &engine::Database,
    file: &PairFile,
) -> BTreeMap<String, Vec<String>> {
    let mut by_requests: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    if let Some(rel) = program.relation_by_name("mr_pair_id") {
        for r in db.rows_text(program, rel) {
            by_requests
                .entry((r[0].clone(), r[1].clone()))
                .or_default()
                .push(r[2].clone());
        }
    }
    file.pairs
        .iter()
        .map(|p| {
            let mut ids: Vec<String> = p
                .conflicts
                .iter()
                .map(|c| c.key.clone())
                .filter(|k| k != "*")
                .collect();
            if ids.is_empty() {
                ids = by_requests
                    .get(&(p.a.span.clone(), p.b.span.clone()))
                    .cloned()
                    .unwrap_or_default();
            }
            ids.sort();
            ids.dedup();
            (p.id.clone(), ids)
        })
        .collect()
}

pub fn run(args: &PairsArgs) -> i32 {
    // Provenance gives each pair its one-line proof.
    let limits = Limits {
        provenance: true,
        ..Limits::default()
    };
    let (program, db, failed) = match evaluate(&args.rules, &args.input, &limits, &Base::ALL) {
        Ok(done) => done,
        Err(code) => return code,
    };
    let relations: Vec<String> = if args.relations.is_empty() {
        DEFAULT_RELATIONS
            .iter()
            .filter(|r| program.relation_by_name(r).is_some())
            .map(|r| r.to_string())
            .collect()
    } else {
        args.relations.clone()
    };
    if relations.is_empty() {
        eprintln!("error: the rules derive neither candidate_pair nor reported_pair; name a relation with --relation");
        return EXIT_ERROR;
    }
    let index = TraceIndex::new(&db);
    let file = match build::build(&program, &db, &index, &relations) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let written = match args.format {
        PairFormat::Native => serde_json::to_string_pretty(&file)
            .map_err(std::io::Error::other)
            .and_then(|text| std::fs::write(&args.out, text))
            .map(|_| format!("{}", args.out.display())),
        PairFormat::Microracer => {
            let ids = pair_ids(&program, &db, &file);
            let flows = build::flow_numbers(&program, &db, &index);
            microracer::write(&args.out, &file, &ids, &index, &flows)
                .map(|files| format!("{} files in {}", files.len(), args.out.display()))
        }
    };
    match written {
        Ok(what) => eprintln!(
            "{} pairs ({}) -> {what}",
            file.pairs.len(),
            relations.join(", ")
        ),
        Err(e) => {
            eprintln!("error: {}: cannot write the pairs: {e}", args.out.display());
            return EXIT_ERROR;
        }
    }
    if failed {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}
