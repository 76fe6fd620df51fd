//! Pure planning: source keys + rules -> destination keys and actions.

pub mod compare;
pub mod mapping;
pub mod model;
pub mod rules;

pub use mapping::{Mapped, Mapper};
pub use model::*;
