//! The job engine: the only place that writes to buckets.

pub mod model;
pub use model::*;
