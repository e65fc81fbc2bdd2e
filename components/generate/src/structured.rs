//! Tasks that need more than one sentence of the analysis: comparisons of
//! two things, code explained by the prose around it, lookups in a table,
//! and multi-turn conversations that follow one section.
//!
//! Like the single-sentence tasks they are extractive: every answer is
//! source text (or, for a table lookup, a sentence built from the cells it
//! cites), so the same grounding checks apply.

use brightrun_types::{Analysis, BlockKind, Chunk, Concept, Span, TaskType};

use crate::templates::{self, lower_first};
use crate::{Candidate, Exchange, Phrasing};

/// Words that mark a comparison within one sentence.
const COMPARISON_MARKERS: &[&str] =
    &["by contrast", "in contrast", "whereas", "unlike", "compared with", "compared to", "rather than", "than"];

/// Longest code block (in lines) put into a question.
const MAX_CODE_LINES: usize = 40;

/// Most rows of one table asked about.
const ROWS_PER_TABLE: usize = 3;

/// Concepts specific enough to ask about: a phrase, a name or acronym, or a
/// word seen three times.
fn specific(concept: &Concept) -> bool {
    let acronym_or_name = concept.term.chars().skip(1).any(char::is_uppercase);
    concept.term.contains(' ') || acronym_or_name || concept.mentions >= 3
}

/// "How does A differ from B?": two definitions in one chunk, answered by
/// both defining sentences; and single sentences that compare two key
/// concepts with a marker ("by contrast", "whereas", "than").
pub(crate) fn comparisons(analysis: &Analysis, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    let mut out = Vec::new();
    let definitions: Vec<_> = analysis.definitions.iter().filter(|d| in_body(&d.span)).collect();
    for pair in definitions.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.term.eq_ignore_ascii_case(&b.term) {
            continue;
        }
        let subject = format!("{}\u{1f}{}", a.term, b.term);
        let pick =
            phrase.pick(TaskType::CompareContrast, &subject, templates::template_count(TaskType::CompareContrast));
        out.push(Candidate::single(
            TaskType::CompareContrast,
            templates::compare(&a.term, &b.term, pick),
            String::new(),
            vec![a.span, b.span],
        ));
    }
    let concepts: Vec<&Concept> = analysis.concepts.iter().filter(|c| specific(c)).collect();
    for claim in analysis.claims.iter().filter(|c| in_body(&c.span)) {
        let lower = claim.text.to_lowercase();
        if !COMPARISON_MARKERS.iter().any(|m| contains_word(&lower, m)) {
            continue;
        }
        let mentioned: Vec<&&Concept> = concepts.iter().filter(|c| lower.contains(&c.term.to_lowercase())).collect();
        let [first, second, ..] = mentioned.as_slice() else { continue };
        if first.term.to_lowercase().contains(&second.term.to_lowercase())
            || second.term.to_lowercase().contains(&first.term.to_lowercase())
        {
            continue;
        }
        let pick =
            phrase.pick(TaskType::CompareContrast, &claim.text, templates::template_count(TaskType::CompareContrast));
        out.push(Candidate::single(
            TaskType::CompareContrast,
            templates::compare(&first.term, &second.term, pick),
            String::new(),
            vec![claim.span],
        ));
    }
    out
}

/// Whether `marker` occurs in `text` as whole words.
fn contains_word(text: &str, marker: &str) -> bool {
    text.match_indices(marker).any(|(at, _)| {
        let before = text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = text[at + marker.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        before && after
    })
}

/// "What does this code do?" with the code in the question, answered by
/// the paragraph that introduces it (or, failing that, the one after it).
pub(crate) fn code_explanations(chunk: &Chunk, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (index, block) in chunk.blocks.iter().enumerate() {
        if block.kind != BlockKind::Code || !in_body(&block.span) {
            continue;
        }
        let Some(code) = chunk.text_at(block.span) else { continue };
        let lines = code.lines().count();
        if lines == 0 || lines > MAX_CODE_LINES || code.contains("```") {
            continue;
        }
        let prose = |block: Option<&brightrun_types::Block>| {
            let block = block.filter(|b| b.kind == BlockKind::Paragraph)?;
            let text = chunk.text_at(block.span)?;
            let explains = text.split_whitespace().count() >= 8 && !text.trim_end().ends_with(':');
            explains.then_some(block.span)
        };
        let before = index.checked_sub(1).and_then(|i| chunk.blocks.get(i));
        let Some(explanation) = prose(before).or_else(|| prose(chunk.blocks.get(index + 1))) else { continue };
        let language = block.language.as_deref().filter(|l| !l.is_empty());
        let pick = phrase.pick(TaskType::CodeExplanation, code, templates::template_count(TaskType::CodeExplanation));
        out.push(Candidate::single(
            TaskType::CodeExplanation,
            templates::code(code.trim_end(), language, pick),
            String::new(),
            vec![explanation],
        ));
        // The code is cited too: the question quotes it.
        if let Some(candidate) = out.last_mut() {
            candidate.context.push(block.span);
        }
    }
    out
}

/// Rows of a table the chunk holds from its header on: "What is the
/// <column> of <first cell>?", answered by a sentence made of those cells.
pub(crate) fn table_lookups(chunk: &Chunk, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut index = 0;
    while index < chunk.blocks.len() {
        let block = &chunk.blocks[index];
        if block.kind != BlockKind::TableRow {
            index += 1;
            continue;
        }
        // The rows of this table, in order.
        let table = block.level;
        let start = index;
        while index < chunk.blocks.len()
            && chunk.blocks[index].kind == BlockKind::TableRow
            && chunk.blocks[index].level == table
        {
            index += 1;
        }
        // A table that began in the previous chunk has no header here.
        if start == 0 && chunk.span.start == block.span.start {
            continue;
        }
        let rows = &chunk.blocks[start..index];
        let cells = |span: Span| -> Option<Vec<String>> {
            Some(chunk.text_at(span)?.split(" | ").map(|cell| cell.trim().to_string()).collect())
        };
        let Some(header) = cells(rows[0].span) else { continue };
        if header.len() < 2 || header.iter().any(String::is_empty) {
            continue;
        }
        let data: Vec<_> = rows[1..].iter().filter(|row| in_body(&row.span)).collect();
        for row in data.iter().take(ROWS_PER_TABLE) {
            let Some(values) = cells(row.span) else { continue };
            if values.len() != header.len() || values[0].is_empty() {
                continue;
            }
            let column = 1 + phrase.pick(TaskType::TableLookup, &values[0], header.len() - 1);
            if values[column].is_empty() {
                continue;
            }
            let pick =
                phrase.pick(TaskType::TableLookup, &values.join("|"), templates::template_count(TaskType::TableLookup));
            let (name, key, value) = (&header[column], &values[0], &values[column]);
            out.push(Candidate::single(
                TaskType::TableLookup,
                templates::table(name, key, &phrase.section, pick),
                format!("The {} for {key} is {value}.", lower_first(name)),
                vec![rows[0].span, row.span],
            ));
        }
    }
    out
}

/// A conversation following one section: the opener (a summary if the
/// chunk has one, else its first question), then one or two follow-ups on
/// other material of the same chunk, each answer citing its own evidence.
pub(crate) fn conversation(candidates: &[Vec<Candidate>], phrase: &Phrasing) -> Vec<Candidate> {
    let summaries = candidates.iter().flatten().filter(|c| c.task == TaskType::SectionSummary);
    let follow_ups = candidates.iter().flatten().filter(|c| {
        matches!(c.task, TaskType::DefinitionQa | TaskType::ReasoningWhy | TaskType::FactualQa | TaskType::FaqAnswer)
    });
    let mut material: Vec<&Candidate> = summaries.chain(follow_ups).collect();
    material.dedup_by(|a, b| a.spans == b.spans);
    let Some((opener, rest)) = material.split_first() else { return Vec::new() };
    if rest.is_empty() {
        return Vec::new();
    }
    // Two or three exchanges (four or six turns), as the material allows.
    let extra = if rest.len() >= 2 { phrase.pick(TaskType::MultiTurn, &opener.question, 2) } else { 0 };
    let mut conversation =
        Candidate::single(TaskType::MultiTurn, opener.question.clone(), opener.answer.clone(), opener.spans.clone());
    for (turn, next) in rest.iter().take(1 + extra).enumerate() {
        let pick = phrase.pick(TaskType::MultiTurn, &next.question, templates::template_count(TaskType::MultiTurn));
        conversation.follow_ups.push(Exchange {
            question: templates::follow_up(&next.question, pick + turn),
            answer: next.answer.clone(),
            spans: next.spans.clone(),
        });
    }
    vec![conversation]
}
