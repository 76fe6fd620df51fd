//! Browsing the two panes: bucket lists, the lazily listed tree of a bucket,
//! and the marks made in it.

pub mod marks;
pub mod pane;
pub mod tree;
