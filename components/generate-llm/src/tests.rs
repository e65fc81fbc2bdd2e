use std::collections::VecDeque;

use super::*;
use brightrun_types::{Block, BlockKind, Span, TaskType};

const TEXT: &str = "Backups run nightly at 02:00 and are kept for 30 days.\n\nA snapshot is a read-only copy of a volume taken at one moment.\n\nRestores are slow because every block must be checked against its checksum.";

fn chunk() -> Chunk {
    const BASE: usize = 200;
    let mut blocks = Vec::new();
    let mut at = 0;
    for paragraph in TEXT.split("\n\n") {
        let start = TEXT[at..].find(paragraph).map_or(at, |i| at + i);
        blocks.push(Block {
            kind: BlockKind::Paragraph,
            level: 0,
            ordinal: None,
            span: Span::new(BASE + start, BASE + start + paragraph.len()),
            language: None,
            page: None,
        });
        at = start + paragraph.len();
    }
    Chunk {
        document: "ops/backups.md".into(),
        index: 2,
        section_path: vec!["Backups".into()],
        subject: None,
        span: Span::new(BASE, BASE + TEXT.len()),
        body_start: BASE as u32,
        text: TEXT.into(),
        token_count: 40,
        blocks,
    }
}

fn config() -> GenerateConfig {
    GenerateConfig {
        seed: 3,
        max_pairs_per_chunk: 8,
        tasks: Vec::new(),
        llm: Some(LlmConfig {
            base_url: "http://127.0.0.1:9/v1/".into(),
            model: "tiny-model".into(),
            temperature: 0.2,
            max_tokens: 1024,
            timeout_ms: 5000,
            max_retries: 2,
        }),
    }
}

/// Replies in order; records what was sent and every wait.
#[derive(Default)]
struct Script {
    replies: VecDeque<std::result::Result<HttpReply, TransportError>>,
    sent: Vec<(String, serde_json::Value)>,
    slept: Vec<Duration>,
}

impl Script {
    fn new(replies: Vec<std::result::Result<HttpReply, TransportError>>) -> Self {
        Script { replies: replies.into(), ..Default::default() }
    }
}

impl Transport for Script {
    fn post(&mut self, url: &str, body: &[u8], _timeout: Duration) -> std::result::Result<HttpReply, TransportError> {
        self.sent.push((url.to_string(), serde_json::from_slice(body).expect("the request is JSON")));
        self.replies.pop_front().unwrap_or(Err(TransportError::Failed("script ran out".into())))
    }

    fn sleep(&mut self, duration: Duration) {
        self.slept.push(duration);
    }
}

fn completion(content: &str) -> std::result::Result<HttpReply, TransportError> {
    let body = serde_json::json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "tiny-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    });
    Ok(HttpReply { status: 200, retry_after: None, body: body.to_string().into_bytes() })
}

fn status(code: u16, retry_after: Option<u64>) -> std::result::Result<HttpReply, TransportError> {
    Ok(HttpReply { status: code, retry_after, body: br#"{"error":{"message":"slow down"}}"#.to_vec() })
}

const GOOD: &str = r#"{"pairs": [
  {"task": "factual-qa", "question": "When do backups run?", "answer": "Nightly at 02:00, and they are kept for 30 days.", "evidence": ["Backups run nightly at 02:00 and are kept for 30 days."]},
  {"task": "multi-turn", "turns": [
    {"question": "What is a snapshot?", "answer": "A read-only copy of a volume taken at one moment.", "evidence": ["a snapshot is a read-only copy of a volume\ntaken at one moment"]},
    {"question": "Why are restores slow?", "answer": "Every block must be checked against its checksum.", "evidence": ["Restores are slow because every block must be checked against its checksum."]},
    {"question": "Who runs them?", "answer": "The on-call engineer.", "evidence": ["The on-call engineer runs every restore."]}
  ]},
  {"task": "definition-qa", "question": "What is a volume?", "answer": "A disk.", "evidence": ["A volume is a disk attached to one server."]}
]}"#;

#[test]
fn pairs_cite_the_quotes_found_in_the_chunk() {
    let c = chunk();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let mut script = Script::new(vec![completion(GOOD)]);
    let pairs = generate(&c, &analysis, &config(), &mut script).expect("generates");
    assert_eq!(pairs.len(), 3);

    let (url, request) = &script.sent[0];
    assert_eq!(url, "http://127.0.0.1:9/v1/chat/completions");
    assert_eq!(request["model"], "tiny-model");
    assert_eq!(request["messages"][0]["role"], "system");
    assert!(request["messages"][1]["content"].as_str().is_some_and(|user| user.contains(TEXT)));

    let factual = &pairs[0];
    assert_eq!(factual.task, TaskType::FactualQa);
    assert_eq!(factual.evidence.len(), 1);
    assert_eq!(factual.evidence[0].turn, 1);
    assert_eq!(c.text_at(factual.evidence[0].span), Some(factual.evidence[0].text.as_str()));

    // The third exchange's quote is invented: the conversation stops before it.
    let conversation = &pairs[1];
    assert_eq!(conversation.task, TaskType::MultiTurn);
    assert_eq!(conversation.turns.len(), 4);
    let turns: Vec<u32> = conversation.evidence.iter().map(|e| e.turn).collect();
    assert_eq!(turns, [1, 3]);
    assert_eq!(conversation.evidence[0].text, "A snapshot is a read-only copy of a volume taken at one moment");

    // Nothing it quotes is in the chunk: no evidence, for validate to drop.
    assert!(pairs[2].evidence.is_empty());
    assert_eq!(pairs.iter().map(|p| p.id.as_str()).collect::<std::collections::BTreeSet<_>>().len(), 3);
}

#[test]
fn rate_limits_server_errors_timeouts_and_bad_json_are_retried_with_backoff() {
    let c = chunk();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let mut config = config();
    if let Some(llm) = config.llm.as_mut() {
        llm.max_retries = 4;
    }
    let mut script = Script::new(vec![
        status(429, Some(3)),
        status(503, None),
        Err(TransportError::Timeout),
        completion("Sure! {\"pairs\": [ {\"task\": "),
        completion(GOOD),
    ]);
    let pairs = generate(&c, &analysis, &config, &mut script).expect("generates after retries");
    assert_eq!(pairs.len(), 3);
    assert_eq!(script.sent.len(), 5);
    let waits: Vec<u64> = script.slept.iter().map(|d| d.as_millis() as u64).collect();
    assert_eq!(waits, [3000, 1000, 2000, 4000], "Retry-After first, then doubling backoff");
}

#[test]
fn giving_up_names_the_chunk_the_endpoint_and_the_last_problem() {
    let c = chunk();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let mut script = Script::new(vec![completion("not json"), completion("still not"), completion("{}")]);
    let error = generate(&c, &analysis, &config(), &mut script).expect_err("gives up");
    assert_eq!(script.sent.len(), 3, "the first attempt and two retries");
    let StageError::ServiceFailed { document, detail } = &error else { unreachable!("{error:?}") };
    assert_eq!(document, "ops/backups.md");
    assert!(
        detail.starts_with("chunk 2: tiny-model at http://127.0.0.1:9/v1/chat/completions: gave up after 3 attempts"),
        "{detail}"
    );
    assert!(detail.contains("no JSON object with a \"pairs\" list"), "{detail}");
}

#[test]
fn a_refused_key_or_a_denied_host_is_not_retried() {
    let c = chunk();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let mut script = Script::new(vec![status(401, None), completion(GOOD)]);
    let error = generate(&c, &analysis, &config(), &mut script).expect_err("401");
    assert_eq!(script.sent.len(), 1);
    assert!(error.to_string().contains("HTTP 401 (check the API key"), "{error}");

    let mut script = Script::new(vec![Err(TransportError::Denied("refused".into())), completion(GOOD)]);
    let error = generate(&c, &analysis, &config(), &mut script).expect_err("denied");
    assert_eq!((script.sent.len(), error.kind()), (1, "service-failed"));
}

#[test]
fn settings_are_checked_before_anything_is_sent() {
    let c = chunk();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let mut script = Script::new(Vec::new());
    let offline = GenerateConfig { llm: None, ..config() };
    assert_eq!(generate(&c, &analysis, &offline, &mut script).map_err(|e| e.kind()), Err("invalid-config"));
    let mut bad_url = config();
    if let Some(llm) = bad_url.llm.as_mut() {
        llm.base_url = "ftp://models".into();
    }
    assert_eq!(generate(&c, &analysis, &bad_url, &mut script).map_err(|e| e.kind()), Err("invalid-config"));
    let zero = GenerateConfig { max_pairs_per_chunk: 0, ..config() };
    assert_eq!(generate(&c, &analysis, &zero, &mut script).map_err(|e| e.kind()), Err("invalid-config"));
    assert!(script.sent.is_empty());
}

#[test]
fn task_filter_and_the_pair_cap_apply_to_what_the_model_wrote() {
    let c = chunk();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let only_factual = GenerateConfig { tasks: vec![TaskType::FactualQa], ..config() };
    let mut script = Script::new(vec![completion(GOOD)]);
    let pairs = generate(&c, &analysis, &only_factual, &mut script).expect("generates");
    assert_eq!(pairs.iter().map(|p| p.task).collect::<Vec<_>>(), [TaskType::FactualQa]);
    let one = GenerateConfig { max_pairs_per_chunk: 1, ..config() };
    let mut script = Script::new(vec![completion(GOOD)]);
    assert_eq!(generate(&c, &analysis, &one, &mut script).expect("generates").len(), 1);
}
