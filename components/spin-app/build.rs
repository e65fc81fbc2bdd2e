//! Fingerprints the stage sources this app is deployed with, so its stage
//! results in the key-value store are keyed by the code that made them: a
//! deploy with changed stages does not serve the old stages' results.
//!
//! Spin links the stage components in at deploy time, so the app cannot hash
//! the components themselves; their sources, `wit/` and `Cargo.lock` decide
//! them (the components are built from this repository by `spin build`).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

const INPUTS: &[&str] = &[
    "../types/src",
    "../ingest/src",
    "../segment/src",
    "../analyze/src",
    "../generate/src",
    "../diversify/src",
    "../validate/src",
    "../../wit",
    "../../Cargo.lock",
];

fn main() {
    let mut files = Vec::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        collect(Path::new(input), &mut files);
    }
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.hash(&mut hasher);
        std::fs::read(file).unwrap_or_default().hash(&mut hasher);
    }
    println!("cargo:rustc-env=BRIGHTRUN_STAGES_FINGERPRINT={:016x}", hasher.finish());
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    if path.is_file() {
        files.push(path.to_path_buf());
    } else if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            collect(&entry.path(), files);
        }
    }
}
