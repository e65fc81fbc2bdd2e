//! Shared helpers: paths, running the binary, reading its output.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The repository root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ is in the workspace").to_path_buf()
}

/// The bundled example corpus.
pub fn examples() -> PathBuf {
    workspace().join("examples").join("corpus")
}

/// Runs `brightrun` with `args` and returns its output.
pub fn brightrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brightrun")).args(args).output().expect("the brightrun binary runs")
}

/// Runs `brightrun run` on `inputs` into `out`, caching compiled components in `cache`.
pub fn run(inputs: &[&Path], out: &Path, cache: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["--out".into(), out.display().to_string(), "--cache-dir".into(), cache.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    brightrun(&refs)
}

/// Parses a JSON file.
pub fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Parses a JSON Lines file.
pub fn json_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("parsing a line of {}: {e}", path.display())))
        .collect()
}

/// stderr as text, for assertions and failure messages.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The one document ingest makes of `bytes` (default settings), or its failure.
pub fn ingest_one(
    stages: &brightrun_host::stages::Stages,
    name: &str,
    bytes: &[u8],
) -> Result<brightrun_host::types::Document, brightrun_host::stages::StageFailure> {
    let ingested = stages.ingest(name, None, bytes, &Default::default())?;
    assert_eq!(ingested.documents.len(), 1, "{name} is one document");
    Ok(ingested.documents.into_iter().next().expect("one document"))
}

/// A `redis-server` of our own on a free loopback port, stopped on drop.
pub struct Redis {
    child: Child,
    /// Its port.
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Redis {
    /// Starts one.
    pub fn start() -> Redis {
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("address").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (.ci/run installs Debian's redis-server)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "redis-server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis { child, port, _dir: dir }
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
