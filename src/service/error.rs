//! The service layer's one error type.

use sea_orm::DbErr;

/// One problem found in an uploaded file, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Feature index (GeoJSON) or line number (CSV); none for the file as a whole.
    pub index: Option<usize>,
    /// The code or email of the faulty item, when known.
    pub code: Option<String>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{field}: the file was rejected with {} problem(s)", problems.len())]
    Rejected {
        field: String,
        problems: Vec<Problem>,
    },
    #[error("not authenticated")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: i64 },
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ServiceError::NotFound(message.into())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
