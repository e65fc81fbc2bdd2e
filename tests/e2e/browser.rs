//! The web page of `brightrun serve` in headless Chromium (Debian's
//! `chromium`, driven by playwright-core from `tests/browser/`): upload,
//! progress to 100 %, report plots, pairs with evidence, feedback; and the
//! Cancel and Resume buttons. The screenshot is kept at
//! `target/tmp/web-page.png`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::serve::{Server, client, get, varied_corpus};
use crate::support::{examples, workspace};

/// The browser test's folder, with playwright-core installed (`npm ci` the
/// first time, from the committed lock file).
fn browser_tests() -> PathBuf {
    let dir = workspace().join("tests").join("browser");
    if !dir.join("node_modules").join("playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .status()
            .expect("npm is installed (Node.js 20 or later runs the browser test)");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    dir
}

/// Chromium: `$BRIGHTRUN_CHROMIUM`, else Debian's.
fn chromium() -> PathBuf {
    let path = std::env::var_os("BRIGHTRUN_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(path.exists(), "{} is missing: `apt-get install chromium` (.ci/run installs it)", path.display());
    path
}

/// Runs one of `tests/browser/`'s scripts and reads the JSON line it prints
/// of what it saw; a script that fails fails the test with its message.
fn run_script(scripts: &Path, chromium: &Path, script: &str, arguments: &[std::ffi::OsString]) -> Value {
    let output = Command::new("node")
        .current_dir(scripts)
        .env("BRIGHTRUN_CHROMIUM", chromium)
        .arg(script)
        .args(arguments)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn the_web_page_uploads_shows_progress_plots_and_pairs_and_takes_feedback() {
    let chromium = chromium();
    let scripts = browser_tests();
    let temp = tempfile::tempdir().unwrap();
    let server = Server::start(&temp.path().join("data"), &temp.path().join("cache"), &[]);
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let files: Vec<PathBuf> = ["incident-runbook.md", "sqlite-wal.md", "oncall-handbook.txt"]
        .iter()
        .map(|name| examples().join(name))
        .collect();

    let mut arguments = vec![server.url.clone().into(), screenshot.clone().into_os_string()];
    arguments.extend(files.iter().map(|file| file.clone().into_os_string()));
    let seen = run_script(&scripts, &chromium, "web-page.mjs", &arguments);

    assert_eq!(seen["status"], "succeeded", "{seen}");
    let progress: Vec<&str> = seen["progress_seen"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(progress.contains(&"100 %"), "{seen}");
    for chart in ["tasks", "content", "difficulty", "fidelity", "stages"] {
        assert!(seen["charts"][chart].as_u64().unwrap() > 0, "the {chart} plot has bars: {seen}");
    }
    assert!(seen["downloads"].as_array().unwrap().iter().any(|d| d == "alpaca.json"), "{seen}");
    assert!(seen["pairs"].as_u64().unwrap() > 0 && seen["evidence"].as_u64().unwrap() > 0, "{seen}");
    assert!(seen["marks"].as_u64().unwrap() > 0, "answer words are highlighted in the evidence: {seen}");
    assert_eq!(seen["page_errors"], serde_json::json!([]), "no script errors: {seen}");

    // The click reached the server.
    let (job, pair) = (seen["job"].as_str().unwrap(), seen["feedback_pair"].as_str().unwrap());
    let (_, feedback) = get(&client(), &format!("{}/v1/jobs/{job}/feedback", server.url));
    assert_eq!(feedback["feedback"][0]["pair_id"], pair);
    assert_eq!(feedback["feedback"][0]["verdict"], "bad");

    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot at {}", screenshot.display());
    eprintln!("screenshot: {}", screenshot.display());
}

#[test]
fn the_web_page_cancels_a_running_job_and_resumes_it() {
    let chromium = chromium();
    let scripts = browser_tests();
    let temp = tempfile::tempdir().unwrap();
    // One worker and no stage cache, so the job is still running when the
    // button is clicked.
    let server = Server::start(&temp.path().join("data"), &temp.path().join("cache"), &["--no-cache", "--jobs", "1"]);
    let files = varied_corpus(&temp.path().join("corpus"), 400);

    let mut arguments = vec![server.url.clone().into()];
    arguments.extend(files.into_iter().map(PathBuf::into_os_string));
    let seen = run_script(&scripts, &chromium, "job-controls.mjs", &arguments);

    let stopped = seen["cancelled_row"].as_str().unwrap();
    assert!(stopped.starts_with("stopped in "), "a cancelled job says where it stopped: {seen}");
    assert!(seen["cancelled_detail"].as_str().unwrap().contains("Resume"), "{seen}");
    assert_eq!(seen["status"], "succeeded", "{seen}");
    assert_eq!(seen["page_errors"], serde_json::json!([]), "no script errors: {seen}");

    let job = seen["job"].as_str().unwrap();
    let (_, record) = get(&client(), &format!("{}/v1/jobs/{job}", server.url));
    assert_eq!(record["status"], "succeeded", "{record}");
    assert_eq!(seen["pairs_exported"].as_str().unwrap(), record["counts"]["pairs_exported"].to_string(), "{seen}");
}
