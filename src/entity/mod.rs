//! sea-orm entities: one module per table, plain data with no business rules.

pub mod app_user;
pub mod auth_token;
pub mod calendar;
pub mod calendar_date;
pub mod category;
pub mod evidence;
pub mod extension_request;
pub mod feedback;
pub mod grid_worker;
pub mod jurisdiction;
pub mod login_throttle;
pub mod notification;
pub mod notification_preference;
pub mod ticket;
pub mod ticket_event;
pub mod user_role;
pub mod user_scope;
