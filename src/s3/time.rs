//! Conversions between smithy and chrono times.

use chrono::{DateTime, Utc};

pub fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
