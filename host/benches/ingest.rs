//! Ingest throughput per format through the host (the real ingest component,
//! a fresh instance per file, as in a run), side by side with `markitdown`
//! converting the same files in the same run.
//!
//! `cargo bench -p brightrun-host --bench ingest` prints, per format, pages/s
//! (PDF) or MB/s and the structure found (headings, list items, table rows),
//! then the same for markitdown when `python3 -c "import markitdown"` works
//! (`pip install 'markitdown[pdf,docx]'`), and the speed-up. markitdown runs
//! in one Python process with its start-up excluded, so only conversion time
//! is compared. `BRIGHTRUN_BENCH_REPEATS` sets the conversions per file
//! (default 20). `BRIGHTRUN_BENCH_PDFS=DIR` adds a row (`pdf+`) for every
//! PDF in `DIR`: real manuals, such as the dev corpus's LaTeX package
//! documentation (`../shared/corpus/build-dev`), rather than small fixtures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use brightrun_host::engine::Limits;
use brightrun_host::stages::Stages;
use brightrun_host::types::{self, BlockKind};

/// The files measured, by format: real documents made by real writers
/// (tests/fixtures/make-format-fixtures.sh).
const FORMATS: &[(&str, &[&str])] = &[
    ("pdf", &["sqlite-atomic-commit.pdf", "sqlite-wal-two-column.pdf"]),
    ("docx", &["incident-runbook.docx", "sqlite-faq.docx"]),
    ("html", &["rate-limiting-wiki.html", "legacy-cp1252.html"]),
    ("json", &["cms-export.json", "runbook-sections.jsonl"]),
];

#[derive(Debug, Default, Clone, Copy)]
struct Structure {
    headings: usize,
    list_items: usize,
    table_rows: usize,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/formats")
}

/// The rows: the fixtures by format, and the PDFs of `BRIGHTRUN_BENCH_PDFS`.
fn rows() -> Vec<(&'static str, Vec<PathBuf>)> {
    let mut rows: Vec<(&'static str, Vec<PathBuf>)> =
        FORMATS.iter().map(|(format, files)| (*format, files.iter().map(|f| fixtures().join(f)).collect())).collect();
    if let Some(dir) = std::env::var_os("BRIGHTRUN_BENCH_PDFS") {
        let mut pdfs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("BRIGHTRUN_BENCH_PDFS is a folder")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")))
            .collect();
        pdfs.sort();
        rows.push(("pdf+", pdfs));
    }
    rows
}

fn main() {
    let repeats: usize = std::env::var("BRIGHTRUN_BENCH_REPEATS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let cache = std::env::temp_dir().join("brightrun-bench-components");
    let stages = Stages::new(Limits::default(), Some(&cache), &BTreeMap::new()).expect("components load");
    let config = types::IngestConfig::default();
    let rows = rows();
    let markitdown = markitdown_results(repeats, &rows);

    println!(
        "{:<6} {:>9} {:>6} {:>12} {:>10}  {:>8} {:>6} {:>6}",
        "format", "bytes", "pages", "brightrun", "rate", "headings", "lists", "rows"
    );
    for (format, files) in &rows {
        let mut bytes_total = 0usize;
        let mut pages = 0usize;
        let mut seconds = 0.0f64;
        let mut found = Structure::default();
        for path in files {
            let file = &path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let bytes = std::fs::read(path).expect("a measured file");
            bytes_total += bytes.len();
            let ingested = stages.ingest(file, None, &bytes, &config).expect("ingests");
            // Pages with text: the last page a block is on.
            pages += ingested.documents.iter().flat_map(|d| d.blocks.iter().filter_map(|b| b.page)).max().unwrap_or(0)
                as usize;
            for document in &ingested.documents {
                for block in &document.blocks {
                    match block.kind {
                        BlockKind::Heading => found.headings += 1,
                        BlockKind::ListItem => found.list_items += 1,
                        BlockKind::TableRow => found.table_rows += 1,
                        _ => {}
                    }
                }
            }
            let started = Instant::now();
            for _ in 0..repeats {
                stages.ingest(file, None, &bytes, &config).expect("ingests");
            }
            seconds += started.elapsed().as_secs_f64() / repeats as f64;
        }
        let rate = rate_for(format, bytes_total, pages, seconds);
        println!(
            "{:<6} {:>9} {:>6} {:>10.2}ms {:>10}  {:>8} {:>6} {:>6}",
            format,
            bytes_total,
            pages,
            seconds * 1000.0,
            rate,
            found.headings,
            found.list_items,
            found.table_rows
        );
        if let Some(results) = &markitdown {
            let mut other_seconds = 0.0;
            let mut other = Structure::default();
            for path in files {
                let Some(result) = results.get(path.display().to_string()) else { continue };
                other_seconds += result["seconds"].as_f64().unwrap_or(0.0);
                other.headings += result["headings"].as_u64().unwrap_or(0) as usize;
                other.list_items += result["list_items"].as_u64().unwrap_or(0) as usize;
                other.table_rows += result["table_rows"].as_u64().unwrap_or(0) as usize;
            }
            println!(
                "{:<6} {:>9} {:>6} {:>10.2}ms {:>10}  {:>8} {:>6} {:>6}   markitdown; brightrun is {:.1}x faster",
                "",
                "",
                "",
                other_seconds * 1000.0,
                rate_for(format, bytes_total, pages, other_seconds),
                other.headings,
                other.list_items,
                other.table_rows,
                other_seconds / seconds
            );
        }
    }
    if markitdown.is_none() {
        println!("(markitdown not found: pip install 'markitdown[pdf,docx]' to compare)");
    }
}

fn rate_for(format: &str, bytes: usize, pages: usize, seconds: f64) -> String {
    if seconds <= 0.0 {
        return "-".to_string();
    }
    if format.starts_with("pdf") {
        format!("{:.0} pages/s", pages as f64 / seconds)
    } else {
        format!("{:.1} MB/s", bytes as f64 / 1e6 / seconds)
    }
}

/// markitdown's timings for every measured file, when it is installed.
fn markitdown_results(repeats: usize, rows: &[(&str, Vec<PathBuf>)]) -> Option<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/markitdown_timing.py");
    let files: Vec<String> = rows.iter().flat_map(|(_, files)| files.iter()).map(|f| f.display().to_string()).collect();
    let output = Command::new("python3").arg(script).arg(repeats.to_string()).args(&files).output().ok()?;
    if !output.status.success() {
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}
