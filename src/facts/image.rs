//! A facts folder's binary image, `facts.image`, written by `rulecheck
//! facts` beside the `.facts` files: the symbol table and every relation's
//! cells as they were in memory. Reading a million spans' `.facts` files
//! back means interning millions of strings again (seconds); the image is
//! read in a fraction of that, so iterating on rules over a large facts
//! folder does not pay for parsing each time.
//!
//! The `.facts` files stay the source of truth: the image records each
//! file's length and modification time, and is used only while every file
//! is as it was written. Otherwise it is ignored and the files are read.
//!
//! Layout (little-endian): magic; relation count; per relation its name,
//! the file's length and mtime (ns), arity and row count; the symbols'
//! count, text length, end offsets and text; then each relation's cells.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::UNIX_EPOCH;

use super::{Base, FactDb, Symbols, Table, Type};

pub const FILE_NAME: &str = "facts.image";
const MAGIC: &[u8; 16] = b"rulecheck-facts1";

/// Writes `dir/facts.image` for the `.facts` files just written there.
pub fn write(db: &FactDb, dir: &Path) -> io::Result<()> {
    if cfg!(target_endian = "big") {
        // Cells are stored as they are in memory; not worth a byte swap
        // for machines nobody runs this on.
        return Ok(());
    }
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join(FILE_NAME))?);
    out.write_all(MAGIC)?;
    put_u32(&mut out, Base::ALL.len() as u32)?;
    for base in Base::ALL {
        let name = base.schema().name;
        let (len, mtime) = stamp(&dir.join(format!("{name}.facts")))?;
        put_u32(&mut out, name.len() as u32)?;
        out.write_all(name.as_bytes())?;
        put_u64(&mut out, len)?;
        put_u64(&mut out, mtime)?;
        let table = db.table(base);
        put_u32(&mut out, table.arity as u32)?;
        put_u64(&mut out, table.len() as u64)?;
    }
    let (text, ends) = db.symbols.parts();
    put_u64(&mut out, ends.len() as u64)?;
    put_u64(&mut out, text.len() as u64)?;
    out.write_all(bytemuck::cast_slice(ends))?;
    out.write_all(text.as_bytes())?;
    for base in Base::ALL {
        out.write_all(bytemuck::cast_slice(&db.table(base).cells))?;
    }
    out.flush()
}

/// The base relations `wanted` from the image of `dir`, or `Ok(None)` when
/// there is no image or a `.facts` file changed since it was written; an
/// error says what is wrong with a damaged image.
pub fn read(dir: &Path, wanted: &dyn Fn(Base) -> bool) -> Result<Option<FactDb>, String> {
    if cfg!(target_endian = "big") {
        return Ok(None);
    }
    let path = dir.join(FILE_NAME);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    let mut r = BufReader::with_capacity(1 << 20, file);
    let damaged = |e: io::Error| format!("damaged ({e})");
    let mut magic = [0u8; 16];
    r.read_exact(&mut magic).map_err(damaged)?;
    if &magic != MAGIC {
        return Err("not a rulecheck facts image of this version".to_string());
    }
    let count = get_u32(&mut r).map_err(damaged)? as usize;
    if count != Base::ALL.len() {
        return Err(format!(
            "holds {count} relations, expected {}",
            Base::ALL.len()
        ));
    }
    let mut shapes = Vec::with_capacity(count);
    for base in Base::ALL {
        let name_len = get_u32(&mut r).map_err(damaged)? as usize;
        let mut name = vec![0u8; name_len.min(256)];
        r.read_exact(&mut name).map_err(damaged)?;
        if name != base.schema().name.as_bytes() {
            return Err(format!(
                "relation `{}` where `{}` was expected",
                String::from_utf8_lossy(&name),
                base.schema().name
            ));
        }
        let (len, mtime) = (
            get_u64(&mut r).map_err(damaged)?,
            get_u64(&mut r).map_err(damaged)?,
        );
        let arity = get_u32(&mut r).map_err(damaged)? as usize;
        let rows = get_u64(&mut r).map_err(damaged)? as usize;
        if arity != base.schema().columns.len() {
            return Err(format!("`{}` has {arity} columns", base.schema().name));
        }
        match stamp(&dir.join(format!("{}.facts", base.schema().name))) {
            Ok(now) if now == (len, mtime) => {}
            _ => return Ok(None),
        }
        shapes.push((arity, rows));
    }
    let symbols = get_u64(&mut r).map_err(damaged)? as usize;
    let text_len = get_u64(&mut r).map_err(damaged)? as usize;
    // The sizes the header promises must be the file's, before anything
    // is allocated for them.
    let cells = shapes.iter().try_fold(0usize, |sum, &(a, n)| {
        n.checked_mul(a * 8)?.checked_add(sum)
    });
    let body = symbols
        .checked_mul(4)
        .zip(cells)
        .and_then(|(e, c)| e.checked_add(text_len)?.checked_add(c));
    let at = r.stream_position().map_err(damaged)?;
    let file_len = r.get_ref().metadata().map_err(damaged)?.len();
    if body.and_then(|b| (b as u64).checked_add(at)) != Some(file_len) {
        return Err("damaged (its length does not match its header)".to_string());
    }
    let mut ends = vec![0u32; symbols];
    r.read_exact(bytemuck::cast_slice_mut(&mut ends))
        .map_err(damaged)?;
    let mut text = vec![0u8; text_len];
    r.read_exact(&mut text).map_err(damaged)?;
    let text = String::from_utf8(text).map_err(|_| "symbol text is not UTF-8".to_string())?;
    let symbols = Symbols::from_parts(text, ends)?;
    let mut db = FactDb {
        symbols,
        ..FactDb::default()
    };
    for (base, (arity, rows)) in Base::ALL.into_iter().zip(shapes) {
        let bytes = rows * arity * 8;
        if !wanted(base) {
            r.seek(SeekFrom::Current(bytes as i64)).map_err(damaged)?;
            continue;
        }
        let mut cells = vec![0u64; rows * arity];
        r.read_exact(bytemuck::cast_slice_mut(&mut cells))
            .map_err(damaged)?;
        for (i, col) in base.schema().columns.iter().enumerate() {
            let n = db.symbols.len() as u64;
            if col.ty == Type::Symbol && cells.iter().skip(i).step_by(arity).any(|&c| c >= n) {
                return Err(format!(
                    "`{}` refers to a symbol it lacks",
                    base.schema().name
                ));
            }
        }
        *db.table_mut(base) = Table { arity, cells };
    }
    Ok(Some(db))
}

/// A file's length and modification time in nanoseconds: what must not
/// have changed for the image to stand for it.
fn stamp(path: &Path) -> io::Result<(u64, u64)> {
    let meta = std::fs::metadata(path)?;
    let mtime = meta
        .modified()?
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    Ok((meta.len(), mtime))
}

fn put_u32(out: &mut impl Write, v: u32) -> io::Result<()> {
    out.write_all(&v.to_le_bytes())
}

fn put_u64(out: &mut impl Write, v: u64) -> io::Result<()> {
    out.write_all(&v.to_le_bytes())
}

fn get_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn get_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}
