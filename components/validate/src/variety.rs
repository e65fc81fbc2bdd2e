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
    let mut bodies = HashSet::new();
    let mut bigrams = HashSet::new();
    let mut total = 0usize;
    for pair in pairs {
        bodies.insert(body_and_subject(pair).0);
        let words = words(&questions(pair));
        for window in words.windows(2) {
            bigrams.insert((window[0].clone(), window[1].clone()));
            total += 1;
        }
    }
    QuestionVariety {
        templates: u32::try_from(bodies.len()).unwrap_or(u32::MAX),
        distinct_bigrams: if total == 0 { 0.0 } else { bigrams.len() as f32 / total as f32 },
    }
}
