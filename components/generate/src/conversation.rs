//! Multi-turn conversations that follow one chunk: two or three exchanges,
//! each one a pair that passed the reviewer's checks on its own, so a
//! dialogue never inherits a fault of its turns.

use brightrun_types::{Span, TaskType};

use crate::{Candidate, Exchange, Phrasing};

/// A conversation opened by the chunk's first accepted pair, followed by one
/// or two others on different evidence, each answer citing its own.
pub(crate) fn conversation(candidates: &[Vec<Candidate>], phrase: &Phrasing) -> Vec<Candidate> {
    // Conversations are made of the kinds of pairs reviewers keep most
    // (what a named object does or is, definitions, the document's own FAQ,
    // "why" inversions), not of how-to answers or overviews, which they
    // reject most: a dialogue is only as good as its weakest exchange.
    let mut material: Vec<&Candidate> = candidates
        .iter()
        .flatten()
        .filter(|c| {
            c.follow_ups.is_empty()
                && matches!(
                    c.task,
                    TaskType::DefinitionQa | TaskType::FactualQa | TaskType::FaqAnswer | TaskType::ReasoningWhy
                )
        })
        .collect();
    material.dedup_by(|a, b| a.spans == b.spans);
    let Some((opener, rest)) = material.split_first() else { return Vec::new() };
    // Each exchange on evidence of its own: two answers quoting the same
    // sentence make a dialogue that repeats itself.
    let overlaps = |a: &[Span], b: &[Span]| a.iter().any(|x| b.iter().any(|y| x.start < y.end && y.start < x.end));
    let mut used: Vec<Span> = opener.spans.clone();
    let mut rest_disjoint: Vec<&&Candidate> = Vec::new();
    for candidate in rest {
        if !overlaps(&candidate.spans, &used) {
            used.extend(candidate.spans.iter().copied());
            rest_disjoint.push(candidate);
        }
    }
    let rest = rest_disjoint;
    if rest.is_empty() {
        return Vec::new();
    }
    // Two or three exchanges (four or six turns), as the material allows.
    let extra = if rest.len() >= 2 { phrase.pick(TaskType::MultiTurn, &opener.question, 2) } else { 0 };
    let mut conversation =
        Candidate::single(TaskType::MultiTurn, opener.question.clone(), opener.answer.clone(), opener.spans.clone());
    for next in rest.iter().take(1 + extra) {
        conversation.follow_ups.push(Exchange {
            question: next.question.clone(),
            answer: next.answer.clone(),
            spans: next.spans.clone(),
        });
    }
    vec![conversation]
}
