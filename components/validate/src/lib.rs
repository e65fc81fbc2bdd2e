//! brightrun's validate-export stage: check every pair, score its fidelity to
//! its evidence, and write the dataset in the formats trainers load.
//!
//! A pair is exported only if it passes every check, in this order (the
//! first failure is its drop reason):
//! 1. evidence present and non-empty (`missing-evidence`);
//! 2. roles alternate user/assistant starting with user, system only first
//!    (`roles-not-alternating`); an even number of user/assistant turns
//!    (`odd-turn-count`); no blank turn (`empty-turn`);
//! 3. no control or replacement characters (`invalid-text`); no HTML tags,
//!    entities or Markdown syntax (`leftover-markup`); then the reviewer's
//!    checks ([`review`]), turn by turn: markup residue of any input format
//!    (`leftover-markup`), a changelog line (`changelog-note`), an opening
//!    that refers back or an answer leaning on "this X"
//!    (`unresolved-reference`), a pointer to what the reader cannot see
//!    (`points-elsewhere`), a clipped or subjectless question
//!    (`fragment-question`), an answer ending mid-clause
//!    (`incomplete-answer`), too short (`trivial-answer`), or saying little
//!    its question does not (`question-repeats-answer`);
//! 4. at most `max_sequence_tokens` tokens, all turns with a 4-token
//!    per-message template overhead (`too-long`);
//! 5. fidelity at least `min_fidelity` (`low-fidelity`), see [`fidelity`];
//!    a failing answer is first cut to its supported sentences
//!    ([`fidelity::repair`]) and kept if it then passes (`repaired`);
//! 6. not the same question body on the same subject as a pair already
//!    exported (`repeated-question`), see [`brightrun_types::question`].
//!    Diversify drops these first, before it balances, so its shares hold
//!    for what is exported; this check remains for what reaches export
//!    another way (a custom pipeline, a pair whose repair cut its evidence).
//!
//! Checks 1–5 look at one pair, so [`validate`] runs on batches in
//! parallel; check 6 and the files need every pair in order, so an
//! [`Exporter`] takes the validated batches one after another and hands the
//! files back in parts. [`validate_export`] is both over one batch.
//!
//! Output files: `alpaca.json`, `sharegpt.json`, `openai.jsonl`,
//! `completion.jsonl`, LLaMA-Factory's `dataset_info.json`, the dataset card
//! `README.md`, and `pairs.jsonl` for auditing.

mod card;
mod export;
mod exporter;
pub mod fidelity;
pub mod review;
pub mod variety;

#[cfg(target_arch = "wasm32")]
mod component;

use brightrun_types::tokenizer::Tokenizer;
use brightrun_types::{
    DropExample, DropReason, DroppedPair, ExportConfig, ExportFile, ExportResult, Pair, Result, Role, StageError,
    Validated, ValidatedPair,
};

pub use exporter::Exporter;
pub use fidelity::fidelity;

/// Dropped pairs shown per reason in the quality figures.
pub const DROP_EXAMPLES_PER_REASON: usize = 3;

/// Tokens a chat template adds per message (role markers and separators),
/// counted on top of the content when checking the sequence length.
pub const MESSAGE_OVERHEAD_TOKENS: usize = 4;

/// Validates `pairs` and builds the export files in one call: [`validate`]
/// then an [`Exporter`] over the one batch, its parts joined per file.
///
/// `Err` is `InvalidConfig` for a zero sequence length, a minimum fidelity
/// outside [0, 1] or an empty dataset name. Failing pairs are not errors:
/// they are listed in `dropped` with their reason.
pub fn validate_export(pairs: Vec<Pair>, config: &ExportConfig, tokenizer: &Tokenizer) -> Result<ExportResult> {
    let mut exporter = Exporter::new(config)?;
    let validated = validate(pairs, config, tokenizer)?;
    let part = exporter.add(validated);
    let mut result = exporter.finish();
    let mut files: Vec<ExportFile> = Vec::new();
    for file in part.files.into_iter().chain(std::mem::take(&mut result.files)) {
        match files.iter_mut().find(|f| f.name == file.name) {
            Some(existing) => existing.contents.push_str(&file.contents),
            None => files.push(file),
        }
    }
    result.files = files;
    let mut dropped = part.dropped;
    dropped.append(&mut result.dropped);
    result.dropped = dropped;
    Ok(result)
}

/// `InvalidConfig` unless the sequence length is positive, the minimum
/// fidelity in [0, 1] and the dataset name not blank.
pub fn check_config(config: &ExportConfig) -> Result<()> {
    if config.max_sequence_tokens == 0
        || !(0.0..=1.0).contains(&config.min_fidelity)
        || config.dataset_name.trim().is_empty()
    {
        return Err(StageError::InvalidConfig {
            document: "validate-export".to_string(),
            detail: format!(
                "max-sequence-tokens {}, min-fidelity {}, dataset-name {:?}: need a positive length, a fidelity in [0, 1] and a name",
                config.max_sequence_tokens, config.min_fidelity, config.dataset_name
            ),
        });
    }
    Ok(())
}

/// Checks 1–5 of the crate docs on each pair, repairing a low-fidelity
/// answer where its supported sentences pass. Needs no other batch: the
/// repeated-question check, which does, is the [`Exporter`]'s.
pub fn validate(pairs: Vec<Pair>, config: &ExportConfig, tokenizer: &Tokenizer) -> Result<Validated> {
    check_config(config)?;
    let mut validated = Validated {
        pairs_in: u32::try_from(pairs.len()).unwrap_or(u32::MAX),
        fidelity_histogram: vec![0u32; 10],
        ..Validated::default()
    };
    for mut pair in pairs {
        let mut score = fidelity(&pair);
        let mut repaired = false;
        let bucket = ((score * 10.0) as usize).min(9);
        validated.fidelity_histogram[bucket] += 1;
        if score >= config.min_fidelity {
            validated.faithful += 1;
        } else if let Some(fixed) = fidelity::repair(&pair, config.min_fidelity) {
            let fixed_score = fidelity(&fixed);
            if fixed_score >= config.min_fidelity {
                (pair, score) = (fixed, fixed_score);
                repaired = true;
            }
        }
        let tokens = pair_tokens(&pair, tokenizer);
        match check(&pair, score, tokens, config) {
            Some(reason) => {
                if validated.drop_examples.iter().filter(|e| e.reason == reason).count() < DROP_EXAMPLES_PER_REASON {
                    validated.drop_examples.push(drop_example(&pair, reason, score));
                }
                validated.dropped.push(DroppedPair { id: pair.id, reason, duplicate_of: None });
            }
            None => {
                let tokens = u32::try_from(tokens).unwrap_or(u32::MAX);
                validated.passed.push(ValidatedPair { pair, fidelity: score, tokens, repaired });
            }
        }
    }
    Ok(validated)
}

/// `text` cut to about `limit` characters at a character boundary.
fn shorten(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn drop_example(pair: &Pair, reason: DropReason, fidelity: f32) -> DropExample {
    DropExample {
        reason,
        id: pair.id.clone(),
        question: shorten(pair.question(), 300),
        answer: shorten(&pair.answer(), 400),
        fidelity,
    }
}

/// Tokens of all turns plus the per-message template overhead.
pub fn pair_tokens(pair: &Pair, tokenizer: &Tokenizer) -> usize {
    pair.turns.iter().map(|turn| tokenizer.count(&turn.content) + MESSAGE_OVERHEAD_TOKENS).sum()
}

/// The first check `pair` fails, or `None` when it passes them all.
pub fn check(pair: &Pair, fidelity: f32, tokens: usize, config: &ExportConfig) -> Option<DropReason> {
    if pair.evidence.is_empty() || pair.evidence.iter().any(|e| e.text.trim().is_empty()) {
        return Some(DropReason::MissingEvidence);
    }
    let conversation: Vec<Role> = pair.turns.iter().map(|t| t.role).skip_while(|r| *r == Role::System).collect();
    let alternates = conversation
        .iter()
        .enumerate()
        .all(|(index, role)| *role == if index % 2 == 0 { Role::User } else { Role::Assistant });
    if !alternates || conversation.is_empty() {
        return Some(DropReason::RolesNotAlternating);
    }
    if !conversation.len().is_multiple_of(2) {
        return Some(DropReason::OddTurnCount);
    }
    if pair.turns.iter().any(|t| t.content.trim().is_empty()) {
        return Some(DropReason::EmptyTurn);
    }
    if pair.turns.iter().any(|t| has_invalid_text(&t.content)) {
        return Some(DropReason::InvalidText);
    }
    // A question may quote code, and an answer show it, in a fenced block:
    // a fence is markup only when it is left unclosed.
    let unclosed_fence = |text: &str| text.lines().filter(|l| l.trim_start().starts_with("```")).count() % 2 == 1;
    // Inline code may quote markup on purpose ("the `<p>` element", "`**`").
    let markup = |text: &str| has_markup(&without_inline_code(&without_fences(text)));
    if pair.turns.iter().any(|t| unclosed_fence(&t.content) || markup(&t.content)) {
        return Some(DropReason::LeftoverMarkup);
    }
    if tokens > config.max_sequence_tokens as usize {
        return Some(DropReason::TooLong);
    }
    if fidelity < config.min_fidelity {
        return Some(DropReason::LowFidelity);
    }
    review::review(pair)
}

/// Control characters other than newline and tab, or U+FFFD (the mark of a
/// failed decode).
pub fn has_invalid_text(text: &str) -> bool {
    text.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{FFFD}')
}

/// `text` without its fenced code blocks (a fence opened and closed by ``` lines).
pub fn without_fences(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
            continue;
        }
        if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `text` without its inline code spans (`` `x` ``), line by line; a line
/// whose backticks do not pair is kept whole.
pub fn without_inline_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line.matches('`').count() % 2 == 0 {
            out.extend(line.split('`').step_by(2));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// HTML tags and entities, and Markdown syntax that ingest should have
/// removed: links, emphasis markers, fences, ATX headings.
pub fn has_markup(text: &str) -> bool {
    const PATTERNS: &[&str] = &[
        "<div", "<span", "<p>", "</", "<br", "<img", "<a href", "<script", "<table", "<li>", "<ul>", "<ol>", "&nbsp;",
        "&amp;", "&lt;", "&gt;", "&quot;", "](", "**", "```",
    ];
    PATTERNS.iter().any(|pattern| text.contains(pattern))
        || text.lines().any(|line| {
            let hashes = line.chars().take_while(|c| *c == '#').count();
            (1..=6).contains(&hashes) && line[hashes..].starts_with(' ')
        })
}

#[cfg(test)]
mod tests;
