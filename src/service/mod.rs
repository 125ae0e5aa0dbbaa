//! Use cases: one transaction per action, authorisation, events and outbox.

pub mod actor;
pub mod auth;
pub mod calendars;
pub mod categories;
pub mod csv;
pub mod error;
pub mod evidence;
pub mod mailer;
pub mod notify;
pub mod password;
pub mod places;
pub mod routing;
pub mod sla;
pub mod statistics;
pub mod tickets;
pub mod tx;
pub mod users;
pub mod validate;
pub mod viewer;

pub use actor::Actor;
pub use error::{Problem, ServiceError, ServiceResult};
pub use viewer::{ScopeNode, Viewer};
