//! GraphQL object types wrapping database models.

pub mod category;
pub mod jurisdiction;
pub mod notification;
pub mod role;
pub mod statistics;
pub mod ticket;
pub mod user;

pub use category::Category;
pub use role::RoleName;
pub use user::User;
