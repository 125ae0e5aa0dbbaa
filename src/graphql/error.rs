//! The one mapping from failures to GraphQL errors: always an `extensions.code`,
//! internal causes logged and never sent.
//!
//! `ApiError` deliberately does not implement `Display`: async-graphql converts any `Display`
//! type into an error without a code, and we never want that to happen by accident.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

use crate::error::ErrorCode;

/// What a resolver can fail with.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, for BAD_USER_INPUT.
    pub field: Option<String>,
    /// Internal cause: logged, never sent.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            source: None,
        }
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
            ..
        } = err;
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            if let Some(field) = &field {
                ext.set("field", field.as_str());
            }
        })
    }
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
