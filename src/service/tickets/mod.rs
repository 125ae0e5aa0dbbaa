//! The closed loop: every transition of the lifecycle table, with events, in one transaction each.

pub mod deadline;
pub mod engine;
pub mod handling;
pub mod oversight;
pub mod queries;
pub mod report;

pub use report::{ReportInput, ReportOutcome, report};
