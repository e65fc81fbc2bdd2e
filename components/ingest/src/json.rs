//! JSON and JSON Lines: one document per record.
//!
//! A record is an object with a text field (the first of
//! `IngestConfig::text_fields` that holds a string) and optionally a title.
//! Records are found in a top-level array, in an object's array fields
//! (`{"data": [...]}`, nested as deep as they go), or the value is one record
//! itself. The text of a record may be plain text, Markdown or HTML: it goes
//! through the same decoders as a file would.
//!
//! serde_json refuses nesting deeper than 128 levels, which keeps a hostile
//! file from exhausting the stack; that refusal is reported as
//! `limit-exceeded`.

use serde_json::Value;

use brightrun_types::{Document, IngestConfig, InputProblem, Result, SourceFormat, StageError};

use crate::{TextKind, decode_record_text};

/// Documents from one JSON value; records without text become warnings.
pub(crate) fn documents_from_value(
    name: &str,
    value: &Value,
    config: &IngestConfig,
    warnings: &mut Vec<InputProblem>,
) -> Result<Vec<Document>> {
    let mut records = Vec::new();
    collect_records(value, String::new(), config, &mut records);
    if records.is_empty() {
        return Err(StageError::NoContent {
            document: name.to_string(),
            detail: format!("no record with a text field ({})", config.text_fields.join(", ")),
        });
    }
    let mut documents = Vec::new();
    for (pointer, record) in records {
        let record_name = format!("{name}#{pointer}");
        match record_document(&record_name, SourceFormat::Json, record, config) {
            Ok(document) => documents.push(document),
            Err(problem) => warnings.push(problem),
        }
    }
    finish(name, documents, warnings)
}

/// Documents from JSON Lines: a line that does not parse, or holds no text,
/// is a warning and the other lines still count.
pub(crate) fn parse_json_lines(
    name: &str,
    text: &str,
    config: &IngestConfig,
    warnings: &mut Vec<InputProblem>,
) -> Result<Vec<Document>> {
    let mut documents = Vec::new();
    let mut parsed = 0usize;
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record_name = format!("{name}#L{}", index + 1);
        let value: Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(error) => {
                warnings.push(InputProblem { document: record_name, detail: json_error_detail(&error) });
                continue;
            }
        };
        parsed += 1;
        match record_document(&record_name, SourceFormat::JsonLines, &value, config) {
            Ok(document) => documents.push(document),
            Err(problem) => warnings.push(problem),
        }
    }
    if parsed == 0 {
        return Err(StageError::Corrupt {
            document: name.to_string(),
            detail: format!(
                "no line is valid JSON ({})",
                warnings.first().map_or("empty", |problem| problem.detail.as_str())
            ),
        });
    }
    finish(name, documents, warnings)
}

fn finish(name: &str, documents: Vec<Document>, warnings: &[InputProblem]) -> Result<Vec<Document>> {
    if documents.is_empty() {
        return Err(StageError::NoContent {
            document: name.to_string(),
            detail: format!(
                "no record holds text; first problem: {}",
                warnings.first().map_or("none", |problem| problem.detail.as_str())
            ),
        });
    }
    Ok(documents)
}

/// Records under `value`, with their JSON pointer: objects with a text field,
/// found through arrays and object fields.
fn collect_records<'a>(value: &'a Value, pointer: String, config: &IngestConfig, out: &mut Vec<(String, &'a Value)>) {
    // Iterative, so the walk's depth is not the stack's.
    let mut pending = vec![(pointer, value)];
    while let Some((pointer, value)) = pending.pop() {
        match value {
            Value::Array(items) => {
                // In an array of records, a sibling without text is a record
                // to warn about, not a container to search.
                let holds_records = items.iter().any(|item| text_field(item, config).is_some());
                let mut nested = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let item_pointer = format!("{pointer}/{index}");
                    if holds_records && item.is_object() {
                        out.push((item_pointer, item));
                    } else {
                        nested.push((item_pointer, item));
                    }
                }
                pending.extend(nested.into_iter().rev());
            }
            Value::Object(fields) => {
                if text_field(value, config).is_some() {
                    out.push((if pointer.is_empty() { "/".to_string() } else { pointer }, value));
                    continue;
                }
                let mut nested: Vec<(String, &Value)> = fields
                    .iter()
                    .filter(|(_, field)| matches!(field, Value::Array(_) | Value::Object(_)))
                    .map(|(key, field)| (format!("{pointer}/{}", escape_pointer(key)), field))
                    .collect();
                nested.reverse();
                pending.extend(nested);
            }
            _ => {}
        }
    }
}

fn text_field<'a>(record: &'a Value, config: &IngestConfig) -> Option<&'a str> {
    config.text_fields.iter().find_map(|field| record.get(field).and_then(Value::as_str))
}

fn record_document(
    name: &str,
    format: SourceFormat,
    record: &Value,
    config: &IngestConfig,
) -> Result<Document, InputProblem> {
    let problem = |detail: String| InputProblem { document: name.to_string(), detail };
    if !record.is_object() {
        return Err(problem("not an object".to_string()));
    }
    let Some(text) = text_field(record, config).filter(|text| !text.trim().is_empty()) else {
        return Err(problem(format!("no non-empty text field (tried {})", config.text_fields.join(", "))));
    };
    let title = config
        .title_fields
        .iter()
        .find_map(|field| record.get(field).and_then(Value::as_str))
        .map(str::trim)
        .filter(|title| !title.is_empty());
    decode_record_text(name, format, title, text, TextKind::sniff(text)).map_err(|error| problem(error.to_string()))
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Whether serde_json stopped at its nesting limit.
pub(crate) fn is_depth_error(error: &serde_json::Error) -> bool {
    error.to_string().contains("recursion limit")
}

/// A JSON parse failure as a stage error: too deep is a limit, the rest corrupt.
pub(crate) fn json_error(name: &str, error: &serde_json::Error) -> StageError {
    let detail = json_error_detail(error);
    if is_depth_error(error) {
        StageError::LimitExceeded { document: name.to_string(), detail }
    } else {
        StageError::Corrupt { document: name.to_string(), detail }
    }
}

fn json_error_detail(error: &serde_json::Error) -> String {
    if is_depth_error(error) {
        format!("JSON nested deeper than 128 levels (line {}, column {})", error.line(), error.column())
    } else {
        format!("invalid JSON: {error}")
    }
}
