//! The Spin app (`spin.toml`) served by `brightrun spin-up` over real HTTP:
//! the components built by the manifest's own build command, a job driven
//! only by status polls and compared with `brightrun run`, a server killed
//! between steps, Redis as the key-value store, capabilities a component was
//! not granted, and the deployment manifests in `deploy/`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use serde_json::{Value, json};

use crate::serve::{client, get, status_json, upload};
use crate::support::{Redis, examples, workspace};

/// The repository's manifest, its components built once per test run by
/// the manifest's build command (what `spin build` runs).
fn app_manifest() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let manifest = workspace().join("spin.toml");
    BUILT.get_or_init(|| brightrun_host::spin::build(&manifest).expect("spin.toml's build command succeeds"));
    manifest
}

/// A running `brightrun spin-up`, killed on drop.
struct SpinUp {
    child: Child,
    url: String,
}

impl SpinUp {
    fn start(manifest: &Path, state: &Path, extra: &[&str], env: &[(&str, &str)]) -> SpinUp {
        Self::try_start(manifest, state, extra, env).unwrap_or_else(|stderr| panic!("spin-up did not start: {stderr}"))
    }

    /// Starts the server; `Err` with its stderr if it exits instead.
    fn try_start(manifest: &Path, state: &Path, extra: &[&str], env: &[(&str, &str)]) -> Result<SpinUp, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brightrun"))
            .args(["spin-up", "--listen", "127.0.0.1:0", "--from"])
            .arg(manifest)
            .arg("--state-dir")
            .arg(state)
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("brightrun spin-up starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let (errors, collected) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            eprint!("{text}");
            let _ = errors.send(text);
        });
        match receiver.recv_timeout(Duration::from_secs(300)) {
            Ok(line) => {
                let url = line.strip_prefix("Serving ").expect("a `Serving http://…` line").to_string();
                Ok(SpinUp { child, url })
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(collected.recv_timeout(Duration::from_secs(10)).unwrap_or_default())
            }
        }
    }

    /// Kills the server at once (SIGKILL), as a crashed instance would die.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SpinUp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Budget 0: every request runs exactly one unit of work.
const ONE_UNIT_PER_STEP: (&str, &str) = ("SPIN_VARIABLE_STEP_BUDGET_MS", "0");
/// A step that died holds its job for 200 ms (30 s by default).
const SHORT_LEASE: (&str, &str) = ("SPIN_VARIABLE_LEASE_MARGIN_MS", "200");

const DATASET_FILES: [&str; 7] = [
    "alpaca.json",
    "sharegpt.json",
    "openai.jsonl",
    "completion.jsonl",
    "dataset_info.json",
    "README.md",
    "pairs.jsonl",
];

fn create_job(agent: &ureq::Agent, url: &str, names: &[&str], config: Value) -> Value {
    let files: Vec<(String, Vec<u8>)> =
        names.iter().map(|name| (name.to_string(), std::fs::read(examples().join(name)).expect("example"))).collect();
    let config = config.to_string();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> =
        files.iter().map(|(name, bytes)| ("file", Some(name.as_str()), bytes.as_slice())).collect();
    parts.push(("config", None, config.as_bytes()));
    let (status, job) = upload(agent, url, &parts);
    assert_eq!(status, 202, "{job}");
    job
}

/// Polls the job until it finishes; returns it and the number of polls.
fn poll_to_end(agent: &ureq::Agent, url: &str, id: &str) -> (Value, usize) {
    for polls in 1..=20_000 {
        let (status, job) = get(agent, &format!("{url}/v1/jobs/{id}"));
        assert_eq!(status, 200, "{job}");
        if !matches!(job["status"].as_str(), Some("queued" | "running")) {
            return (job, polls);
        }
    }
    panic!("job {id} did not finish in 20 000 polls");
}

fn download(agent: &ureq::Agent, url: &str, id: &str, name: &str) -> Vec<u8> {
    let mut response = agent.get(format!("{url}/v1/jobs/{id}/files/{name}")).call().expect("the app answers");
    assert_eq!(response.status().as_u16(), 200, "{name}");
    response.body_mut().read_to_vec().expect("a body")
}

/// `brightrun run` on example files named as the upload names them.
fn cli_dataset(names: &[&str], extra: &[&str]) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_brightrun"))
        .current_dir(examples())
        .arg("run")
        .args(names)
        .arg("--out")
        .arg(out.path())
        .arg("--cache-dir")
        .arg(out.path().join("cache"))
        .args(extra)
        .output()
        .expect("brightrun run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    out
}

/// Units of work a job of `files` files and `chunks` chunks takes: ingest and
/// segment per file, one per chunk, the end of the file list, diversify, export.
fn units(files: u64, chunks: u64) -> u64 {
    2 * files + chunks + 3
}

#[test]
fn a_job_driven_only_by_status_polls_gives_the_dataset_brightrun_run_gives() {
    let manifest = app_manifest();
    let state = tempfile::tempdir().expect("temp dir");
    let app = SpinUp::start(&manifest, state.path(), &[], &[ONE_UNIT_PER_STEP]);
    let agent = client();
    let (status, health) = get(&agent, &format!("{}/healthz", app.url));
    assert_eq!((status, health["runner"].as_str()), (200, Some("spin")));

    let names = ["incident-runbook.md", "rate-limiting-explained.md", "sqlite-faq.md"];
    let job = create_job(&agent, &app.url, &names, json!({"dataset_name": "spin-e2e"}));
    let id = job["id"].as_str().expect("an id").to_string();
    assert_eq!(job["status"], "running", "the creating request ran the first step: {job}");
    let (job, polls) = poll_to_end(&agent, &app.url, &id);
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress"], 100);
    let chunks = job["counts"]["chunks"].as_u64().expect("chunks");
    assert_eq!(job["steps"].as_u64(), Some(units(3, chunks)), "one unit per request, none repeated");
    assert!(polls as u64 >= units(3, chunks) - 1, "the polls alone drove the job ({polls} polls)");

    let cli = cli_dataset(&names, &["--name", "spin-e2e"]);
    for name in DATASET_FILES {
        let served = download(&agent, &app.url, &id, name);
        let written = std::fs::read(cli.path().join(name)).expect("the CLI wrote it");
        assert!(served == written, "{name} differs between the Spin app and brightrun run");
    }
    let (status, report) = status_json(agent.get(format!("{}/v1/jobs/{id}/files/report.json", app.url)).call());
    assert_eq!((status, report["runner"].as_str()), (200, Some("spin")));
    assert_eq!(report["counts"]["pairs_exported"], job["counts"]["pairs_exported"]);

    // A single-stage endpoint, and the server's error shape.
    let bytes = std::fs::read(examples().join("sqlite-wal.md")).expect("example");
    let (status, ingested) = status_json(
        agent
            .post(format!("{}/v1/stages/ingest?name=sqlite-wal.md", app.url))
            .header("content-type", "text/markdown")
            .send(&bytes[..]),
    );
    assert_eq!(status, 200, "{ingested}");
    assert_eq!(ingested["documents"][0]["name"], "sqlite-wal.md");
    let (status, error) = status_json(
        agent.post(format!("{}/v1/stages/ingest?name=broken.pdf", app.url)).send(&b"%PDF-1.7\n1 0 obj <<"[..]),
    );
    assert_eq!((status, error["error"]["code"].as_str()), (422, Some("corrupt")), "{error}");
    let (status, error) = get(&agent, &format!("{}/v1/jobs/0123456789abcdef", app.url));
    assert_eq!((status, error["error"]["code"].as_str()), (404, Some("not-found")));
}

#[test]
fn a_server_killed_between_steps_finishes_the_job_after_restart_with_no_lost_work() {
    let manifest = app_manifest();
    let state = tempfile::tempdir().expect("temp dir");
    let agent = client();
    let names = ["oncall-handbook.txt", "sqlite-wal.md"];

    let first = SpinUp::start(&manifest, state.path(), &[], &[ONE_UNIT_PER_STEP]);
    let job = create_job(&agent, &first.url, &names, json!({}));
    let id = job["id"].as_str().expect("an id").to_string();
    let mut before = job;
    while before["counts"]["chunks_done"].as_u64().unwrap_or(0) < 3 {
        before = get(&agent, &format!("{}/v1/jobs/{id}", first.url)).1;
        assert_eq!(before["status"], "running", "{before}");
    }
    first.kill();

    let second = SpinUp::start(&manifest, state.path(), &[], &[ONE_UNIT_PER_STEP]);
    let (status, resumed) = get(&agent, &format!("{}/v1/jobs/{id}", second.url));
    assert_eq!(status, 200);
    assert_eq!(resumed["steps"].as_u64(), Some(before["steps"].as_u64().unwrap_or(0) + 1), "it picks up where it was");
    let (job, _) = poll_to_end(&agent, &second.url, &id);
    assert_eq!(job["status"], "succeeded", "{job}");
    let chunks = job["counts"]["chunks"].as_u64().expect("chunks");
    assert_eq!(job["steps"].as_u64(), Some(units(2, chunks)), "every unit ran once across the restart");

    let cli = cli_dataset(&names, &[]);
    let served = download(&agent, &second.url, &id, "sharegpt.json");
    assert!(served == std::fs::read(cli.path().join("sharegpt.json")).expect("CLI dataset"), "same dataset as the CLI");
}

#[test]
fn jobs_live_in_redis_when_the_runtime_config_says_so() {
    let manifest = app_manifest();
    let redis = Redis::start();
    let work = tempfile::tempdir().expect("temp dir");
    let runtime_config = work.path().join("runtime-config.toml");
    std::fs::write(
        &runtime_config,
        format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n", redis.url()),
    )
    .expect("write runtime config");
    let config_arg = runtime_config.display().to_string();
    let agent = client();

    let first = SpinUp::start(&manifest, &work.path().join("state-a"), &["--runtime-config-file", &config_arg], &[]);
    let job = create_job(&agent, &first.url, &["sqlite-faq.md"], json!({"formats": ["openai"]}));
    let id = job["id"].as_str().expect("an id").to_string();
    let (job, _) = poll_to_end(&agent, &first.url, &id);
    assert_eq!(job["status"], "succeeded", "{job}");
    first.kill();

    let mut connection = redis::Client::open(redis.url()).and_then(|c| c.get_connection()).expect("redis");
    let exists: bool = redis::cmd("EXISTS").arg(format!("job:{id}")).query(&mut connection).expect("EXISTS");
    assert!(exists, "the job record is in Redis");
    assert!(!work.path().join("state-a/sqlite_key_value.db").exists(), "nothing went to SQLite");

    // Another instance with nothing local serves the same job from Redis.
    let second = SpinUp::start(&manifest, &work.path().join("state-b"), &["--runtime-config-file", &config_arg], &[]);
    let (status, again) = get(&agent, &format!("{}/v1/jobs/{id}", second.url));
    assert_eq!((status, again["status"].as_str()), (200, Some("succeeded")));
    let lines = download(&agent, &second.url, &id, "openai.jsonl");
    assert_eq!(
        String::from_utf8_lossy(&lines).lines().count() as u64,
        job["counts"]["pairs_exported"].as_u64().expect("pairs")
    );
}

#[test]
fn a_stage_that_traps_fails_its_chunk_alone_and_the_job_finishes() {
    // The app with the hostile analyzer linked in as its analyze dependency.
    let manifest = app_manifest();
    let work = tempfile::tempdir().expect("temp dir");
    let target = workspace().join("target/wasm32-wasip2/component");
    let text = std::fs::read_to_string(&manifest).expect("spin.toml");
    let analyze = format!("{}/brightrun_analyze.wasm", target.display());
    let text = text
        .replace("\"target/wasm32-wasip2/component/", &format!("\"{}/", target.display()))
        .replace(&analyze, brightrun_host::components::HOSTILE_ANALYZE_PATH);
    assert!(text.contains(brightrun_host::components::HOSTILE_ANALYZE_PATH));
    let hostile_manifest = work.path().join("spin.toml");
    std::fs::write(&hostile_manifest, text).expect("write manifest");
    let app = SpinUp::start(
        &hostile_manifest,
        &work.path().join("state"),
        &["--memory-mib", "128"],
        &[ONE_UNIT_PER_STEP, SHORT_LEASE],
    );
    let agent = client();

    let files: Vec<(&str, Vec<u8>)> = vec![
        ("good.md", std::fs::read(examples().join("sqlite-faq.md")).expect("example")),
        ("panics.md", b"# Panics\n\nThis paragraph says HOSTILE-PANIC to the analyzer.\n".to_vec()),
        ("hoards.md", b"# Hoards\n\nThis paragraph says HOSTILE-ALLOCATE-FOREVER to the analyzer.\n".to_vec()),
    ];
    let parts: Vec<(&str, Option<&str>, &[u8])> =
        files.iter().map(|(name, bytes)| ("file", Some(*name), bytes.as_slice())).collect();
    let (status, job) = upload(&agent, &app.url, &parts);
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().expect("an id").to_string();
    let mut failed_requests = 0;
    let job = loop {
        let (status, job) = get(&agent, &format!("{}/v1/jobs/{id}", app.url));
        if status == 500 {
            // The trap took the request down; the next poll carries on.
            failed_requests += 1;
            assert!(failed_requests <= 4, "a trapping chunk was tried more than twice");
            continue;
        }
        assert_eq!(status, 200, "{job}");
        if job["status"] != "running" {
            break job;
        }
    };
    assert_eq!(failed_requests, 4, "two attempts for each of the two bad chunks");
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["counts"]["documents_failed"], 2, "{job}");
    let errors: Vec<&str> = job["errors"].as_array().expect("errors").iter().filter_map(Value::as_str).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (name, error) in ["hoards.md", "panics.md"].iter().zip(&errors) {
        assert!(error.starts_with(&format!("{name}: chunk 0: analyze: limit-exceeded")), "{error}");
    }
    assert!(job["counts"]["pairs_exported"].as_u64().unwrap_or(0) > 5, "the good document's pairs are kept");
}

/// A one-file HTTP server answering every request with `body`.
fn upstream(body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let response =
                format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

fn probe_manifest(dir: &Path, stores: &str, hosts: &str) -> PathBuf {
    let path = dir.join("spin.toml");
    let text = format!(
        "spin_manifest_version = 2\n[application]\nname = \"probe\"\n[variables]\ngreeting = {{ default = \"hello\" }}\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"probe\"\n[component.probe]\nsource = {:?}\n\
         key_value_stores = {stores}\nallowed_outbound_hosts = {hosts}\n\
         [component.probe.variables]\ngreeting = \"{{{{ greeting }}}}\"\n",
        brightrun_host::components::SPIN_PROBE_PATH
    );
    std::fs::write(&path, text).expect("write manifest");
    path
}

#[test]
fn a_component_is_refused_the_stores_and_hosts_it_was_not_granted() {
    let granted = upstream("from the granted host");
    let other = upstream("from a host nobody granted");
    let work = tempfile::tempdir().expect("temp dir");
    let manifest = probe_manifest(work.path(), "[\"default\"]", &format!("[\"http://127.0.0.1:{granted}\"]"));
    let app = SpinUp::start(&manifest, &work.path().join("state"), &[], &[]);
    let agent = client();
    let probe = |query: &str| {
        let mut response = agent.get(format!("{}/{query}", app.url)).call().expect("the app answers");
        (response.status().as_u16(), response.body_mut().read_to_string().expect("text"))
    };

    assert_eq!(probe("kv?label=default"), (200, "ok written".to_string()));
    let (status, text) = probe("kv?label=secrets");
    assert_eq!(status, 403);
    assert!(text.contains("AccessDenied"), "{text}");

    let (status, text) = probe(&format!("fetch?url=http://127.0.0.1:{granted}/"));
    assert_eq!((status, text.as_str()), (200, "ok 200 from the granted host"));
    for refused in [format!("http://127.0.0.1:{other}/"), "http://example.com/".to_string()] {
        let (status, text) = probe(&format!("fetch?url={refused}"));
        assert_eq!(status, 403, "{refused}: {text}");
        assert!(text.contains("HttpRequestDenied"), "{refused}: {text}");
    }

    assert_eq!(probe("var?name=greeting"), (200, "ok hello".to_string()));
    let (status, text) = probe("var?name=api_key");
    assert!(status == 403 && text.contains("Undefined"), "{text}");

    // A store label nothing defines stops the app at start, naming the label.
    let undefined = tempfile::tempdir().expect("temp dir");
    let manifest = probe_manifest(undefined.path(), "[\"default\", \"secrets\"]", "[]");
    let stderr = SpinUp::try_start(&manifest, &undefined.path().join("state"), &[], &[])
        .map(|_| String::new())
        .unwrap_or_else(|stderr| stderr);
    assert!(stderr.contains("\"secrets\" is not defined"), "{stderr}");
}

#[test]
fn deployment_manifests_are_valid() {
    let deploy = workspace().join("deploy");
    let documents = |name: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(deploy.join("spinkube").join(name)).expect("manifest");
        yaml_serde::Deserializer::from_str(&text)
            .map(|document| {
                let value: Value = serde::Deserialize::deserialize(document).expect("valid YAML");
                value
            })
            .collect()
    };
    let app = documents("brightrun.yaml");
    assert_eq!(app.len(), 1);
    let app = &app[0];
    assert_eq!(
        (app["apiVersion"].as_str(), app["kind"].as_str()),
        (Some("core.spinkube.dev/v1alpha1"), Some("SpinApp"))
    );
    assert_eq!(app["spec"]["executor"], "containerd-shim-spin");
    let store = &app["spec"]["runtimeConfig"]["keyValueStores"][0];
    assert_eq!((store["name"].as_str(), store["type"].as_str()), (Some("default"), Some("redis")));
    let secret_name = store["options"][0]["valueFrom"]["secretKeyRef"]["name"].as_str().expect("a secret");
    let variable = &app["spec"]["variables"][0];
    let spin_toml = brightrun_host::spin::manifest::Manifest::load(&workspace().join("spin.toml")).expect("spin.toml");
    assert!(
        spin_toml.variables.contains_key(variable["name"].as_str().unwrap_or("")),
        "the SpinApp sets a variable spin.toml has"
    );

    let redis = documents("redis.yaml");
    let kinds: Vec<&str> = redis.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(kinds, ["Deployment", "Service", "Secret"]);
    let secret = redis.iter().find(|d| d["kind"] == "Secret").expect("secret");
    assert_eq!(secret["metadata"]["name"].as_str(), Some(secret_name));
    let service = redis.iter().find(|d| d["kind"] == "Service").expect("service");
    let url = secret["stringData"]["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("redis://{}:", service["metadata"]["name"].as_str().unwrap_or(""))), "{url}");

    let config = brightrun_host::spin::key_value::RuntimeConfig::load(&deploy.join("runtime-config.redis.toml"))
        .expect("runtime config");
    assert!(matches!(
        config.key_value_store.get("default"),
        Some(brightrun_host::spin::key_value::StoreConfig::Redis { .. })
    ));
}
