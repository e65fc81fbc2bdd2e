//! The LLM backend end to end: `brightrun run --llm-url …` against a local
//! server that speaks the OpenAI chat-completions API and replays the
//! responses in `tests/fixtures/llm/replay.json`, bad ones included: a 429
//! with Retry-After, a request left hanging, a reply whose JSON is cut off,
//! and answers that contradict or invent their evidence. Each must be
//! handled: retried, timed out and retried, failed alone with a typed error,
//! or dropped by validate-export with its reason.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::support::{json, json_lines, run, stderr, workspace};

/// One request as the replay server saw it.
#[derive(Debug, Clone)]
struct Seen {
    rule: String,
    authorization: Option<String>,
    model: Option<String>,
}

#[derive(Default)]
struct Replay {
    rules: Vec<Value>,
    /// Added to every answer, so concurrent requests overlap.
    delay: Duration,
    /// Serve a hanging response's successor at once: a request the client
    /// gave up on still counts as in flight here, which would muddle counting.
    skip_hangs: bool,
    served: Mutex<BTreeMap<String, usize>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

/// A replay server on a free loopback port, serving until the test ends.
struct ReplayServer {
    addr: SocketAddr,
    replay: Arc<Replay>,
    _runtime: tokio::runtime::Runtime,
}

impl ReplayServer {
    fn start(delay: Duration, skip_hangs: bool) -> Self {
        let fixture = json(&workspace().join("tests/fixtures/llm/replay.json"));
        let rules = fixture["rules"].as_array().cloned().expect("replay.json has rules");
        let replay = Arc::new(Replay { rules, delay, skip_hangs, ..Default::default() });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let app = Router::new()
            .route("/v1/chat/completions", axum::routing::post(chat_completions))
            .with_state(Arc::clone(&replay));
        runtime.spawn(async move { axum::serve(listener, app).await });
        ReplayServer { addr, replay, _runtime: runtime }
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.replay.seen.lock().expect("not poisoned").clone()
    }

    fn requests_for(&self, rule: &str) -> usize {
        self.seen().iter().filter(|seen| seen.rule == rule).count()
    }

    fn most_in_flight(&self) -> usize {
        self.replay.most_in_flight.load(Ordering::SeqCst)
    }
}

/// Counts a request in flight while it lives.
struct InFlight(Arc<Replay>);

impl InFlight {
    fn enter(replay: &Arc<Replay>) -> Self {
        let now = replay.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        replay.most_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(replay))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn chat_completions(State(replay): State<Arc<Replay>>, headers: HeaderMap, body: String) -> Response {
    let _in_flight = InFlight::enter(&replay);
    // As llama.cpp's server and minimal servers do: a body must be sized.
    if headers.get("content-length").and_then(|v| v.to_str().ok()?.parse::<usize>().ok()) != Some(body.len()) {
        return (StatusCode::LENGTH_REQUIRED, "a request body needs Content-Length").into_response();
    }
    tokio::time::sleep(replay.delay).await;
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let Some(rule) = replay.rules.iter().find(|rule| rule["match"].as_str().is_some_and(|m| body.contains(m))) else {
        let error =
            json!({"error": {"message": "no recorded response matches this request", "type": "invalid_request_error"}});
        return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
    };
    let name = rule["name"].as_str().unwrap_or_default().to_string();
    replay.seen.lock().expect("not poisoned").push(Seen {
        rule: name.clone(),
        authorization: headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string),
        model: request["model"].as_str().map(str::to_string),
    });
    let responses = rule["responses"].as_array().cloned().unwrap_or_default();
    let index = {
        let mut served = replay.served.lock().expect("not poisoned");
        let count = served.entry(name).or_default();
        while replay.skip_hangs && responses.get(*count).is_some_and(|r| r.get("hang_seconds").is_some()) {
            *count += 1;
        }
        *count += 1;
        *count - 1
    };
    let response = responses.get(index).or(responses.last()).cloned().unwrap_or(Value::Null);
    if let Some(seconds) = response["hang_seconds"].as_u64() {
        tokio::time::sleep(Duration::from_secs(seconds)).await;
    }
    let status = StatusCode::from_u16(response["status"].as_u64().unwrap_or(200) as u16).unwrap_or(StatusCode::OK);
    let mut reply = match response.get("raw").and_then(Value::as_str) {
        Some(raw) => (status, raw.to_string()).into_response(),
        None => (status, axum::Json(response["body"].clone())).into_response(),
    };
    for (name, value) in response["headers"].as_object().into_iter().flatten() {
        if let (Ok(name), Some(Ok(value))) =
            (axum::http::HeaderName::from_bytes(name.as_bytes()), value.as_str().map(axum::http::HeaderValue::from_str))
        {
            reply.headers_mut().insert(name, value);
        }
    }
    reply
}

fn llm_run(server: &ReplayServer, out: &Path, cache: &Path, extra: &[&str]) -> std::process::Output {
    let docs = workspace().join("tests/fixtures/llm/docs");
    let url = server.base_url();
    let args = [
        "--llm-url",
        url.as_str(),
        "--llm-model",
        "replay-model",
        "--llm-timeout-secs",
        "1",
        "--llm-retries",
        "2",
        "--llm-api-key-env",
        "BRIGHTRUN_TEST_LLM_KEY",
        "--quiet",
    ];
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_brightrun"));
    command.arg("run").arg(&docs).arg("--out").arg(out).arg("--cache-dir").arg(cache).args(args).args(extra);
    command.env("BRIGHTRUN_TEST_LLM_KEY", "sk-test-replay");
    command.output().expect("the brightrun binary runs")
}

#[test]
fn generates_through_an_openai_compatible_endpoint_and_survives_its_failures() {
    let server = ReplayServer::start(Duration::ZERO, false);
    let scratch = tempfile::tempdir().expect("a temp dir");
    let (out, cache) = (scratch.path().join("out"), scratch.path().join("cache"));
    let output = llm_run(&server, &out, &cache, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Every request carried the key from the environment and the model.
    let seen = server.seen();
    assert!(!seen.is_empty());
    for request in &seen {
        assert_eq!(request.authorization.as_deref(), Some("Bearer sk-test-replay"), "{request:?}");
        assert_eq!(request.model.as_deref(), Some("replay-model"));
    }
    // 429 then success; a hang timed out then success; malformed every time: 1 + 2 retries.
    assert_eq!(server.requests_for("good"), 1);
    assert_eq!(server.requests_for("rate-limited"), 2);
    assert_eq!(server.requests_for("hang"), 2);
    assert_eq!(server.requests_for("malformed"), 3);
    assert_eq!(server.requests_for("unfaithful"), 1);

    // The malformed document failed alone, with a typed error naming it.
    let report = json(&out.join("report.json"));
    let errors: Vec<&str> =
        report["errors"].as_array().expect("errors").iter().filter_map(|e| e["message"].as_str()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("queues.md")
            && errors[0].contains("service-failed")
            && errors[0].contains("gave up after 3 attempts"),
        "{}",
        errors[0]
    );

    // Faithful pairs from the four other documents are exported, each citing text of its document.
    let pairs = json_lines(&out.join("pairs.jsonl"));
    let documents: std::collections::BTreeSet<&str> =
        pairs.iter().filter_map(|p| p["evidence"][0]["source"].as_str()).collect();
    assert!(documents.iter().any(|d| d.ends_with("backups.md")), "{documents:?}");
    assert!(documents.iter().any(|d| d.ends_with("certificates.md")), "{documents:?}");
    assert!(documents.iter().any(|d| d.ends_with("deploys.md")), "{documents:?}");
    assert!(documents.iter().any(|d| d.ends_with("logging.md")), "{documents:?}");
    assert!(!documents.iter().any(|d| d.ends_with("queues.md")));
    let questions: Vec<&str> = pairs.iter().filter_map(|p| p["messages"][0]["content"].as_str()).collect();
    assert!(questions.contains(&"Why is there a weekend deploy freeze?"), "{questions:#?}");
    assert!(pairs.iter().any(|p| p["task"] == "multi-turn" && p["messages"].as_array().map(Vec::len) == Some(4)));

    // The contradicting answer and the invented quote were dropped, with their reasons.
    assert!(!questions.contains(&"What happens to audit logs?"), "{questions:#?}");
    assert!(!questions.contains(&"Who can search cold storage?"), "{questions:#?}");
    let dropped = &report["counts"]["dropped"];
    assert!(dropped["low-fidelity"].as_u64().unwrap_or(0) >= 1, "{dropped}");
    assert!(dropped["missing-evidence"].as_u64().unwrap_or(0) >= 1, "{dropped}");
    let faithful = report["quality"]["faithful_share"].as_f64().unwrap_or(0.0);
    assert!(faithful < 1.0, "the unfaithful answer counts against the faithful share: {faithful}");

    // The card says a model wrote the pairs; the report names the backend but never the key.
    let card = std::fs::read_to_string(out.join("README.md")).expect("the dataset card");
    assert!(card.contains(&format!("The language model replay-model at {}", server.base_url())), "{card}");
    let llm = &report["settings"]["llm"];
    assert_eq!(
        (llm["model"].as_str(), llm["max_retries"].as_u64(), llm["api_key"].as_bool()),
        (Some("replay-model"), Some(2), Some(true))
    );
    let report_text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    assert!(!report_text.contains("sk-test-replay"));

    // A second run is served from the cache for the documents that succeeded: only the failed one is asked again.
    let before = server.seen().len();
    let again = llm_run(&server, &scratch.path().join("again"), &cache, &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    let asked: Vec<String> = server.seen()[before..].iter().map(|s| s.rule.clone()).collect();
    assert_eq!(asked, ["malformed", "malformed", "malformed"]);
}

#[test]
fn the_offline_run_never_needs_a_server_and_a_bad_llm_url_is_a_usage_error() {
    let scratch = tempfile::tempdir().expect("a temp dir");
    let docs = workspace().join("tests/fixtures/llm/docs");
    // The offline generator asks only what a unit names (the runbook notes
    // above state facts without naming a term, so they give it no pair):
    // the bundled examples show an offline run with no server at all.
    let examples = workspace().join("examples/corpus");
    let output = run(&[&examples], &scratch.path().join("out"), &scratch.path().join("cache"), &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let refused = run(
        &[&docs],
        &scratch.path().join("bad"),
        &scratch.path().join("cache"),
        &["--quiet", "--llm-url", "ftp://models.example", "--llm-model", "m"],
    );
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("http:// or https://"), "{}", stderr(&refused));

    // Nothing listens on port 9 (discard): every attempt fails to connect,
    // each document fails alone and nothing is exported.
    let unreachable = run(
        &[&docs],
        &scratch.path().join("down"),
        &scratch.path().join("cache"),
        &["--quiet", "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m", "--llm-retries", "0"],
    );
    assert_eq!(unreachable.status.code(), Some(1), "{}", stderr(&unreachable));
    assert!(stderr(&unreachable).contains("service-failed"), "{}", stderr(&unreachable));
}

#[test]
fn llm_concurrency_bounds_the_requests_in_flight() {
    // Each answer takes 300 ms; two workers would overlap their requests
    // (checked with a limit of 2), a limit of 1 makes them take turns.
    for (limit, expected) in [("2", 2), ("1", 1)] {
        let server = ReplayServer::start(Duration::from_millis(300), true);
        let scratch = tempfile::tempdir().expect("a temp dir");
        let (out, cache) = (scratch.path().join("out"), scratch.path().join("cache"));
        let output = llm_run(&server, &out, &cache, &["--jobs", "2", "--llm-concurrency", limit]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(server.most_in_flight(), expected, "--llm-concurrency {limit}");
    }
}
