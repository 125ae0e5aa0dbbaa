//! Tags errors raised before execution (parse, validation, limits) with their `extensions.code`,
//! so every error a client sees carries one.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};

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
        next.run(ctx, query, variables)
            .await
            .map_err(|e| tag(e, ErrorCode::GraphqlParseFailed))
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

/// Gives any error still without a code (e.g. an input value that failed to coerce) one.
pub fn ensure_code(err: &mut ServerError) {
    let ext = err.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        let code = if err.path.is_empty() {
            ErrorCode::BadUserInput
        } else {
            ErrorCode::Internal
        };
        ext.set("code", code.as_str());
    }
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
