//! The stage-result cache through the real binary: reuse on a second run,
//! recompute only what changed, corrupt entries, SQLite and a real Redis.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Redis, examples, json, run, stderr, workspace};

/// (layer, hits, misses, corrupt) per cache layer (a stage, or `document`) from a report.
fn cache_figures(out: &Path) -> Vec<(String, u64, u64, u64)> {
    let report = json(&out.join("report.json"));
    report["cache"]["stages"]
        .as_array()
        .expect("cache stages")
        .iter()
        .map(|s| {
            let n = |key: &str| s[key].as_u64().unwrap_or(0);
            (
                s["layer"].as_str().unwrap_or("").to_string(),
                n("memory_hits") + n("store_hits"),
                n("misses"),
                n("corrupt"),
            )
        })
        .collect()
}

fn misses(figures: &[(String, u64, u64, u64)], stage: &str) -> u64 {
    figures.iter().find(|f| f.0 == stage).map_or(0, |f| f.2)
}

fn hits(figures: &[(String, u64, u64, u64)], stage: &str) -> u64 {
    figures.iter().find(|f| f.0 == stage).map_or(0, |f| f.1)
}

fn copy_examples(to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(examples()).expect("examples") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
    }
}

fn dataset(out: &Path) -> String {
    std::fs::read_to_string(out.join("openai.jsonl")).expect("openai.jsonl")
}

#[test]
fn reuses_every_stage_result_and_recomputes_only_the_edited_document() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = work.path().join("corpus");
    copy_examples(&input);
    let cache = work.path().join("cache");

    let first = work.path().join("first");
    let output = run(&[&input], &first, &cache, &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let cold = cache_figures(&first);
    assert!(cold.iter().all(|(_, hits, _, _)| *hits == 0), "{cold:?}");
    assert_eq!(misses(&cold, "ingest"), 7);

    let second = work.path().join("second");
    assert!(run(&[&input], &second, &cache, &["--quiet"]).status.success());
    let warm = cache_figures(&second);
    assert!(warm.iter().all(|(_, _, misses, _)| *misses == 0), "a second run does no stage work: {warm:?}");
    let report = json(&second.join("report.json"));
    let calls: u64 =
        report["stages"].as_array().map_or(0, |s| s.iter().map(|x| x["invocations"].as_u64().unwrap_or(0)).sum());
    assert_eq!(calls, 0, "no component was called");
    assert_eq!(dataset(&first), dataset(&second));

    // Edit one document: only its results (and the global stages) are recomputed.
    let edited = input.join("oncall-handbook.txt");
    let mut text = std::fs::read_to_string(&edited).expect("read");
    text.push_str("\nPager hygiene\n\nA pager is a device that receives pages. Engineers must test the pager every Monday because a silent pager misses incidents.\n");
    std::fs::write(&edited, text).expect("write");
    let third = work.path().join("third");
    assert!(run(&[&input], &third, &cache, &["--quiet"]).status.success());
    let figures = cache_figures(&third);
    assert_eq!((misses(&figures, "document"), hits(&figures, "document")), (1, 6), "{figures:?}");
    assert_eq!((misses(&figures, "ingest"), hits(&figures, "ingest")), (1, 0), "{figures:?}");
    assert_eq!(misses(&figures, "segment"), 1, "{figures:?}");
    let handbook_chunks = json(&third.join("report.json"))["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .find(|d| d["name"].as_str().is_some_and(|n| n.ends_with("oncall-handbook.txt")))
        .and_then(|d| d["chunks"].as_u64())
        .expect("handbook chunks");
    assert!(misses(&figures, "analyze") <= handbook_chunks, "{figures:?}");
    assert!(misses(&figures, "analyze") + hits(&figures, "analyze") == handbook_chunks, "{figures:?}");
    assert_eq!(misses(&figures, "diversify"), 1);
    assert!(dataset(&third).contains("test the pager every Monday"), "the edit reaches the dataset");

    // A changed setting invalidates the stages it feeds, not the ones before.
    let reseeded = work.path().join("reseeded");
    assert!(run(&[&input], &reseeded, &cache, &["--quiet", "--seed", "7"]).status.success());
    let figures = cache_figures(&reseeded);
    assert_eq!(misses(&figures, "analyze"), 0, "{figures:?}");
    assert!(misses(&figures, "generate") > 100, "{figures:?}");
}

/// Every dataset file of a run, by name.
fn dataset_files(out: &Path) -> Vec<(String, String)> {
    [
        "alpaca.json",
        "sharegpt.json",
        "openai.jsonl",
        "completion.jsonl",
        "pairs.jsonl",
        "dataset_info.json",
        "README.md",
    ]
    .iter()
    .map(|name| (name.to_string(), std::fs::read_to_string(out.join(name)).expect("dataset file")))
    .collect()
}

#[test]
fn global_stages_stream_in_batches_and_resume_their_cached_chain() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = work.path().join("corpus");
    copy_examples(&input);
    let cache = work.path().join("cache");
    // 1 KiB batches: the examples' pairs make a dozen or more.
    let small = ["--quiet", "--pair-batch-kib", "1"];

    let whole = work.path().join("whole");
    assert!(run(&[&input], &whole, &cache, &["--quiet", "--no-cache"]).status.success());
    let batched = work.path().join("batched");
    let output = run(&[&input], &batched, &cache, &small);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(dataset_files(&batched), dataset_files(&whole), "batches change nothing in the dataset");
    let report = json(&batched.join("report.json"));
    let calls = |stage: &str| {
        report["stages"]
            .as_array()
            .expect("stages")
            .iter()
            .find(|s| s["stage"] == stage)
            .map_or(0, |s| s["invocations"].as_u64().unwrap_or(0))
    };
    // One open, one add per batch and one finish on each instance, plus the validate calls.
    assert!(calls("diversify") > 10, "{}", report["stages"]);
    assert!(calls("validate-export") > 10, "{}", report["stages"]);
    assert_eq!(report["counts"], json(&whole.join("report.json"))["counts"]);

    // Edit the last document: the chain hits up to its pairs, then misses;
    // the instance opens and the batches before the miss are replayed into it.
    let edited = input.join("sqlite-wal.md");
    let mut text = std::fs::read_to_string(&edited).expect("read");
    text.push_str("\n\n## Checkpoint starvation\n\nA checkpoint cannot finish while a reader holds an old snapshot, because the WAL frames it needs must stay.\n");
    std::fs::write(&edited, text).expect("write");
    let resumed = work.path().join("resumed");
    let output = run(&[&input], &resumed, &cache, &small);
    assert!(output.status.success(), "{}", stderr(&output));
    let figures = cache_figures(&resumed);
    for stage in ["diversify", "validate-export"] {
        assert!(hits(&figures, stage) > 0 && misses(&figures, stage) > 0, "{stage}: {figures:?}");
    }
    let fresh = work.path().join("fresh");
    assert!(run(&[&input], &fresh, &cache, &["--quiet", "--no-cache", "--pair-batch-kib", "1"]).status.success());
    assert_eq!(dataset_files(&resumed), dataset_files(&fresh), "a resumed chain gives the dataset of a fresh run");
    assert!(dataset(&resumed).contains("holds an old snapshot"), "the edit reaches the dataset");
}

#[test]
fn recomputes_corrupt_entries_instead_of_trusting_them() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = examples().join("incident-runbook.md");
    let cache = work.path().join("cache");
    let first = work.path().join("first");
    assert!(run(&[&input], &first, &cache, &["--quiet"]).status.success());
    let connection = rusqlite::Connection::open(cache.join("stages.sqlite")).expect("the SQLite cache exists");
    let changed = connection
        // The last byte changed (a postcard value often ends in 0x00 already).
        .execute(
            "UPDATE stage_results SET value = substr(value, 1, length(value) - 1) || \
             CASE WHEN substr(value, -1) = x'00' THEN x'01' ELSE x'00' END",
            [],
        )
        .expect("corrupts");
    assert!(changed > 0);
    drop(connection);
    let second = work.path().join("second");
    let output = run(&[&input], &second, &cache, &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let figures = cache_figures(&second);
    assert!(figures.iter().all(|(_, hits, _, corrupt)| *hits == 0 && *corrupt > 0), "{figures:?}");
    assert_eq!(dataset(&first), dataset(&second));
}

#[test]
fn no_cache_caches_no_stage_result_but_keeps_the_compiled_components() {
    let work = tempfile::tempdir().expect("temp dir");
    let cache = work.path().join("cache");
    let out = work.path().join("out");
    let input = examples().join("incident-runbook.md");
    // The first run compiles and says so, then says what the start-up took.
    let first = run(&[&input], &out, &cache, &["--no-cache"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let said = stderr(&first);
    assert!(said.contains("compiling stage components, first run only"), "{said}");
    assert!(said.contains("startup") && said.contains("first run only; pipeline"), "{said}");
    let report: Value = json(&out.join("report.json"));
    assert_eq!(report["cache"]["enabled"], false);
    assert!(report["startup_s"].as_f64().expect("startup_s") > 0.0, "{}", report["startup_s"]);
    assert!(!cache.join("stages.sqlite").exists(), "no stage result is stored");
    // The second `--no-cache` run loads every component it compiled.
    let second = run(&[&input], &out, &cache, &["--no-cache"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(!stderr(&second).contains("compiling stage components"), "{}", stderr(&second));
    let report: Value = json(&out.join("report.json"));
    let sources: Vec<&Value> =
        report["components"].as_array().expect("components").iter().map(|c| &c["source"]).collect();
    assert!(!sources.is_empty() && sources.iter().all(|s| *s == "cached"), "{sources:?}");
    assert_eq!(report["cache"]["enabled"], false);
    assert!(!cache.join("stages.sqlite").exists(), "no stage result is stored");
}

#[test]
fn keeps_the_sqlite_cache_within_its_size_cap() {
    let work = tempfile::tempdir().expect("temp dir");
    let cache = work.path().join("cache");
    let stored = |cache: &Path| -> i64 {
        let connection = rusqlite::Connection::open(cache.join("stages.sqlite")).expect("opens the cache");
        connection
            .query_row("SELECT COALESCE(SUM(length(value)), 0) FROM stage_results", [], |row| row.get(0))
            .expect("sums")
    };
    // The examples and the real-document fixtures: their results take more than 1 MiB.
    let fixtures = workspace().join("tests/fixtures");
    let folders = [examples(), fixtures.join("rst"), fixtures.join("asciidoc"), fixtures.join("html")];
    let inputs: Vec<&Path> = folders.iter().map(|p| p.as_path()).collect();
    let uncapped = run(&inputs, &work.path().join("out1"), &cache, &["--quiet", "--cache-max-mib", "0"]);
    assert!(uncapped.status.success(), "{}", stderr(&uncapped));
    let full = stored(&cache);
    assert!(full > 1 << 20, "the inputs' results take more than 1 MiB: {full}");

    // A warm run reads the whole-document and global results; the per-stage ones it does
    // not read are now the least recently used, and go first.
    let capped = run(&inputs, &work.path().join("out2"), &cache, &["--quiet", "--cache-max-mib", "1"]);
    assert!(capped.status.success(), "{}", stderr(&capped));
    let kept = stored(&cache);
    assert!(kept <= (1 << 20) * 9 / 10, "evicted to 90 % of 1 MiB: {kept} of {full}");
    let third = run(&inputs, &work.path().join("out3"), &cache, &["--quiet", "--cache-max-mib", "1"]);
    assert!(third.status.success(), "{}", stderr(&third));
    let count = json(&work.path().join("out3/report.json"))["counts"]["documents"].as_u64().expect("documents");
    let documents = cache_figures(&work.path().join("out3")).into_iter().find(|(layer, ..)| layer == "document");
    assert_eq!(documents.map(|(_, hits, misses, _)| (hits, misses)), Some((count, 0)), "what was read last stays");
    // The dataset does not depend on what the cache kept.
    let dataset = |out: &str| std::fs::read_to_string(work.path().join(out).join("sharegpt.json")).expect("dataset");
    assert!(dataset("out1") == dataset("out2") && dataset("out1") == dataset("out3"));
}

#[test]
fn shares_stage_results_between_hosts_through_redis() {
    let redis = Redis::start();
    let work = tempfile::tempdir().expect("temp dir");
    let input = examples().join("rate-limiting-explained.md");
    // Two "hosts" with separate local cache dirs: only Redis is shared.
    let host_a: PathBuf = work.path().join("host-a");
    let host_b: PathBuf = work.path().join("host-b");
    let url = redis.url();
    let first = work.path().join("first");
    let output = run(&[&input], &first, &host_a, &["--quiet", "--cache", &url]);
    assert!(output.status.success(), "{}", stderr(&output));
    let second = work.path().join("second");
    let output = run(&[&input], &second, &host_b, &["--quiet", "--cache", &url]);
    assert!(output.status.success(), "{}", stderr(&output));
    let figures = cache_figures(&second);
    assert!(figures.iter().all(|(_, hits, misses, _)| *misses == 0 && *hits > 0), "{figures:?}");
    assert_eq!(json(&second.join("report.json"))["cache"]["store"], url.as_str());
    assert!(!host_b.join("stages.sqlite").exists(), "Redis replaces SQLite");
    assert_eq!(dataset(&first), dataset(&second));
}

#[test]
fn exits_3_with_a_clear_message_when_redis_is_unreachable() {
    let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("address").port();
    let work = tempfile::tempdir().expect("temp dir");
    let url = format!("redis://127.0.0.1:{port}/");
    let output =
        run(&[&examples()], &work.path().join("out"), &work.path().join("cache"), &["--quiet", "--cache", &url]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains(&url), "{}", stderr(&output));
}
