//! The only module that knows aws-sdk types (S3, S3 Control, STS).

pub mod admin;
pub mod client;
pub mod control;
pub mod direct;
pub mod error;
pub mod identity;
pub mod list;
pub mod model;
pub mod ops;
pub mod status;
pub mod time;
pub mod xml;

pub use client::{Connection, ConnectionPool, RegionClients};
pub use control::{BatchControl, BatchStatus, JobStatus};
pub use error::{ErrorKind, S3Error, S3Result};
pub use model::*;
