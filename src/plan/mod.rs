//! Pure planning: source keys + rules -> destination keys and actions.

pub mod model;
pub use model::*;
