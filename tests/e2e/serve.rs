//! `brightrun serve` over real HTTP: the real binary on a free loopback
//! port, driven with a plain HTTP client. Job lifecycle with server-sent
//! events, the dataset compared with `brightrun run` on the same files,
//! cancellation, a full queue, a restart with a job in flight, and bad
//! requests (oversized and malformed uploads, path traversal).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{examples, json_lines};

/// A running `brightrun serve`, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Server {
    /// Starts the server on a free port with its data in `data` and its
    /// caches in `cache`.
    pub fn start(data: &Path, cache: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brightrun"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .arg("--cache-dir")
            .arg(cache)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("brightrun serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let line = receiver.recv_timeout(Duration::from_secs(120)).expect("the server prints its address");
        let url = line.strip_prefix("listening on ").expect("a `listening on` line").to_string();
        Server { child, url }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that returns 4xx/5xx responses instead of failing.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .new_agent()
}

/// A response's status and parsed JSON body (`Null` when not JSON).
pub fn status_json(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = response.expect("the server answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A part of a multipart upload: field name, file name (None for a plain field), bytes.
pub type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

/// A multipart/form-data body and its content type.
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "brightrun-test-boundary-7d3f";
    let mut body = Vec::new();
    for (field, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(file) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{field}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POSTs a multipart upload to `/v1/jobs`.
pub fn upload(agent: &ureq::Agent, url: &str, parts: &[Part<'_>]) -> (u16, Value) {
    let (content_type, body) = multipart(parts);
    status_json(agent.post(format!("{url}/v1/jobs")).header("content-type", &content_type).send(&body[..]))
}

/// POSTs a JSON body.
pub fn post_json(
    agent: &ureq::Agent,
    url: impl AsRef<str>,
    body: Value,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    agent.post(url.as_ref()).header("content-type", "application/json").send(body.to_string())
}

/// GETs a JSON resource.
pub fn get(agent: &ureq::Agent, url: &str) -> (u16, Value) {
    status_json(agent.get(url).call())
}

/// The bundled examples as (name, bytes).
fn example_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(examples())
        .expect("examples")
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("readable")))
        .collect();
    files.sort();
    files
}

/// `count` distinct documents made from the examples (a numbered first line
/// and the examples' text), enough work that a job runs for a while.
pub fn varied_corpus(dir: &Path, count: usize) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("corpus folder");
    let examples = example_files();
    (0..count)
        .map(|index| {
            let (name, bytes) = &examples[index % examples.len()];
            let path = dir.join(format!("{index:04}-{name}"));
            let mut text = format!("Copy {index} of {name}, kept for the load test.\n\n").into_bytes();
            text.extend_from_slice(bytes);
            std::fs::write(&path, text).expect("corpus file");
            path
        })
        .collect()
}

/// Uploads every file of `paths` as one job.
fn upload_paths(agent: &ureq::Agent, url: &str, paths: &[PathBuf]) -> (u16, Value) {
    let files: Vec<(String, Vec<u8>)> = paths
        .iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(p).unwrap()))
        .collect();
    let parts: Vec<Part<'_>> =
        files.iter().map(|(name, bytes)| ("file", Some(name.as_str()), bytes.as_slice())).collect();
    upload(agent, url, &parts)
}

/// Polls a job until `done` says so (a hang guard, not a timing assertion).
fn wait_for(agent: &ureq::Agent, url: &str, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (status, job) = get(agent, &format!("{url}/v1/jobs/{id}"));
        assert_eq!(status, 200, "{job}");
        if done(&job) {
            return job;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "job {id} never got {what}: {job}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads `/v1/jobs/{id}/events` to its end: (event name, the job as of that
/// event) in order. The first event holds the whole job and each later one
/// only what changed, merged here as the page merges it; a later event that
/// repeats the file list or the settings fails the test.
fn read_events(agent: &ureq::Agent, url: &str, id: &str) -> Vec<(String, Value)> {
    let response = agent.get(format!("{url}/v1/jobs/{id}/events")).call().expect("the event stream opens");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(content_type.starts_with("text/event-stream"), "{content_type}");
    let reader = BufReader::new(response.into_body().into_reader());
    let mut events: Vec<(String, Value)> = Vec::new();
    let mut name = String::new();
    for line in reader.lines() {
        let line = line.expect("an event line");
        if let Some(value) = line.strip_prefix("event: ") {
            name = value.to_string();
        } else if let Some(data) = line.strip_prefix("data: ") {
            let data: Value = serde_json::from_str(data).expect("event data is JSON");
            assert_eq!(data["id"], id, "every event names its job: {data}");
            let job = match events.last() {
                None => data,
                Some((_, before)) => {
                    assert!(data.get("source").is_none() && data.get("config").is_none(), "only changes: {data}");
                    let mut job: Value = before.clone();
                    for (field, value) in data.as_object().expect("an object") {
                        job[field] = value.clone();
                    }
                    job
                }
            };
            events.push((name.clone(), job));
        }
    }
    events
}

#[test]
fn a_job_runs_to_completion_with_live_progress_and_matches_the_cli() {
    let temp = tempfile::tempdir().unwrap();
    let server = Server::start(&temp.path().join("data"), &temp.path().join("cache"), &[]);
    let agent = client();
    let url = &server.url;

    let (status, health) = get(&agent, &format!("{url}/healthz"));
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    let files = example_files();
    let config = json!({"dataset_name": "served", "formats": ["alpaca", "sharegpt"], "seed": 3}).to_string();
    let mut parts: Vec<Part<'_>> = files.iter().map(|(n, b)| ("file", Some(n.as_str()), b.as_slice())).collect();
    parts.push(("config", None, config.as_bytes()));
    let (status, job) = upload(&agent, url, &parts);
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(job["source"]["files"].as_array().unwrap().len(), files.len());

    let events = read_events(&agent, url, &id);
    let (last_name, last) = events.last().expect("at least one event");
    assert_eq!(last_name, "end");
    assert_eq!(last["status"], "succeeded", "{last}");
    assert_eq!(last["progress"], 100);
    let progress: Vec<u64> = events.iter().map(|(_, job)| job["progress"].as_u64().unwrap()).collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "progress never goes back: {progress:?}");
    assert!(events[..events.len() - 1].iter().all(|(name, _)| name == "progress"));

    let (_, listing) = get(&agent, &format!("{url}/v1/jobs"));
    assert!(listing["jobs"].as_array().unwrap().iter().any(|j| j["id"] == id.as_str()));
    let (_, files_listing) = get(&agent, &format!("{url}/v1/jobs/{id}/files"));
    let names: Vec<&str> =
        files_listing["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    for expected in ["alpaca.json", "sharegpt.json", "dataset_info.json", "README.md", "pairs.jsonl", "report.json"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(!names.contains(&"openai.jsonl"), "only the formats asked for: {names:?}");

    // The same files and settings through `brightrun run` give the same dataset.
    let cli_in = temp.path().join("cli-in");
    std::fs::create_dir_all(&cli_in).unwrap();
    for (name, bytes) in &files {
        std::fs::write(cli_in.join(name), bytes).unwrap();
    }
    let cli_out = temp.path().join("cli-out");
    let names_given: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let output = Command::new(env!("CARGO_BIN_EXE_brightrun"))
        .current_dir(&cli_in)
        .args(["run", "--quiet", "--name", "served", "--format", "alpaca,sharegpt", "--seed", "3", "--out"])
        .arg(&cli_out)
        .arg("--cache-dir")
        .arg(temp.path().join("cli-cache"))
        .args(&names_given)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for file in ["alpaca.json", "sharegpt.json", "pairs.jsonl"] {
        let mut response = agent.get(format!("{url}/v1/jobs/{id}/files/{file}")).call().unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let served = response.body_mut().with_config().limit(1 << 30).read_to_string().unwrap();
        let local = std::fs::read_to_string(cli_out.join(file)).unwrap();
        assert!(served == local, "{file} from the server differs from `brightrun run`");
    }

    // Pairs with their evidence, and feedback on them.
    let audit = json_lines(&cli_out.join("pairs.jsonl"));
    let (status, page) = get(&agent, &format!("{url}/v1/jobs/{id}/pairs?offset=1&limit=2"));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"].as_u64().unwrap() as usize, audit.len());
    let shown = page["pairs"].as_array().unwrap();
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[0]["id"], audit[1]["id"]);
    assert!(!shown[0]["evidence"].as_array().unwrap().is_empty());
    let pair_id = audit[1]["id"].as_str().unwrap();
    let feedback_url = format!("{url}/v1/jobs/{id}/feedback");
    let (status, _) =
        status_json(post_json(&agent, &feedback_url, json!({"pair_id": pair_id, "verdict": "bad", "note": "vague"})));
    assert_eq!(status, 200);
    let (status, _) =
        status_json(post_json(&agent, &feedback_url, json!({"pair_id": "no-such-pair", "verdict": "good"})));
    assert_eq!(status, 404);
    let (status, _) = status_json(post_json(&agent, &feedback_url, json!({"pair_id": pair_id, "verdict": "meh"})));
    assert_eq!(status, 400);
    let (_, feedback) = get(&agent, &feedback_url);
    assert_eq!(feedback["feedback"], json!([{"pair_id": pair_id, "verdict": "bad", "note": "vague"}]));
    let (_, page) = get(&agent, &format!("{url}/v1/jobs/{id}/pairs?offset=1&limit=1"));
    assert_eq!(page["pairs"][0]["feedback"], "bad");
    // A bad query is answered in the API's JSON error form, not axum's plain text.
    let (status, error) = get(&agent, &format!("{url}/v1/jobs/{id}/pairs?limit=abc"));
    assert_eq!(status, 400);
    assert_eq!(error["error"]["code"], "bad-request", "{error}");

    // Metrics saw the components' calls and the job.
    let mut response = agent.get(format!("{url}/metrics")).call().unwrap();
    let metrics = response.body_mut().read_to_string().unwrap();
    let analyze_calls = metric(&metrics, "brightrun_stage_invocations_total{stage=\"analyze\",outcome=\"ok\"}");
    assert!(analyze_calls >= 1.0, "{metrics}");
    assert_eq!(metric(&metrics, "brightrun_jobs{status=\"succeeded\"}"), 1.0);
    assert_eq!(metric(&metrics, "brightrun_queue_depth"), 0.0);
    assert!(metrics.contains("brightrun_stage_duration_seconds_bucket"));
    assert!(metrics.contains("brightrun_cache_lookups_total{layer=\"analyze\",result=\"miss\"}"));

    // Cancelling a finished job is a conflict; unknown jobs are 404.
    let (status, _) = status_json(agent.delete(format!("{url}/v1/jobs/{id}")).call());
    assert_eq!(status, 409);
    let (status, body) = get(&agent, &format!("{url}/v1/jobs/ffffffffffffffff"));
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not-found")));
}

/// The value of the sample named exactly `name` in an exposition.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
}

#[test]
fn cancels_running_and_queued_jobs_and_refuses_a_full_queue() {
    let temp = tempfile::tempdir().unwrap();
    let corpus = varied_corpus(&temp.path().join("corpus"), 400);
    let server = Server::start(
        &temp.path().join("data"),
        &temp.path().join("cache"),
        &["--no-cache", "--jobs", "1", "--concurrent-jobs", "1", "--queue", "1"],
    );
    let agent = client();
    let url = &server.url;

    let (status, first) = upload_paths(&agent, url, &corpus);
    assert_eq!(status, 202, "{first}");
    let first = first["id"].as_str().unwrap().to_string();
    wait_for(&agent, url, &first, "running with chunks done", |job| {
        job["status"] == "running" && job["counts"]["chunks_done"].as_u64() > Some(0)
    });

    // One job may wait; the next is refused with Retry-After.
    let (status, second) = upload_paths(&agent, url, &corpus[..3]);
    assert_eq!(status, 202, "{second}");
    let second = second["id"].as_str().unwrap().to_string();
    assert_eq!(second_status(&agent, url, &second), "queued");
    let (content_type, body) = multipart(&[("file", Some("a.txt"), b"some text to learn from")]);
    let response = agent.post(format!("{url}/v1/jobs")).header("content-type", &content_type).send(&body[..]).unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().get("retry-after").is_some(), "429 carries Retry-After");
    let jobs_folders = std::fs::read_dir(temp.path().join("data").join("jobs")).unwrap().count();
    assert_eq!(jobs_folders, 2, "a refused upload leaves no folder behind");

    // Cancel the waiting job: at once. Then the running one: at its next chunk.
    let (status, cancelled) = status_json(agent.delete(format!("{url}/v1/jobs/{second}")).call());
    assert_eq!((status, cancelled["status"].as_str()), (202, Some("cancelled")));
    // Its place in the queue is free again.
    let (status, third) = upload_paths(&agent, url, &corpus[3..5]);
    assert_eq!(status, 202, "{third}");
    let third = third["id"].as_str().unwrap().to_string();
    let (status, _) = status_json(agent.delete(format!("{url}/v1/jobs/{first}")).call());
    assert_eq!(status, 202);
    let job = wait_for(&agent, url, &first, "cancelled", |job| job["status"].as_str() != Some("running"));
    assert_eq!(job["status"], "cancelled", "{job}");
    assert!(job["counts"]["chunks_done"].as_u64() < job["counts"]["chunks"].as_u64().map(|c| c.max(1)), "{job}");
    let (_, files) = get(&agent, &format!("{url}/v1/jobs/{first}/files"));
    assert_eq!(files["files"], json!([]), "a cancelled job writes no dataset");

    let job = wait_for(&agent, url, &third, "finished", |job| job["finished_at"].is_u64());
    assert_eq!(job["status"], "succeeded", "{job}");

    // A cancelled job can be resumed and then finishes.
    let (status, resumed) = status_json(agent.post(format!("{url}/v1/jobs/{second}/resume")).send_empty());
    assert_eq!((status, resumed["status"].as_str()), (202, Some("queued")));
    let job = wait_for(&agent, url, &second, "finished", |job| job["finished_at"].is_u64());
    assert_eq!(job["status"], "succeeded", "{job}");
}

fn second_status(agent: &ureq::Agent, url: &str, id: &str) -> String {
    get(agent, &format!("{url}/v1/jobs/{id}")).1["status"].as_str().unwrap().to_string()
}

#[test]
fn a_restart_keeps_finished_jobs_and_a_job_in_flight_resumes_from_the_cache() {
    let temp = tempfile::tempdir().unwrap();
    let (data, cache) = (temp.path().join("data"), temp.path().join("cache"));
    let corpus = varied_corpus(&temp.path().join("corpus"), 400);
    let server = Server::start(&data, &cache, &["--jobs", "1"]);
    let agent = client();
    let (status, small) = upload_paths(&agent, &server.url, &corpus[..2]);
    assert_eq!(status, 202);
    let small = small["id"].as_str().unwrap().to_string();
    wait_for(&agent, &server.url, &small, "finished", |job| job["status"] == "succeeded");

    let (status, big) = upload_paths(&agent, &server.url, &corpus);
    assert_eq!(status, 202);
    let big = big["id"].as_str().unwrap().to_string();
    // Kill it once a third of the chunks are done (and a cache batch has had time to commit).
    wait_for(&agent, &server.url, &big, "a third done", |job| {
        let counts = &job["counts"];
        let (done, total) = (counts["chunks_done"].as_u64().unwrap_or(0), counts["chunks"].as_u64().unwrap_or(0));
        total > 0 && done * 3 >= total
    });
    std::thread::sleep(Duration::from_millis(1500));
    server.kill();

    let server = Server::start(&data, &cache, &["--jobs", "1"]);
    let url = &server.url;
    let (_, job) = get(&agent, &format!("{url}/v1/jobs/{small}"));
    assert_eq!(job["status"], "succeeded", "a finished job survives the restart: {job}");
    let mut response = agent.get(format!("{url}/v1/jobs/{small}/files/alpaca.json")).call().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let alpaca: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert!(!alpaca.as_array().unwrap().is_empty());

    let (_, job) = get(&agent, &format!("{url}/v1/jobs/{big}"));
    assert_eq!(job["status"], "interrupted", "{job}");
    assert!(job["errors"][0].as_str().unwrap().contains("resume"), "{job}");
    let (status, _) = status_json(agent.post(format!("{url}/v1/jobs/{big}/resume")).send_empty());
    assert_eq!(status, 202);
    let job = wait_for(&agent, url, &big, "finished", |job| job["finished_at"].is_u64());
    assert_eq!(job["status"], "succeeded", "{job}");

    let mut response = agent.get(format!("{url}/v1/jobs/{big}/files/report.json")).call().unwrap();
    let report: Value =
        serde_json::from_str(&response.body_mut().with_config().limit(1 << 30).read_to_string().unwrap()).unwrap();
    let reused: u64 = report["cache"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|layer| layer["layer"] == "analyze" || layer["layer"] == "generate")
        .map(|layer| layer["store_hits"].as_u64().unwrap())
        .sum();
    assert!(reused > 0, "the resumed job reuses chunks finished before the kill: {}", report["cache"]);
    // The job's counts are the report's, cached documents included.
    for count in ["documents", "chunks", "pairs_exported"] {
        assert_eq!(job["counts"][count], report["counts"][count], "{count}: {job} against the report");
    }
    assert_eq!(job["counts"]["chunks_done"], report["counts"]["chunks"], "{job}");
}

#[test]
fn refuses_bad_uploads_oversized_requests_and_path_traversal() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("allowed");
    let outside = temp.path().join("outside");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(root.join("docs").join("guide.md"), &example_files()[0].1).unwrap();
    std::fs::write(outside.join("secret.md"), "# Secret\n\nThe launch code is 0000.\n").unwrap();
    std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();
    let data = temp.path().join("data");
    let root_arg = root.display().to_string();
    let server = Server::start(
        &data,
        &temp.path().join("cache"),
        &["--max-upload-mib", "1", "--max-files", "2", "--allow-root", &root_arg],
    );
    let agent = client();
    let url = &server.url;
    let text = b"Plain text worth learning from.".as_slice();

    let bad: Vec<(&str, Vec<Part<'_>>, u16)> = vec![
        ("no files", vec![("config", None, b"{}".as_slice())], 400),
        ("traversal", vec![("file", Some("../../etc/passwd"), text)], 400),
        ("backslash", vec![("file", Some("..\\boot.ini"), text)], 400),
        ("hidden", vec![("file", Some(".env"), text)], 400),
        ("dot-dot", vec![("file", Some(".."), text)], 400),
        ("no filename", vec![("file", None, text)], 400),
        ("duplicate", vec![("file", Some("a.txt"), text), ("file", Some("a.txt"), text)], 400),
        ("bad config", vec![("file", Some("a.txt"), text), ("config", None, b"{not json".as_slice())], 400),
        (
            "unknown setting",
            vec![("file", Some("a.txt"), text), ("config", None, br#"{"max_tokenz": 5}"#.as_slice())],
            400,
        ),
        (
            "setting out of range",
            vec![("file", Some("a.txt"), text), ("config", None, br#"{"max_tokens": 5}"#.as_slice())],
            400,
        ),
        (
            "too many files",
            vec![("file", Some("a.txt"), text), ("file", Some("b.txt"), text), ("file", Some("c.txt"), text)],
            413,
        ),
    ];
    for (what, parts, expected) in &bad {
        let (status, body) = upload(&agent, url, parts);
        assert_eq!(status, *expected, "{what}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {body}");
    }
    let big = vec![b'x'; 2 << 20];
    let (content_type, payload) = multipart(&[("file", Some("big.txt"), &big)]);
    match agent.post(format!("{url}/v1/jobs")).header("content-type", &content_type).send(&payload[..]) {
        Ok(mut response) => {
            let body = response.body_mut().read_to_string().unwrap_or_default();
            assert_eq!(response.status().as_u16(), 413, "{body}");
        }
        // The server may answer 413 and close the connection before the
        // client has sent the whole body; the client then sees the closed
        // connection instead of the answer (seen under load). What matters
        // is that nothing is stored, checked below.
        Err(ureq::Error::Io(error)) => eprintln!("the oversized upload's connection was closed: {error}"),
        Err(error) => panic!("oversized upload: {error}"),
    }
    let (status, body) =
        status_json(agent.post(format!("{url}/v1/jobs")).header("content-type", "text/plain").send("hello"));
    assert_eq!(status, 415, "{body}");
    let (status, body) = status_json(
        agent.post(format!("{url}/v1/jobs")).header("content-type", "multipart/form-data; boundary=x").send("garbage"),
    );
    assert!((400..500).contains(&status), "{body}");
    assert!(
        !data.join("jobs").exists() || std::fs::read_dir(data.join("jobs")).unwrap().count() == 0,
        "refused uploads leave nothing"
    );

    // Server-side folders: only inside the allowed root, after resolving links.
    let path_job = |path: &Path| status_json(post_json(&agent, format!("{url}/v1/jobs"), json!({"path": path})));
    let (status, body) = path_job(&outside);
    assert_eq!(status, 403, "{body}");
    let (status, body) = path_job(&root.join("docs").join("..").join("..").join("outside"));
    assert_eq!(status, 403, "{body}");
    let (status, body) = path_job(&root.join("escape"));
    assert_eq!(status, 403, "a symlink out of the root: {body}");
    let (status, body) = path_job(&root.join("missing"));
    assert_eq!(status, 404, "{body}");
    let (status, job) = path_job(&root.join("docs"));
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    let job = wait_for(&agent, url, &id, "finished", |job| job["finished_at"].is_u64());
    assert_eq!(job["status"], "succeeded", "{job}");
    let (_, page) = get(&agent, &format!("{url}/v1/jobs/{id}/pairs?limit=1"));
    assert_eq!(page["pairs"][0]["evidence"][0]["source"], "guide.md", "documents are named relative to the folder");

    // Downloads are looked up by name, never joined into a path.
    for name in ["..%2F..%2Fjobs.sqlite3", "%2e%2e%2fjobs.sqlite3", "..", "report.json%00"] {
        let (status, body) = get(&agent, &format!("{url}/v1/jobs/{id}/files/{name}"));
        assert_eq!(status, 404, "{name}: {body}");
    }
    let (status, _) = get(&agent, &format!("{url}/v1/jobs/{id}/files/report.json"));
    assert_eq!(status, 200);
}

#[test]
fn concurrent_jobs_share_the_runtime_but_report_their_own_calls() {
    let temp = tempfile::tempdir().unwrap();
    let first_corpus = varied_corpus(&temp.path().join("first"), 200);
    let second_corpus = varied_corpus(&temp.path().join("second"), 150);
    let server =
        Server::start(&temp.path().join("data"), &temp.path().join("cache"), &["--no-cache", "--concurrent-jobs", "2"]);
    let agent = client();
    let url = &server.url;
    let (status, first) = upload_paths(&agent, url, &first_corpus);
    assert_eq!(status, 202, "{first}");
    let (status, second) = upload_paths(&agent, url, &second_corpus);
    assert_eq!(status, 202, "{second}");
    let started = Instant::now();
    loop {
        let (_, health) = get(&agent, &format!("{url}/healthz"));
        if health["jobs_running"] == 2 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "the two jobs never ran together: {health}");
        std::thread::sleep(Duration::from_millis(20));
    }
    for (job, files) in [(&first, first_corpus.len()), (&second, second_corpus.len())] {
        let id = job["id"].as_str().unwrap();
        let job = wait_for(&agent, url, id, "finished", |job| job["finished_at"].is_u64());
        assert_eq!(job["status"], "succeeded", "{job}");
        let mut response = agent.get(format!("{url}/v1/jobs/{id}/files/report.json")).call().unwrap();
        let report: Value =
            serde_json::from_str(&response.body_mut().with_config().limit(1 << 30).read_to_string().unwrap()).unwrap();
        let ingest = report["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "ingest").unwrap();
        assert_eq!(ingest["invocations"].as_u64().unwrap() as usize, files, "job {id} counts only its own calls");
        assert_eq!(report["counts"]["documents"].as_u64().unwrap() as usize, files);
    }
    let mut response = agent.get(format!("{url}/metrics")).call().unwrap();
    let metrics = response.body_mut().read_to_string().unwrap();
    let ingest_calls = metric(&metrics, "brightrun_stage_invocations_total{stage=\"ingest\",outcome=\"ok\"}");
    assert_eq!(ingest_calls as usize, first_corpus.len() + second_corpus.len(), "the server counts both");
}
