//! The checker's top level: types, declarations and directives, then each
//! rule ([`super::rules`]), then stratification ([`super::stratify`]).
//! Errors are collected across the whole program so that one run of
//! `rulecheck check` shows all of them.

use rustc_hash::FxHashMap;

use super::ast::{self, Item, Module};
use super::error::{closest, ErrorKind, LangError};
use super::program::{ColumnDecl, InvariantDecl, Program, RelId, Relation};
use super::source::{Loc, SourceMap};
use super::{rules, stratify};
use crate::facts::schema::USER_INPUTS;
use crate::facts::{Base, Type, BASE};

/// Declared relations, shared by every rule's checker.
pub(super) struct Env<'a> {
    pub sources: &'a SourceMap,
    pub relations: Vec<Relation>,
    pub by_name: FxHashMap<String, RelId>,
}

impl Env<'_> {
    pub fn relation(&self, id: RelId) -> &Relation {
        &self.relations[id.0 as usize]
    }

    /// Resolves a relation name, or explains that it is unknown.
    pub fn resolve(&self, name: &ast::Ident, what: &str) -> Result<RelId, LangError> {
        if let Some(&id) = self.by_name.get(&name.name) {
            return Ok(id);
        }
        let e = LangError::at(
            self.sources,
            ErrorKind::UnknownRelation,
            name.loc,
            format!("{what} `{}` is not declared", name.name),
            "unknown relation",
        );
        let help = if let Some(r) = USER_INPUTS.iter().find(|r| r.name == name.name) {
            let cols: Vec<String> = r
                .columns
                .iter()
                .map(|c| format!("{}: {}", c.name, c.ty.as_str()))
                .collect();
            format!(
                "`{0}` is read from the facts folder: declare it with `.decl {0}({1})` and `.input {0}`",
                r.name,
                cols.join(", ")
            )
        } else if let Some(near) =
            closest(&name.name, self.relations.iter().map(|r| r.name.as_str()))
        {
            format!("did you mean `{near}`?")
        } else {
            format!(
                "declare it with `.decl {}(…)`, or run `rulecheck schema` for the built-in relations",
                name.name
            )
        };
        Err(e.with_help(help))
    }

    /// `.decl r(a: symbol, …)` as text, for hints.
    pub fn signature(&self, id: RelId) -> String {
        let rel = self.relation(id);
        let cols: Vec<String> = rel
            .columns
            .iter()
            .map(|c| format!("{}: {}", c.name, c.ty.as_str()))
            .collect();
        format!("{}({})", rel.name, cols.join(", "))
    }
}

/// The checked program (or every error), and the warnings found either way.
pub(super) fn check(
    sources: SourceMap,
    modules: &[Module],
) -> (Result<Program, Vec<LangError>>, Vec<LangError>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let types = type_aliases(&sources, modules, &mut errors);
    let mut env = Env {
        sources: &sources,
        relations: Vec::new(),
        by_name: FxHashMap::default(),
    };
    for schema in BASE.iter() {
        let id = RelId(env.relations.len() as u32);
        env.by_name.insert(schema.name.to_string(), id);
        env.relations.push(Relation {
            name: schema.name.to_string(),
            columns: schema
                .columns
                .iter()
                .map(|c| ColumnDecl {
                    name: c.name.to_string(),
                    ty: c.ty,
                })
                .collect(),
            base: Base::by_name(schema.name),
            input: false,
            output: false,
            decl: None,
        });
    }
    for item in modules.iter().flat_map(|m| &m.items) {
        if let Item::Decl(decl) = item {
            declare(&mut env, &types, decl, &mut errors);
        }
    }
    let mut invariants = Vec::new();
    for item in modules.iter().flat_map(|m| &m.items) {
        match item {
            Item::Input(d) | Item::Output(d) => {
                let input = matches!(item, Item::Input(_));
                let what = if input {
                    "`.input` relation"
                } else {
                    "`.output` relation"
                };
                for name in &d.relations {
                    match env.resolve(name, what) {
                        Ok(id) => {
                            let rel = &mut env.relations[id.0 as usize];
                            if !input {
                                rel.output = true;
                            } else if rel.base.is_none() {
                                rel.input = true;
                            }
                        }
                        Err(e) => errors.push(e),
                    }
                }
            }
            Item::Invariant(inv) => match env.resolve(&inv.relation, "invariant relation") {
                Ok(relation) => invariants.push(InvariantDecl {
                    relation,
                    message: inv.message.clone(),
                    loc: inv.loc,
                }),
                Err(e) => errors.push(e),
            },
            _ => {}
        }
    }
    let mut program_rules = Vec::new();
    for item in modules.iter().flat_map(|m| &m.items) {
        if let Item::Rule(rule) = item {
            rules::lower(&env, rule, &mut program_rules, &mut errors, &mut warnings);
        }
    }
    let relations = env.relations;
    never_derived(&sources, &relations, &program_rules, &mut warnings);
    // Run even when some rules failed: the cycles among the others are
    // worth reporting in the same run.
    let strata = stratify::stratify(&sources, &relations, &program_rules, &mut errors);
    warnings.sort_by_key(sort_key);
    let program = if errors.is_empty() {
        Ok(Program {
            relations,
            rules: program_rules,
            strata,
            invariants,
            sources,
        })
    } else {
        Err(errors)
    };
    (program, warnings)
}

/// Declared relations that rules read but nothing fills: no rule, no fact,
/// no `.input`. Usually a missing `.input` or a misspelt head.
fn never_derived(
    sources: &SourceMap,
    relations: &[Relation],
    rules: &[super::program::Rule],
    warnings: &mut Vec<LangError>,
) {
    let mut derived = vec![false; relations.len()];
    let mut read: Vec<Option<Loc>> = vec![None; relations.len()];
    for r in rules {
        derived[r.head.relation.0 as usize] = true;
        reads(&r.body, &mut read);
    }
    for (i, rel) in relations.iter().enumerate() {
        let (Some(decl), Some(_)) = (rel.decl, read[i]) else {
            continue;
        };
        if rel.base.is_none() && !rel.input && !derived[i] {
            warnings.push(
                LangError::at(
                    sources,
                    ErrorKind::NoRules,
                    decl,
                    format!(
                        "relation `{}` is read but never filled: it is always empty",
                        rel.name
                    ),
                    "no rule, fact or .input",
                )
                .with_help(format!(
                    "add `.input {}` to read it from the facts folder, or rules that derive it",
                    rel.name
                ))
                .warning(),
            );
        }
    }
}

/// Marks where each relation is first read in `body`.
fn reads(body: &[super::program::Literal], read: &mut [Option<Loc>]) {
    use super::program::Literal;
    for l in body {
        match l {
            Literal::Positive(a) | Literal::Negative(a) => {
                read[a.relation.0 as usize].get_or_insert(a.loc);
            }
            Literal::Aggregate(agg) => reads(&agg.body, read),
            _ => {}
        }
    }
}

/// `.type` aliases resolved to base types (aliases of aliases too).
fn type_aliases(
    sources: &SourceMap,
    modules: &[Module],
    errors: &mut Vec<LangError>,
) -> FxHashMap<String, Option<Type>> {
    let mut written: FxHashMap<&str, &ast::TypeAlias> = FxHashMap::default();
    for item in modules.iter().flat_map(|m| &m.items) {
        if let Item::TypeAlias(t) = item {
            if builtin_type(&t.name.name).is_some() {
                errors.push(
                    LangError::at(
                        sources,
                        ErrorKind::DuplicateDecl,
                        t.name.loc,
                        format!("`{}` is a built-in type", t.name.name),
                        "redefined here",
                    )
                    .with_help("choose another name for the alias"),
                );
            } else if let Some(first) = written.get(t.name.name.as_str()) {
                errors.push(
                    LangError::at(
                        sources,
                        ErrorKind::DuplicateDecl,
                        t.name.loc,
                        format!("type `{}` is declared twice", t.name.name),
                        "declared again here",
                    )
                    .with_help("remove one of the declarations")
                    .with_note(sources, first.name.loc, "first declared here"),
                );
            } else {
                written.insert(&t.name.name, t);
            }
        }
    }
    let mut resolved = FxHashMap::default();
    for (&name, alias) in &written {
        let mut seen = vec![name];
        let mut base = &alias.base;
        let ty = loop {
            if let Some(t) = builtin_type(&base.name) {
                break Some(t);
            }
            match written.get(base.name.as_str()) {
                Some(next) if !seen.contains(&next.name.name.as_str()) => {
                    seen.push(&next.name.name);
                    base = &next.base;
                }
                Some(_) => {
                    errors.push(
                        LangError::at(
                            sources,
                            ErrorKind::UnknownType,
                            alias.name.loc,
                            format!("type `{name}` is defined in terms of itself"),
                            "cyclic type",
                        )
                        .with_help("define it as a subtype of symbol, number, unsigned or float"),
                    );
                    break None;
                }
                None => {
                    errors.push(unknown_type(sources, base, written.keys().copied()));
                    break None;
                }
            }
        };
        resolved.insert(name.to_string(), ty);
    }
    resolved
}

fn builtin_type(name: &str) -> Option<Type> {
    Some(match name {
        "symbol" => Type::Symbol,
        "number" => Type::Number,
        "unsigned" => Type::Unsigned,
        "float" => Type::Float,
        _ => return None,
    })
}

fn unknown_type<'a>(
    sources: &SourceMap,
    name: &ast::Ident,
    aliases: impl Iterator<Item = &'a str>,
) -> LangError {
    let builtins = ["symbol", "number", "unsigned", "float"];
    let near = closest(&name.name, builtins.iter().copied().chain(aliases));
    let help = match near {
        Some(n) => format!("did you mean `{n}`?"),
        None => {
            "the types are symbol, number, unsigned and float, or a `.type` alias of one".into()
        }
    };
    LangError::at(
        sources,
        ErrorKind::UnknownType,
        name.loc,
        format!("unknown type `{}`", name.name),
        "unknown type",
    )
    .with_help(help)
}

fn declare(
    env: &mut Env,
    types: &FxHashMap<String, Option<Type>>,
    decl: &ast::Decl,
    errors: &mut Vec<LangError>,
) {
    let sources = env.sources;
    let mut columns = Vec::new();
    let mut ok = true;
    for p in &decl.params {
        match builtin_type(&p.ty.name)
            .map(Some)
            .or_else(|| types.get(&p.ty.name).copied())
        {
            Some(Some(ty)) => columns.push(ColumnDecl {
                name: p.name.name.clone(),
                ty,
            }),
            // An alias that does not resolve was reported where it is defined.
            Some(None) => ok = false,
            None => {
                errors.push(unknown_type(
                    sources,
                    &p.ty,
                    types.keys().map(|s| s.as_str()),
                ));
                ok = false;
            }
        }
    }
    if !ok {
        return;
    }
    let name = &decl.name.name;
    if let Some(&id) = env.by_name.get(name) {
        let existing = &env.relations[id.0 as usize];
        if let (Some(base), None) = (existing.base, existing.decl) {
            let same = existing.columns.len() == columns.len()
                && existing
                    .columns
                    .iter()
                    .zip(&columns)
                    .all(|(a, b)| a.ty == b.ty);
            if same {
                env.relations[id.0 as usize].decl = Some(decl.loc);
            } else {
                errors.push(
                    LangError::at(
                        sources,
                        ErrorKind::BaseMismatch,
                        decl.loc,
                        format!(
                            "`{name}` is a built-in base relation and this declaration differs from it"
                        ),
                        "differs from the built-in schema",
                    )
                    .with_help(format!(
                        "the built-in declaration is `.decl {}` (see `rulecheck schema`); \
                         declare it exactly so, or choose another name",
                        env.signature(id)
                    ))
                    .with_note(sources, decl.loc, format!("built-in: {}", base.name())),
                );
            }
            return;
        }
        let first = existing.decl.unwrap_or(decl.loc);
        errors.push(
            LangError::at(
                sources,
                ErrorKind::DuplicateDecl,
                decl.name.loc,
                format!("relation `{name}` is declared twice"),
                "declared again here",
            )
            .with_note(sources, first, "first declared here")
            .with_help("remove one of the declarations (an `.include`d file is read once)"),
        );
        return;
    }
    let id = RelId(env.relations.len() as u32);
    env.by_name.insert(name.clone(), id);
    env.relations.push(Relation {
        name: name.clone(),
        columns,
        base: None,
        input: false,
        output: false,
        decl: Some(decl.loc),
    });
}

/// Where the primary error label is, for sorting.
pub(super) fn sort_key(e: &LangError) -> (u32, u32) {
    e.loc.map(|l: Loc| (l.file.0, l.start)).unwrap_or((0, 0))
}
