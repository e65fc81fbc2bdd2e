//! A hostile stand-in for the analyze component, used only by tests of the
//! host's limits. It analyses ordinary chunks with the real analyzer, and
//! misbehaves on chunks that carry a trigger phrase:
//!
//! | trigger in the chunk text | behaviour |
//! |---|---|
//! | [`LOOP_TRIGGER`] | spins forever (stopped by fuel or the epoch deadline) |
//! | [`ALLOCATE_TRIGGER`] | allocates until refused (stopped by the memory limit) |
//! | [`PANIC_TRIGGER`] | panics (a trap) |
//!
//! So a test can run a whole corpus through the real binary and check that
//! one bad chunk fails alone.

#[cfg(target_arch = "wasm32")]
mod component;

use brightrun_types::{Analysis, Chunk, Result};

/// Makes the analyzer loop forever.
pub const LOOP_TRIGGER: &str = "HOSTILE-LOOP-FOREVER";
/// Makes the analyzer allocate without bound.
pub const ALLOCATE_TRIGGER: &str = "HOSTILE-ALLOCATE-FOREVER";
/// Makes the analyzer panic.
pub const PANIC_TRIGGER: &str = "HOSTILE-PANIC";

/// Analyses `chunk`, misbehaving as the module docs describe.
pub fn analyze(chunk: &Chunk) -> Result<Analysis> {
    if chunk.text.contains(LOOP_TRIGGER) {
        let mut counter: u64 = 0;
        loop {
            counter = std::hint::black_box(counter.wrapping_add(1));
        }
    }
    if chunk.text.contains(ALLOCATE_TRIGGER) {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![1u8; 1 << 20]);
            std::hint::black_box(&hoard);
        }
    }
    #[allow(clippy::panic)]
    if chunk.text.contains(PANIC_TRIGGER) {
        panic!("hostile analyzer asked to panic");
    }
    brightrun_analyze::analyze(chunk)
}
