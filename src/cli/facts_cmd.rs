//! `rulecheck facts`: base facts as Soufflé `.facts` files.

use std::fs::{self, File};
use std::io::{BufWriter, Write};

use crate::facts::{tsv, Base, FactDb};

use super::{inputs, FactsArgs, EXIT_ERROR, EXIT_OK};

pub fn write_facts(db: &FactDb, dir: &std::path::Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    for rel in Base::ALL {
        let schema = rel.schema();
        let mut out = BufWriter::new(File::create(dir.join(format!("{}.facts", schema.name)))?);
        for row in db.table(rel).rows() {
            for (i, (&cell, col)) in row.iter().zip(schema.columns).enumerate() {
                if i > 0 {
                    out.write_all(b"\t")?;
                }
                tsv::write_escaped(&mut out, &db.render(col.ty, cell))?;
            }
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    Ok(())
}

pub fn run(args: &FactsArgs) -> i32 {
    let (db, failed) = inputs::load(&args.input);
    if let Err(e) = write_facts(&db, &args.out) {
        eprintln!("error: {}: cannot write facts: {e}", args.out.display());
        return EXIT_ERROR;
    }
    if failed {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}
