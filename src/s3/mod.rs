//! The only module that knows aws-sdk-s3 types.

pub mod admin;
pub mod client;
pub mod direct;
pub mod error;
pub mod list;
pub mod model;
pub mod ops;
pub mod status;
pub mod time;
pub mod xml;

pub use client::{Connection, ConnectionPool, RegionClients};
pub use error::{ErrorKind, S3Error, S3Result};
pub use model::*;
