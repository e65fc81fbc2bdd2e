//! brightrun's segment stage: a document in, chunks sized in tokens out.
//!
//! A document is first cut into *units* that must never be split: a
//! sentence of prose (Unicode sentence boundaries, UAX #29), a whole code
//! block, a whole table row, a heading. Units are then packed greedily into
//! chunks of at most `max_tokens` tokens of a real BPE tokenizer
//! ([`Tokenizer`], `cl100k_base`). A heading of level 1–3 starts a new chunk
//! so chunks follow the document's sections; within a section, the next
//! chunk repeats up to `overlap_tokens` of trailing units for context. A
//! single unit larger than the budget becomes a chunk of its own rather than
//! being cut.

#[cfg(target_arch = "wasm32")]
mod component;

use brightrun_types::tokenizer::Tokenizer;
use brightrun_types::{Block, BlockKind, Chunk, Document, Result, SegmentConfig, Span, StageError};

/// Smallest budget accepted: below this a heading and one sentence rarely fit.
pub const MIN_MAX_TOKENS: u32 = 16;

/// Headings at this level or above (1 = top) start a new chunk.
const SECTION_BREAK_LEVEL: u8 = 3;

/// Something that must not be cut.
#[derive(Debug, Clone)]
struct Unit {
    span: Span,
    tokens: usize,
    /// For headings: level and text, which update the section path.
    heading: Option<(u8, String)>,
}

/// Splits `document` into chunks within `config`'s budget.
///
/// `Err` is `InvalidConfig` for a budget under [`MIN_MAX_TOKENS`] or an
/// overlap not smaller than the budget, and `NoContent` when the document has
/// no text outside headings.
pub fn segment(document: &Document, config: &SegmentConfig, tokenizer: &Tokenizer) -> Result<Vec<Chunk>> {
    if config.max_tokens < MIN_MAX_TOKENS || config.overlap_tokens >= config.max_tokens {
        return Err(StageError::InvalidConfig {
            document: document.name.clone(),
            detail: format!(
                "max-tokens {} and overlap-tokens {}: need max-tokens >= {MIN_MAX_TOKENS} and overlap-tokens < max-tokens",
                config.max_tokens, config.overlap_tokens
            ),
        });
    }
    let units = units(document, tokenizer);
    let max = config.max_tokens as usize;
    let overlap = config.overlap_tokens as usize;

    let mut chunks = Vec::new();
    let mut headings: Vec<(u8, String)> = Vec::new();
    let mut current: Vec<&Unit> = Vec::new();
    let mut body_from = 0;
    let mut tokens = 0;
    let mut section_path: Vec<String> = Vec::new();

    for unit in &units {
        let has_body = current[body_from..].iter().any(|unit| unit.heading.is_none());
        let section_break = unit.heading.as_ref().is_some_and(|(level, _)| *level <= SECTION_BREAK_LEVEL);
        let over_budget = tokens + unit.tokens + 1 > max;
        if has_body && (section_break || over_budget) {
            chunks.push(make_chunk(document, &current, body_from, &section_path, chunks.len(), tokenizer));
            let keep = if section_break { 0 } else { overlap_units(&current[body_from..], overlap) };
            let carried: Vec<&Unit> = current[current.len() - keep..].to_vec();
            current = carried;
            body_from = current.len();
            tokens = current.iter().map(|unit| unit.tokens + 1).sum();
        }
        if let Some((level, text)) = &unit.heading {
            headings.retain(|(open_level, _)| open_level < level);
            headings.push((*level, text.clone()));
        }
        if !current[body_from..].iter().any(|unit| unit.heading.is_none()) {
            section_path = headings.iter().map(|(_, text)| text.clone()).collect();
        }
        current.push(unit);
        tokens += unit.tokens + 1;
    }
    if current[body_from..].iter().any(|unit| unit.heading.is_none()) {
        chunks.push(make_chunk(document, &current, body_from, &section_path, chunks.len(), tokenizer));
    }
    if chunks.is_empty() {
        return Err(StageError::NoContent {
            document: document.name.clone(),
            detail: "no text outside headings to make a chunk of".to_string(),
        });
    }
    Ok(chunks)
}

/// How many trailing units fit in the overlap budget, leaving at least one
/// unit of the closed chunk out so chunks always advance.
fn overlap_units(body: &[&Unit], overlap: usize) -> usize {
    let mut kept = 0;
    let mut tokens = 0;
    for unit in body.iter().rev().take(body.len().saturating_sub(1)) {
        if unit.heading.is_some() || tokens + unit.tokens > overlap {
            break;
        }
        tokens += unit.tokens;
        kept += 1;
    }
    kept
}

fn make_chunk(
    document: &Document,
    units: &[&Unit],
    body_from: usize,
    section_path: &[String],
    index: usize,
    tokenizer: &Tokenizer,
) -> Chunk {
    let start = units.first().map_or(0, |unit| unit.span.start);
    let end = units.last().map_or(0, |unit| unit.span.end);
    let body_start = units.get(body_from).map_or(start, |unit| unit.span.start);
    let span = Span { start, end };
    let text = span.slice(&document.text).unwrap_or_default().to_string();
    let blocks = document
        .blocks
        .iter()
        .filter(|block| block.span.start < end && block.span.end > start)
        .map(|block| Block {
            span: Span { start: block.span.start.max(start), end: block.span.end.min(end) },
            ..block.clone()
        })
        .collect();
    Chunk {
        document: document.name.clone(),
        index: u32::try_from(index).unwrap_or(u32::MAX),
        section_path: section_path.to_vec(),
        subject: document.subject.clone(),
        span,
        body_start,
        token_count: u32::try_from(tokenizer.count(&text)).unwrap_or(u32::MAX),
        text,
        blocks,
    }
}

/// Cuts the document into units: sentences of prose blocks, whole code
/// blocks, table rows and headings, each with its token count.
fn units(document: &Document, tokenizer: &Tokenizer) -> Vec<Unit> {
    let mut units = Vec::new();
    for block in &document.blocks {
        let Some(text) = block.span.slice(&document.text) else { continue };
        match block.kind {
            BlockKind::Heading => units.push(Unit {
                span: block.span,
                tokens: tokenizer.count(text),
                heading: Some((block.level, text.to_string())),
            }),
            BlockKind::Code | BlockKind::TableRow => {
                units.push(Unit { span: block.span, tokens: tokenizer.count(text), heading: None })
            }
            BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Quote => {
                for (offset, sentence) in brightrun_types::sentences(text) {
                    let start = block.span.start as usize + offset;
                    units.push(Unit {
                        span: Span::new(start, start + sentence.len()),
                        tokens: tokenizer.count(sentence),
                        heading: None,
                    });
                }
            }
        }
    }
    units
}

#[cfg(test)]
mod tests;
