//! Reading a chat-completions response: the envelope OpenAI-compatible
//! servers return, and the JSON the prompt asks the model to write inside it.
//! Models wrap JSON in code fences or add a sentence around it; the first
//! balanced object that parses is taken. Anything else is a [`ReplyProblem`],
//! which the client treats as a failed attempt.

use brightrun_types::TaskType;
use serde::Deserialize;

/// Why a reply could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyProblem(pub String);

/// One example as the model wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftPair {
    /// The task type it claims.
    pub task: TaskType,
    /// Question, answer and quotes per exchange.
    pub exchanges: Vec<DraftExchange>,
}

/// One question and its answer, with the quotes the answer rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftExchange {
    /// The user's turn.
    pub question: String,
    /// The assistant's turn.
    pub answer: String,
    /// Exact quotes from the source, as the model gave them.
    pub quotes: Vec<String>,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Examples {
    pairs: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawExchange {
    question: String,
    answer: String,
    #[serde(default)]
    evidence: Vec<String>,
}

/// The assistant message's text from a chat-completions response body.
pub fn message_content(body: &[u8]) -> Result<String, ReplyProblem> {
    let completion: Completion = serde_json::from_slice(body)
        .map_err(|error| ReplyProblem(format!("the response is not a chat completion ({error}): {}", excerpt(body))))?;
    let choice =
        completion.choices.into_iter().next().ok_or_else(|| ReplyProblem("the response has no choices".into()))?;
    let content = choice.message.content.unwrap_or_default();
    if content.trim().is_empty() {
        let reason = choice.finish_reason.unwrap_or_else(|| "none given".into());
        return Err(ReplyProblem(format!("the model's message is empty (finish reason: {reason})")));
    }
    Ok(content)
}

/// The examples in the model's message. Items that do not have the asked-for
/// shape are skipped (one bad item does not cost the others); a message with
/// no JSON object holding a `pairs` list is a problem.
pub fn draft_pairs(content: &str) -> Result<Vec<DraftPair>, ReplyProblem> {
    let examples = json_objects(content)
        .find_map(|candidate| serde_json::from_str::<Examples>(candidate).ok())
        .ok_or_else(|| {
            ReplyProblem(format!(
                "no JSON object with a \"pairs\" list in the model's message: {}",
                excerpt(content.as_bytes())
            ))
        })?;
    Ok(examples.pairs.into_iter().filter_map(draft_pair).collect())
}

fn draft_pair(item: serde_json::Value) -> Option<DraftPair> {
    let task = item.get("task").and_then(|t| t.as_str()).and_then(task_type).unwrap_or(TaskType::FactualQa);
    let exchanges: Vec<RawExchange> = match item.get("turns") {
        Some(turns) => serde_json::from_value(turns.clone()).ok()?,
        None => vec![serde_json::from_value(item).ok()?],
    };
    let exchanges: Vec<DraftExchange> = exchanges
        .into_iter()
        .map(|e| DraftExchange {
            question: e.question.trim().to_string(),
            answer: e.answer.trim().to_string(),
            quotes: e.evidence,
        })
        .collect();
    if exchanges.is_empty() || exchanges.iter().any(|e| e.question.is_empty() || e.answer.is_empty()) {
        return None;
    }
    let task = match (task, exchanges.len()) {
        (TaskType::MultiTurn, 1) => TaskType::FactualQa,
        (_, 2..) => TaskType::MultiTurn,
        (task, _) => task,
    };
    Some(DraftPair { task, exchanges })
}

fn task_type(name: &str) -> Option<TaskType> {
    let name = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    TaskType::ALL.iter().copied().find(|task| task.as_str() == name)
}

/// Candidate JSON objects in `text`: each `{` that opens a balanced object
/// (strings and escapes respected), outermost first.
fn json_objects(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('{').filter_map(move |(start, _)| {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        for (at, c) in text[start..].char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '{' if !in_string => depth += 1,
                '}' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&text[start..start + at + 1]);
                    }
                }
                _ => {}
            }
        }
        None
    })
}

/// The start of `bytes` as text, for error messages.
pub fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut cut: String = text.chars().take(160).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pairs_from_fenced_or_surrounded_json() {
        let content = "Here you go:\n```json\n{\"pairs\": [{\"task\": \"definition_qa\", \"question\": \"What is a {snapshot}?\", \"answer\": \"A copy.\", \"evidence\": [\"A snapshot is a copy.\"]}, {\"task\": \"multi-turn\", \"turns\": [{\"question\": \"Q1\", \"answer\": \"A1\", \"evidence\": [\"e1\"]}, {\"question\": \"Q2\", \"answer\": \"A2\"}]}, {\"task\": \"factual-qa\", \"question\": \"\"}]}\n```";
        let pairs = draft_pairs(content).expect("parses");
        assert_eq!(pairs.len(), 2, "the item without a question is skipped");
        assert_eq!(pairs[0].task, TaskType::DefinitionQa);
        assert_eq!(pairs[0].exchanges[0].question, "What is a {snapshot}?");
        assert_eq!(pairs[1].task, TaskType::MultiTurn);
        assert_eq!(pairs[1].exchanges.len(), 2);
        assert!(pairs[1].exchanges[1].quotes.is_empty());
    }

    #[test]
    fn malformed_messages_and_envelopes_are_problems() {
        assert!(draft_pairs("{\"pairs\": [ {\"task\": ").is_err());
        assert!(draft_pairs("I cannot help with that.").is_err());
        assert!(message_content(b"<html>Bad gateway</html>").is_err());
        assert!(message_content(br#"{"choices": []}"#).is_err());
        let empty = message_content(br#"{"choices": [{"message": {"content": ""}, "finish_reason": "length"}]}"#);
        assert_eq!(empty, Err(ReplyProblem("the model's message is empty (finish reason: length)".into())));
        let ok = message_content(br#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#);
        assert_eq!(ok, Ok("hi".to_string()));
    }
}
