//! Pure rules: no I/O, no database, heavily unit-tested.

pub mod role;
pub mod working_time;
