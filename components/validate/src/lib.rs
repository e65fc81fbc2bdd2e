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
//!    entities or Markdown syntax (`leftover-markup`);
//! 4. at most `max_sequence_tokens` tokens, all turns with a 4-token
//!    per-message template overhead (`too-long`);
//! 5. fidelity at least `min_fidelity` (`low-fidelity`), see [`fidelity`];
//!    a failing answer is first cut to its supported sentences
//!    ([`fidelity::repair`]) and kept if it then passes (`repaired`);
//! 6. not the same question body on the same subject as a pair already
//!    exported (`repeated-question`), see [`variety`].
//!
//! Output files: `alpaca.json`, `sharegpt.json`, `openai.jsonl`,
//! `completion.jsonl`, LLaMA-Factory's `dataset_info.json`, the dataset card
//! `README.md`, and `pairs.jsonl` for auditing.

mod card;
mod export;
pub mod fidelity;
pub mod variety;

#[cfg(target_arch = "wasm32")]
mod component;

use brightrun_types::tokenizer::Tokenizer;
use brightrun_types::{
    ContentType, Difficulty, DropExample, DropReason, DroppedPair, ExportConfig, ExportResult, Pair, Quality, Result,
    Role, StageError, TaskType,
};

pub use fidelity::fidelity;

/// Dropped pairs shown per reason in the quality figures.
pub const DROP_EXAMPLES_PER_REASON: usize = 3;

/// Tokens a chat template adds per message (role markers and separators),
/// counted on top of the content when checking the sequence length.
pub const MESSAGE_OVERHEAD_TOKENS: usize = 4;

/// A pair that passed every check, with its scores.
#[derive(Debug, Clone)]
pub struct ValidatedPair {
    /// The pair.
    pub pair: Pair,
    /// Its fidelity to its evidence, 0–1.
    pub fidelity: f32,
    /// Its length in tokens, template overhead included.
    pub tokens: usize,
}

/// Validates `pairs` and builds the export files.
///
/// `Err` is `InvalidConfig` for a zero sequence length, a minimum fidelity
/// outside [0, 1] or an empty dataset name. Failing pairs are not errors:
/// they are listed in `dropped` with their reason.
pub fn validate_export(pairs: Vec<Pair>, config: &ExportConfig, tokenizer: &Tokenizer) -> Result<ExportResult> {
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
    let pairs_in = pairs.len();
    let mut histogram = vec![0u32; 10];
    let mut faithful = 0usize;
    let mut repaired = 0usize;
    let mut accepted: Vec<ValidatedPair> = Vec::new();
    let mut dropped: Vec<DroppedPair> = Vec::new();
    let mut examples: Vec<DropExample> = Vec::new();
    let mut asked = std::collections::HashSet::new();
    for mut pair in pairs {
        let mut score = fidelity(&pair);
        let mut was_repaired = false;
        let bucket = ((score * 10.0) as usize).min(9);
        histogram[bucket] += 1;
        if score >= config.min_fidelity {
            faithful += 1;
        } else if let Some(fixed) = fidelity::repair(&pair, config.min_fidelity) {
            let fixed_score = fidelity(&fixed);
            if fixed_score >= config.min_fidelity {
                (pair, score) = (fixed, fixed_score);
                was_repaired = true;
            }
        }
        let tokens = pair_tokens(&pair, tokenizer);
        let reason = check(&pair, score, tokens, config)
            .or_else(|| (!asked.insert(variety::question_key(&pair))).then_some(DropReason::RepeatedQuestion));
        match reason {
            Some(reason) => {
                if examples.iter().filter(|e| e.reason == reason).count() < DROP_EXAMPLES_PER_REASON {
                    examples.push(drop_example(&pair, reason, score));
                }
                dropped.push(DroppedPair { id: pair.id, reason, duplicate_of: None });
            }
            None => {
                repaired += usize::from(was_repaired);
                accepted.push(ValidatedPair { pair, fidelity: score, tokens });
            }
        }
    }
    let mut quality = quality(pairs_in, faithful, histogram, &accepted);
    quality.repaired = u32::try_from(repaired).unwrap_or(u32::MAX);
    quality.drop_examples = examples;
    let files = export::files(&accepted, config, &quality);
    Ok(ExportResult { files, dropped, quality })
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
    // A code-explanation question quotes its code in a fence on purpose.
    let quoted_code = |t: &&brightrun_types::Turn| pair.task == TaskType::CodeExplanation && t.role == Role::User;
    if pair
        .turns
        .iter()
        .any(|t| has_markup(&if quoted_code(&t) { without_fences(&t.content) } else { t.content.clone() }))
    {
        return Some(DropReason::LeftoverMarkup);
    }
    if tokens > config.max_sequence_tokens as usize {
        return Some(DropReason::TooLong);
    }
    if fidelity < config.min_fidelity {
        return Some(DropReason::LowFidelity);
    }
    None
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

fn quality(pairs_in: usize, faithful: usize, histogram: Vec<u32>, accepted: &[ValidatedPair]) -> Quality {
    let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let count_by = |matches: &dyn Fn(&Pair) -> bool| as_u32(accepted.iter().filter(|v| matches(&v.pair)).count());
    let tasks = TaskType::ALL
        .iter()
        .map(|task| (*task, count_by(&|p: &Pair| p.task == *task)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let content_types = ContentType::ALL
        .iter()
        .map(|kind| (*kind, count_by(&|p: &Pair| p.content_type == *kind)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let difficulties = Difficulty::ALL
        .iter()
        .map(|level| (*level, count_by(&|p: &Pair| p.difficulty == *level)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let out = accepted.len();
    let mean = |sum: f64| if out == 0 { 0.0 } else { (sum / out as f64) as f32 };
    Quality {
        pairs_in: as_u32(pairs_in),
        pairs_out: as_u32(out),
        mean_fidelity: mean(accepted.iter().map(|v| f64::from(v.fidelity)).sum()),
        faithful_share: if pairs_in == 0 { 0.0 } else { faithful as f32 / pairs_in as f32 },
        fidelity_histogram: histogram,
        tasks,
        content_types,
        difficulties,
        mean_tokens: mean(accepted.iter().map(|v| v.tokens as f64).sum()),
        max_tokens: as_u32(accepted.iter().map(|v| v.tokens).max().unwrap_or(0)),
        repaired: 0,
        question_variety: variety::variety(accepted.iter().map(|v| &v.pair)),
        drop_examples: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
