//! brightrun's analyze stage: what a chunk teaches, found by documented rules.
//!
//! Everything here is deterministic and explainable, so a user can see why a
//! pair was generated:
//! - **concepts**: runs of up to three non-stopwords, scored by frequency,
//!   length and presence in the section headings (a keyphrase heuristic in the
//!   spirit of RAKE, Rose et al. 2010);
//! - **definitions**: sentences of the form "X is a/an/the …", "X means …",
//!   "X refers to …", "X is defined as …", "X are …", and `Term: meaning`
//!   list items, where X is a short noun phrase that is not a pronoun;
//! - **procedures**: numbered lists, and bullet lists most of whose items
//!   start with an imperative verb, with the introducing sentence or the
//!   section heading as the goal;
//! - **claims**: sentences with a number or a modal of obligation
//!   (must, always, never, required…);
//! - **reasoning**: sentences with a marker of cause, consequence, condition
//!   or contrast, split into premise and explanation;
//! - **FAQ entries**: a question (heading or paragraph ending in "?")
//!   followed by its answer;
//! - **content type**: from the share of code, tables, steps, questions and
//!   definitions;
//! - **difficulty**: the Flesch–Kincaid grade level (Kincaid et al. 1975) of
//!   the prose, raised one band when most sentences carry reasoning.

pub mod text;

#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;

use std::collections::HashMap;

use brightrun_types::{
    Analysis, BlockKind, Chunk, Claim, Concept, ContentType, Definition, Difficulty, FaqEntry, Procedure, Reasoning,
    ReasoningKind, Result, Span, StageError, Step,
};
use text::{Word, WordSet, is_stopword, lowercase_in, sentences, syllables, trim_end_punctuation, words};

/// Most concepts reported per chunk.
const MAX_CONCEPTS: usize = 8;
/// Most claims reported per chunk.
const MAX_CLAIMS: usize = 12;

/// A sentence of prose with its document span and its words, which most
/// rules look at (found once here instead of once per rule).
#[derive(Debug, Clone)]
struct Sentence<'a> {
    span: Span,
    text: &'a str,
    words: Vec<Word<'a>>,
}

/// Analyses `chunk`. `Err` is `NoContent` when the chunk's text does not
/// match its span (a host bug or a hand-made chunk), never for ordinary text.
pub fn analyze(chunk: &Chunk) -> Result<Analysis> {
    if chunk.text.len() != chunk.span.len() {
        return Err(StageError::NoContent {
            document: chunk.document.clone(),
            detail: format!(
                "chunk {} has {} bytes of text for a span of {} bytes",
                chunk.index,
                chunk.text.len(),
                chunk.span.len()
            ),
        });
    }
    let prose = prose_sentences(chunk);
    let concepts = concepts(chunk, &prose);
    let definitions = definitions(chunk, &prose);
    let procedures = procedures(chunk);
    let reasoning: Vec<Reasoning> = prose.iter().filter_map(reasoning).collect();
    let faq = faq_entries(chunk);
    let definition_spans: Vec<Span> = definitions.iter().map(|d| d.span).collect();
    let claims: Vec<Claim> = prose
        .iter()
        .filter(|sentence| !definition_spans.contains(&sentence.span) && is_claim(sentence))
        .take(MAX_CLAIMS)
        .map(|sentence| Claim { text: sentence.text.to_string(), span: sentence.span })
        .collect();
    let entities = entities(&prose);
    let numbers = numbers(&prose);
    let content_type = content_type(chunk, &definitions, &procedures, &faq, &claims, &prose);
    let difficulty = difficulty(&prose, reasoning.len());
    Ok(Analysis {
        chunk_index: chunk.index,
        concepts,
        definitions,
        procedures,
        claims,
        reasoning,
        faq,
        entities,
        numbers,
        content_type,
        difficulty,
    })
}

/// Sentences of the chunk's paragraphs, list items and quotes.
fn prose_sentences(chunk: &Chunk) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    for block in &chunk.blocks {
        if !matches!(block.kind, BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Quote) {
            continue;
        }
        let Some(text) = chunk.text_at(block.span) else { continue };
        for (offset, sentence) in sentences(text) {
            let start = block.span.start as usize + offset;
            let span = Span::new(start, start + sentence.len());
            out.push(Sentence { span, text: sentence, words: words(sentence) });
        }
    }
    out
}

fn concepts(chunk: &Chunk, prose: &[Sentence<'_>]) -> Vec<Concept> {
    struct Candidate {
        count: u32,
        first: Span,
        written: String,
        order: usize,
    }
    let heading_words: Vec<String> = chunk
        .section_path
        .iter()
        .flat_map(|heading| words(heading).into_iter().map(|w| w.text.to_lowercase()).collect::<Vec<_>>())
        .collect();
    let mut candidates: HashMap<String, Candidate> = HashMap::new();
    // Reused for every n-gram's key: most n-grams repeat one already seen,
    // and only a new one needs its own copy.
    let mut key = String::new();
    for sentence in prose {
        let sentence_words = &sentence.words;
        let lower: Vec<String> = sentence_words.iter().map(|w| w.text.to_lowercase()).collect();
        let breaks: Vec<bool> =
            sentence_words.iter().map(|w| is_stopword(w.text) || !is_content_word(w.text)).collect();
        let mut run_start = 0;
        while run_start < sentence_words.len() {
            let run_end = (run_start..sentence_words.len()).find(|&i| breaks[i]).unwrap_or(sentence_words.len());
            for n in 1..=3.min(run_end - run_start) {
                for first in run_start..=run_end - n {
                    key.clear();
                    for (position, word) in lower[first..first + n].iter().enumerate() {
                        if position > 0 {
                            key.push(' ');
                        }
                        key.push_str(word);
                    }
                    if let Some(entry) = candidates.get_mut(key.as_str()) {
                        entry.count += 1;
                        continue;
                    }
                    let (head, last) = (sentence_words[first], sentence_words[first + n - 1]);
                    let end = last.offset + last.text.len();
                    let candidate = Candidate {
                        count: 1,
                        first: Span::new(
                            sentence.span.start as usize + head.offset,
                            sentence.span.start as usize + end,
                        ),
                        written: sentence.text[head.offset..end].to_string(),
                        order: candidates.len(),
                    };
                    candidates.insert(key.clone(), candidate);
                }
            }
            run_start = run_end + 1;
        }
    }
    let score = |key: &str, candidate: &Candidate| -> f64 {
        let n = key.split(' ').count() as f64;
        let long = if key.len() >= 6 { 1.2 } else { 1.0 };
        let in_heading = if key.split(' ').any(|w| heading_words.iter().any(|h| h == w)) { 2.0 } else { 1.0 };
        f64::from(candidate.count) * (1.0 + 0.5 * (n - 1.0)) * long * in_heading
    };
    let mut ranked: Vec<(&String, &Candidate, f64)> =
        candidates.iter().map(|(key, candidate)| (key, candidate, score(key, candidate))).collect();
    ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.order.cmp(&b.1.order)));
    let mut chosen: Vec<Concept> = Vec::new();
    let mut chosen_keys: Vec<&str> = Vec::new();
    for (key, candidate, _) in ranked {
        if chosen.len() == MAX_CONCEPTS {
            break;
        }
        // A single word seen once is not a concept unless a heading names it
        // (checked first: it is cheap and rules out most candidates).
        if candidate.count < 2 && !key.contains(' ') && !heading_words.contains(key) {
            continue;
        }
        // Skip a phrase that only repeats part of a chosen one (or the reverse).
        if chosen_keys.iter().any(|k| k.contains(key.as_str()) || key.contains(*k)) {
            continue;
        }
        chosen_keys.push(key);
        chosen.push(Concept { term: candidate.written.clone(), mentions: candidate.count, span: candidate.first });
    }
    chosen
}

fn is_content_word(word: &str) -> bool {
    word.chars().count() >= 3 && word.chars().any(char::is_alphabetic)
}

/// Words that make a subject a pronoun or a question, never a term.
static NOT_A_TERM: WordSet = phf::phf_set! {
    "above", "all", "also", "and", "below", "best", "biggest", "but", "each", "every", "first", "following",
    "former", "he", "here", "how", "i", "if", "it", "its", "last", "latter", "main", "most", "next", "once", "one",
    "only", "or", "other", "our", "previous", "same", "she", "so", "some", "that", "their", "then", "there",
    "these", "they", "this", "those", "we", "what", "when", "where", "which", "who", "why", "worst", "you", "your",
};

/// Words that, first after "are", make a sentence a description rather than a definition.
const NOT_A_MEANING: &[&str] = &[
    "not",
    "very",
    "often",
    "always",
    "never",
    "usually",
    "also",
    "only",
    "still",
    "now",
    "sometimes",
    "able",
    "likely",
    "unlikely",
    "confident",
    "responsible",
    "available",
    "free",
    "safe",
    "fast",
    "slow",
    "more",
    "less",
    "too",
    "so",
    "all",
    "both",
    "much",
    "rarely",
    "generally",
    "typically",
    "mostly",
    "already",
];

/// Words that show a subject is a clause ("SQLite assumes that X"), not a term.
static CLAUSE_WORDS: WordSet = phf::phf_set! {
    "are", "because", "can", "do", "does", "has", "have", "if", "is", "may", "must", "should", "that", "was",
    "were", "when", "where", "which", "while", "who", "whom", "whose", "will",
};

/// Copula patterns, most specific first: (pattern, keeps the article).
const DEFINING_PATTERNS: &[&str] =
    &[" is defined as ", " refers to ", " stands for ", " means ", " is a ", " is an ", " is the ", " are "];

fn definitions(chunk: &Chunk, prose: &[Sentence<'_>]) -> Vec<Definition> {
    let mut out: Vec<Definition> = Vec::new();
    for sentence in prose {
        if sentence.text.ends_with('?') {
            continue;
        }
        if let Some(definition) = defining_sentence(sentence).or_else(|| term_colon_meaning(chunk, sentence))
            && !out.iter().any(|d| d.term.eq_ignore_ascii_case(&definition.term))
        {
            out.push(definition);
        }
    }
    out
}

fn defining_sentence(sentence: &Sentence<'_>) -> Option<Definition> {
    let text = sentence.text;
    for pattern in DEFINING_PATTERNS {
        let Some(at) = text.find(pattern) else { continue };
        let subject = text[..at].trim();
        let subject = ["The ", "A ", "An "].iter().find_map(|article| subject.strip_prefix(article)).unwrap_or(subject);
        let subject_words = words(subject);
        let meaning = trim_end_punctuation(text[at + pattern.len()..].trim());
        let max_subject_words = if *pattern == " are " { 3 } else { 5 };
        // "X are renewed daily" or "X are confident that" describe, not define.
        let first_meaning_word = words(meaning).first().map(|w| w.text.to_lowercase()).unwrap_or_default();
        // A plural definition names a kind of thing: "X are Y of/that/which/for …".
        let names_a_kind = [" of ", " that ", " which ", " who ", " for ", " used ", " where "]
            .iter()
            .any(|link| format!(" {meaning} ").contains(link));
        // "X is the only/most/first …" ranks X; it does not say what X is.
        let ranks = *pattern == " is the "
            && [
                "only", "most", "best", "first", "last", "same", "main", "next", "worst", "biggest", "largest",
                "smallest",
            ]
            .contains(&first_meaning_word.as_str());
        let describes = ranks
            || (*pattern == " are "
                && (first_meaning_word.ends_with("ed")
                    || first_meaning_word.ends_with("ing")
                    || NOT_A_MEANING.contains(&first_meaning_word.as_str())
                    || !names_a_kind));
        let ok = !describes
            && !subject_words.is_empty()
            && subject_words.len() <= max_subject_words
            && !subject.contains([',', ';', '(', ':'])
            && !subject_words.iter().any(|w| lowercase_in(&CLAUSE_WORDS, w.text))
            && !lowercase_in(&NOT_A_TERM, subject_words[0].text)
            && subject_words.iter().any(|w| !is_stopword(w.text))
            && words(meaning).len() >= 3;
        if ok {
            let meaning = match *pattern {
                " is a " => format!("a {meaning}"),
                " is an " => format!("an {meaning}"),
                " is the " => format!("the {meaning}"),
                _ => meaning.to_string(),
            };
            return Some(Definition { term: subject.to_string(), meaning, span: sentence.span });
        }
    }
    None
}

/// A list item "Term: meaning" (or "Term — meaning") at the start of a block.
fn term_colon_meaning(chunk: &Chunk, sentence: &Sentence<'_>) -> Option<Definition> {
    let in_list_item =
        chunk.blocks.iter().any(|b| b.kind == BlockKind::ListItem && b.span.start == sentence.span.start);
    if !in_list_item {
        return None;
    }
    let (term, meaning) = sentence.text.split_once(": ").or_else(|| sentence.text.split_once(" — "))?;
    let term_words = words(term).len();
    let meaning = trim_end_punctuation(meaning.trim());
    ((1..=4).contains(&term_words) && words(meaning).len() >= 3).then(|| Definition {
        term: term.trim().to_string(),
        meaning: meaning.to_string(),
        span: sentence.span,
    })
}

/// Verbs that start an instruction ("Run the tests", "Open the console").
static IMPERATIVE_VERBS: WordSet = phf::phf_set! {
    "add", "apply", "ask", "assign", "attach", "back", "build", "call", "change", "check", "choose", "clear",
    "click", "close", "collect", "commit", "compare", "configure", "confirm", "connect", "contact", "copy",
    "create", "delete", "deploy", "disable", "document", "download", "drain", "edit", "enable", "ensure", "enter",
    "escalate", "export", "fill", "find", "follow", "generate", "give", "go", "import", "inspect", "install",
    "keep", "kill", "label", "launch", "list", "load", "locate", "log", "look", "make", "mark", "measure", "merge",
    "monitor", "mount", "move", "navigate", "note", "notify", "open", "page", "paste", "pick", "post", "press",
    "pull", "push", "put", "read", "reboot", "record", "reduce", "register", "reload", "remove", "rename",
    "replace", "report", "request", "reset", "restart", "restore", "resume", "retry", "revert", "review", "roll",
    "rotate", "run", "save", "scale", "schedule", "select", "send", "set", "share", "sign", "start", "stop",
    "submit", "switch", "take", "tell", "test", "type", "uninstall", "unmount", "update", "upgrade", "upload",
    "use", "validate", "verify", "wait", "watch", "write",
};

fn is_imperative(text: &str) -> bool {
    words(text).first().is_some_and(|w| lowercase_in(&IMPERATIVE_VERBS, w.text))
}

fn procedures(chunk: &Chunk) -> Vec<Procedure> {
    let mut out = Vec::new();
    let blocks = &chunk.blocks;
    let mut index = 0;
    while index < blocks.len() {
        if blocks[index].kind != BlockKind::ListItem {
            index += 1;
            continue;
        }
        let level = blocks[index].level;
        let ordered = blocks[index].ordinal.is_some();
        let mut end = index;
        while end < blocks.len()
            && blocks[end].kind == BlockKind::ListItem
            && blocks[end].level >= level
            && (blocks[end].level > level || blocks[end].ordinal.is_some() == ordered)
        {
            end += 1;
        }
        let items: Vec<Step> = blocks[index..end]
            .iter()
            .filter(|block| block.level == level)
            .filter_map(|block| {
                let text = chunk.text_at(block.span)?;
                Some(Step { text: text.to_string(), span: block.span })
            })
            .collect();
        let imperative = items.iter().filter(|step| is_imperative(&step.text)).count();
        // A numbered list of questions is a table of contents, not a procedure.
        let questions = items.iter().filter(|step| step.text.trim_end().ends_with('?')).count();
        let introduction = index
            .checked_sub(1)
            .map(|before| &blocks[before])
            .filter(|block| block.kind == BlockKind::Paragraph)
            .and_then(|block| chunk.text_at(block.span))
            .and_then(|text| sentences(text).last().map(|(_, s)| s.to_string()))
            .filter(|sentence| sentence.ends_with(':'))
            .map(|sentence| trim_end_punctuation(&sentence).to_string());
        let mostly_imperative = imperative * 2 > items.len();
        // A numbered list is a procedure when a sentence ending in ":" introduces
        // it or its items are instructions; a bullet list only in the second case.
        let introduces_steps = introduction.as_deref().is_some_and(|intro| {
            let lower = intro.to_lowercase();
            lower.starts_with("to ") || lower.contains("step") || lower.contains("follow")
        });
        let is_procedure = items.len() >= 2
            && questions * 2 < items.len()
            && (mostly_imperative || (ordered && (introduces_steps || imperative > 0)));
        if is_procedure {
            let goal =
                introduction.or_else(|| chunk.section_path.last().cloned()).unwrap_or_else(|| "this task".to_string());
            out.push(Procedure { goal, steps: items });
        }
        index = end.max(index + 1);
    }
    out
}

/// Words that make a sentence a checkable rule.
static OBLIGATION_WORDS: WordSet = phf::phf_set! {
    "always", "cannot", "default", "guarantees", "must", "never", "only", "required", "requires", "should",
};

fn is_claim(sentence: &Sentence<'_>) -> bool {
    let count = sentence.words.len();
    !sentence.text.ends_with('?')
        && !sentence.text.ends_with(':')
        && (6..=60).contains(&count)
        && sentence
            .words
            .iter()
            .any(|w| w.text.chars().any(|c| c.is_ascii_digit()) || lowercase_in(&OBLIGATION_WORDS, w.text))
}

/// Markers in priority order, with what they signal.
const MARKERS: &[(&str, ReasoningKind)] = &[
    ("because", ReasoningKind::Cause),
    ("due to", ReasoningKind::Cause),
    ("since", ReasoningKind::Cause),
    ("so that", ReasoningKind::Consequence),
    ("therefore", ReasoningKind::Consequence),
    ("as a result", ReasoningKind::Consequence),
    ("consequently", ReasoningKind::Consequence),
    ("which means", ReasoningKind::Consequence),
    ("thus", ReasoningKind::Consequence),
    ("unless", ReasoningKind::Condition),
    ("if and only if", ReasoningKind::Condition),
    ("only if", ReasoningKind::Condition),
    ("if", ReasoningKind::Condition),
    ("however", ReasoningKind::Contrast),
    ("although", ReasoningKind::Contrast),
    ("whereas", ReasoningKind::Contrast),
    (", but", ReasoningKind::Contrast),
];

/// True when every "(" in `text` is closed, so a split did not cut a parenthesis.
fn balanced(text: &str) -> bool {
    let mut depth: i32 = 0;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// Finds `marker` as whole words in `lower`, returning its byte offset.
fn find_marker(lower: &str, marker: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = lower[from..].find(marker) {
        let at = from + found;
        let before_ok = at == 0 || !lower[..at].chars().next_back().is_some_and(char::is_alphanumeric);
        let after = at + marker.len();
        let after_ok = !lower[after..].chars().next().is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            return Some(at);
        }
        from = after;
    }
    None
}

fn reasoning(sentence: &Sentence<'_>) -> Option<Reasoning> {
    let text = sentence.text;
    if text.ends_with('?') || sentence.words.len() < 6 {
        return None;
    }
    let lower = text.to_lowercase();
    let clean = |part: &str| trim_end_punctuation(part.trim().trim_start_matches([',', ';', ' '])).to_string();
    for (marker, kind) in MARKERS {
        let Some(at) = find_marker(&lower, marker) else { continue };
        if !balanced(&text[..at]) {
            continue;
        }
        let after_marker = &text[at + marker.len()..];
        let (premise, explanation) = if at == 0 {
            // "Because X, Y." / "If X, Y.": the clause up to the comma is the explanation.
            let (clause, main) = after_marker.split_once(',')?;
            let main = main.trim_start();
            let main = main.strip_prefix("then ").unwrap_or(main);
            (clean(main), clean(clause))
        } else {
            (clean(&text[..at]), clean(after_marker))
        };
        if words(&premise).len() >= 2 && words(&explanation).len() >= 3 && balanced(&premise) && balanced(&explanation)
        {
            return Some(Reasoning {
                marker: text[at..at + marker.len()].trim_start_matches([',', ' ']).to_string(),
                kind: *kind,
                span: sentence.span,
                premise,
                explanation,
            });
        }
    }
    None
}

/// A question block (heading or paragraph ending in "?") followed by the
/// prose and list blocks up to the next heading or question.
fn faq_entries(chunk: &Chunk) -> Vec<FaqEntry> {
    // A question ends in "?", or carries an FAQ label ("(3) …", "Q: …") even
    // when it is phrased as a statement.
    let is_question = |kind: BlockKind, text: &str| {
        matches!(kind, BlockKind::Heading | BlockKind::Paragraph)
            && (text.trim_end().ends_with('?') || has_faq_label(text))
            && words(text).len() <= 30
    };
    let mut out = Vec::new();
    let blocks = &chunk.blocks;
    for (index, block) in blocks.iter().enumerate() {
        let Some(question) = chunk.text_at(block.span) else { continue };
        if !is_question(block.kind, question) {
            continue;
        }
        let answer_blocks: Vec<Span> = blocks[index + 1..]
            .iter()
            .take_while(|next| {
                next.kind != BlockKind::Heading
                    && !chunk.text_at(next.span).is_some_and(|text| is_question(next.kind, text))
            })
            .take(3)
            .map(|next| next.span)
            .collect();
        let (Some(first), Some(last)) = (answer_blocks.first(), answer_blocks.last()) else { continue };
        let answer_span = Span { start: first.start, end: last.end };
        let Some(answer) = chunk.text_at(answer_span) else { continue };
        let question = strip_question_label(question).to_string();
        out.push(FaqEntry { question, answer: answer.to_string(), answer_span });
    }
    out
}

/// True for text that starts with an FAQ label: "Q:", "Q." or "(3)".
fn has_faq_label(text: &str) -> bool {
    let text = text.trim_start();
    if text.starts_with("Q:") || text.starts_with("Q. ") {
        return true;
    }
    text.strip_prefix('(').is_some_and(|rest| {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(") ")
    })
}

/// The question without a leading label such as "Q:", "Q.", "(3)" or "3.".
fn strip_question_label(question: &str) -> &str {
    let question = question.trim();
    let question = question.strip_prefix("Q:").or_else(|| question.strip_prefix("Q.")).unwrap_or(question).trim_start();
    let digits = |text: &str| text.chars().take_while(char::is_ascii_digit).count();
    if let Some(rest) = question.strip_prefix('(') {
        let n = digits(rest);
        if n > 0 && rest[n..].starts_with(')') {
            return rest[n + 1..].trim_start();
        }
    }
    let n = digits(question);
    if n > 0 && question[n..].starts_with(". ") {
        return question[n + 2..].trim_start();
    }
    question
}

fn entities(prose: &[Sentence<'_>]) -> Vec<String> {
    let mut counts: Vec<(String, u32)> = Vec::new();
    for sentence in prose {
        let mut run: Vec<&str> = Vec::new();
        let mut flush = |run: &mut Vec<&str>| {
            if !run.is_empty() {
                let name = run.join(" ");
                match counts.iter_mut().find(|(existing, _)| *existing == name) {
                    Some((_, count)) => *count += 1,
                    None => counts.push((name, 1)),
                }
                run.clear();
            }
        };
        for (position, word) in sentence.words.iter().enumerate() {
            let capitalised = word.text.chars().next().is_some_and(char::is_uppercase);
            let acronym =
                word.text.len() >= 2 && word.text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if position > 0 && (capitalised || acronym) && !is_stopword(word.text) {
                run.push(word.text);
            } else {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }
    counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    counts.into_iter().take(10).map(|(name, _)| name).collect()
}

/// Units that follow a number as a separate word.
static UNITS: WordSet = phf::phf_set! {
    "%", "bytes", "cores", "day", "days", "gb", "gib", "hour", "hours", "items", "kb", "kib", "mb", "mib", "minute",
    "minutes", "months", "ms", "nodes", "pages", "percent", "replicas", "requests", "s", "second", "seconds",
    "steps", "tb", "times", "tokens", "users", "weeks", "years",
};

fn numbers(prose: &[Sentence<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for sentence in prose {
        let sentence_words = &sentence.words;
        for (index, word) in sentence_words.iter().enumerate() {
            if !word.text.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                continue;
            }
            let mut number = word.text.to_string();
            let after = &sentence.text[word.offset + word.text.len()..];
            if after.starts_with('%') {
                number.push('%');
            } else if let Some(next) = sentence_words.get(index + 1) {
                let gap = &sentence.text[word.offset + word.text.len()..next.offset];
                if gap == " " && lowercase_in(&UNITS, next.text) {
                    number.push(' ');
                    number.push_str(next.text);
                }
            }
            if !out.contains(&number) && out.len() < 20 {
                out.push(number);
            }
        }
    }
    out
}

fn content_type(
    chunk: &Chunk,
    definitions: &[Definition],
    procedures: &[Procedure],
    faq: &[FaqEntry],
    claims: &[Claim],
    prose: &[Sentence<'_>],
) -> ContentType {
    let total: usize = chunk.blocks.iter().map(|b| b.span.len()).sum::<usize>().max(1);
    let share = |kind: BlockKind| {
        chunk.blocks.iter().filter(|b| b.kind == kind).map(|b| b.span.len()).sum::<usize>() as f64 / total as f64
    };
    let steps: usize = procedures.iter().map(|p| p.steps.len()).sum();
    let past_tense =
        prose.iter().filter(|s| s.words.iter().any(|w| matches!(w.text, "was" | "were" | "had" | "did"))).count();
    if !faq.is_empty() {
        ContentType::Faq
    } else if share(BlockKind::Code) >= 0.4 {
        ContentType::Code
    } else if share(BlockKind::TableRow) >= 0.4 {
        ContentType::Tabular
    } else if steps >= 3 {
        ContentType::Procedural
    } else if !definitions.is_empty() {
        ContentType::Conceptual
    } else if past_tense * 3 >= prose.len().max(1) && !prose.is_empty() {
        ContentType::Narrative
    } else if claims.len() >= 2 {
        ContentType::Reference
    } else {
        ContentType::Conceptual
    }
}

/// Flesch–Kincaid grade of the prose: `0.39 · words/sentences + 11.8 ·
/// syllables/words − 15.59`. Below 8 is easy, below 12 medium, the rest hard;
/// a chunk where more than half the sentences carry reasoning moves up a band.
fn difficulty(prose: &[Sentence<'_>], reasoning: usize) -> Difficulty {
    let sentence_count = prose.len();
    let word_count: usize = prose.iter().map(|s| s.words.len()).sum();
    if sentence_count == 0 || word_count == 0 {
        return Difficulty::Medium;
    }
    let syllable_count: usize = prose.iter().flat_map(|s| &s.words).map(|w| syllables(w.text)).sum();
    let grade =
        0.39 * (word_count as f64 / sentence_count as f64) + 11.8 * (syllable_count as f64 / word_count as f64) - 15.59;
    let band = if grade < 8.0 {
        0
    } else if grade < 12.0 {
        1
    } else {
        2
    };
    let band = if reasoning * 2 > sentence_count { (band + 1).min(2) } else { band };
    [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard][band]
}

#[cfg(test)]
mod tests;
