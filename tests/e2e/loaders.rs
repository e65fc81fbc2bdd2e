//! The exports of a real run, loaded by the trainers' own loader code:
//! `datasets`, LLaMA-Factory's parser and converters, TRL's data utilities
//! (`tests/loaders/check_exports.py` says what exactly). A row any of them
//! drops, rejects or changes fails the test.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{examples, run, stderr, workspace};

/// The virtual environment with the loaders, made by `tests/loaders/setup`
/// on first use (`.ci/run` makes it beforehand); `BRIGHTRUN_LOADERS_VENV`
/// names another.
fn loaders_python() -> PathBuf {
    let venv = std::env::var_os("BRIGHTRUN_LOADERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target").join("loaders-venv"));
    if !venv.join(".brightrun-loaders-ready").exists() {
        let setup = workspace().join("tests/loaders/setup");
        let status = Command::new(&setup).arg(&venv).status().expect("tests/loaders/setup runs (bash, python3)");
        assert!(status.success(), "{} {} failed: it needs python3 with venv and PyPI", setup.display(), venv.display());
    }
    venv.join("bin").join("python")
}

#[test]
fn exports_load_in_the_trainers_real_loaders() {
    let work = tempfile::tempdir().expect("temp dir");
    // The examples and real documents of every format.
    let input = work.path().join("docs");
    std::fs::create_dir(&input).expect("docs");
    for entry in std::fs::read_dir(examples()).expect("examples") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, input.join(path.file_name().expect("name"))).expect("copy");
    }
    let formats = workspace().join("tests/fixtures/formats");
    for name in ["sqlite-faq.docx", "sqlite-atomic-commit.pdf", "rate-limiting-wiki.html", "runbook-sections.jsonl"] {
        std::fs::copy(formats.join(name), input.join(name)).expect("copy");
    }
    let out = work.path().join("out");
    let output = run(&[&input], &out, &work.path().join("cache"), &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let check = Command::new(loaders_python())
        .arg(workspace().join("tests/loaders/check_exports.py"))
        .arg(&out)
        .output()
        .expect("the loaders' python runs");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{said}\n{}", stderr(&check));
    let summary: serde_json::Value = serde_json::from_str(said.trim()).expect("a JSON summary");
    let rows = summary["rows"]["alpaca.json"].as_u64().expect("rows");
    assert!(rows > 0, "{summary}");
    for entry in ["brightrun_alpaca", "brightrun_sharegpt", "brightrun_openai"] {
        assert_eq!(summary["llamafactory"][entry].as_u64(), Some(rows), "{entry}: {summary}");
    }
    assert_eq!(summary["trl"]["openai.jsonl"].as_u64(), Some(rows), "{summary}");
}
