//! Tuples as datafrog holds them during a recursive stratum. Rows of up to
//! [`INLINE`] cells are fixed arrays (padded with zeros), so that sorting,
//! merging and deduplicating a round's results moves plain values; longer
//! rows are boxed slices. Measured on transitive closure, boxing every row
//! spent most of the engine's time in the allocator and in comparisons
//! through pointers.

use datafrog::{Iteration, Relation, Variable};

pub const INLINE: usize = 4;
pub type Inline = [u64; INLINE];

/// One relation of a recursive stratum.
pub enum RowVar {
    Inline(Variable<Inline>),
    Boxed(Variable<Box<[u64]>>),
}

/// The new tuples of one round (datafrog's `recent`), any arity.
#[derive(Clone, Copy)]
pub enum Delta<'a> {
    Inline(&'a [Inline]),
    Boxed(&'a [Box<[u64]>]),
}

impl Delta<'_> {
    pub const EMPTY: Delta<'static> = Delta::Boxed(&[]);

    pub fn len(&self) -> usize {
        match self {
            Delta::Inline(r) => r.len(),
            Delta::Boxed(r) => r.len(),
        }
    }

    /// Row `i`, its first `arity` cells.
    pub fn row(&self, i: usize, arity: usize) -> &[u64] {
        match self {
            Delta::Inline(r) => &r[i][..arity],
            Delta::Boxed(r) => &r[i][..arity],
        }
    }
}

impl RowVar {
    pub fn new(iteration: &mut Iteration, name: &str, arity: usize) -> Self {
        if arity <= INLINE {
            RowVar::Inline(iteration.variable(name))
        } else {
            RowVar::Boxed(iteration.variable(name))
        }
    }

    /// Adds `rows` rows (row-major `cells` of `arity`) as candidates for
    /// the next round; datafrog drops those already known.
    pub fn insert(&self, cells: &[u64], arity: usize, rows: usize) {
        match self {
            RowVar::Inline(v) => {
                let mut out: Vec<Inline> = Vec::with_capacity(rows);
                if arity == 0 {
                    out.extend((0..rows.min(1)).map(|_| [0; INLINE]));
                } else {
                    for row in cells.chunks_exact(arity) {
                        let mut r = [0; INLINE];
                        r[..arity].copy_from_slice(row);
                        out.push(r);
                    }
                }
                // datafrog sorts with a stable sort; an unstable sort first
                // is cheaper and leaves it a single run to confirm.
                out.sort_unstable();
                v.insert(Relation::from_vec(out));
            }
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
            RowVar::Inline(v) => f(Delta::Inline(&v.recent.borrow().elements)),
            RowVar::Boxed(v) => f(Delta::Boxed(&v.recent.borrow().elements)),
        }
    }
}
