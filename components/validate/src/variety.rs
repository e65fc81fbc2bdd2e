//! Question variety: how many distinct question bodies a dataset has, and
//! its distinct-2 score. Bodies and the key that keeps two pairs from
//! asking the same question are in [`brightrun_types::question`].

use std::collections::HashSet;

use brightrun_types::question::words;
pub use brightrun_types::question::{body_and_subject, hash_fields, question_key};
use brightrun_types::{Pair, QuestionVariety};
use xxhash_rust::xxh3::xxh3_128;

/// Variety figures over `pairs`.
pub fn variety<'a>(pairs: impl Iterator<Item = &'a Pair>) -> QuestionVariety {
    let mut counter = VarietyCounter::default();
    pairs.for_each(|pair| counter.add(pair));
    counter.figures()
}

/// Variety figures built one pair at a time. Bodies and bigrams are kept as
/// 128-bit hashes, so memory grows by 16 bytes per distinct one, not by its text.
#[derive(Debug, Default)]
pub struct VarietyCounter {
    bodies: HashSet<u128>,
    bigrams: HashSet<u128>,
    total_bigrams: usize,
}

impl VarietyCounter {
    /// Counts `pair`'s question body and word pairs.
    pub fn add(&mut self, pair: &Pair) {
        self.bodies.insert(xxh3_128(body_and_subject(pair).0.as_bytes()));
        let words = words(&pair.questions());
        for window in words.windows(2) {
            self.bigrams.insert(hash_fields(&[&window[0], &window[1]]));
            self.total_bigrams += 1;
        }
    }

    /// The figures over every pair added.
    pub fn figures(&self) -> QuestionVariety {
        QuestionVariety {
            templates: u32::try_from(self.bodies.len()).unwrap_or(u32::MAX),
            distinct_bigrams: if self.total_bigrams == 0 {
                0.0
            } else {
                self.bigrams.len() as f32 / self.total_bigrams as f32
            },
        }
    }
}
