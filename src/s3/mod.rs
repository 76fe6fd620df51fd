//! The only module that knows aws-sdk types (S3, S3 Control, STS). The rest
//! of the crate sees our own: [`Bucket`] handles from a [`Connection`], typed
//! references ([`ObjectRef`], [`UploadRef`], [`CompletedPart`]), listings
//! through one resumable [`Paginator`], and [`S3Error`].

pub mod admin;
pub mod bucket;
pub mod client;
mod clock;
pub mod control;
pub mod direct;
pub mod error;
pub mod identity;
pub mod list;
pub mod model;
pub mod net;
pub mod ops;
pub mod refs;
pub mod status;
pub mod time;
pub mod xml;

pub use bucket::Bucket;
pub use client::{Connection, ConnectionPool};
pub use control::{BatchControl, BatchStatus, JobStatus};
pub use error::{ErrorKind, S3Error, S3Result};
pub use list::{ListRequest, Paginator};
pub use model::*;
pub use ops::{
    xml_can_carry, DeleteFailure, DeleteKey, OpenUpload, SseRequest, Upload, WriteProps,
    WriteResult,
};
pub use refs::{CompletedPart, ObjectRef, UploadRef};
