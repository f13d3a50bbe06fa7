//! `rulecheck facts`: base facts as Soufflé `.facts` files.

use std::fs::{self, File};
use std::io::Write;

use crate::facts::{image, tsv, Base, FactDb};

use super::{inputs, FactsArgs, EXIT_ERROR, EXIT_OK};

pub fn write_facts(db: &FactDb, dir: &std::path::Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    // Rows are rendered into one byte buffer written out in large pieces:
    // no `String` per cell, no writer call per value.
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_AT + (64 << 10));
    for rel in Base::ALL {
        let schema = rel.schema();
        let mut out = File::create(dir.join(format!("{}.facts", schema.name)))?;
        for row in db.table(rel).rows() {
            tsv::push_row(
                &mut buf,
                row,
                schema.columns.iter().map(|c| c.ty),
                &db.symbols,
            )?;
            if buf.len() >= FLUSH_AT {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)?;
        buf.clear();
    }
    Ok(())
}

/// Buffered bytes written out at once.
const FLUSH_AT: usize = 1 << 20;

pub fn run(args: &FactsArgs) -> i32 {
    let (db, failed) = inputs::load(&args.input);
    if let Err(e) = write_facts(&db, &args.out) {
        eprintln!("error: {}: cannot write facts: {e}", args.out.display());
        return EXIT_ERROR;
    }
    if let Err(e) = image::write(&db, &args.out) {
        // The `.facts` files are complete without it; only reading them
        // back is slower.
        eprintln!(
            "warning: {}: cannot write {}: {e}",
            args.out.display(),
            image::FILE_NAME
        );
        let _ = std::fs::remove_file(args.out.join(image::FILE_NAME));
    }
    if failed {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}
