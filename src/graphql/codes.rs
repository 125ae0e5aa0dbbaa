//! Tags errors raised before execution (parse, validation, limits) with their `extensions.code`,
//! so every error a client sees carries one.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult, Value, Variables};

use crate::error::ErrorCode;

/// Factory registered on the schema.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

fn tag(mut err: ServerError, code: ErrorCode) -> ServerError {
    let ext = err.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code.as_str());
    }
    err
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(|e| tag(e, ErrorCode::GraphqlParseFailed))?;
        if variables.values().any(has_nul) || document_has_nul(&document) {
            let err = ServerError::new("text must not contain NUL characters (U+0000)", None);
            return Err(tag(err, ErrorCode::BadUserInput));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| tag(e, ErrorCode::GraphqlValidationFailed))
                .collect()
        })
    }
}

/// NUL has no place in any text gridloop takes, and PostgreSQL refuses it in text columns and
/// parameters: it would fail deep inside a use case as an INTERNAL error, or be stored on SQLite
/// only. So any string with a NUL, in the variables or in the document, rejects the request.
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::List(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(key, v)| key.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn document_has_nul(document: &ExecutableDocument) -> bool {
    let operations = document.operations.iter().any(|(_, op)| {
        op.node.variable_definitions.iter().any(|d| {
            d.node
                .default_value
                .as_ref()
                .is_some_and(|v| has_nul(&v.node))
                || directives_have_nul(&d.node.directives)
        }) || directives_have_nul(&op.node.directives)
            || selections_have_nul(&op.node.selection_set.node)
    });
    operations
        || document.fragments.values().any(|f| {
            directives_have_nul(&f.node.directives)
                || selections_have_nul(&f.node.selection_set.node)
        })
}

/// Whether the arguments of a field or directive hold a NUL. Variables count as `null` here:
/// they are checked on their own. (A macro, because the parser's non-constant value type is not
/// exported under a name.)
macro_rules! arguments_have_nul {
    ($arguments:expr) => {
        $arguments.iter().any(|(_, v)| {
            let Ok(value) = v
                .node
                .clone()
                .into_const_with(|_| Ok::<_, std::convert::Infallible>(Value::Null));
            has_nul(&value)
        })
    };
}

fn directives_have_nul(directives: &[Positioned<Directive>]) -> bool {
    directives
        .iter()
        .any(|d| arguments_have_nul!(d.node.arguments))
}

fn selections_have_nul(set: &SelectionSet) -> bool {
    set.items.iter().any(|item| match &item.node {
        Selection::Field(field) => {
            arguments_have_nul!(field.node.arguments)
                || directives_have_nul(&field.node.directives)
                || selections_have_nul(&field.node.selection_set.node)
        }
        Selection::FragmentSpread(spread) => directives_have_nul(&spread.node.directives),
        Selection::InlineFragment(inline) => {
            directives_have_nul(&inline.node.directives)
                || selections_have_nul(&inline.node.selection_set.node)
        }
    })
}

/// Gives any error still without a code (e.g. an input value that failed to coerce) one.
pub fn ensure_code(err: &mut ServerError) {
    let ext = err.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        let code = if err.path.is_empty() || is_input_coercion(&err.message) {
            ErrorCode::BadUserInput
        } else {
            ErrorCode::Internal
        };
        ext.set("code", code.as_str());
    }
}

/// async-graphql's messages for an argument or variable value that does not fit its input type
/// (`InputValueError`: a date out of range, a number where an object belongs). They are raised
/// while the field resolves, so they carry its path, but the client is at fault.
fn is_input_coercion(message: &str) -> bool {
    message.starts_with("Failed to parse \"") || message.starts_with("Expected input type \"")
}

/// True for errors that mean the request never executed (the spec's "request errors").
pub fn is_request_error(err: &ServerError) -> bool {
    let code = err
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .map(|v| v.to_string());
    matches!(
        code.as_deref(),
        Some("\"GRAPHQL_PARSE_FAILED\"") | Some("\"GRAPHQL_VALIDATION_FAILED\"")
    )
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn code_of(message: &str, path: bool) -> String {
        let mut err = ServerError::new(message, None);
        if path {
            err.path = vec![async_graphql::PathSegment::Field("reportIssue".into())];
        }
        ensure_code(&mut err);
        format!("{:?}", err.extensions)
    }

    #[test]
    fn an_input_value_that_does_not_coerce_is_bad_user_input_even_inside_a_field() {
        for message in [
            r#"Failed to parse "DateTime": input is out of range (occurred while parsing "PhotoInput")"#,
            r#"Expected input type "CreateUserInput", found -3."#,
        ] {
            assert!(
                code_of(message, true).contains("BAD_USER_INPUT"),
                "{message}"
            );
        }
    }

    fn parsed(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_nul_anywhere_in_the_document_is_found() {
        for query in [
            r#"mutation { login(input: {email: "a\u0000b", password: "x"}) { token } }"#,
            r#"query($n: String = "\u0000") { ticket(number: $n) { number } }"#,
            r#"{ tickets(filter: {categoryCode: "x", status: [REPORTED]}) { ... on TicketConnection { nodes @include(if: true) { number } } } ... F } fragment F on QueryRoot { ticket(number: "\u0000") { number } }"#,
            r#"{ ... @skip(if: false) { ticket(number: "ok") { events(after: "\u0000") { pageInfo { hasNextPage } } } } }"#,
        ] {
            assert!(document_has_nul(&parsed(query)), "{query}");
        }
        let clean = r#"query($n: String!) { ticket(number: $n) { number } }"#;
        assert!(!document_has_nul(&parsed(clean)));
    }

    #[test]
    fn a_nul_in_any_variable_is_found() {
        let nested =
            serde_json::json!({"input": {"photos": [{"lat": 1}, {"x": ["ok", "a\u{0}"]}]}});
        let variables = Variables::from_json(nested);
        assert!(variables.values().any(has_nul));
        let clean = Variables::from_json(serde_json::json!({"input": {"note": "fine \t\n"}}));
        assert!(!clean.values().any(has_nul));
    }

    #[test]
    fn any_other_uncoded_error_inside_a_field_is_internal() {
        assert!(code_of("something broke", true).contains("INTERNAL"));
        assert!(code_of("something broke", false).contains("BAD_USER_INPUT"));
    }
}
