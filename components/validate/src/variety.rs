//! Question variety: how many distinct question bodies a dataset has, its
//! distinct-2 score, and the key that keeps two pairs from asking the same
//! question body about the same subject.
//!
//! A question's *body* is what remains when the words its evidence holds
//! are taken out: "What does \"checkpoint\" mean?" over a sentence defining
//! checkpoints leaves `what does mean`, which is the template; the words
//! taken out (`checkpoint`) are its *subject*.

use std::collections::HashSet;

use brightrun_types::{Pair, QuestionVariety, Role};
use xxhash_rust::xxh3::xxh3_128;

use crate::fidelity::words;

/// The user turns of a pair, joined (a conversation is one question sequence).
fn questions(pair: &Pair) -> String {
    pair.turns.iter().filter(|t| t.role == Role::User).map(|t| t.content.as_str()).collect::<Vec<_>>().join("\n")
}

/// (body, subject) of the pair's questions.
fn body_and_subject(pair: &Pair) -> (String, String) {
    let evidence: HashSet<String> = pair.evidence.iter().flat_map(|e| words(&e.text)).collect();
    let (mut body, mut subject) = (Vec::new(), Vec::new());
    for word in words(&questions(pair)) {
        if evidence.contains(&word) {
            subject.push(word);
        } else {
            body.push(word);
        }
    }
    subject.sort();
    subject.dedup();
    (body.join(" "), subject.join(" "))
}

/// What two pairs must not share: task, question body and subject.
pub fn question_key(pair: &Pair) -> (String, String, String) {
    let (body, subject) = body_and_subject(pair);
    (pair.task.as_str().to_string(), body, subject)
}

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
        let words = words(&questions(pair));
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

/// A 128-bit hash of `fields`, each prefixed by its length so no two lists collide by concatenation.
pub fn hash_fields(fields: &[&str]) -> u128 {
    let mut bytes = Vec::new();
    for field in fields {
        bytes.extend_from_slice(&(field.len() as u64).to_le_bytes());
        bytes.extend_from_slice(field.as_bytes());
    }
    xxh3_128(&bytes)
}
