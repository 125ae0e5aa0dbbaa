//! The one mapping from failures to GraphQL errors: always an `extensions.code`,
//! internal causes logged and never sent.
//!
//! `ApiError` deliberately does not implement `Display`: async-graphql converts any `Display`
//! type into an error without a code, and we never want that to happen by accident.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

use crate::error::ErrorCode;
use crate::service::Problem;

/// What a resolver can fail with.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, for BAD_USER_INPUT.
    pub field: Option<String>,
    /// Every problem of a rejected file, sent as `extensions.problems`.
    pub problems: Vec<Problem>,
    /// Seconds to wait, sent as `extensions.retryAfter` with RATE_LIMITED.
    pub retry_after: Option<i64>,
    /// Internal cause: logged, never sent.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            problems: Vec::new(),
            retry_after: None,
            source: None,
        }
    }

    pub fn with_problems(mut self, problems: Vec<Problem>) -> Self {
        self.problems = problems;
        self
    }

    pub fn with_retry_after(mut self, secs: i64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(ErrorCode::BadUserInput, message)
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "not authenticated")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            source: Some(Arc::new(source)),
            ..Self::new(ErrorCode::Internal, "internal error")
        }
    }

    /// An internal fault described by a message only (still never sent).
    pub fn internal_msg(message: impl Into<String>) -> Self {
        Self::internal(std::io::Error::other(message.into()))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        if let Some(source) = &err.source {
            tracing::error!(error = %source, "internal error");
        }
        let ApiError {
            code,
            message,
            field,
            problems,
            retry_after,
            ..
        } = err;
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            if let Some(field) = &field {
                ext.set("field", field.as_str());
            }
            if let Some(secs) = retry_after {
                ext.set("retryAfter", secs);
            }
            if !problems.is_empty() {
                let list: Vec<async_graphql::Value> = problems.iter().map(problem_value).collect();
                ext.set("problems", async_graphql::Value::List(list));
            }
        })
    }
}

fn problem_value(p: &Problem) -> async_graphql::Value {
    let mut map = async_graphql::indexmap::IndexMap::new();
    let index = p.index.map_or(async_graphql::Value::Null, |i| {
        async_graphql::Value::from(i as u64)
    });
    let code = p
        .code
        .clone()
        .map_or(async_graphql::Value::Null, async_graphql::Value::from);
    map.insert(async_graphql::Name::new("index"), index);
    map.insert(async_graphql::Name::new("code"), code);
    map.insert(
        async_graphql::Name::new("message"),
        async_graphql::Value::from(p.message.clone()),
    );
    async_graphql::Value::Object(map)
}

/// Resolver result type.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err: async_graphql::Error =
            ApiError::internal(std::io::Error::other("disk on fire at /secret/path")).into();
        assert_eq!(err.message, "internal error");
        let ext = format!("{:?}", err.extensions);
        assert!(ext.contains("INTERNAL"));
        assert!(!ext.contains("secret"));
    }

    #[test]
    fn bad_input_names_the_field() {
        let err: async_graphql::Error = ApiError::bad_input("lat", "out of range").into();
        let ext = format!("{:?}", err.extensions);
        assert!(ext.contains("BAD_USER_INPUT"));
        assert!(ext.contains("lat"));
    }
}
