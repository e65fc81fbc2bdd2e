//! The brightrun host: runs the pipeline's stage components with wasmtime.
//!
//! One [`wasmtime::Engine`] with the pooling allocator, one pre-instantiated
//! component per stage, and a fresh `Store` for every invocation, so a guest
//! that traps, loops or exhausts its memory fails that one call and nothing
//! else. Orchestration ([`pipeline::run`]) is written once and used by the
//! CLI and the tests; every call is measured ([`metrics`]).

mod bindings;
pub mod cache;
pub mod components;
pub mod engine;
pub mod llm;
pub mod metrics;
mod outgoing;
pub mod pipeline;
pub mod profile;
pub mod report;
pub mod report_html;
pub mod serve;
pub mod spin;
pub mod stages;

pub use bindings::types;

/// The WIT package the host and the embedded components are built from.
/// `wit/pipeline.lock` pins it to the file's digest: a change to `wit/`
/// without a version bump fails the tests.
pub const WIT_PACKAGE: &str = "brightrun:pipeline@0.10.0";
