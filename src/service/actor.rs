//! Who performs an action: a logged-in user, or the system itself (CLI, seeding, background workers).

use crate::domain::role::Role;

use super::error::{ServiceError, ServiceResult};
use super::viewer::Viewer;

#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// Trusted local operator: the CLI, demo seeding, background workers.
    System,
    User(&'a Viewer),
}

impl Actor<'_> {
    /// Fails with FORBIDDEN unless this is the system or a user holding one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> ServiceResult<()> {
        match self {
            Actor::System => Ok(()),
            Actor::User(v) => v.require_any(roles),
        }
    }

    /// Whether the node at `path` is inside the actor's scope (the system sees everything).
    pub fn covers_path(&self, path: &str) -> bool {
        match self {
            Actor::System => true,
            Actor::User(v) => v.covers_path(path),
        }
    }

    /// Fails with FORBIDDEN when the node is outside the actor's scope.
    pub fn require_path(&self, path: &str, what: &str) -> ServiceResult<()> {
        if self.covers_path(path) {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!(
                "{what} is outside your scope"
            )))
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::System => None,
            Actor::User(v) => Some(v.user_id),
        }
    }

    /// Path prefixes to filter scoped lists by; `None` = unrestricted.
    pub fn scope_prefixes(&self) -> Option<Vec<String>> {
        match self {
            Actor::System => None,
            Actor::User(v) => v.scope_prefixes(),
        }
    }
}
