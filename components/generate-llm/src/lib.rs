//! The generate stage with a language model: the chunk and its analysis go
//! to an OpenAI-compatible chat-completions endpoint with a versioned prompt
//! (`prompts/`), and the examples that come back become pairs whose evidence
//! is the model's quotes *located in the chunk*: a quote the chunk does not
//! contain cites nothing, so such a pair reaches validate-export without
//! evidence and is dropped there (`missing-evidence`), and every answer
//! meets the same fidelity check as the offline generator's.
//!
//! The component holds no secret and opens no connection of its own: it
//! sends through `wasi:http/outgoing-handler`, and the host allows only the
//! configured endpoint and adds the API key. Plain Rust here; `component.rs`
//! is the binding layer and the wasi:http transport.

mod cite;
mod client;
mod prompt;
mod reply;

#[cfg(target_arch = "wasm32")]
mod component;

use std::time::Duration;

use brightrun_types::{Analysis, Chunk, Evidence, GenerateConfig, LlmConfig, Pair, Result, Role, StageError, Turn};
use xxhash_rust::xxh3::xxh3_64_with_seed;

pub use client::{BACKOFF_BASE, BACKOFF_CAP, HttpReply, Transport, TransportError};
pub use prompt::PROMPT_VERSION;

/// Generates pairs from `chunk` by asking the model `config.llm` names.
///
/// `Err` is `InvalidConfig` without an LLM backend, with
/// `max_pairs_per_chunk` 0, a base URL that is not `http(s)://`, or the
/// analysis of another chunk; `ServiceFailed` when the endpoint kept failing
/// or answering with something unusable past the retries.
pub fn generate(
    chunk: &Chunk,
    analysis: &Analysis,
    config: &GenerateConfig,
    transport: &mut dyn Transport,
) -> Result<Vec<Pair>> {
    let invalid = |detail: String| StageError::InvalidConfig { document: chunk.document.clone(), detail };
    let Some(llm) = &config.llm else {
        return Err(invalid("this is the LLM generator and no LLM endpoint is configured".to_string()));
    };
    if config.max_pairs_per_chunk == 0 || analysis.chunk_index != chunk.index {
        return Err(invalid(format!(
            "max-pairs-per-chunk {} for chunk {} with the analysis of chunk {}",
            config.max_pairs_per_chunk, chunk.index, analysis.chunk_index
        )));
    }
    if !(llm.base_url.starts_with("http://") || llm.base_url.starts_with("https://")) || llm.model.trim().is_empty() {
        return Err(invalid(format!(
            "the LLM endpoint needs an http(s):// base URL and a model (got {:?} and {:?})",
            llm.base_url, llm.model
        )));
    }
    let url = chat_completions_url(llm);
    let request = request_body(chunk, analysis, config, llm);
    let exchange = client::complete(
        transport,
        &url,
        &request,
        Duration::from_millis(u64::from(llm.timeout_ms.max(1))),
        llm.max_retries,
    );
    let drafts = exchange.outcome.map_err(|why| StageError::ServiceFailed {
        document: chunk.document.clone(),
        detail: format!("chunk {}: {} at {url}: {why}", chunk.index, llm.model),
    })?;
    Ok(drafts
        .iter()
        .filter(|draft| config.tasks.is_empty() || config.tasks.contains(&draft.task))
        .take(config.max_pairs_per_chunk as usize)
        .map(|draft| to_pair(chunk, analysis, draft))
        .collect())
}

/// `<base-url>/chat/completions`.
pub fn chat_completions_url(llm: &LlmConfig) -> String {
    format!("{}/chat/completions", llm.base_url.trim_end_matches('/'))
}

fn request_body(chunk: &Chunk, analysis: &Analysis, config: &GenerateConfig, llm: &LlmConfig) -> Vec<u8> {
    let (system, user) = prompt::messages(chunk, analysis, config.max_pairs_per_chunk, &config.tasks);
    let body = serde_json::json!({
        "model": llm.model,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ],
        "temperature": llm.temperature,
        "max_tokens": llm.max_tokens,
        "seed": config.seed,
        "user": format!("brightrun-prompt-{PROMPT_VERSION}"),
    });
    body.to_string().into_bytes()
}

/// The draft as a pair. Each assistant turn cites the quotes of it found in
/// the chunk; trailing exchanges of a conversation that cite nothing are cut
/// (the conversation up to them still stands), and a first exchange that
/// cites nothing leaves the pair without evidence for validate to drop.
fn to_pair(chunk: &Chunk, analysis: &Analysis, draft: &reply::DraftPair) -> Pair {
    let mut cited: Vec<Vec<Evidence>> = Vec::new();
    for (index, exchange) in draft.exchanges.iter().enumerate() {
        let turn = (index * 2 + 1) as u32;
        let mut evidence: Vec<Evidence> = Vec::new();
        for quote in &exchange.quotes {
            let Some(span) = cite::locate(chunk, quote) else { continue };
            if evidence.iter().any(|e| e.span == span) {
                continue;
            }
            let text = chunk.text_at(span).unwrap_or_default().to_string();
            evidence.push(Evidence { turn, document: chunk.document.clone(), span, text });
        }
        cited.push(evidence);
    }
    let kept = match cited.iter().rposition(|evidence| !evidence.is_empty()) {
        Some(last) => last + 1,
        None => 1,
    };
    let mut turns = Vec::new();
    for exchange in &draft.exchanges[..kept] {
        turns.push(Turn { role: Role::User, content: exchange.question.clone() });
        turns.push(Turn { role: Role::Assistant, content: exchange.answer.clone() });
    }
    let task = if kept == 1 && draft.task == brightrun_types::TaskType::MultiTurn {
        brightrun_types::TaskType::FactualQa
    } else {
        draft.task
    };
    let evidence: Vec<Evidence> = cited.into_iter().take(kept).flatten().collect();
    let mut id_input = format!("{}\u{1f}{}\u{1f}llm", chunk.document, task.as_str());
    for turn in &turns {
        id_input.push('\u{1f}');
        id_input.push_str(&turn.content);
    }
    Pair {
        id: format!("{:016x}", xxh3_64_with_seed(id_input.as_bytes(), 0)),
        task,
        turns,
        evidence,
        difficulty: analysis.difficulty,
        content_type: analysis.content_type,
        chunk_index: chunk.index,
    }
}

#[cfg(test)]
mod tests;
