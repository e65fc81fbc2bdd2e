//! The files trainers load. Each format follows its loader's rules:
//! - Alpaca (`alpaca.json`): `instruction`/`input`/`output`, earlier turns of
//!   a multi-turn pair in `history` as `[user, assistant]` pairs and the
//!   system prompt in `system`, both on every row (empty where a pair has
//!   none), since LLaMA-Factory reads every column it is told of.
//! - ShareGPT (`sharegpt.json`): `conversations` of `{from, value}` with
//!   `human`/`gpt` alternating from the first turn and an even count, since
//!   LLaMA-Factory drops rows that break either rule.
//! - OpenAI messages (`openai.jsonl`): `messages` of `{role, content}`, exactly
//!   those two keys (Unsloth's `standardize_data_formats` asserts it; TRL's
//!   `is_conversational` needs `role`).
//! - Prompt/completion (`completion.jsonl`): TRL's standard non-chat form,
//!   single-turn pairs only (a conversation has no one prompt; it is in the
//!   chat formats).

use brightrun_types::{ExportConfig, ExportFile, Quality, Role};
use serde_json::{Value, json};

use brightrun_types::ValidatedPair;

fn role_name(role: Role) -> &'static str {
    role.as_str()
}

fn sharegpt_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "human",
        Role::Assistant => "gpt",
    }
}

fn json_lines(rows: impl Iterator<Item = Value>) -> String {
    let mut out = String::new();
    for row in rows {
        out.push_str(&row.to_string());
        out.push('\n');
    }
    out
}

/// Rows of a JSON array with one row per line (valid JSON that still diffs
/// well), written in parts: the first row overall opens the array, each
/// later one follows a comma, and [`closing`] ends it.
fn json_array_rows(rows: impl Iterator<Item = Value>, mut opened: bool) -> String {
    let mut out = String::new();
    for row in rows {
        out.push_str(if opened { ",\n" } else { "[\n" });
        opened = true;
        out.push_str(&row.to_string());
    }
    out
}

/// The files' parts for `pairs`; `opened` says whether an earlier part
/// already holds a row (and so opened the arrays).
pub(crate) fn rows(pairs: &[ValidatedPair], opened: bool) -> Vec<ExportFile> {
    let file = |name: &str, contents: String| ExportFile { name: name.to_string(), contents };
    vec![
        file("alpaca.json", json_array_rows(pairs.iter().map(alpaca), opened)),
        file("sharegpt.json", json_array_rows(pairs.iter().map(sharegpt), opened)),
        file("openai.jsonl", json_lines(pairs.iter().map(openai))),
        file("completion.jsonl", json_lines(pairs.iter().filter_map(completion))),
        file("pairs.jsonl", json_lines(pairs.iter().map(audit))),
    ]
}

/// The last parts: the arrays' ends (or empty arrays when no row was
/// written), `dataset_info.json` and the card.
pub(crate) fn closing(opened: bool, config: &ExportConfig, quality: &Quality) -> Vec<ExportFile> {
    let file = |name: &str, contents: String| ExportFile { name: name.to_string(), contents };
    let end = if opened { "\n]\n" } else { "[]\n" };
    vec![
        file("alpaca.json", end.to_string()),
        file("sharegpt.json", end.to_string()),
        file("openai.jsonl", String::new()),
        file("completion.jsonl", String::new()),
        file("pairs.jsonl", String::new()),
        file("dataset_info.json", dataset_info(&config.dataset_name)),
        file("README.md", crate::card::render(config, quality)),
    ]
}

fn alpaca(validated: &ValidatedPair) -> Value {
    let turns = &validated.pair.turns;
    let system = turns.iter().find(|t| t.role == Role::System).map(|t| t.content.as_str());
    let dialogue: Vec<&str> = turns.iter().filter(|t| t.role != Role::System).map(|t| t.content.as_str()).collect();
    let last = dialogue.len().saturating_sub(2);
    let history: Vec<Value> = dialogue[..last].chunks(2).map(|pair| json!([pair[0], pair.get(1)])).collect();
    // Every column `dataset_info.json` declares is on every row: LLaMA-Factory's
    // Alpaca converter reads `example["system"]` and `example["history"]`
    // whenever the columns are declared, and `datasets`' JSON loader gives
    // no column to rows that lack it.
    json!({
        "instruction": dialogue.get(last).copied().unwrap_or(""),
        "input": "",
        "output": dialogue.get(last + 1).copied().unwrap_or(""),
        "system": system.unwrap_or(""),
        "history": history,
    })
}

fn sharegpt(validated: &ValidatedPair) -> Value {
    let conversations: Vec<Value> =
        validated.pair.turns.iter().map(|t| json!({"from": sharegpt_name(t.role), "value": t.content})).collect();
    json!({ "conversations": conversations })
}

fn messages(validated: &ValidatedPair) -> Vec<Value> {
    validated.pair.turns.iter().map(|t| json!({"role": role_name(t.role), "content": t.content})).collect()
}

fn openai(validated: &ValidatedPair) -> Value {
    json!({ "messages": messages(validated) })
}

fn completion(validated: &ValidatedPair) -> Option<Value> {
    let exchanges = validated.pair.turns.iter().filter(|t| t.role == Role::Assistant).count();
    (exchanges == 1).then(|| json!({ "prompt": validated.pair.question(), "completion": validated.pair.answer() }))
}

fn audit(validated: &ValidatedPair) -> Value {
    let pair = &validated.pair;
    json!({
        "id": pair.id,
        "task": pair.task.as_str(),
        "difficulty": pair.difficulty.as_str(),
        "content_type": pair.content_type.as_str(),
        "messages": messages(validated),
        "evidence": pair.evidence.iter().map(|e| json!({
            "turn": e.turn, "source": e.document, "start": e.span.start, "end": e.span.end, "text": e.text,
        })).collect::<Vec<_>>(),
        "fidelity": (f64::from(validated.fidelity) * 1000.0).round() / 1000.0,
        "tokens": validated.tokens,
    })
}

/// LLaMA-Factory's `dataset_info.json`: one entry per format, so
/// `dataset: <name>_sharegpt` (or `_alpaca`, `_openai`) in a training config
/// loads the folder as is.
fn dataset_info(name: &str) -> String {
    let info = json!({
        format!("{name}_alpaca"): {
            "file_name": "alpaca.json",
            "columns": {"prompt": "instruction", "query": "input", "response": "output", "history": "history", "system": "system"}
        },
        format!("{name}_sharegpt"): {
            "file_name": "sharegpt.json",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations"},
            "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt", "system_tag": "system"}
        },
        format!("{name}_openai"): {
            "file_name": "openai.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant", "system_tag": "system"}
        }
    });
    let mut text = serde_json::to_string_pretty(&info).unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}
