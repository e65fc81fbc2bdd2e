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

mod conversation;
mod subject;
mod templates;
mod units;

#[cfg(target_arch = "wasm32")]
mod component;

use brightrun_types::{
    Analysis, Chunk, Evidence, GenerateConfig, Pair, Result, Role, Span, StageError, TaskType, Turn,
};
use xxhash_rust::xxh3::xxh3_64_with_seed;

pub use templates::template_count;

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
    /// The question asks what a product or tool is ("What is docutils?"):
    /// the document's subject is another product, not its setting.
    names_product: bool,
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
        Candidate { task, question, answer, spans, context: Vec::new(), follow_ups: Vec::new(), names_product: false }
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

    // Answer-first generators (see `units`): each finds a unit that says
    // something complete about a named subject, then asks for it.
    let mut by_task: Vec<Vec<Candidate>> = vec![
        units::object_descriptions(chunk, &phrase),
        units::section_leads(chunk, &phrase),
        units::purposes(chunk, &phrase),
        units::labelled_items(chunk, &phrase),
        units::code_facts(chunk, analysis, in_body),
        units::definitions(chunk, analysis, &phrase, in_body),
        units::reasons(chunk, analysis, &phrase, in_body),
        faq(chunk, analysis, &phrase, in_body),
        procedures(analysis, &phrase, in_body),
    ];
    for candidate in by_task.iter_mut().flatten() {
        if !candidate.names_product {
            candidate.question = subject::name_subject(&candidate.question, chunk.subject.as_deref());
        }
    }
    for candidates in &mut by_task {
        candidates.retain(|candidate| wanted(candidate.task) && passes_review(chunk, candidate));
    }
    // One question with two different answers in a chunk ("what does
    // `template_name` do?" under two views) is ambiguous: neither is kept.
    let mut asked: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for candidate in by_task.iter().flatten() {
        *asked.entry(candidate.question.as_str()).or_default() += 1;
    }
    let ambiguous: std::collections::HashSet<String> =
        asked.into_iter().filter(|(_, count)| *count > 1).map(|(question, _)| question.to_string()).collect();
    for candidates in &mut by_task {
        candidates.retain(|candidate| !ambiguous.contains(&candidate.question));
    }
    if wanted(TaskType::MultiTurn) {
        let conversation = conversation::conversation(&by_task, &phrase);
        // An exchange of a conversation is not exported alone as well: the
        // dataset would hold its question and answer twice.
        let used: Vec<&Vec<Span>> = conversation
            .iter()
            .flat_map(|c| std::iter::once(&c.spans).chain(c.follow_ups.iter().map(|e| &e.spans)))
            .collect();
        let used: Vec<Vec<Span>> = used.into_iter().cloned().collect();
        for candidates in &mut by_task {
            candidates.retain(|candidate| !used.contains(&candidate.spans));
        }
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

/// Questions the document asks itself (FAQ entries, question headings),
/// answered by the entry's text when it reads on its own.
fn faq(chunk: &Chunk, analysis: &Analysis, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    analysis
        .faq
        .iter()
        .filter(|entry| in_body(&entry.answer_span))
        .filter(|entry| {
            let question = entry.question.trim();
            // "How can I indicate the document title? Subtitle?" asks two things.
            question.ends_with('?')
                && question.matches('?').count() == 1
                && question.split_whitespace().count() >= 4
                && question.starts_with(char::is_uppercase)
                && !brightrun_types::prose::starts_unresolved(question)
                && !brightrun_types::prose::has_markup_residue(question)
        })
        .filter_map(|entry| {
            let answer = chunk.text_at(entry.answer_span)?;
            let words = answer.split_whitespace().count();
            // "If list formatting looks strange, ..." answers a different question.
            let conditional = answer.trim_start().starts_with("If ");
            // "How do I ...?" is answered by what to do, not by a description.
            let lower = entry.question.trim().to_lowercase();
            let asks_how = lower.starts_with("how do") || lower.starts_with("how can") || lower.starts_with("how to");
            if asks_how && !answer.contains("```") && !units::instructs_somewhere(answer) {
                return None;
            }
            (brightrun_types::prose::stands_alone(answer) && !conditional && (10..=150).contains(&words)).then(|| {
                Candidate::single(
                    TaskType::FaqAnswer,
                    templates::faq(&entry.question, phrase.pick(TaskType::FaqAnswer, &entry.question, 4)),
                    answer.to_string(),
                    vec![entry.answer_span],
                )
            })
        })
        .collect()
}

/// A how-to answer that states a requirement ("To build Git from source,
/// you need to have a handful of dependencies installed", "you must
/// explicitly declare the Meta inheritance") and shows no code says what is
/// needed, not how: the judges found it incomplete every time.
fn only_requires(answer: &str) -> bool {
    let lower = answer.to_lowercase().replace('’', "'");
    let requirement = ["you need", "you'll need", "you will need", "you must", "you have to", "you should"]
        .iter()
        .any(|phrase| lower.contains(phrase));
    requirement && !answer.contains('`')
}

/// Whether a candidate's every exchange passes the reviewer's checks that
/// validate applies, so the chunk's cap is spent on pairs that survive.
fn passes_review(chunk: &Chunk, candidate: &Candidate) -> bool {
    let exchanges = std::iter::once((&candidate.question, &candidate.answer, &candidate.spans))
        .chain(candidate.follow_ups.iter().map(|e| (&e.question, &e.answer, &e.spans)));
    exchanges.into_iter().all(|(question, answer, spans)| {
        let answer = if answer.is_empty() {
            spans.iter().filter_map(|span| chunk.text_at(*span)).map(str::trim).collect::<Vec<_>>().join(" ")
        } else {
            answer.clone()
        };
        let how_to = candidate.task == TaskType::ProcedureInstruction;
        brightrun_types::prose::review_exchange(question, &answer)
            && !brightrun_types::prose::has_doubled_word(&answer)
            && !(how_to && only_requires(&answer))
    })
}

fn procedures(analysis: &Analysis, phrase: &Phrasing, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    analysis
        .procedures
        .iter()
        .filter(|p| p.steps.first().is_some_and(|step| in_body(&step.span)))
        // Only a goal stated as a purpose ("To rotate the key:") makes a
        // question that names what the steps achieve.
        .filter(|p| {
            let goal = p.goal.trim();
            (goal.starts_with("To ") || goal.starts_with("to "))
                && !brightrun_types::prose::has_markup_residue(goal)
                && !brightrun_types::prose::unbalanced(goal)
                && (2..=12).contains(&p.steps.len())
                && p.steps.iter().all(|step| {
                    !brightrun_types::prose::has_markup_residue(&step.text)
                        && !brightrun_types::prose::points_elsewhere(&step.text)
                })
        })
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
