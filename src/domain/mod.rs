//! Pure rules: no I/O, no database, heavily unit-tested.

pub mod geometry;
pub mod indicators;
pub mod lifecycle;
pub mod places;
pub mod role;
pub mod routing;
pub mod working_time;
