//! End-to-end tests: the real stage components through the host's own
//! runner, and the real `brightrun` binary on the bundled examples and on
//! case folders of bad input. One test binary of modules, as ripgrep does.

#![allow(clippy::panic, clippy::unwrap_used, missing_docs)]

mod browser;
mod cache;
mod cli;
mod contract;
mod formats;
mod llm;
mod loaders;
mod pair_quality;
mod serve;
mod spin;
mod stages;
mod support;
