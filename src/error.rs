//! The fixed list of error codes every client can rely on, shared by GraphQL and plain HTTP routes.

use std::fmt;

/// Machine-readable error codes sent as `extensions.code`. The list is part of the public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request body or query string could not be understood at all.
    BadRequest,
    /// The GraphQL document does not parse.
    GraphqlParseFailed,
    /// The document parses but is not valid against the schema or its limits.
    GraphqlValidationFailed,
    /// An argument or input field has a bad value; `extensions.field` names it.
    BadUserInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    /// Someone else changed the same thing first; reload and retry.
    Conflict,
    /// Too many requests; retry later.
    RateLimited,
    /// A fault on our side; details are in the server log, never in the response.
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::BadRequest,
        ErrorCode::GraphqlParseFailed,
        ErrorCode::GraphqlValidationFailed,
        ErrorCode::BadUserInput,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
