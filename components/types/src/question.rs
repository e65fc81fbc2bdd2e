//! What makes two pairs ask the same question, shared by diversify (which
//! drops the repeats before it balances) and validate (whose variety
//! figures count question bodies).
//!
//! A question's *body* is what remains when the words its evidence holds
//! are taken out: "What does \"checkpoint\" mean?" over a sentence defining
//! checkpoints leaves `what does mean`, which is the template; the words
//! taken out (`checkpoint`) are its *subject*. Two pairs of one task with
//! the same body and subject ask the same thing, however their answers differ.

use std::collections::HashSet;

use xxhash_rust::xxh3::xxh3_128;

use crate::Pair;

/// Lower-case words: letters, digits and inner `'`, `.` and `-` (so "v1.2"
/// and "don't" stay whole), with those marks trimmed from the ends.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '.' || c == '-'))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '\'' || c == '-').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// (body, subject) of the pair's questions (its user turns, joined).
pub fn body_and_subject(pair: &Pair) -> (String, String) {
    let evidence: HashSet<String> = pair.evidence.iter().flat_map(|e| words(&e.text)).collect();
    let (mut body, mut subject) = (Vec::new(), Vec::new());
    for word in words(&pair.questions()) {
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

/// What two pairs must not share: task, question body and subject, hashed.
pub fn question_key(pair: &Pair) -> u128 {
    let (body, subject) = body_and_subject(pair);
    hash_fields(&[pair.task.as_str(), &body, &subject])
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
