//! Object operations
