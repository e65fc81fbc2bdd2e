//! The real `brightrun` binary: the bundled examples, bad input, exit codes,
//! limits through the hostile component, and the compiled-component cache.

use std::collections::HashMap;
use std::path::Path;

use brightrun_host::components::HOSTILE_ANALYZE_PATH;
use brightrun_host::engine::Limits;
use brightrun_host::stages::Stages;
use serde_json::Value;

use crate::support::{brightrun, examples, ingest_one, json, json_lines, run, stderr, workspace};

/// The normalised text of every file in `dir`, as ingest produces it, by name.
fn normalised_texts(dir: &Path) -> HashMap<String, String> {
    let stages = Stages::new(Limits::default(), None, &Default::default()).expect("components load");
    let mut texts = HashMap::new();
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("entry").path();
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).expect("readable file");
        if let Ok(document) = ingest_one(&stages, &name, &bytes) {
            texts.insert(name, document.text);
        }
    }
    texts
}

fn as_str<'a>(value: &'a Value, what: &str) -> &'a str {
    value.as_str().unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

#[test]
fn turns_the_bundled_examples_into_a_dataset_whose_evidence_is_the_source_text() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let output = run(&[&examples()], &out, &work.path().join("cache"), &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let texts = normalised_texts(&examples());
    assert_eq!(texts.len(), 7, "every example ingests");
    let audit = json_lines(&out.join("pairs.jsonl"));
    // At least 150 pairs per MB of input (the examples are 161 KB).
    assert!(audit.len() >= 25, "only {} pairs", audit.len());
    for row in &audit {
        for evidence in row["evidence"].as_array().expect("evidence list") {
            let source = as_str(&evidence["source"], "source");
            let start = evidence["start"].as_u64().expect("start") as usize;
            let end = evidence["end"].as_u64().expect("end") as usize;
            let text = &texts[source];
            assert_eq!(text.get(start..end), Some(as_str(&evidence["text"], "text")), "{row}");
        }
        let fidelity = row["fidelity"].as_f64().expect("fidelity");
        assert!((0.8..=1.0).contains(&fidelity), "{row}");
        for key in ["id", "task", "difficulty", "content_type"] {
            assert!(row[key].is_string(), "{key} missing: {row}");
        }
    }
    let tasks: std::collections::BTreeSet<&str> = audit.iter().map(|r| as_str(&r["task"], "task")).collect();
    for task in
        ["definition-qa", "procedure-instruction", "section-summary", "reasoning-why", "faq-answer", "multi-turn"]
    {
        assert!(tasks.contains(task), "no {task} pair in {tasks:?}");
    }
    // Every piece of evidence names the assistant turn it supports, and every assistant turn has some.
    for row in &audit {
        let messages = row["messages"].as_array().expect("messages");
        let cited: std::collections::BTreeSet<u64> =
            row["evidence"].as_array().expect("evidence").iter().map(|e| e["turn"].as_u64().expect("turn")).collect();
        let assistant: std::collections::BTreeSet<u64> =
            (0..messages.len() as u64).filter(|i| messages[*i as usize]["role"] == "assistant").collect();
        assert_eq!(cited, assistant, "{row}");
    }

    // Alpaca: a JSON array of instruction/input/output strings.
    let alpaca = json(&out.join("alpaca.json"));
    let alpaca = alpaca.as_array().expect("alpaca.json is an array");
    assert_eq!(alpaca.len(), audit.len());
    for row in alpaca {
        for key in ["instruction", "input", "output"] {
            assert!(row[key].is_string(), "{key}: {row}");
        }
        assert!(!as_str(&row["instruction"], "instruction").is_empty());
        assert!(!as_str(&row["output"], "output").is_empty());
    }
    // ShareGPT: human/gpt alternating from the first turn, an even count (LLaMA-Factory's rules).
    let sharegpt = json(&out.join("sharegpt.json"));
    for row in sharegpt.as_array().expect("sharegpt.json is an array") {
        let turns = row["conversations"].as_array().expect("conversations");
        assert!(!turns.is_empty() && turns.len() % 2 == 0, "{row}");
        for (index, turn) in turns.iter().enumerate() {
            assert_eq!(turn["from"], if index % 2 == 0 { "human" } else { "gpt" }, "{row}");
            assert!(!as_str(&turn["value"], "value").trim().is_empty());
        }
    }
    // OpenAI messages: exactly role and content (Unsloth asserts two keys; TRL needs role).
    for row in json_lines(&out.join("openai.jsonl")) {
        let messages = row["messages"].as_array().expect("messages");
        assert_eq!(messages.len() % 2, 0);
        for (index, message) in messages.iter().enumerate() {
            let keys: Vec<&String> = message.as_object().expect("object").keys().collect();
            assert_eq!(keys, ["content", "role"], "{row}");
            assert_eq!(message["role"], if index % 2 == 0 { "user" } else { "assistant" });
        }
    }
    for row in json_lines(&out.join("completion.jsonl")) {
        assert!(row["prompt"].is_string() && row["completion"].is_string(), "{row}");
    }
    // dataset_info.json points at files that exist.
    let info = json(&out.join("dataset_info.json"));
    for (name, entry) in info.as_object().expect("object") {
        let file = as_str(&entry["file_name"], "file_name");
        assert!(out.join(file).exists(), "{name} names missing {file}");
    }
    let card = std::fs::read_to_string(out.join("README.md")).expect("card");
    assert!(card.starts_with("---\n") && card.contains("\n---\n"), "YAML front matter");
    // report.html: self-contained, with the plots.
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    for chart in ["tasks", "content", "difficulty", "fidelity", "stages"] {
        assert!(html.contains(&format!("data-chart=\"{chart}\"")), "{chart} plot");
    }
    assert!(html.matches("class=\"value\"").count() > 20, "the plots have bars");
    for outside in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(outside), "report.html loads nothing from elsewhere ({outside})");
    }

    // The report's counts add up.
    let report = json(&out.join("report.json"));
    let counts = &report["counts"];
    let generated = counts["pairs_generated"].as_u64().expect("generated");
    let exported = counts["pairs_exported"].as_u64().expect("exported");
    let dropped: u64 = counts["dropped"].as_object().expect("dropped").values().map(|v| v.as_u64().unwrap_or(0)).sum();
    assert_eq!(generated, dropped + exported);
    assert_eq!(exported as usize, audit.len());
    let documents = report["documents"].as_array().expect("documents");
    assert_eq!(documents.len(), 7);
    let per_document: u64 = documents.iter().map(|d| d["pairs"].as_u64().unwrap_or(0)).sum();
    assert_eq!(per_document, generated);
    let chunks: u64 = documents.iter().map(|d| d["chunks"].as_u64().unwrap_or(0)).sum();
    assert_eq!(counts["chunks"].as_u64(), Some(chunks));
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(0));
    let stages: Vec<&str> =
        report["stages"].as_array().expect("stages").iter().map(|s| as_str(&s["stage"], "stage")).collect();
    assert_eq!(stages, ["ingest", "segment", "analyze", "generate", "diversify", "validate-export"]);
    let quality = &report["quality"];
    assert!(quality["faithful_share"].as_f64().expect("share") >= 0.95, "{quality}");
    assert_eq!(quality["pairs_exported"].as_u64(), Some(exported), "{quality}");
    let profile = &report["profile"];
    assert!(stages.contains(&as_str(&profile["bottleneck"], "bottleneck")), "{profile}");
    assert!(!profile["recommendations"].as_array().expect("recommendations").is_empty(), "{profile}");
    let choices: Vec<&str> =
        report["choices"].as_array().expect("choices").iter().map(|c| as_str(&c["setting"], "setting")).collect();
    assert_eq!(choices, ["jobs", "segment batch", "windows", "pair batch", "memory cache"]);
    let phases: Vec<&str> =
        profile["phases"].as_array().expect("phases").iter().map(|p| as_str(&p["phase"], "phase")).collect();
    assert_eq!(phases, ["documents", "diversify", "validate-export"]);
}

#[test]
fn raises_an_alert_when_a_threshold_is_crossed() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let input = examples().join("incident-runbook.md");
    let output = run(&[&input], &out, &work.path().join("cache"), &["--quiet", "--alert-memory-mib", "0.5"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = json(&out.join("report.json"));
    let alerts = report["profile"]["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 6, "every stage uses more than 0.5 MiB: {alerts:?}");
    assert!(stderr(&output).contains("alert: segment reached"), "{}", stderr(&output));
}

#[test]
fn a_deduper_out_of_memory_keeps_the_pairs_and_says_so() {
    // 20 MiB does not hold the deduper, whose embedding table alone widens
    // to 15 MiB of f32; the other stages keep the default limit.
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let output = run(&[&examples()], &out, &work.path().join("cache"), &["--quiet", "--dedup-memory-limit-mib", "20"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = json(&out.join("report.json"));
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["stage"], "diversify");
    assert_eq!(errors[0]["kind"], "out-of-memory");
    let message = errors[0]["message"].as_str().unwrap_or("");
    let counts = &report["counts"];
    let generated = counts["pairs_generated"].as_u64().expect("generated");
    assert!(message.contains(&format!("{generated} of {generated} pairs kept without dedup or balance")), "{message}");
    for dedup in ["exact-duplicate", "near-duplicate", "semantic-duplicate", "over-represented"] {
        assert!(counts["dropped"].get(dedup).is_none(), "undeduplicated pairs are exported: {counts}");
    }
    assert!(counts["pairs_exported"].as_u64().unwrap_or(0) > 0, "{counts}");
}

#[test]
fn reports_each_bad_file_by_name_and_exports_the_rest() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = work.path().join("cases");
    std::fs::create_dir(&input).expect("case folder");
    std::fs::copy(examples().join("incident-runbook.md"), input.join("good.md")).expect("copy");
    std::fs::write(input.join("empty.txt"), b"").expect("write");
    std::fs::write(input.join("latin1.txt"), b"Caf\xe9 au lait is served at 10:00.\n").expect("write");
    std::fs::write(input.join("photo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10").expect("write");
    std::fs::write(input.join("headings.md"), b"# Only\n\n## Headings\n").expect("write");
    std::os::unix::fs::symlink(&input, input.join("loop")).expect("a symlink back to the folder");
    std::fs::write(input.join(".hidden.md"), b"# Hidden\n\nNever read.\n").expect("write");
    let out = work.path().join("out");
    let output = run(&[&input], &out, &work.path().join("cache"), &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let report = json(&out.join("report.json"));
    let errors: Vec<(String, String, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            let name = as_str(&e["document"], "document");
            let file = Path::new(name).file_name().and_then(|n| n.to_str()).unwrap_or(name).to_string();
            (file, as_str(&e["stage"], "stage").to_string(), as_str(&e["kind"], "kind").to_string())
        })
        .collect();
    let expected = [
        ("empty.txt", "ingest", "empty-input"),
        ("headings.md", "segment", "no-content"),
        ("latin1.txt", "ingest", "invalid-encoding"),
        ("photo.png", "ingest", "unsupported-format"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(errors, expected);
    let messages = stderr(&output);
    for (file, _, _) in &expected {
        assert!(messages.contains(file.as_str()), "stderr does not name {file}: {messages}");
    }
    assert!(messages.contains("offset 3"), "the encoding error gives the offset: {messages}");
    let counts = &report["counts"];
    assert_eq!(counts["documents"], 5);
    assert_eq!(counts["documents_failed"], 4);
    assert!(counts["pairs_exported"].as_u64().expect("exported") > 0);
    let audit = json_lines(&out.join("pairs.jsonl"));
    assert!(audit.iter().all(|row| row["evidence"][0]["source"].as_str().is_some_and(|s| s.ends_with("good.md"))));
}

#[test]
fn exits_2_when_an_input_does_not_exist_and_1_when_nothing_is_exported() {
    let work = tempfile::tempdir().expect("temp dir");
    let missing = work.path().join("no-such-folder");
    let output = run(&[&missing], &work.path().join("out"), &work.path().join("cache"), &["--quiet"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("input not found"), "{}", stderr(&output));

    let bad = work.path().join("bad");
    std::fs::create_dir(&bad).expect("folder");
    std::fs::write(bad.join("empty.txt"), b"").expect("write");
    let output = run(&[&bad], &work.path().join("out"), &work.path().join("cache"), &["--quiet"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(work.path().join("out").join("report.json").exists(), "the report is written even then");

    let usage = brightrun(&["run"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_runaway_or_greedy_component_fails_its_chunk_and_the_run_goes_on() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = work.path().join("cases");
    std::fs::create_dir(&input).expect("folder");
    std::fs::copy(examples().join("oncall-handbook.txt"), input.join("handbook.txt")).expect("copy");
    std::fs::write(input.join("loop.md"), "# Loop\n\nThis paragraph says HOSTILE-LOOP-FOREVER to the analyzer.\n")
        .expect("write");
    std::fs::write(input.join("greedy.md"), "# Greedy\n\nThis paragraph says HOSTILE-ALLOCATE-FOREVER to it.\n")
        .expect("write");
    let out = work.path().join("out");
    let component = format!("analyze={HOSTILE_ANALYZE_PATH}");
    let output = run(
        &[&input],
        &out,
        &work.path().join("cache"),
        &["--quiet", "--stage-component", &component, "--memory-limit-mib", "64"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report = json(&out.join("report.json"));
    let mut kinds: Vec<(String, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            let name = as_str(&e["document"], "document");
            (
                Path::new(name).file_name().and_then(|n| n.to_str()).unwrap_or(name).to_string(),
                as_str(&e["kind"], "kind").to_string(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [("greedy.md".to_string(), "out-of-memory".to_string()), ("loop.md".to_string(), "out-of-fuel".to_string())]
    );
    assert!(report["counts"]["pairs_exported"].as_u64().expect("exported") > 0);
    let overridden: Vec<bool> =
        report["components"].as_array().expect("components").iter().map(|c| c["overridden"] == true).collect();
    assert_eq!(overridden.iter().filter(|o| **o).count(), 1);
}

#[test]
fn caches_compiled_components_so_the_second_start_does_not_recompile() {
    let work = tempfile::tempdir().expect("temp dir");
    let cache = work.path().join("cache");
    let input = examples().join("incident-runbook.md");
    let sources = |out: &Path| -> Vec<String> {
        let report = json(&out.join("report.json"));
        report["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| as_str(&c["source"], "source").to_string())
            .collect()
    };
    let first = work.path().join("first");
    assert!(run(&[&input], &first, &cache, &["--quiet"]).status.success());
    assert!(sources(&first).iter().all(|s| s == "compiled"));
    let second = work.path().join("second");
    assert!(run(&[&input], &second, &cache, &["--quiet"]).status.success());
    assert!(sources(&second).iter().all(|s| s == "cached"));
    // A corrupt artifact is recompiled, not trusted.
    for entry in std::fs::read_dir(cache.join("components")).expect("cache folder") {
        std::fs::write(entry.expect("entry").path(), b"not a compiled component").expect("overwrite");
    }
    let third = work.path().join("third");
    let output = run(&[&input], &third, &cache, &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(sources(&third).iter().all(|s| s == "compiled"));
    // Same input and seed, same dataset.
    let a = std::fs::read_to_string(first.join("openai.jsonl")).expect("first");
    let b = std::fs::read_to_string(third.join("openai.jsonl")).expect("third");
    assert_eq!(a, b);
}

#[test]
fn an_output_folder_inside_the_inputs_is_not_read_back() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = work.path().join("docs");
    std::fs::create_dir(&input).expect("docs");
    std::fs::copy(examples().join("incident-runbook.md"), input.join("incident-runbook.md")).expect("copy");
    let out = input.join("out");
    let cache = work.path().join("cache");
    let first = run(&[&input], &out, &cache, &["--quiet"]);
    assert!(first.status.success(), "{}", stderr(&first));
    // An earlier run's output elsewhere among the inputs is skipped too.
    let earlier = input.join("last-week");
    std::fs::create_dir(&earlier).expect("folder");
    for name in ["report.json", "dataset_info.json", "README.md"] {
        std::fs::copy(out.join(name), earlier.join(name)).expect("copy");
    }
    let second = run(&[&input], &out, &cache, &["--quiet"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let said = stderr(&second);
    assert!(said.contains(&format!("skipped {}", out.display())), "{said}");
    assert!(said.contains(&format!("skipped {}", earlier.display())), "{said}");
    let report = json(&out.join("report.json"));
    let names: Vec<&str> =
        report["documents"].as_array().expect("documents").iter().map(|d| d["name"].as_str().expect("name")).collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with("incident-runbook.md"), "{names:?}");
    assert!(
        !std::fs::read_dir(&input)
            .expect("list")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("staging"))
    );
}

#[test]
fn a_run_that_exports_nothing_keeps_the_previous_dataset() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let cache = work.path().join("cache");
    let good = run(&[&examples().join("incident-runbook.md")], &out, &cache, &["--quiet"]);
    assert!(good.status.success(), "{}", stderr(&good));
    let before: Vec<(String, Vec<u8>)> = ["alpaca.json", "pairs.jsonl", "report.json", "README.md"]
        .iter()
        .map(|name| (name.to_string(), std::fs::read(out.join(name)).expect("written")))
        .collect();
    let broken = workspace().join("tests/fixtures/formats/corrupt.pdf");
    let failed = run(&[&broken], &out, &cache, &["--quiet"]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let said = stderr(&failed);
    assert!(said.contains("is kept as it was"), "{said}");
    for (name, bytes) in before {
        assert_eq!(std::fs::read(out.join(&name)).expect("still there"), bytes, "{name} changed");
    }
    let report = json(&work.path().join("out.failed/report.json"));
    assert_eq!(report["counts"]["pairs_exported"], 0);
}
