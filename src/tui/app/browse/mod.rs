//! Browsing the two panes: bucket lists, the lazily listed tree of a bucket,
//! and the marks made in it.

mod cursor;
pub(crate) mod keys;
mod load;
pub mod marks;
pub mod pane;
pub(crate) mod results;
pub mod tree;
