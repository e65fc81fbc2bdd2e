//! brightrun's generate stage, offline: training pairs from an analysed chunk
//! by rules, with no model and no network.
//!
//! Each task turns one thing analyze found into a question and an answer taken
//! from the source text itself (extractive), so every pair is grounded: its
//! evidence spans are the exact sentences or list items the answer repeats.
//! Questions are phrased from several templates per task; the template is
//! picked by a hash of the seed and the subject, so phrasing varies across a
//! dataset but a re-run with the same seed gives the same pairs.
//!
//! | task | from | answer |
//! |---|---|---|
//! | `faq-answer` | FAQ entries | the entry's answer |
//! | `definition-qa` | definitions | the defining sentence |
//! | `procedure-instruction` | procedures | the steps, numbered |
//! | `reasoning-why` | reasoning sentences | the sentence with its reason |
//! | `section-summary` | chunks with three or more sentences | the most central sentences |
//! | `factual-qa` | claims mentioning a key concept | the claim |
//! | `compare-contrast` | two definitions, or a sentence comparing two key concepts | the sentences |
//! | `code-explanation` | a code block (quoted in the question) | the paragraph introducing it |
//! | `table-lookup` | a table row under its header | "The <column> for <row> is <cell>." |
//! | `multi-turn` | a summary or question, then follow-ups on the same chunk | each turn its own evidence |

mod structured;
mod templates;

#[cfg(target_arch = "wasm32")]
mod component;

use brightrun_types::{
    Analysis, BlockKind, Chunk, Evidence, GenerateConfig, Pair, Result, Role, Span, StageError, TaskType, Turn,
};
use xxhash_rust::xxh3::xxh3_64_with_seed;

pub use templates::template_count;

/// Most sentences a summary repeats.
const SUMMARY_SENTENCES: usize = 3;

/// A pair before it is ordered and capped.
struct Candidate {
    task: TaskType,
    question: String,
    /// Empty: the evidence sentences joined.
    answer: String,
    /// The first answer's evidence.
    spans: Vec<Span>,
    /// Source the first question quotes (a code block), cited with the first answer.
    context: Vec<Span>,
    /// Further exchanges of a multi-turn pair.
    follow_ups: Vec<Exchange>,
}

/// One more user question and assistant answer in a conversation.
struct Exchange {
    question: String,
    /// Empty: the evidence sentences joined.
    answer: String,
    spans: Vec<Span>,
}

impl Candidate {
    fn single(task: TaskType, question: String, answer: String, spans: Vec<Span>) -> Self {
        Candidate { task, question, answer, spans, context: Vec::new(), follow_ups: Vec::new() }
    }
}

/// Generates pairs from `chunk` and its `analysis`.
///
/// Only material in the chunk's body (at or after `body_start`) is used, so
/// the overlap a chunk repeats from its predecessor does not yield the same
/// pair twice. `Err` is `InvalidConfig` when `max_pairs_per_chunk` is 0,
/// the analysis belongs to another chunk, or an LLM backend is asked for.
pub fn generate(chunk: &Chunk, analysis: &Analysis, config: &GenerateConfig) -> Result<Vec<Pair>> {
    if let Some(llm) = &config.llm {
        return Err(StageError::InvalidConfig {
            document: chunk.document.clone(),
            detail: format!(
                "this is the offline generator; an LLM backend ({} at {}) needs the generate-llm component",
                llm.model, llm.base_url
            ),
        });
    }
    if config.max_pairs_per_chunk == 0 || analysis.chunk_index != chunk.index {
        return Err(StageError::InvalidConfig {
            document: chunk.document.clone(),
            detail: format!(
                "max-pairs-per-chunk {} for chunk {} with the analysis of chunk {}",
                config.max_pairs_per_chunk, chunk.index, analysis.chunk_index
            ),
        });
    }
    let wanted = |task: TaskType| config.tasks.is_empty() || config.tasks.contains(&task);
    let phrase = Phrasing { seed: config.seed, section: section_name(chunk) };
    let in_body = |span: &Span| span.start >= chunk.body_start;

    let mut by_task: Vec<Vec<Candidate>> = Vec::new();
    if wanted(TaskType::FaqAnswer) {
        by_task.push(faq(analysis, &phrase, in_body));
    }
    if wanted(TaskType::DefinitionQa) {
        by_task.push(definitions(chunk, analysis, &phrase, in_body));
    }
    if wanted(TaskType::ProcedureInstruction) {
        by_task.push(procedures(analysis, &phrase, in_body));
    }
    if wanted(TaskType::ReasoningWhy) {
        by_task.push(reasoning(analysis, &phrase, in_body));
    }
    if wanted(TaskType::SectionSummary) {
        by_task.push(summary(chunk, analysis, &phrase));
    }
    if wanted(TaskType::FactualQa) {
        by_task.push(factual(analysis, &phrase, in_body));
    }
    if wanted(TaskType::CompareContrast) {
        by_task.push(structured::comparisons(analysis, &phrase, in_body));
    }
    if wanted(TaskType::CodeExplanation) {
        by_task.push(structured::code_explanations(chunk, &phrase, in_body));
    }
    if wanted(TaskType::TableLookup) {
        by_task.push(structured::table_lookups(chunk, &phrase, in_body));
    }
    if wanted(TaskType::MultiTurn) {
        let conversation = structured::conversation(&by_task, &phrase);
        by_task.push(conversation);
    }

    // Round-robin over tasks so a chunk's pairs are as varied as it allows.
    let cap = config.max_pairs_per_chunk as usize;
    let mut pairs = Vec::new();
    let mut used_spans: Vec<Span> = Vec::new();
    let mut round = 0;
    while pairs.len() < cap && by_task.iter().any(|candidates| candidates.len() > round) {
        for candidates in &by_task {
            if pairs.len() == cap {
                break;
            }
            let Some(candidate) = candidates.get(round) else { continue };
            // One pair per piece of evidence: a sentence that is both a claim
            // and a reason is asked about once.
            let lone_sentence =
                candidate.spans.len() == 1 && candidate.context.is_empty() && candidate.follow_ups.is_empty();
            if lone_sentence && used_spans.contains(&candidate.spans[0]) {
                continue;
            }
            if let Some(pair) = to_pair(chunk, analysis, candidate) {
                used_spans.extend(candidate.spans.iter().copied());
                pairs.push(pair);
            }
        }
        round += 1;
    }
    Ok(pairs)
}

/// The innermost heading without its numbering ("3.4.  Locks" → "Locks"),
/// or the document's file name.
fn section_name(chunk: &Chunk) -> String {
    let numbered = |c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace();
    chunk
        .section_path
        .last()
        .map(|heading| heading.trim_start_matches(numbered).to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            let base = chunk.document.rsplit(['/', '\\']).next().unwrap_or(&chunk.document);
            base.rsplit_once('.').map_or(base, |(stem, _)| stem).replace(['-', '_'], " ")
        })
}

/// Picks templates for one chunk.
struct Phrasing {
    seed: u64,
    section: String,
}

impl Phrasing {
    /// A deterministic index into `count` templates for `subject`.
    fn pick(&self, task: TaskType, subject: &str, count: usize) -> usize {
        let hash = xxh3_64_with_seed(format!("{}\u{1f}{subject}", task.as_str()).as_bytes(), self.seed);
        (hash % count.max(1) as u64) as usize
    }
}

fn faq(analysis: &Analysis, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    analysis
        .faq
        .iter()
        .filter(|entry| in_body(&entry.answer_span))
        .map(|entry| {
            Candidate::single(
                TaskType::FaqAnswer,
                templates::faq(&entry.question, phrase.pick(TaskType::FaqAnswer, &entry.question, 4)),
                entry.answer.clone(),
                vec![entry.answer_span],
            )
        })
        .collect()
}

fn definitions(
    chunk: &Chunk,
    analysis: &Analysis,
    phrase: &Phrasing,
    in_body: impl Fn(&Span) -> bool,
) -> Vec<Candidate> {
    analysis
        .definitions
        .iter()
        .filter(|d| in_body(&d.span))
        .map(|d| {
            let pick = phrase.pick(TaskType::DefinitionQa, &d.term, templates::template_count(TaskType::DefinitionQa));
            // "Checkpoints are …" asks "What are checkpoints?", not "What is".
            let plural = chunk
                .text_at(d.span)
                .and_then(|sentence| sentence.find(d.term.as_str()).map(|at| &sentence[at + d.term.len()..]))
                .is_some_and(|rest| rest.trim_start().starts_with("are "));
            Candidate::single(
                TaskType::DefinitionQa,
                templates::definition(&d.term, &phrase.section, plural, pick),
                String::new(),
                vec![d.span],
            )
        })
        .collect()
}

fn procedures(analysis: &Analysis, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    analysis
        .procedures
        .iter()
        .filter(|p| p.steps.first().is_some_and(|step| in_body(&step.span)))
        .map(|p| {
            let pick = phrase.pick(
                TaskType::ProcedureInstruction,
                &p.goal,
                templates::template_count(TaskType::ProcedureInstruction),
            );
            let answer = p
                .steps
                .iter()
                .enumerate()
                .map(|(index, step)| format!("{}. {}", index + 1, step.text.trim()))
                .collect::<Vec<_>>()
                .join("\n");
            Candidate::single(
                TaskType::ProcedureInstruction,
                templates::procedure(&p.goal, pick),
                answer,
                p.steps.iter().map(|step| step.span).collect(),
            )
        })
        .collect()
}

fn reasoning(analysis: &Analysis, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    analysis
        .reasoning
        .iter()
        .filter(|r| in_body(&r.span))
        .map(|r| {
            let pick = phrase.pick(TaskType::ReasoningWhy, &r.premise, 4);
            Candidate::single(
                TaskType::ReasoningWhy,
                templates::reasoning(r.kind, &r.premise, pick),
                String::new(),
                vec![r.span],
            )
        })
        .collect()
}

fn factual(analysis: &Analysis, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    analysis
        .claims
        .iter()
        .filter(|claim| in_body(&claim.span))
        .filter_map(|claim| {
            let lower = claim.text.to_lowercase();
            // Only specific concepts make a good subject: a phrase, or a long word seen twice.
            let specific = |c: &&brightrun_types::Concept| {
                let acronym_or_name = c.term.chars().skip(1).any(char::is_uppercase);
                c.term.contains(' ') || acronym_or_name || c.mentions >= 3
            };
            let concept = analysis.concepts.iter().filter(specific).find(|c| lower.contains(&c.term.to_lowercase()))?;
            let pick = phrase.pick(TaskType::FactualQa, &claim.text, templates::template_count(TaskType::FactualQa));
            Some(Candidate::single(
                TaskType::FactualQa,
                templates::factual(&concept.term, &phrase.section, pick),
                String::new(),
                vec![claim.span],
            ))
        })
        .collect()
}

/// The body's sentences that mention the most key concepts, in document
/// order; only for chunks with three or more sentences of prose.
fn summary(chunk: &Chunk, analysis: &Analysis, phrase: &Phrasing) -> Vec<Candidate> {
    let mut sentences: Vec<(Span, usize)> = Vec::new();
    for block in &chunk.blocks {
        if block.kind != BlockKind::Paragraph || block.span.start < chunk.body_start {
            continue;
        }
        let Some(text) = chunk.text_at(block.span) else { continue };
        for (offset, trimmed) in brightrun_types::sentences(text) {
            if trimmed.split_whitespace().count() < 5 || trimmed.ends_with('?') || trimmed.ends_with(':') {
                continue;
            }
            let lower = trimmed.to_lowercase();
            let score = analysis.concepts.iter().filter(|c| lower.contains(&c.term.to_lowercase())).count();
            let start = block.span.start as usize + offset;
            sentences.push((Span::new(start, start + trimmed.len()), score));
        }
    }
    if sentences.len() < 3 {
        return Vec::new();
    }
    let mut ranked: Vec<usize> = (0..sentences.len()).collect();
    ranked.sort_by(|a, b| sentences[*b].1.cmp(&sentences[*a].1).then(a.cmp(b)));
    let mut chosen: Vec<Span> = ranked.iter().take(SUMMARY_SENTENCES).map(|index| sentences[*index].0).collect();
    chosen.sort();
    // A chunk whose body holds no heading continues a section begun in an
    // earlier chunk: its question names what this part is about.
    let starts_section = chunk.blocks.iter().any(|b| b.kind == BlockKind::Heading && b.span.start >= chunk.body_start);
    let question = if starts_section {
        let pick =
            phrase.pick(TaskType::SectionSummary, &phrase.section, templates::template_count(TaskType::SectionSummary));
        templates::summary(&phrase.section, pick)
    } else {
        // The focus: a concept the chosen sentences name that can stand as a
        // topic (a phrase of several words, or a name like "WAL" or
        // "SQLite"; a lone common word such as "file" cannot), phrases
        // first, then the most mentioned.
        let chosen_text: Vec<String> =
            chosen.iter().filter_map(|span| chunk.text_at(*span)).map(str::to_lowercase).collect();
        let phrase_like = |term: &str| term.contains(' ');
        let name_like =
            |term: &str| term.chars().skip(1).any(|c| c.is_uppercase()) || term.starts_with(char::is_uppercase);
        let mut concepts: Vec<&brightrun_types::Concept> = analysis
            .concepts
            .iter()
            .filter(|c| phrase_like(&c.term) || name_like(&c.term))
            .filter(|c| {
                let term = c.term.to_lowercase();
                term != phrase.section.to_lowercase() && chosen_text.iter().any(|sentence| sentence.contains(&term))
            })
            .collect();
        concepts.sort_by(|a, b| {
            (phrase_like(&b.term), b.mentions)
                .cmp(&(phrase_like(&a.term), a.mentions))
                .then(a.span.start.cmp(&b.span.start))
        });
        let focus = concepts.first();
        // Without a focus the question would repeat the section's; validate would drop it.
        let Some(focus) = focus else { return Vec::new() };
        let subject = format!("{}\u{1f}{}", phrase.section, focus.term);
        let pick = phrase.pick(TaskType::SectionSummary, &subject, templates::CONTINUED_SUMMARY_TEMPLATES);
        templates::continued_summary(&phrase.section, &templates::lower_first(&focus.term), pick)
    };
    vec![Candidate::single(TaskType::SectionSummary, question, String::new(), chosen)]
}

/// Builds the pair: evidence texts from the chunk, tagged with the assistant
/// turn they support, and, where the candidate left an answer empty, the
/// answer as its evidence sentences joined.
fn to_pair(chunk: &Chunk, analysis: &Analysis, candidate: &Candidate) -> Option<Pair> {
    let cite = |spans: &[Span], turn: u32| -> Option<Vec<Evidence>> {
        spans
            .iter()
            .map(|span| {
                let text = chunk.text_at(*span)?.to_string();
                Some(Evidence { turn, document: chunk.document.clone(), span: *span, text })
            })
            .collect()
    };
    let joined = |evidence: &[Evidence]| evidence.iter().map(|e| e.text.trim()).collect::<Vec<_>>().join(" ");
    let exchanges = std::iter::once((&candidate.question, &candidate.answer, &candidate.spans))
        .chain(candidate.follow_ups.iter().map(|e| (&e.question, &e.answer, &e.spans)));
    let mut turns = Vec::new();
    let mut evidence = Vec::new();
    for (question, answer, spans) in exchanges {
        let turn = u32::try_from(turns.len() + 1).ok()?;
        let cited = cite(spans, turn)?;
        let answer = if answer.is_empty() { joined(&cited) } else { answer.clone() };
        turns.push(Turn { role: Role::User, content: question.clone() });
        turns.push(Turn { role: Role::Assistant, content: answer });
        evidence.extend(cited);
    }
    evidence.extend(cite(&candidate.context, 1)?);
    let mut id_input = format!("{}\u{1f}{}", chunk.document, candidate.task.as_str());
    for span in candidate.spans.iter().chain(candidate.follow_ups.iter().flat_map(|e| &e.spans)) {
        id_input.push_str(&format!("\u{1f}{}-{}", span.start, span.end));
    }
    Some(Pair {
        id: format!("{:016x}", xxh3_64_with_seed(id_input.as_bytes(), 0)),
        task: candidate.task,
        turns,
        evidence,
        difficulty: analysis.difficulty,
        content_type: analysis.content_type,
        chunk_index: chunk.index,
    })
}

#[cfg(test)]
mod tests;
