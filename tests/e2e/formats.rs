//! Every input format through the real ingest component, hostile files
//! included: each gives a typed error naming the file, within the
//! per-invocation limits, and never costs the other documents of a run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use brightrun_host::engine::Limits;
use brightrun_host::stages::{StageFailure, Stages};
use brightrun_host::types;
use brightrun_ingest::hostile;
use serde_json::Value;

use crate::support::{json, json_lines, run, stderr, workspace};

fn fixtures() -> PathBuf {
    workspace().join("tests").join("fixtures").join("formats")
}

fn stages() -> Stages {
    Stages::new(Limits::default(), None, &BTreeMap::new()).expect("the embedded components load")
}

fn ingest(stages: &Stages, name: &str, bytes: &[u8]) -> Result<types::Ingested, StageFailure> {
    stages.ingest(name, None, bytes, &types::IngestConfig::default())
}

/// The WIT error case of a failure, or the failure kind for a stopped call.
fn problem(result: &Result<types::Ingested, StageFailure>) -> String {
    match result {
        Ok(ingested) => format!("ok ({} documents)", ingested.documents.len()),
        Err(failure) => failure.kind().to_string(),
    }
}

#[test]
fn decodes_every_format_through_the_component() {
    let stages = stages();
    let cases: [(&str, types::SourceFormat, usize); 7] = [
        ("rate-limiting-wiki.html", types::SourceFormat::Html, 1),
        ("legacy-cp1252.html", types::SourceFormat::Html, 1),
        ("sqlite-atomic-commit.pdf", types::SourceFormat::Pdf, 1),
        ("sqlite-wal-two-column.pdf", types::SourceFormat::Pdf, 1),
        ("incident-runbook.docx", types::SourceFormat::Docx, 1),
        ("cms-export.json", types::SourceFormat::Json, 12),
        ("runbook-sections.jsonl", types::SourceFormat::JsonLines, 6),
    ];
    for (name, format, documents) in cases {
        let bytes = std::fs::read(fixtures().join(name)).expect("fixture");
        let ingested = ingest(&stages, name, &bytes).unwrap_or_else(|failure| panic!("{name}: {failure}"));
        assert_eq!(ingested.documents.len(), documents, "{name}");
        for document in &ingested.documents {
            assert_eq!(document.format, format, "{name}");
            assert!(document.blocks.len() >= 2, "{name}: {} blocks", document.blocks.len());
            for block in &document.blocks {
                let text = document.text.get(block.span.start as usize..block.span.end as usize);
                assert!(text.is_some_and(|t| !t.trim().is_empty()), "{name}: {block:?}");
                assert_eq!(block.page.is_some(), format == types::SourceFormat::Pdf, "{name}: {block:?}");
            }
        }
    }
}

#[test]
fn hostile_inputs_get_typed_errors_within_the_limits() {
    let stages = stages();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("# UTF-16\n\nText with a byte order mark.\n".encode_utf16().flat_map(u16::to_le_bytes));
    let mut bad_utf16 = vec![0xFF, 0xFE];
    bad_utf16.extend([0x41, 0x00, 0x00, 0xD8, 0x41, 0x00]);
    let sentence = "The queue drains at one hundred messages per second when the workers are healthy. ";
    let single_line = sentence.repeat((50 << 20) / sentence.len()).into_bytes();
    let fixture = |name: &str| std::fs::read(fixtures().join(name)).expect("fixture");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.pdf", hostile::flate_bomb_pdf(2 << 30), "limit-exceeded"),
        ("bomb.docx", hostile::zip_bomb_docx(1 << 30), "limit-exceeded"),
        ("truncated.pdf", fixture("truncated.pdf"), "corrupt"),
        ("corrupt.pdf", fixture("corrupt.pdf"), "corrupt"),
        ("encrypted.pdf", fixture("encrypted.pdf"), "encrypted"),
        ("scanned.pdf", fixture("scanned-no-text.pdf"), "no-text-layer"),
        ("not-a-zip.docx", fixture("not-a-zip.docx"), "corrupt"),
        ("truncated-zip.docx", fixture("truncated-zip.docx"), "corrupt"),
        ("deep.html", hostile::deeply_nested_html(4_000), "ok (1 documents)"),
        ("deeper.html", hostile::deeply_nested_html(100_000), "limit-exceeded"),
        ("deep.json", hostile::deeply_nested_json(100_000), "limit-exceeded"),
        ("one-line.txt", single_line, "ok (1 documents)"),
        ("latin1.txt", fixture("latin1.txt"), "invalid-encoding"),
        ("utf16.md", utf16, "ok (1 documents)"),
        ("bad-utf16.txt", bad_utf16, "invalid-encoding"),
        ("empty.md", Vec::new(), "empty-input"),
        ("binary.txt", fixture("image-named.txt"), "unsupported-format"),
    ];
    for (name, bytes, expected) in &cases {
        let result = ingest(&stages, name, bytes);
        assert_eq!(problem(&result), *expected, "{name}: {result:?}");
        if let Err(StageFailure::Guest { document, .. }) = &result {
            assert_eq!(document, name, "the error names the file");
        }
    }
    let metrics = stages.metrics().snapshot();
    assert_eq!(metrics.len(), cases.len(), "every call measured");
    let limits = Limits::default();
    assert!(metrics.iter().all(|m| m.peak_memory <= limits.memory_bytes), "memory stayed under the limit");
}

fn copy_into(dir: &Path, names: &[&str]) {
    for name in names {
        std::fs::copy(fixtures().join(name), dir.join(name)).expect("copy fixture");
    }
}

fn report_entry<'a>(report: &'a Value, file: &str) -> &'a Value {
    report["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .find(|d| d["name"].as_str().is_some_and(|n| n.ends_with(file)))
        .unwrap_or_else(|| panic!("{file} missing from the report"))
}

#[test]
fn a_run_over_mixed_formats_exports_the_good_files_and_names_each_bad_one() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = work.path().join("inbox");
    std::fs::create_dir(&input).expect("inbox");
    let good = ["rate-limiting-wiki.html", "sqlite-wal-two-column.pdf", "incident-runbook.docx", "cms-export.json"];
    copy_into(&input, &good);
    copy_into(&input, &["encrypted.pdf", "truncated.pdf", "not-a-zip.docx", "scanned-no-text.pdf"]);
    std::fs::write(input.join("bomb.pdf"), hostile::flate_bomb_pdf(1 << 30)).expect("write");
    std::fs::write(input.join("deep.json"), hostile::deeply_nested_json(10_000)).expect("write");
    std::fs::copy(fixtures().join("incident-runbook.docx"), input.join("runbook-named.txt")).expect("copy");
    let out = work.path().join("out");
    let output = run(&[&input], &out, &work.path().join("cache"), &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let report = json(&out.join("report.json"));
    for file in good {
        let entry = report_entry(&report, file);
        assert_eq!(entry["status"], "ok", "{file}: {entry}");
        assert!(entry["pairs"].as_u64().is_some_and(|p| p > 0), "{file}: {entry}");
    }
    assert_eq!(report_entry(&report, "cms-export.json")["documents"], 12);
    let renamed = report_entry(&report, "runbook-named.txt");
    assert_eq!(renamed["format"], "docx");
    assert!(renamed["warnings"][0].as_str().is_some_and(|w| w.contains("named as plain-text but the content is docx")));
    let failed: BTreeMap<String, String> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            let name = e["document"].as_str().expect("document");
            let file = Path::new(name).file_name().and_then(|n| n.to_str()).unwrap_or(name).to_string();
            (file, e["kind"].as_str().expect("kind").to_string())
        })
        .collect();
    let expected: BTreeMap<String, String> = [
        ("bomb.pdf", "limit-exceeded"),
        ("deep.json", "limit-exceeded"),
        ("encrypted.pdf", "encrypted"),
        ("not-a-zip.docx", "corrupt"),
        ("scanned-no-text.pdf", "no-text-layer"),
        ("truncated.pdf", "corrupt"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(failed, expected);
    let messages = stderr(&output);
    for file in expected.keys() {
        assert!(messages.contains(file.as_str()), "stderr names {file}: {messages}");
    }
    assert!(
        messages.contains("warning: ") && messages.contains("runbook-named.txt: named as plain-text"),
        "the mismatch is reported: {messages}"
    );
    // Pairs cite records and pages of the good files, and their evidence is
    // the ingested text.
    let audit = json_lines(&out.join("pairs.jsonl"));
    let sources: std::collections::BTreeSet<&str> =
        audit.iter().filter_map(|row| row["evidence"][0]["source"].as_str()).collect();
    assert!(sources.iter().any(|s| s.contains("cms-export.json#/data/articles/")), "{sources:?}");
    assert!(sources.iter().any(|s| s.ends_with("sqlite-wal-two-column.pdf")), "{sources:?}");
}
