//! Holds the criterion benchmarks of each stage's native logic
//! (`benches/stages.rs`); `cargo bench -p brightrun-benches` runs them.
