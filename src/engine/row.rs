//! Tuples as datafrog holds them during a recursive stratum. Rows of up to
//! two cells are `[u64; 2]`, up to four `[u64; 4]` (padded with zeros), so
//! that sorting, merging and deduplicating a round's results moves plain
//! values; longer rows are boxed slices. Measured on transitive closure,
//! boxing every row spent most of the engine's time in the allocator and
//! in comparisons through pointers; holding binary relations (the common
//! recursive case) in four cells doubled their memory.

use datafrog::{Iteration, Relation, Variable};

/// One relation of a recursive stratum.
pub enum RowVar {
    Two(Variable<[u64; 2]>),
    Four(Variable<[u64; 4]>),
    Boxed(Variable<Box<[u64]>>),
}

/// The new tuples of one round (datafrog's `recent`), any arity.
#[derive(Clone, Copy)]
pub enum Delta<'a> {
    Two(&'a [[u64; 2]]),
    Four(&'a [[u64; 4]]),
    Boxed(&'a [Box<[u64]>]),
}

impl Delta<'_> {
    pub const EMPTY: Delta<'static> = Delta::Boxed(&[]);

    pub fn len(&self) -> usize {
        match self {
            Delta::Two(r) => r.len(),
            Delta::Four(r) => r.len(),
            Delta::Boxed(r) => r.len(),
        }
    }

    /// Row `i`, its first `arity` cells.
    pub fn row(&self, i: usize, arity: usize) -> &[u64] {
        match self {
            Delta::Two(r) => &r[i][..arity],
            Delta::Four(r) => &r[i][..arity],
            Delta::Boxed(r) => &r[i][..arity],
        }
    }
}

/// Row-major `cells` of `arity` as padded fixed rows, sorted.
fn fixed<const N: usize>(cells: &[u64], arity: usize, rows: usize) -> Relation<[u64; N]> {
    let mut out: Vec<[u64; N]> = Vec::with_capacity(rows);
    if arity == 0 {
        out.extend((0..rows.min(1)).map(|_| [0; N]));
    } else {
        for row in cells.chunks_exact(arity) {
            let mut r = [0; N];
            r[..arity].copy_from_slice(row);
            out.push(r);
        }
    }
    // datafrog sorts with a stable sort; an unstable sort first is cheaper
    // and leaves it a single run to confirm.
    out.sort_unstable();
    Relation::from_vec(out)
}

impl RowVar {
    pub fn new(iteration: &mut Iteration, name: &str, arity: usize) -> Self {
        match arity {
            0..=2 => RowVar::Two(iteration.variable(name)),
            3..=4 => RowVar::Four(iteration.variable(name)),
            _ => RowVar::Boxed(iteration.variable(name)),
        }
    }

    /// Adds `rows` rows (row-major `cells` of `arity`) as candidates for
    /// the next round; datafrog drops those already known.
    pub fn insert(&self, cells: &[u64], arity: usize, rows: usize) {
        match self {
            RowVar::Two(v) => v.insert(fixed(cells, arity, rows)),
            RowVar::Four(v) => v.insert(fixed(cells, arity, rows)),
            RowVar::Boxed(v) => {
                let mut out: Vec<Box<[u64]>> = cells.chunks_exact(arity).map(Box::from).collect();
                out.sort_unstable();
                v.insert(Relation::from_vec(out));
            }
        }
    }

    /// Calls `f` with this round's new tuples.
    pub fn with_recent<R>(&self, f: impl FnOnce(Delta) -> R) -> R {
        match self {
            RowVar::Two(v) => f(Delta::Two(&v.recent.borrow().elements)),
            RowVar::Four(v) => f(Delta::Four(&v.recent.borrow().elements)),
            RowVar::Boxed(v) => f(Delta::Boxed(&v.recent.borrow().elements)),
        }
    }
}
