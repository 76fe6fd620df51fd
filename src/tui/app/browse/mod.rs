//! Browsing the two panes: bucket lists, the lazily listed tree of a bucket,
//! and the marks made in it. `keys.rs` is what a pane's keys do, `load.rs`
//! what they load, `cursor.rs` how the cursors move, `results.rs` what comes
//! back.

mod cursor;
pub(crate) mod keys;
mod load;
pub mod marks;
pub mod pane;
pub(crate) mod results;
pub mod tree;
