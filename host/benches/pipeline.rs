//! Whole-pipeline benchmark through the host: the bundled examples, then a
//! generated corpus of `BRIGHTRUN_BENCH_MB` megabytes (default 10).
//!
//! `cargo bench -p brightrun-host --bench pipeline` prints, per corpus, the
//! input size, wall time, MB/s, pairs/s and the process's peak RSS. The
//! generated corpus recombines the examples' paragraphs with their names and
//! numbers varied, so it is not a pile of copies that dedup would collapse.
//! Compiled components are cached before timing starts, as in normal use;
//! the generated corpus is then run a second time to measure the warm
//! (stage-cached) re-run against the cold one. `BRIGHTRUN_BENCH_NO_CACHE_CAP=1` runs
//! the SQLite cache without its size cap (no use-time bookkeeping or eviction).
//! `BRIGHTRUN_BENCH_NO_STAGE_CACHE=1`
//! runs without the stage cache, to measure what the cache itself costs.
//! `BRIGHTRUN_BENCH_DEDUP_MEMORY_MIB=N` sets the deduper's memory limit
//! (`--dedup-memory-limit-mib`), which bounds its fingerprints.
//! `BRIGHTRUN_BENCH_NO_WARM=1` skips the warm re-run (at 1 GB the capped
//! cache no longer holds the cold run's results, so it measures little).
//! `BRIGHTRUN_BENCH_CORPUS_DIR=DIR` writes the generated corpus to `DIR` and
//! keeps it, to run `brightrun run` on it; pair ids include the documents'
//! paths, so runs over one folder also give the same dataset to the byte.

use std::path::{Path, PathBuf};
use std::time::Instant;

use brightrun_host::pipeline::{NoProgress, RunOptions, run};

const NAMES: &[&str] = &[
    "Northwind Relay",
    "SQLite",
    "Contoso Mail",
    "Fabrikam Queue",
    "Tailspin Store",
    "Litware Cache",
    "Adatum Ledger",
    "Proseware Search",
    "Wingtip Gateway",
    "Woodgrove Vault",
    "Lucerne Stream",
    "Fourth Coffee Sync",
];

/// A small deterministic generator (xorshift64*), so every run builds the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Paragraph-level blocks of the examples (blank-line separated), headings kept apart.
fn example_blocks(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("examples").filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut blocks = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("example is UTF-8");
        blocks.extend(
            text.split("\n\n").map(str::trim).filter(|b| !b.is_empty() && !b.starts_with('#')).map(String::from),
        );
    }
    blocks
}

/// `block` with each name swapped for a random one and each number perturbed.
fn vary(block: &str, rng: &mut Rng) -> String {
    let mut text = block.to_string();
    for name in NAMES {
        if text.contains(name) {
            text = text.replace(name, NAMES[rng.below(NAMES.len())]);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            let value: u64 = digits.parse().unwrap_or(1);
            out.push_str(&(value + rng.below(9) as u64 + 1).to_string());
            digits.clear();
        }
        out.push(c);
    }
    out.pop();
    out
}

fn generate_corpus(dir: &Path, examples: &Path, megabytes: usize) -> u64 {
    let blocks = example_blocks(examples);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    std::fs::create_dir_all(dir).expect("corpus folder");
    let target = megabytes * 1_000_000;
    let mut written = 0;
    let mut index = 0;
    while written < target {
        let mut doc = format!("# {} handbook, volume {index}\n\n", NAMES[rng.below(NAMES.len())]);
        for section in 0..12 {
            doc.push_str(&format!("## Part {section}: {}\n\n", NAMES[rng.below(NAMES.len())]));
            for _ in 0..(3 + rng.below(4)) {
                doc.push_str(&vary(&blocks[rng.below(blocks.len())], &mut rng));
                doc.push_str("\n\n");
            }
        }
        written += doc.len();
        std::fs::write(dir.join(format!("doc-{index:05}.md")), doc).expect("write document");
        index += 1;
    }
    written as u64
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn bench(label: &str, input: &Path, bytes: u64, work: &Path, cache: &Path) -> f64 {
    let mut options = RunOptions::new(vec![input.to_path_buf()], work.join(format!("out-{label}")));
    options.cache_dir = Some(cache.to_path_buf());
    options.stage_cache = std::env::var_os("BRIGHTRUN_BENCH_NO_STAGE_CACHE").is_none();
    if std::env::var_os("BRIGHTRUN_BENCH_NO_CACHE_CAP").is_some() {
        options.cache_max_bytes = None;
    }
    if let Some(mib) = std::env::var("BRIGHTRUN_BENCH_DEDUP_MEMORY_MIB").ok().and_then(|v| v.parse::<usize>().ok()) {
        options.limits.dedup_memory_bytes = mib << 20;
    }
    let started = Instant::now();
    let report = run(&options, &NoProgress).expect("the pipeline runs");
    let seconds = started.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!(
        "{label:<10} {mb:>8.2} MB {:>5} docs {seconds:>8.2} s {:>8.2} MB/s {:>7} pairs {:>9.0} pairs/s  peak RSS {:>7.1} MiB  ({} jobs)",
        report.counts.documents,
        mb / seconds,
        report.counts.pairs_exported,
        report.counts.pairs_generated as f64 / seconds,
        peak_rss_mib(),
        report.settings.jobs,
    );
    for error in report.errors.iter().filter(|e| e.chunk.is_none() && e.document == "(all pairs)") {
        println!("           error: {}", error.message);
    }
    let generated = report.counts.pairs_generated.max(1) as f64;
    let dropped: Vec<String> = report
        .counts
        .dropped
        .iter()
        .map(|(reason, n)| format!("{reason} {n} ({:.1} %)", *n as f64 * 100.0 / generated))
        .collect();
    println!(
        "           dataset: {:.0} pairs/MB exported, {} generated; dropped: {}",
        report.counts.pairs_exported as f64 / mb,
        report.counts.pairs_generated,
        if dropped.is_empty() { "none".to_string() } else { dropped.join(", ") }
    );
    if let Some(quality) = &report.quality {
        let shares = |counts: &std::collections::BTreeMap<String, u32>| {
            let total = counts.values().sum::<u32>().max(1) as f64;
            counts
                .iter()
                .map(|(k, n)| format!("{k} {:.0} %", f64::from(*n) * 100.0 / total))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "           faithful {:.1} %, repaired {}, question bodies {}, distinct-2 {:.2}",
            quality.faithful_share * 100.0,
            quality.repaired,
            quality.question_templates,
            quality.question_distinct_bigrams
        );
        println!("           tasks: {}", shares(&quality.tasks));
        println!("           difficulty: {}", shares(&quality.difficulties));
    }
    for stage in &report.stages {
        println!(
            "           {:<16} calls {:>6}  p50 {:>8.2} ms  p95 {:>8.2} ms  total {:>9.1} ms  memory {:>6.1} MiB",
            stage.stage.as_str(),
            stage.invocations,
            stage.p50_ms,
            stage.p95_ms,
            stage.total_ms,
            stage.peak_memory as f64 / f64::from(1 << 20)
        );
    }
    let phases: Vec<String> = report.profile.phases.iter().map(|p| format!("{} {:.2} s", p.phase, p.seconds)).collect();
    println!("           phases: {}", phases.join(", "));
    seconds
}

fn main() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/corpus");
    let work = tempfile::tempdir().expect("temp dir");
    let cache = work.path().join("cache");
    let megabytes: usize = std::env::var("BRIGHTRUN_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(10);

    // Warm the compiled-component cache, as a user's second run would find it.
    let mut warm_up = RunOptions::new(vec![examples.join("incident-runbook.md")], work.path().join("warm"));
    warm_up.cache_dir = Some(cache.clone());
    warm_up.stage_cache = false;
    run(&warm_up, &NoProgress).expect("warm-up run");

    let example_bytes: u64 =
        std::fs::read_dir(&examples).expect("examples").filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
    bench("examples", &examples, example_bytes, work.path(), &cache);

    let corpus =
        std::env::var_os("BRIGHTRUN_BENCH_CORPUS_DIR").map_or_else(|| work.path().join("generated"), PathBuf::from);
    let bytes = generate_corpus(&corpus, &examples, megabytes);
    let cold = bench(&format!("{megabytes}MB"), &corpus, bytes, work.path(), &cache);
    if std::env::var_os("BRIGHTRUN_BENCH_NO_WARM").is_some() {
        return;
    }
    // The same corpus again: every stage result comes from the SQLite cache.
    let warm = bench(&format!("{megabytes}MB-warm"), &corpus, bytes, work.path(), &cache);
    println!("warm re-run: {:.1}x faster than cold", cold / warm);
}
