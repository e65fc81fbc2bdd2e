//! The prompt: versioned template files under `prompts/`, filled from the
//! chunk and its analysis. Editing a template changes the component's bytes,
//! and with them its digest, so cached pairs from the old prompt are not reused.

use brightrun_types::{Analysis, Chunk, TaskType};

/// The template set in use; written into the request's `user` field with the model.
pub const PROMPT_VERSION: &str = "v1";

const SYSTEM: &str = include_str!("../prompts/v1/system.md");
const USER: &str = include_str!("../prompts/v1/user.md");

/// Most key terms listed in the prompt.
const MAX_CONCEPTS: usize = 12;

/// The system and user messages for `chunk`.
pub fn messages(chunk: &Chunk, analysis: &Analysis, max_pairs: u32, tasks: &[TaskType]) -> (String, String) {
    let tasks = if tasks.is_empty() { TaskType::ALL } else { tasks };
    let tasks: Vec<&str> = tasks.iter().map(TaskType::as_str).collect();
    let concepts: Vec<&str> = analysis.concepts.iter().take(MAX_CONCEPTS).map(|c| c.term.as_str()).collect();
    let section = if chunk.section_path.is_empty() { "(none)".to_string() } else { chunk.section_path.join(" > ") };
    let user = fill(
        USER,
        &[
            ("document", &chunk.document),
            ("section", &section),
            ("concepts", &if concepts.is_empty() { "(none)".to_string() } else { concepts.join(", ") }),
            ("text", &chunk.text),
            ("max_pairs", &max_pairs.to_string()),
            ("tasks", &tasks.join(", ")),
        ],
    );
    (SYSTEM.trim_end().to_string(), user.trim_end().to_string())
}

/// Replaces each `{{name}}` once, in one pass, so text that itself holds
/// `{{…}}` (a template language in the document, say) is left alone.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}").map(|close| (&after[..close], &after[close + 2..])) {
            Some((name, tail)) if values.iter().any(|(n, _)| *n == name) => {
                let value = values.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| *v);
                out.push_str(value);
                rest = tail;
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_each_placeholder_and_leaves_the_values_alone() {
        let filled = fill("a {{x}} b {{y}} {{unknown}}", &[("x", "{{y}}"), ("y", "2")]);
        assert_eq!(filled, "a {{y}} b 2 {{unknown}}");
    }

    #[test]
    fn every_placeholder_in_the_templates_is_filled() {
        let chunk = brightrun_types::Chunk {
            document: "guide.md".into(),
            index: 0,
            section_path: vec!["Backups".into()],
            subject: None,
            span: brightrun_types::Span::new(0, 5),
            body_start: 0,
            text: "Hello".into(),
            token_count: 1,
            blocks: Vec::new(),
        };
        let analysis = brightrun_analyze::analyze(&chunk).expect("analyses");
        let (system, user) = messages(&chunk, &analysis, 3, &[]);
        assert!(!system.contains("{{") && !user.contains("{{"), "{user}");
        assert!(user.contains("Section: Backups") && user.contains("at most 3") && user.contains("multi-turn"));
    }
}
