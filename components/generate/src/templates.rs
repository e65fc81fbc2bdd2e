//! Question templates. Each task has several phrasings; `pick` (from a hash of
//! the seed and the subject) chooses one, so questions over a dataset do not
//! all share one template.

use brightrun_types::TaskType;

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

pub(crate) fn faq(question: &str, pick: usize) -> String {
    match pick % template_count(TaskType::FaqAnswer) {
        0 | 1 => question.to_string(),
        2 => format!("Quick question: {}", lower_first(question)),
        _ => format!("I was wondering: {}", lower_first(question)),
    }
}
