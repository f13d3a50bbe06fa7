//! Random programs over number columns for the differential and proof
//! re-check tests: two input relations and four derived ones in layers,
//! rules drawn from templates covering joins, recursion, negation,
//! arithmetic, filters, disjunction and aggregates.

use proptest::prelude::*;
use rulecheck::engine::{InputFacts, InputFile};
use rulecheck::lang::Program;

/// Relations: inputs e0, e1 (layer 0); r1, r2 (layer 1, may recurse
/// through each other); r3 (layer 2); r4 (layer 3). Positive atoms read
/// any layer up to the head's; negation and aggregates only lower ones.
pub const RELS: [(&str, u8); 6] = [
    ("e0", 0),
    ("e1", 0),
    ("r1", 1),
    ("r2", 1),
    ("r3", 2),
    ("r4", 3),
];

pub fn pick(choice: u8, below_or_at: u8, strict: bool) -> &'static str {
    let ok: Vec<&str> = RELS
        .iter()
        .filter(|(_, l)| {
            if strict {
                *l < below_or_at
            } else {
                *l <= below_or_at
            }
        })
        .map(|(n, _)| *n)
        .collect();
    ok[choice as usize % ok.len()]
}

/// The relations a rule template fills from its choices `h`, `a`, `b`:
/// the head, two positive atoms and a negated (or aggregated) one.
pub fn rule_slots(h: u8, a: u8, b: u8) -> [&'static str; 4] {
    let (head, layer) = RELS[2 + (h as usize % 4)];
    [
        head,
        pick(a, layer, false),
        pick(b, layer, false),
        pick(b, layer, true),
    ]
}

/// Rule choices for [`program_text`] (or another template set of
/// `templates` rules): one to eight rules.
pub fn rules(templates: u8) -> impl Strategy<Value = Vec<(u8, u8, u8, u8)>> {
    prop::collection::vec((0u8..templates, 0u8..4, 0u8..8, 0u8..8), 1..9)
}

/// Rows for an input relation of numbers.
pub fn edges() -> impl Strategy<Value = Vec<(i64, i64)>> {
    prop::collection::vec((0i64..6, 0i64..6), 0..14)
}

/// The rows of `e0` and `e1` as `.input` facts of `program`.
pub fn input_facts(program: &Program, e0: &[(i64, i64)], e1: &[(i64, i64)]) -> InputFacts {
    let mut facts = InputFacts::default();
    for (name, rows) in [("e0", e0), ("e1", e1)] {
        facts.files.push(InputFile {
            relation: program.relation_by_name(name).unwrap(),
            path: format!("{name}.facts").into(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, (x, y))| (i + 1, vec![x.to_string(), y.to_string()]))
                .collect(),
        });
    }
    facts
}

pub fn rule_text(t: u8, h: u8, a: u8, b: u8) -> String {
    let [head, p1, p2, n1] = rule_slots(h, a, b);
    match t % 15 {
        0 => format!("{head}(X, Y) :- {p1}(X, Y)."),
        1 => format!("{head}(X, Z) :- {p1}(X, Y), {p2}(Y, Z)."),
        2 => format!("{head}(Y, X) :- {p1}(X, Y)."),
        3 => format!("{head}(X, Y) :- {p1}(X, Y), !{n1}(X, Y)."),
        4 => format!("{head}(X, Y) :- {p1}(X, Y), X < Y."),
        5 => format!("{head}(X, Z) :- {p1}(X, Y), Z = Y + 1, Z < 5."),
        6 => format!("{head}(X, C) :- {p1}(X, _), C = count : {{ {n1}(X, _) }}."),
        7 => format!("{head}(X, S) :- {p1}(X, _), S = sum Y : {{ {n1}(X, Y) }}."),
        8 => format!("{head}(X, M) :- {p1}(X, _), M = min Y : {{ {n1}(X, Y) }}."),
        9 => format!("{head}(X, M) :- {p1}(_, X), M = max Y : {{ {n1}(Y, X) }}."),
        10 => format!("{head}(X, Y) :- {p1}(X, Y), {p2}(X, Y), X != 2."),
        11 => format!("{head}(X, X) :- {p1}(X, _), !{n1}(_, X)."),
        12 => format!("{head}(X, Z) :- {p1}(X, Y), {p2}(Z, Y), X != Z."),
        13 => format!("{head}(X, Y) :- {p1}(X, Y) ; {p2}(Y, X)."),
        _ => format!("{head}({}, {}).", a % 5, b % 5),
    }
}

pub fn program_text(rules: &[(u8, u8, u8, u8)]) -> String {
    let mut s = String::new();
    for (name, layer) in RELS {
        s.push_str(&format!(".decl {name}(a: number, b: number)\n"));
        if layer == 0 {
            s.push_str(&format!(".input {name}\n"));
        } else {
            s.push_str(&format!(".output {name}\n"));
        }
    }
    for &(t, h, a, b) in rules {
        s.push_str(&rule_text(t, h, a, b));
        s.push('\n');
    }
    s
}
