//! A small reader for the committed SDL (`schema/schema.graphql`, kept equal to the served
//! schema by `schema_snapshot.rs`): root fields with their arguments, input types and enums.
//! Enough for tests that are generated from the schema, and that fail when it grows an operation
//! they do not cover.
#![allow(dead_code)]

use std::collections::HashMap;

/// A GraphQL type reference such as `[WorkingWindowInput!]!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    pub kind: TypeKind,
    pub non_null: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    Named(String),
    List(Box<TypeRef>),
}

impl TypeRef {
    pub fn parse(text: &str) -> TypeRef {
        let text = text.trim();
        let (inner, non_null) = match text.strip_suffix('!') {
            Some(inner) => (inner, true),
            None => (text, false),
        };
        let kind = match inner.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(element) => TypeKind::List(Box::new(TypeRef::parse(element))),
            None => TypeKind::Named(inner.to_string()),
        };
        TypeRef { kind, non_null }
    }

    /// Back to SDL, e.g. for a variable definition.
    pub fn sdl(&self) -> String {
        let inner = match &self.kind {
            TypeKind::Named(name) => name.clone(),
            TypeKind::List(element) => format!("[{}]", element.sdl()),
        };
        if self.non_null {
            format!("{inner}!")
        } else {
            inner
        }
    }

    /// The named type at the bottom of any lists.
    pub fn base(&self) -> &str {
        match &self.kind {
            TypeKind::Named(name) => name,
            TypeKind::List(element) => element.base(),
        }
    }
}

/// An argument or an input field.
#[derive(Debug, Clone)]
pub struct InputValue {
    pub name: String,
    pub ty: TypeRef,
    pub has_default: bool,
}

/// A field of an object type.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub args: Vec<InputValue>,
    pub ty: TypeRef,
}

/// The definitions of the schema, by kind (`type`, `input`, `enum`, …) and name.
pub struct Sdl {
    blocks: HashMap<(String, String), Vec<String>>,
    roots: HashMap<String, String>,
}

impl Sdl {
    pub fn load() -> Sdl {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql");
        let text = std::fs::read_to_string(path).expect("read schema/schema.graphql");
        Sdl::parse(&text)
    }

    pub fn parse(text: &str) -> Sdl {
        let mut blocks = HashMap::new();
        let mut roots = HashMap::new();
        let mut current: Option<(String, String)> = None;
        let mut members = Vec::new();
        let mut in_doc = false;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with("\"\"\"") {
                let one_line = trimmed.len() >= 6 && trimmed.ends_with("\"\"\"");
                if !one_line {
                    in_doc = !in_doc;
                }
                continue;
            }
            if in_doc || trimmed.is_empty() {
                continue;
            }
            if let Some(key) = &current {
                if trimmed == "}" {
                    blocks.insert(key.clone(), std::mem::take(&mut members));
                    current = None;
                } else if key.0 == "schema" {
                    if let Some((op, ty)) = trimmed.split_once(':') {
                        roots.insert(op.trim().to_string(), ty.trim().to_string());
                    }
                } else {
                    members.push(trimmed.to_string());
                }
                continue;
            }
            if trimmed.ends_with('{') {
                let mut words = trimmed.split_whitespace();
                let keyword = words.next().unwrap_or_default().to_string();
                let name = if keyword == "schema" {
                    String::new()
                } else {
                    words.next().unwrap_or_default().to_string()
                };
                current = Some((keyword, name));
            }
        }
        Sdl { blocks, roots }
    }

    /// The type name of a root operation type: `query` → `QueryRoot`.
    pub fn root(&self, operation: &str) -> &str {
        self.roots
            .get(operation)
            .unwrap_or_else(|| panic!("the schema names no {operation} type"))
    }

    /// The fields of an object type, with their arguments.
    pub fn fields(&self, type_name: &str) -> Vec<Field> {
        let members = self
            .blocks
            .get(&("type".to_string(), type_name.to_string()))
            .unwrap_or_else(|| panic!("no type {type_name} in the schema"));
        members
            .iter()
            .map(|line| {
                let name: String = line
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let mut rest = &line[name.len()..];
                let mut args = Vec::new();
                if rest.starts_with('(') {
                    let close = matching_paren(rest);
                    args = split_top_level(&rest[1..close])
                        .iter()
                        .map(|a| input_value(a))
                        .collect();
                    rest = &rest[close + 1..];
                }
                let ty = rest.trim_start_matches(':').trim();
                Field {
                    name,
                    args,
                    ty: TypeRef::parse(ty.split_whitespace().next().unwrap_or(ty)),
                }
            })
            .collect()
    }

    /// Whether `name` is an object type (so a field of that type needs a selection).
    pub fn is_object(&self, name: &str) -> bool {
        self.blocks
            .contains_key(&("type".to_string(), name.to_string()))
    }

    /// The names of an object type's fields.
    pub fn field_names(&self, type_name: &str) -> Vec<String> {
        self.fields(type_name).into_iter().map(|f| f.name).collect()
    }

    /// The fields of an input type, or `None` when there is no such input type.
    pub fn input_fields(&self, name: &str) -> Option<Vec<InputValue>> {
        self.blocks
            .get(&("input".to_string(), name.to_string()))
            .map(|members| members.iter().map(|m| input_value(m)).collect())
    }

    /// The values of an enum, or `None` when there is no such enum.
    pub fn enum_values(&self, name: &str) -> Option<Vec<String>> {
        self.blocks
            .get(&("enum".to_string(), name.to_string()))
            .cloned()
    }
}

/// `name: Type = default` → the input value.
fn input_value(text: &str) -> InputValue {
    let (name, rest) = text.split_once(':').unwrap_or((text, ""));
    let (ty, default) = match rest.split_once('=') {
        Some((ty, _)) => (ty, true),
        None => (rest, false),
    };
    InputValue {
        name: name.trim().to_string(),
        ty: TypeRef::parse(ty),
        has_default: default,
    }
}

/// The index of the `)` closing the `(` at the start of `text`.
fn matching_paren(text: &str) -> usize {
    let mut depth = 0;
    let mut in_string = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses in {text}")
}

/// Splits on commas outside brackets and strings.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut in_string = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '[' | '{' if !in_string => depth += 1,
            ']' | '}' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                parts.push(text[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = text[start..].trim();
    if !last.is_empty() {
        parts.push(last.to_string());
    }
    parts
}
