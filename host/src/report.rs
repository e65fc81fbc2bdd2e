//! `report.json`: what a run read, produced, dropped and spent.

use serde::Serialize;

use crate::cache::StageCacheStats;
use crate::components::Stage;
use crate::engine::Limits;
use crate::metrics::StageStats;
use crate::stages::{ComponentInfo, StageFailure};

/// The whole report, written as `report.json` in the output folder.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// brightrun's version.
    pub version: String,
    /// The inputs as given on the command line.
    pub inputs: Vec<String>,
    /// Settings the run used.
    pub settings: Settings,
    /// One entry per input file, in input order.
    pub documents: Vec<DocumentReport>,
    /// Every failure, document- or chunk-level, in input order.
    pub errors: Vec<ErrorReport>,
    /// Totals.
    pub counts: Counts,
    /// Fidelity and distribution figures from validate-export.
    pub quality: Option<QualityReport>,
    /// The distributions of every generated pair, before dedup and
    /// validation (compare with `quality`, which counts exported pairs).
    pub generated: Distributions,
    /// Choices made from the data and the machine, with their reasons.
    pub choices: Vec<Choice>,
    /// Bottleneck, recommendations and alerts, derived from `stages`.
    pub profile: crate::profile::Profile,
    /// Per-stage costs.
    pub stages: Vec<StageStats>,
    /// How the components were loaded.
    pub components: Vec<ComponentInfo>,
    /// Stage-result cache hits and misses.
    pub cache: CacheReport,
    /// Wall-clock time of the run, in seconds: from finding the inputs to
    /// the last file written.
    pub elapsed_s: f64,
    /// Wall-clock time the runtime took to start before the run, in seconds:
    /// compiling or loading the components, opening the cache, starting the
    /// workers. A CLI run's whole time is `startup_s + elapsed_s`; the
    /// server starts its runtime once, so its jobs all report that one start.
    pub startup_s: f64,
    /// Warnings about the run as a whole (document warnings are in `documents`).
    pub warnings: Vec<String>,
    /// Set after `report.json` is written, when the run exported nothing and
    /// the output folder's earlier dataset was kept: where this run's files
    /// went instead.
    #[serde(skip)]
    pub previous_kept: Option<std::path::PathBuf>,
    /// Files written to the output folder.
    pub files: Vec<String>,
}

/// A setting chosen at run time, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// What was chosen.
    pub setting: String,
    /// The value.
    pub value: String,
    /// The figures it was chosen from.
    pub reason: String,
}

/// The stage-result cache over a run.
#[derive(Debug, Clone, Serialize)]
pub struct CacheReport {
    /// Whether stage results were cached.
    pub enabled: bool,
    /// The persistent layer: `sqlite:<path>` or a `redis://` URL.
    pub store: Option<String>,
    /// Per stage: memory hits, store hits, misses, corrupt entries.
    pub stages: Vec<StageCacheStats>,
}

/// Settings the run used, so a report says how it was made.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Worker threads.
    pub jobs: usize,
    /// Chunk budget in tokens.
    pub max_tokens: u32,
    /// Overlap between chunks in tokens.
    pub overlap_tokens: u32,
    /// Tokenizer used for budgets and lengths.
    pub tokenizer: String,
    /// Cap on pairs per chunk.
    pub max_pairs_per_chunk: u32,
    /// Generation seed.
    pub seed: u64,
    /// MinHash shingle size in words.
    pub shingle_words: u32,
    /// LSH bands.
    pub bands: u32,
    /// Rows per band.
    pub rows: u32,
    /// Near-duplicate threshold.
    pub near_duplicate_threshold: f32,
    /// Largest share of one task type.
    pub max_task_share: f32,
    /// Largest share of one content type.
    pub max_content_share: f32,
    /// Largest share of one difficulty.
    pub max_difficulty_share: f32,
    /// Semantic duplicate threshold.
    pub semantic_threshold: f32,
    /// Training sequence length.
    pub max_sequence_tokens: u32,
    /// Minimum fidelity kept.
    pub min_fidelity: f32,
    /// Per-invocation limits.
    pub limits: Limits,
    /// Whether stage results were cached.
    pub stage_cache: bool,
    /// Export formats written.
    pub formats: Vec<String>,
    /// The LLM backend generate used; absent for the offline rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmSettings>,
}

/// The LLM backend of a run (the API key only as whether one was sent).
#[derive(Debug, Clone, Serialize)]
pub struct LlmSettings {
    /// Endpoint, model, sampling, timeout and retries.
    #[serde(flatten)]
    pub config: crate::types::LlmConfig,
    /// Most requests in flight.
    pub concurrency: usize,
    /// Whether requests carried an API key.
    pub api_key: bool,
}

/// How a document fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentStatus {
    /// Every chunk produced its pairs.
    Ok,
    /// Some chunks failed.
    Partial,
    /// Nothing came out of it.
    Failed,
}

/// What happened to one input file.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DocumentReport {
    /// The file's path as found.
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The detected format, when ingest succeeded.
    pub format: Option<String>,
    /// Documents ingest found in it: one, or one per JSON record.
    #[serde(default)]
    pub documents: usize,
    /// What ingest reported without failing the file: an extension that
    /// disagrees with the content, skipped records or pages.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Chunks segment made.
    pub chunks: usize,
    /// Chunks that failed analyze or generate.
    pub failed_chunks: usize,
    /// Pairs generated from it (before dedup and validation).
    pub pairs: usize,
    /// `ok`, `partial` (some chunks failed) or `failed`.
    pub status: DocumentStatus,
}

/// One failure, with where it happened.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    /// The file.
    pub document: String,
    /// The stage that failed.
    pub stage: Stage,
    /// The chunk, for chunk-level stages.
    pub chunk: Option<u32>,
    /// The failure's kind (`invalid-encoding`, `out-of-fuel`, …).
    pub kind: String,
    /// The full message.
    pub message: String,
    /// The structured failure.
    pub failure: StageFailure,
}

/// Totals over the run; `pairs_generated = dropped + exported`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Input files found.
    pub documents: usize,
    /// Files that failed entirely.
    pub documents_failed: usize,
    /// Chunks made.
    pub chunks: usize,
    /// Chunks that failed.
    pub chunks_failed: usize,
    /// Pairs generated.
    pub pairs_generated: usize,
    /// Pairs dropped, per reason (dedup and validation).
    pub dropped: std::collections::BTreeMap<String, usize>,
    /// Pairs exported.
    pub pairs_exported: usize,
}

/// Pairs per task, content type and difficulty.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Distributions {
    /// Pairs per task.
    pub tasks: std::collections::BTreeMap<String, usize>,
    /// Pairs per content type.
    pub content_types: std::collections::BTreeMap<String, usize>,
    /// Pairs per difficulty.
    pub difficulties: std::collections::BTreeMap<String, usize>,
}

/// Quality figures, from validate-export.
#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    /// Pairs validated.
    pub pairs_checked: u32,
    /// Pairs exported.
    pub pairs_exported: u32,
    /// Share of checked pairs at or above the minimum fidelity.
    pub faithful_share: f32,
    /// Mean fidelity of exported pairs.
    pub mean_fidelity: f32,
    /// Fidelity histogram, ten buckets of 0.1, over checked pairs.
    pub fidelity_histogram: Vec<u32>,
    /// Exported pairs per task.
    pub tasks: std::collections::BTreeMap<String, u32>,
    /// Exported pairs per content type.
    pub content_types: std::collections::BTreeMap<String, u32>,
    /// Exported pairs per difficulty.
    pub difficulties: std::collections::BTreeMap<String, u32>,
    /// Mean tokens per exported pair.
    pub mean_tokens: f32,
    /// Longest exported pair in tokens.
    pub max_tokens: u32,
    /// Pairs exported after their answer was cut to its supported sentences.
    pub repaired: u32,
    /// Distinct question bodies (the question without the words its evidence holds).
    pub question_templates: u32,
    /// Distinct-2 over the exported questions' words, 0–1.
    pub question_distinct_bigrams: f32,
    /// A few dropped pairs per validation reason.
    pub drop_examples: Vec<DropExampleReport>,
}

/// A dropped pair shown as an example of its reason.
#[derive(Debug, Clone, Serialize)]
pub struct DropExampleReport {
    /// Why it was dropped.
    pub reason: String,
    /// The pair's id.
    pub id: String,
    /// Its first question.
    pub question: String,
    /// Its answers, shortened.
    pub answer: String,
    /// Its fidelity.
    pub fidelity: f32,
}
