//! Pure rules: no I/O, no database, heavily unit-tested.

pub mod distance;
pub mod geometry;
pub mod histogram;
pub mod indicators;
pub mod lifecycle;
pub mod notification;
pub mod numbering;
pub mod places;
pub mod role;
pub mod routing;
pub mod sla;
pub mod tally;
pub mod working_time;
