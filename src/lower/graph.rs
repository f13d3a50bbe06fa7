//! Checks that need every span at once: duplicate ids, parents that are not
//! in the input, and parent cycles. Works on interned ids so a million spans
//! cost a few tens of megabytes.

use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

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

#[derive(Debug, Default)]
pub struct Graph {
    files: Vec<PathBuf>,
    seen: FxHashMap<u32, Seen>,
    problems: Vec<Problem>,
}

/// A parent edge that must go: its parent is missing, or it closes a cycle.
pub type Cut = FxHashSet<(u32, u32)>;

fn content_hash(span: &Span) -> u64 {
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

    /// Keeps the first span of each id; an identical re-export and a
    /// different span under a taken id are both warnings.
    pub fn admit(&mut self, id: u32, span: &Span, file: u32, index: u32) -> Admit {
        let hash = content_hash(span);
        match self.seen.entry(id) {
            Entry::Vacant(v) => {
                v.insert(Seen { file, index, hash });
                Admit::New
            }
            Entry::Occupied(o) => {
                let first = *o.get();
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
                    Some(format!("span {}", span.id)),
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
        let mut parents: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for &(child, parent) in edges {
            if self.seen.contains_key(&parent) {
                parents.entry(child).or_default().push(parent);
            } else if cut.insert((child, parent)) {
                let at = self.seen[&child];
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
        // Depth-first search over child → parent edges; an edge into a span
        // still on the stack closes a cycle.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Active,
            Done,
        }
        let mut mark: FxHashMap<u32, Mark> = FxHashMap::default();
        let mut starts: Vec<u32> = parents.keys().copied().collect();
        starts.sort_unstable();
        for start in starts {
            if mark.contains_key(&start) {
                continue;
            }
            let mut stack: Vec<(u32, usize)> = vec![(start, 0)];
            mark.insert(start, Mark::Active);
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let ps = parents.get(&node).map(Vec::as_slice).unwrap_or(&[]);
                if *next >= ps.len() {
                    mark.insert(node, Mark::Done);
                    stack.pop();
                    continue;
                }
                let parent = ps[*next];
                *next += 1;
                match mark.get(&parent) {
                    None => {
                        mark.insert(parent, Mark::Active);
                        stack.push((parent, 0));
                    }
                    Some(Mark::Active) => {
                        cut.insert((node, parent));
                        let from = stack.iter().position(|&(n, _)| n == parent).unwrap_or(0);
                        let cycle: Vec<&str> = stack[from..]
                            .iter()
                            .map(|&(n, _)| symbols.resolve(n))
                            .chain(std::iter::once(symbols.resolve(parent)))
                            .collect();
                        let at = self.seen[&node];
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
                    Some(Mark::Done) => {}
                }
            }
        }
        (self.problems, cut)
    }
}
