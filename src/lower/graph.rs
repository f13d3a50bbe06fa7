//! Checks that need every span at once: duplicate ids, parents that are not
//! in the input, and parent cycles. Works on interned ids so a million spans
//! cost a few tens of megabytes.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use rustc_hash::{FxHashSet, FxHasher};

use crate::diag::Problem;
use crate::facts::Symbols;
use crate::model::Span;

#[derive(Clone, Copy, Debug)]
struct Seen {
    file: u32,
    index: u32,
    hash: u64,
}

/// What [`Graph::admit`] decided about a span.
#[derive(Debug, PartialEq, Eq)]
pub enum Admit {
    New,
    /// Same id as an earlier span: skip it (the warning is recorded).
    Skip,
}

/// `Seen::file` of an id no span has taken.
const UNSEEN: u32 = u32::MAX;

#[derive(Debug, Default)]
pub struct Graph {
    files: Vec<PathBuf>,
    /// Indexed by symbol id: ids are dense, so a vector beats a hash map.
    seen: Vec<Seen>,
    problems: Vec<Problem>,
}

/// A parent edge that must go: its parent is missing, or it closes a cycle.
pub type Cut = FxHashSet<(u32, u32)>;

/// What tells an identical re-export of a span from a different span
/// under the same id.
pub fn content_hash(span: &Span) -> u64 {
    let mut h = FxHasher::default();
    span.hash(&mut h);
    h.finish()
}

impl Graph {
    /// Registers a file; spans then name it by the returned number.
    pub fn add_file(&mut self, path: PathBuf) -> u32 {
        self.files.push(path);
        (self.files.len() - 1) as u32
    }

    pub fn file(&self, n: u32) -> &PathBuf {
        &self.files[n as usize]
    }

    /// Whether a span with this id was admitted.
    pub fn is_seen(&self, id: u32) -> bool {
        self.seen.get(id as usize).is_some_and(|s| s.file != UNSEEN)
    }

    /// Keeps the first span of each id; an identical re-export and a
    /// different span under a taken id are both warnings. `hash` is the
    /// span's [`content_hash`]; `symbols` name the id in the warning.
    pub fn admit(&mut self, id: u32, hash: u64, file: u32, index: u32, symbols: &Symbols) -> Admit {
        let slot = id as usize;
        if slot >= self.seen.len() {
            // Grown to the slot only (the vector's capacity still doubles):
            // slots written ahead of need were page faults for nothing.
            self.seen.resize(
                slot + 1,
                Seen {
                    file: UNSEEN,
                    index: 0,
                    hash: 0,
                },
            );
        }
        match self.seen[slot] {
            Seen { file: UNSEEN, .. } => {
                self.seen[slot] = Seen { file, index, hash };
                Admit::New
            }
            first => {
                let here = self.files[file as usize].clone();
                let message = if first.hash == hash {
                    format!(
                        "span exported twice (first at {} span #{}); kept once",
                        self.files[first.file as usize].display(),
                        first.index
                    )
                } else {
                    format!(
                        "two different spans share this id: span #{} here and span #{} of {}; the first is kept",
                        index,
                        first.index,
                        self.files[first.file as usize].display()
                    )
                };
                self.problems.push(Problem::warning(
                    &here,
                    Some(format!("span {}", symbols.resolve(id))),
                    message,
                ));
                Admit::Skip
            }
        }
    }

    /// Checks the parent edges (child, parent): parents not in the input
    /// become warnings, cycles errors. Returns the problems and the edges to
    /// drop so that what is left is a forest.
    pub fn finish(mut self, edges: &[(u32, u32)], symbols: &Symbols) -> (Vec<Problem>, Cut) {
        let mut cut = Cut::default();
        let n = self.seen.len();
        let seen = |id: u32| self.seen.get(id as usize).filter(|s| s.file != UNSEEN);
        // Each child's parents, in edge order (a stable counting sort into
        // one array with offsets per child id).
        let mut kept: Vec<(u32, u32)> = Vec::with_capacity(edges.len());
        for &(child, parent) in edges {
            if seen(parent).is_some() {
                kept.push((child, parent));
            } else if cut.insert((child, parent)) {
                let at = seen(child).expect("an edge's child is an admitted span");
                self.problems.push(Problem::warning(
                    &self.files[at.file as usize],
                    Some(format!("span {}", symbols.resolve(child))),
                    format!(
                        "parent {} is not in the input; the span is kept as a root",
                        symbols.resolve(parent)
                    ),
                ));
            }
        }
        let mut offsets = vec![0u32; n + 1];
        for &(child, _) in &kept {
            offsets[child as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut parent_of = vec![0u32; kept.len()];
        for &(child, parent) in &kept {
            let at = &mut fill[child as usize];
            parent_of[*at as usize] = parent;
            *at += 1;
        }
        drop(kept);
        drop(fill);
        let parents = |node: u32| {
            let i = node as usize;
            &parent_of[offsets[i] as usize..offsets[i + 1] as usize]
        };
        // Depth-first search over child → parent edges; an edge into a span
        // still on the stack closes a cycle.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut mark = vec![Mark::New; n];
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for start in 0..n as u32 {
            if parents(start).is_empty() || mark[start as usize] != Mark::New {
                continue;
            }
            stack.push((start, 0));
            mark[start as usize] = Mark::Active;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let ps = parents(node);
                if *next >= ps.len() {
                    mark[node as usize] = Mark::Done;
                    stack.pop();
                    continue;
                }
                let parent = ps[*next];
                *next += 1;
                match mark[parent as usize] {
                    Mark::New => {
                        mark[parent as usize] = Mark::Active;
                        stack.push((parent, 0));
                    }
                    Mark::Active => {
                        cut.insert((node, parent));
                        let from = stack.iter().position(|&(n, _)| n == parent).unwrap_or(0);
                        let cycle: Vec<&str> = stack[from..]
                            .iter()
                            .map(|&(n, _)| symbols.resolve(n))
                            .chain(std::iter::once(symbols.resolve(parent)))
                            .collect();
                        let at = self.seen[node as usize];
                        self.problems.push(Problem::error(
                            &self.files[at.file as usize],
                            Some(format!("span {}", symbols.resolve(node))),
                            format!(
                                "parent references form a cycle: {}; the edge {} -> {} is dropped",
                                cycle.join(" -> "),
                                symbols.resolve(node),
                                symbols.resolve(parent)
                            ),
                        ));
                    }
                    Mark::Done => {}
                }
            }
        }
        (self.problems, cut)
    }
}
