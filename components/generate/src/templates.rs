//! Question templates. Each task has several phrasings; `pick` (from a hash of
//! the seed and the subject) chooses one, so questions over a dataset do not
//! all share one template.

use brightrun_types::{ReasoningKind, TaskType};

/// How many phrasings a task has.
pub fn template_count(task: TaskType) -> usize {
    match task {
        TaskType::DefinitionQa => 7,
        TaskType::ProcedureInstruction => 5,
        TaskType::SectionSummary => 5,
        TaskType::ReasoningWhy => 4,
        TaskType::FaqAnswer => 4,
        TaskType::FactualQa => 5,
        TaskType::CompareContrast => 5,
        TaskType::CodeExplanation => 4,
        TaskType::TableLookup => 4,
        TaskType::MultiTurn => 4,
    }
}

/// Lower-cases the first letter unless the first word looks like a name or
/// acronym (a capital after its first letter, or all capitals).
pub(crate) fn lower_first(text: &str) -> String {
    // A Title Case Heading reads as a phrase once its capitals go (acronyms stay).
    let words: Vec<&str> = text.split_whitespace().collect();
    let title_case = words.len() >= 2
        && words.iter().filter(|w| w.chars().count() > 3).all(|w| w.chars().next().is_some_and(char::is_uppercase));
    if title_case {
        return words
            .iter()
            .map(|w| if w.chars().skip(1).any(char::is_uppercase) { w.to_string() } else { w.to_lowercase() })
            .collect::<Vec<_>>()
            .join(" ");
    }
    let first_word = text.split_whitespace().next().unwrap_or("");
    if first_word.chars().skip(1).any(char::is_uppercase) {
        return text.to_string();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A term as it reads mid-sentence: "Write transactions" → "write
/// transactions", while names ("Northwind Relay") and acronyms ("SQLite") stay.
fn term_in_sentence(term: &str) -> String {
    let words: Vec<&str> = term.split_whitespace().collect();
    let capitalised = |w: &&str| w.chars().next().is_some_and(char::is_uppercase);
    if words.len() > 1 && words.iter().all(capitalised) {
        return term.to_string();
    }
    let first = words.first().copied().unwrap_or("");
    if first.chars().skip(1).any(char::is_uppercase) {
        return term.to_string();
    }
    let mut chars = term.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn definition(term: &str, section: &str, plural: bool, pick: usize) -> String {
    let term = &term_in_sentence(term);
    let is = if plural { "are" } else { "is" };
    match pick % template_count(TaskType::DefinitionQa) {
        0 => format!("What {is} {term}?"),
        1 => format!("What does \"{term}\" mean?"),
        2 => format!("Define {term}."),
        3 => format!("Can you explain what {term} {}?", if plural { "refer to" } else { "refers to" }),
        4 => format!("In the context of {}, what is meant by {term}?", lower_first(section)),
        5 => format!("Give a short definition of {term}."),
        _ => format!("I keep seeing the term \"{term}\". What does it mean?"),
    }
}

pub(crate) fn procedure(goal: &str, pick: usize) -> String {
    let goal = goal.trim();
    // A goal that is itself an instruction ("If X, check Y") is quoted whole.
    if ["If ", "When ", "Before ", "After ", "Once "].iter().any(|p| goal.starts_with(p)) {
        return match pick % 2 {
            0 => format!("{goal}. What are the steps, in order?"),
            _ => format!("{goal}. How exactly do I do that?"),
        };
    }
    // "To rotate the key" reads naturally as "How do I rotate the key?".
    if let Some(rest) = goal.strip_prefix("To ").or_else(|| goal.strip_prefix("to ")) {
        let rest = rest.replace(" your ", " my ");
        return match pick % 3 {
            0 => format!("How do I {rest}?"),
            1 => format!("What steps do I follow to {rest}?"),
            _ => format!("Walk me through how to {rest}."),
        };
    }
    let goal = lower_first(goal);
    match pick % template_count(TaskType::ProcedureInstruction) {
        0 => format!("What are the steps for {goal}?"),
        1 => format!("Walk me through {goal}, step by step."),
        2 => format!("List the steps for {goal}, in order."),
        3 => format!("How should I go about {goal}?"),
        _ => format!("What is the procedure for {goal}?"),
    }
}

pub(crate) fn summary(section: &str, pick: usize) -> String {
    match pick % template_count(TaskType::SectionSummary) {
        0 => format!("Summarize the section \"{section}\"."),
        1 => format!("What are the key points of \"{section}\"?"),
        2 => format!("Give me a brief overview of {}.", lower_first(section)),
        3 => format!("In a few sentences, what does the part on {} say?", lower_first(section)),
        _ => format!("TL;DR: what should I take away from \"{section}\"?"),
    }
}

/// Templates for a summary of a chunk that continues its section (the
/// section's heading is in an earlier chunk): about the chunk's own focus,
/// so the chunks of one long section do not all ask the same question.
pub(crate) const CONTINUED_SUMMARY_TEMPLATES: usize = 4;

pub(crate) fn continued_summary(section: &str, focus: &str, pick: usize) -> String {
    match pick % CONTINUED_SUMMARY_TEMPLATES {
        0 => format!("What else does \"{section}\" say about {focus}?"),
        1 => format!("Summarize what \"{section}\" goes on to say about {focus}."),
        2 => format!("Further into {}, what are the key points about {focus}?", lower_first(section)),
        _ => format!("Give me the gist of the part of \"{section}\" on {focus}."),
    }
}

pub(crate) fn reasoning(kind: ReasoningKind, premise: &str, pick: usize) -> String {
    let statement = lower_first(premise);
    let quoted = upper_first(premise);
    match (kind, pick % template_count(TaskType::ReasoningWhy)) {
        (ReasoningKind::Cause, 0) => format!("Why is it that {statement}?"),
        (ReasoningKind::Cause, 1) => format!("What is the reason {statement}?"),
        (ReasoningKind::Cause, 2) => format!("Explain why {statement}."),
        (ReasoningKind::Cause, _) => format!("\"{quoted}\" — why is that?"),
        (ReasoningKind::Consequence, 0) => format!("What follows from the fact that {statement}?"),
        (ReasoningKind::Consequence, 1) => format!("{quoted}. What is the consequence?"),
        (ReasoningKind::Consequence, 2) => format!("What happens as a result when {statement}?"),
        (ReasoningKind::Consequence, _) => format!("What does it imply that {statement}?"),
        (ReasoningKind::Condition, 0) => format!("Under what condition does this hold: {statement}?"),
        (ReasoningKind::Condition, 1) => format!("When does the following apply: \"{quoted}\"?"),
        (ReasoningKind::Condition, 2) => format!("{quoted} — in which circumstances?"),
        (ReasoningKind::Condition, _) => format!("Is there a condition attached to this: {statement}?"),
        (ReasoningKind::Contrast, 0) => format!("Is there a caveat to the statement that {statement}?"),
        (ReasoningKind::Contrast, 1) => format!("{quoted}. What is the catch?"),
        (ReasoningKind::Contrast, 2) => format!("What qualifies the claim that {statement}?"),
        (ReasoningKind::Contrast, _) => format!("\"{quoted}\" — is that the whole story?"),
    }
}

pub(crate) fn faq(question: &str, pick: usize) -> String {
    match pick % template_count(TaskType::FaqAnswer) {
        0 | 1 => question.to_string(),
        2 => format!("Quick question: {}", lower_first(question)),
        _ => format!("I was wondering: {}", lower_first(question)),
    }
}

pub(crate) fn factual(concept: &str, section: &str, pick: usize) -> String {
    let concept = &term_in_sentence(concept);
    match pick % template_count(TaskType::FactualQa) {
        0 => format!("What does the section on {} say about {concept}?", lower_first(section)),
        1 => format!("What should I know about {concept}?"),
        2 => format!("What is the rule for {concept}?"),
        3 => format!("Tell me one fact about {concept} from \"{section}\"."),
        _ => format!("According to the documentation, what is true of {concept}?"),
    }
}

pub(crate) fn compare(first: &str, second: &str, pick: usize) -> String {
    let (first, second) = (&term_in_sentence(first), &term_in_sentence(second));
    match pick % template_count(TaskType::CompareContrast) {
        0 => format!("How does {first} differ from {second}?"),
        1 => format!("What is the difference between {first} and {second}?"),
        2 => format!("Compare {first} with {second}."),
        3 => format!("How do {first} and {second} compare?"),
        _ => format!("When I read about {first} and {second}, what sets them apart?"),
    }
}

/// The question quotes the code in a fenced block, with its language when known.
pub(crate) fn code(code: &str, language: Option<&str>, pick: usize) -> String {
    let fence = format!("```{}\n{code}\n```", language.unwrap_or(""));
    let named = language.map_or("this code".to_string(), |l| format!("this {l} code"));
    match pick % template_count(TaskType::CodeExplanation) {
        0 => format!("What does {named} do?\n\n{fence}"),
        1 => format!("Explain {named}:\n\n{fence}"),
        2 => format!("{fence}\n\nWhat is {named} for?"),
        _ => format!("Can you walk me through what {named} does?\n\n{fence}"),
    }
}

pub(crate) fn table(column: &str, row: &str, section: &str, pick: usize) -> String {
    let column = lower_first(column);
    match pick % template_count(TaskType::TableLookup) {
        0 => format!("What is the {column} for {row}?"),
        1 => format!("In the table on {}, what {column} is listed for {row}?", lower_first(section)),
        2 => format!("Look up {row}: what is its {column}?"),
        _ => format!("According to the table, what is the {column} of {row}?"),
    }
}

/// A question asked after an earlier exchange: the same question, or the
/// same with a conversational opening.
pub(crate) fn follow_up(question: &str, pick: usize) -> String {
    let opens_with_wh = ["What ", "Why ", "How ", "When ", "Which "].iter().any(|w| question.starts_with(w));
    match pick % template_count(TaskType::MultiTurn) {
        0 => question.to_string(),
        1 => format!("Thanks. {question}"),
        2 if opens_with_wh => format!("And {}", lower_first(question)),
        2 => format!("One more thing. {question}"),
        _ => format!("Follow-up: {}", lower_first(question)),
    }
}
