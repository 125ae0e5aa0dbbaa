//! Human ticket numbers: `GL-YYYYMMDD-NNNNNN`, unique and sortable by day and sequence.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The local day (in the calendar's timezone) a ticket number belongs to, as `YYYYMMDD`.
pub fn day_key(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y%m%d").to_string()
}

/// Formats the number for the `seq`-th ticket of a day.
pub fn ticket_number(day: &str, seq: i64) -> String {
    format!("GL-{day}-{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn numbers_use_the_local_day_and_six_digits() {
        let late_utc = Utc.with_ymd_and_hms(2026, 11, 28, 17, 30, 0).unwrap();
        let day = day_key(late_utc, chrono_tz::Asia::Shanghai);
        assert_eq!(day, "20261129");
        assert_eq!(ticket_number(&day, 123), "GL-20261129-000123");
    }

    #[test]
    fn numbers_sort_in_sequence_order() {
        assert!(ticket_number("20261129", 99) < ticket_number("20261129", 100));
    }
}
