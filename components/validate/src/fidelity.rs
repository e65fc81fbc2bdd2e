//! Fidelity: how well a pair's answer is supported by its evidence, 0–1.
//!
//! Deterministic and lexical, so it can run on every pair of a large dataset
//! inside the component:
//!
//! - **support**: the share of the answer's content words (not stopwords,
//!   list numbering removed) that occur in the evidence;
//! - **numbers**: every number in the answer (digits, or words such as
//!   "three" and "twice") must occur in the evidence; each one missing halves
//!   the score, since a wrong figure is the costliest hallucination;
//! - **negation**: an answer that negates (not, never, no, cannot, …) when the
//!   evidence never does is halved, since dropping or adding a "not" flips
//!   the meaning without changing the words; so is each word whose polarity
//!   differs: the first content word after a negation is negated, and an
//!   answer that asserts a word the evidence only ever negates ("WAL works
//!   over a network filesystem" from "WAL does not work over …"), or the
//!   reverse, is halved (at most twice);
//! - **answerability**: the share of the question's content words found in
//!   the evidence, weighted 0.1 (templates add words such as "summarize" that
//!   the evidence never holds, so it only breaks ties).
//!
//! `fidelity = 0.9 · support · penalties + 0.1 · answerability`.
//!
//! A multi-turn pair is scored turn by turn, each assistant turn against the
//! evidence it cites and the user turn before it, and gets its weakest
//! turn's score: one unsupported answer spoils the conversation.

use std::collections::HashSet;

use brightrun_types::{Pair, Role};

pub(crate) const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "can", "do", "does", "for", "from", "has", "have", "how",
    "i", "in", "is", "it", "its", "me", "of", "on", "or", "so", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "to", "was", "we", "were", "what", "when", "which", "who", "why", "will", "with",
    "you", "your", "my", "should", "would", "could", "about", "into", "than", "also", "any", "all",
];

/// Words that question templates add and evidence cannot be expected to hold.
const TEMPLATE_WORDS: &[&str] = &[
    "define",
    "definition",
    "mean",
    "meant",
    "means",
    "explain",
    "refers",
    "refer",
    "short",
    "give",
    "brief",
    "overview",
    "summarize",
    "summarise",
    "section",
    "part",
    "say",
    "says",
    "key",
    "points",
    "steps",
    "step",
    "procedure",
    "walk",
    "through",
    "list",
    "order",
    "follow",
    "reason",
    "why",
    "true",
    "rule",
    "fact",
    "know",
    "tell",
    "one",
    "documentation",
    "according",
    "context",
    "term",
    "keep",
    "seeing",
    "quick",
    "question",
    "wondering",
    "sentences",
    "few",
    "takeaway",
    "take",
    "away",
    "tl",
    "dr",
    "case",
    "consequence",
    "condition",
    "caveat",
    "catch",
    "whole",
    "story",
    "qualifies",
    "claim",
    "statement",
    "implies",
    "imply",
    "happens",
    "result",
    "circumstances",
    "following",
    "apply",
    "hold",
    "holds",
    "attached",
    "go",
    "about",
    "is",
    "that",
];

const NEGATIONS: &[&str] =
    &["not", "no", "never", "cannot", "can't", "don't", "doesn't", "isn't", "won't", "without", "nor"];

/// Numbers written as words: a changed one is as wrong as a changed digit.
const NUMBER_WORDS: &[&str] = &[
    "zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty",
    "thirty", "forty", "fifty", "hundred", "thousand", "million", "billion", "twice", "thrice", "half", "double",
    "triple", "quarter", "dozen",
];

fn is_number(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&word)
}

/// A crude stem, so "works" meets "work". Only a plural or third-person
/// `s`: "-ed" and "-ing" forms are often adjectives ("a killed migration")
/// whose polarity says nothing about the verb's ("never kill").
fn stem(word: &str) -> &str {
    for suffix in ["es", "s"] {
        if let Some(stem) = word.strip_suffix(suffix)
            && stem.len() >= 3
        {
            return stem;
        }
    }
    word
}

/// Each content word's stem with whether it is negated: the first content
/// word after a negation is, every other one is not.
fn polarities(words: &[String]) -> Vec<(&str, bool)> {
    let mut pending = false;
    let mut out = Vec::new();
    for word in words {
        if NEGATIONS.contains(&word.as_str()) {
            pending = true;
        } else if !STOPWORDS.contains(&word.as_str()) {
            out.push((stem(word), pending));
            pending = false;
        }
    }
    out
}

/// Content words the answer uses with a polarity the evidence never gives them.
fn polarity_mismatches(answer: &[String], evidence: &[String]) -> usize {
    let seen: HashSet<(&str, bool)> = polarities(evidence).into_iter().collect();
    polarities(answer)
        .into_iter()
        .filter(|&(word, negated)| seen.contains(&(word, !negated)) && !seen.contains(&(word, negated)))
        .count()
}

pub(crate) use brightrun_types::question::words;

/// `text` without the `N. ` numbering at the start of its lines (added by
/// procedure answers, never part of the evidence).
fn strip_list_numbers(text: &str) -> String {
    text.lines()
        .map(|line| {
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            match line[digits..].strip_prefix(". ") {
                Some(rest) if (1..=3).contains(&digits) => rest,
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each assistant turn of `pair` with its index, the user turn before it
/// and the evidence it cites.
fn answers(pair: &Pair) -> impl Iterator<Item = (usize, &str, &str, Vec<&str>)> {
    pair.turns.iter().enumerate().filter(|(_, turn)| turn.role == Role::Assistant).map(|(index, turn)| {
        let question =
            pair.turns[..index].iter().rev().find(|t| t.role == Role::User).map_or("", |t| t.content.as_str());
        let evidence = pair.evidence.iter().filter(|e| e.turn as usize == index).map(|e| e.text.as_str()).collect();
        (index, question, turn.content.as_str(), evidence)
    })
}

/// The pair's fidelity to its evidence, 0–1 (see the module docs).
pub fn fidelity(pair: &Pair) -> f32 {
    answers(pair)
        .map(|(_, question, answer, evidence)| turn_fidelity(question, answer, &evidence))
        .reduce(f32::min)
        .unwrap_or(0.0)
}

/// The pair with each answer that scores below `floor` cut down to its
/// sentences that reach `floor` on their own, or `None` when there is
/// nothing to cut (every answer passes, an answer is one sentence, or no
/// sentence of a failing answer is supported). The fidelity optimizer's
/// repair: the unsupported sentence goes, the supported ones stay.
pub fn repair(pair: &Pair, floor: f32) -> Option<Pair> {
    let mut repaired = pair.clone();
    let mut changed = false;
    for (index, question, answer, evidence) in answers(pair) {
        if turn_fidelity(question, answer, &evidence) >= floor {
            continue;
        }
        let sentences = brightrun_types::sentences(answer);
        if sentences.len() < 2 {
            return None;
        }
        let kept: Vec<&str> = sentences
            .iter()
            .map(|(_, sentence)| *sentence)
            .filter(|sentence| turn_fidelity(question, sentence, &evidence) >= floor)
            .collect();
        if kept.is_empty() {
            return None;
        }
        repaired.turns[index].content = kept.join(" ");
        changed = true;
    }
    changed.then_some(repaired)
}

/// One answer's fidelity to the evidence it cites.
fn turn_fidelity(question: &str, answer: &str, evidence: &[&str]) -> f32 {
    let evidence_text = evidence.join(" ");
    let evidence_words = words(&evidence_text);
    let evidence: HashSet<String> = evidence_words.iter().cloned().collect();
    if evidence.is_empty() {
        return 0.0;
    }
    let answer = strip_list_numbers(answer);
    let answer_words = words(&answer);
    let content: Vec<&String> = answer_words.iter().filter(|w| !STOPWORDS.contains(&w.as_str())).collect();
    if content.is_empty() {
        return 0.0;
    }
    let supported = content.iter().filter(|w| evidence.contains(w.as_str())).count();
    let mut support = supported as f32 / content.len() as f32;
    let missing_numbers = content.iter().filter(|w| is_number(w) && !evidence.contains(w.as_str())).count();
    for _ in 0..missing_numbers.min(4) {
        support *= 0.5;
    }
    let is_negation = |w: &String| NEGATIONS.contains(&w.as_str());
    if answer_words.iter().any(is_negation) && !evidence.iter().any(is_negation) {
        support *= 0.5;
    }
    for _ in 0..polarity_mismatches(&answer_words, &evidence_words).min(2) {
        support *= 0.5;
    }
    let question_words: Vec<String> = words(question)
        .into_iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()) && !TEMPLATE_WORDS.contains(&w.as_str()))
        .collect();
    let answerability = if question_words.is_empty() {
        1.0
    } else {
        question_words.iter().filter(|w| evidence.contains(w.as_str())).count() as f32 / question_words.len() as f32
    };
    (0.9 * support + 0.1 * answerability).clamp(0.0, 1.0)
}
