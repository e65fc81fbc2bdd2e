//! The pipeline, written once: inputs → ingest → segment → (analyze →
//! generate per chunk, in parallel) → diversify → validate-export → files.
//!
//! Documents run in parallel on a pool of `jobs` threads, and so do the
//! chunks of each document. A document or chunk that fails is recorded in
//! the report with a typed error and the run goes on; only a run that cannot
//! start (a missing input path, a component that does not load) is an `Err`.

mod global;
pub mod output;
pub mod source;
mod spill;
pub mod split;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;

use crate::cache::{CacheKey, RUN_MEMORY_BUDGET, SERVER_MEMORY_BUDGET, StageCache, open_store};
use crate::components::Stage;
use crate::engine::Limits;
use crate::llm::LlmAccess;
use crate::metrics::{MetricsObserver, MetricsSink, aggregate};
use crate::report::{
    CacheReport, Choice, Counts, Distributions, DocumentReport, DocumentStatus, DropExampleReport, ErrorReport,
    QualityReport, RunReport, Settings,
};
use crate::stages::{StageFailure, Stages};
use crate::types;
use source::Source;

/// Largest input file read; larger ones fail alone with `too-large` without
/// being read (ingest's own limit is the same). A JSON Lines file is read in
/// parts (see [`source`]), to which the limit applies instead.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The SQLite stage cache's default size cap: 4 GiB of results, which is
/// about 300 MB of input at the ~14× the 10 MB bench measures.
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 4 << 30;

pub use brightrun_types::job::{
    DEFAULT_MAX_CONTENT_SHARE, DEFAULT_MAX_DIFFICULTY_SHARE, DEFAULT_MAX_TASK_SHARE, DEFAULT_SEMANTIC_THRESHOLD,
    ExportFormat, JobSettings,
};

pub use global::DEFAULT_PAIR_BATCH_BYTES;

/// LLM requests in flight at once unless `--llm-concurrency` says otherwise:
/// enough to keep two workers busy while a request waits, few enough for a
/// local server (Ollama, llama.cpp) that queues beyond a handful.
pub const DEFAULT_LLM_CONCURRENCY: usize = 4;

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Files and folders to read (folders recursively, hidden entries skipped).
    pub inputs: Vec<PathBuf>,
    /// Folder the dataset is written to (created if missing).
    pub out: PathBuf,
    /// Worker threads; 0 chooses from the machine's cores and memory (see [`choose_jobs`]).
    pub jobs: usize,
    /// Thresholds that raise alerts in the report.
    pub alerts: crate::profile::AlertThresholds,
    /// JSON field names and the inflation cap for compressed formats.
    pub ingest: types::IngestConfig,
    /// Chunk budget.
    pub segment: types::SegmentConfig,
    /// Generation settings; `llm` set generates with that endpoint.
    pub generate: types::GenerateConfig,
    /// Sent as `Authorization: Bearer …` to the LLM endpoint by the host; the
    /// component never sees it, and it is not part of any cache key.
    pub llm_api_key: Option<String>,
    /// Most LLM requests in flight at once.
    pub llm_concurrency: usize,
    /// Dedup settings.
    pub diversify: types::DiversifyConfig,
    /// Name of the dataset in dataset_info.json and the card.
    pub dataset_name: String,
    /// Training sequence length in tokens.
    pub max_sequence_tokens: u32,
    /// Lowest fidelity exported.
    pub min_fidelity: f32,
    /// Formats to write.
    pub formats: Vec<ExportFormat>,
    /// Per-invocation limits.
    pub limits: Limits,
    /// Where compiled components and (by default) stage results are cached;
    /// `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Whether stage results are cached at all.
    pub stage_cache: bool,
    /// A `redis://` URL to keep stage results in, instead of SQLite in `cache_dir`.
    pub cache_url: Option<String>,
    /// Most bytes of stage results the SQLite store keeps (least recently
    /// used evicted beyond it); `None` keeps everything. Redis evicts by its
    /// own `maxmemory-policy`.
    pub cache_max_bytes: Option<u64>,
    /// Components that replace the embedded ones, by stage.
    pub stage_components: BTreeMap<Stage, PathBuf>,
    /// Pair JSON per batch in the global stages (see [`DEFAULT_PAIR_BATCH_BYTES`]).
    pub pair_batch_bytes: usize,
    /// Bytes of stage results kept in memory in front of the persistent
    /// store ([`RUN_MEMORY_BUDGET`] for one run, [`SERVER_MEMORY_BUDGET`]
    /// for the server).
    pub memory_cache_bytes: usize,
    /// Documents are named by their path relative to this folder (the
    /// server's upload folder), else by their path as found.
    pub names_relative_to: Option<PathBuf>,
}

impl RunOptions {
    /// Defaults for `inputs` written to `out`: 512-token chunks with 64 tokens
    /// of overlap, 8 pairs per chunk, datatrove's MinHash settings, a 2048-token
    /// sequence length and a 0.8 fidelity floor.
    pub fn new(inputs: Vec<PathBuf>, out: PathBuf) -> Self {
        RunOptions {
            inputs,
            out,
            jobs: 0,
            alerts: crate::profile::AlertThresholds::default(),
            ingest: types::IngestConfig::default(),
            segment: types::SegmentConfig { max_tokens: 0, overlap_tokens: 0 },
            generate: types::GenerateConfig { seed: 0, max_pairs_per_chunk: 0, tasks: Vec::new(), llm: None },
            llm_api_key: None,
            llm_concurrency: DEFAULT_LLM_CONCURRENCY,
            diversify: types::DiversifyConfig {
                shingle_words: 0,
                bands: 0,
                rows: 0,
                threshold: 0.0,
                max_task_share: 0.0,
                max_content_share: 0.0,
                max_difficulty_share: 0.0,
                semantic_threshold: 0.0,
            },
            dataset_name: String::new(),
            max_sequence_tokens: 0,
            min_fidelity: 0.0,
            formats: Vec::new(),
            limits: Limits::default(),
            cache_dir: crate::engine::default_cache_dir(),
            stage_cache: true,
            cache_url: None,
            cache_max_bytes: Some(DEFAULT_CACHE_MAX_BYTES),
            stage_components: BTreeMap::new(),
            pair_batch_bytes: DEFAULT_PAIR_BATCH_BYTES,
            memory_cache_bytes: RUN_MEMORY_BUDGET,
            names_relative_to: None,
        }
        .with_settings(&JobSettings::default())
    }

    /// These options with every stage setting taken from `settings` (the
    /// ones every runner shares); the task list stays, as jobs cannot set it.
    pub fn with_settings(mut self, settings: &JobSettings) -> Self {
        let JobSettings {
            ingest,
            segment,
            generate,
            diversify,
            dataset_name,
            max_sequence_tokens,
            min_fidelity,
            formats,
        } = settings.clone();
        self.ingest = types::IngestConfig {
            text_fields: ingest.text_fields,
            title_fields: ingest.title_fields,
            max_inflated_bytes: ingest.max_inflated_bytes,
        };
        self.segment = types::SegmentConfig { max_tokens: segment.max_tokens, overlap_tokens: segment.overlap_tokens };
        self.generate.seed = generate.seed;
        self.generate.max_pairs_per_chunk = generate.max_pairs_per_chunk;
        self.diversify = types::DiversifyConfig {
            shingle_words: diversify.shingle_words,
            bands: diversify.bands,
            rows: diversify.rows,
            threshold: diversify.threshold,
            max_task_share: diversify.max_task_share,
            max_content_share: diversify.max_content_share,
            max_difficulty_share: diversify.max_difficulty_share,
            semantic_threshold: diversify.semantic_threshold,
        };
        self.dataset_name = dataset_name;
        self.max_sequence_tokens = max_sequence_tokens;
        self.min_fidelity = min_fidelity;
        self.formats = formats;
        self
    }

    /// The stage settings of these options (without the task list or the LLM backend).
    pub fn settings(&self) -> JobSettings {
        JobSettings {
            ingest: brightrun_types::IngestConfig {
                text_fields: self.ingest.text_fields.clone(),
                title_fields: self.ingest.title_fields.clone(),
                max_inflated_bytes: self.ingest.max_inflated_bytes,
            },
            segment: brightrun_types::SegmentConfig {
                max_tokens: self.segment.max_tokens,
                overlap_tokens: self.segment.overlap_tokens,
            },
            generate: brightrun_types::GenerateConfig {
                seed: self.generate.seed,
                max_pairs_per_chunk: self.generate.max_pairs_per_chunk,
                tasks: Vec::new(),
                // The backend is the runner's choice (its flags), not a job's.
                llm: None,
            },
            diversify: brightrun_types::DiversifyConfig {
                shingle_words: self.diversify.shingle_words,
                bands: self.diversify.bands,
                rows: self.diversify.rows,
                threshold: self.diversify.threshold,
                max_task_share: self.diversify.max_task_share,
                max_content_share: self.diversify.max_content_share,
                max_difficulty_share: self.diversify.max_difficulty_share,
                semantic_threshold: self.diversify.semantic_threshold,
            },
            dataset_name: self.dataset_name.clone(),
            max_sequence_tokens: self.max_sequence_tokens,
            min_fidelity: self.min_fidelity,
            formats: self.formats.clone(),
        }
    }
}

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An input path does not exist.
    #[error("input not found: {}", .0.display())]
    MissingInput(PathBuf),
    /// The inputs hold no files.
    #[error("no input files found in {0}")]
    NoInputFiles(String),
    /// [`Progress::cancelled`] said stop.
    #[error("the run was cancelled")]
    Cancelled,
    /// Anything else: components that do not load, an output folder that cannot be written.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Receives progress while a run goes on. Called from worker threads.
pub trait Progress: Sync {
    /// The run found `total` input files.
    fn documents_found(&self, total: usize) {
        let _ = total;
    }
    /// A document was segmented into `chunks` chunks.
    fn chunks_found(&self, chunks: usize) {
        let _ = chunks;
    }
    /// A chunk finished (or failed).
    fn chunk_finished(&self) {}
    /// A document finished (or failed).
    fn document_finished(&self, name: &str, failure: Option<&StageFailure>) {
        let _ = (name, failure);
    }
    /// A global phase began: "diversify" (the documents are done; dedup,
    /// which runs beside them, finishes), "validate-export", "write".
    fn phase(&self, name: &str) {
        let _ = name;
    }
    /// Whether the run should stop: checked before each window of files and
    /// each chunk; a cancelled run returns [`RunError::Cancelled`] and
    /// writes nothing, but keeps what it finished in the cache.
    fn cancelled(&self) -> bool {
        false
    }
    /// The stage's component is about to be compiled (a first run, or a new
    /// build of the components): seconds each, before any document starts.
    fn compiling_component(&self, stage: Stage) {
        let _ = stage;
    }
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {}

/// What one document produced.
struct DocumentOutcome {
    report: DocumentReport,
    errors: Vec<ErrorReport>,
    pairs: Vec<types::Pair>,
}

/// Runs the pipeline once and writes the dataset, card and `report.json` to
/// `options.out`. See the module docs for what is an `Err`.
pub fn run(options: &RunOptions, progress: &dyn Progress) -> Result<RunReport, RunError> {
    Runtime::load(options, None, progress)?.run(options, progress)
}

/// What runs share: the loaded components, the stage cache and the worker
/// pool. The CLI makes one per run; the server makes one at start and runs
/// every job on it, concurrently.
pub struct Runtime {
    stages: Stages,
    cache: Option<StageCache>,
    pool: rayon::ThreadPool,
    jobs: usize,
    jobs_reason: String,
    observer: Option<MetricsObserver>,
    /// How long [`Runtime::load`] took (components, cache, pool).
    startup_s: f64,
}

impl Runtime {
    /// Loads the components (`options.stage_components` replacing embedded
    /// ones), opens the stage cache and starts the worker pool, from the
    /// runtime fields of `options`: `jobs`, `limits`, `cache_dir`,
    /// `stage_cache`, `cache_url`, `stage_components`. `observer` sees every
    /// component call of every run.
    pub fn new(options: &RunOptions, observer: Option<MetricsObserver>) -> Result<Self, RunError> {
        Self::load(options, observer, &NoProgress)
    }

    /// As [`Runtime::new`], telling `progress` of each component it compiles.
    pub fn load(
        options: &RunOptions,
        observer: Option<MetricsObserver>,
        progress: &dyn Progress,
    ) -> Result<Self, RunError> {
        let loading = Instant::now();
        let mut overrides = BTreeMap::new();
        for (stage, path) in &options.stage_components {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading the {stage} component {}", path.display()))?;
            overrides.insert(*stage, bytes);
        }
        let (jobs, jobs_reason) = choose_jobs(options);
        let mut limits = options.limits;
        limits.max_instances =
            u32::try_from(jobs * crate::engine::INSTANCES_PER_WORKER).unwrap_or(u32::MAX).clamp(12, 448);
        let llm = match &options.generate.llm {
            Some(llm) => Some(
                LlmAccess::new(&llm.base_url, options.llm_api_key.clone(), options.llm_concurrency)?
                    .with_call_budget(brightrun_types::LlmConfig::call_budget(llm.timeout_ms, llm.max_retries)),
            ),
            None => None,
        };
        let stages = Stages::load(limits, options.cache_dir.as_deref(), &overrides, llm, &|stage| {
            progress.compiling_component(stage);
        })?;
        let cache = if options.stage_cache {
            let store =
                open_store(options.cache_url.as_deref(), options.cache_dir.as_deref(), options.cache_max_bytes)?;
            Some(StageCache::new(options.memory_cache_bytes, store))
        } else {
            None
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .thread_name(|index| format!("brightrun-worker-{index}"))
            .build()
            .context("starting the worker pool")?;
        let startup_s = loading.elapsed().as_secs_f64();
        Ok(Runtime { stages, cache, pool, jobs, jobs_reason, observer, startup_s })
    }

    /// The worker count.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// What the persistent stage cache is, if any.
    pub fn cache_store(&self) -> Option<String> {
        self.cache.as_ref().and_then(StageCache::describe)
    }

    /// Runs the pipeline over `options.inputs` with the job fields of
    /// `options` (the runtime fields were fixed by [`Runtime::new`]) and
    /// writes the dataset, card and `report.json` to `options.out`. Metrics
    /// and cache figures in the report are this run's alone.
    pub fn run(&self, options: &RunOptions, progress: &dyn Progress) -> Result<RunReport, RunError> {
        let staging = output::Staging::new(&options.out)?;
        let staged = RunOptions { out: staging.path().to_path_buf(), ..options.clone() };
        let mut report = self.run_into(options, &staged, progress)?;
        if let output::Placement::PreviousKept(failed) = staging.place(report.counts.pairs_exported > 0)? {
            report.previous_kept = Some(failed);
        }
        Ok(report)
    }

    /// The run, writing into `staged.out`; `options.out` is where the files
    /// will go, which input walking skips.
    fn run_into(
        &self,
        options: &RunOptions,
        staged: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<RunReport, RunError> {
        let started = Instant::now();
        let Discovered { files, skipped } = discover(&options.inputs, &options.out)?;
        let options = staged;
        let sources = source::sources(&files, source::JSON_LINES_PART_BYTES);
        progress.documents_found(sources.len());
        let stages = self.stages.with_metrics(Arc::new(MetricsSink::observed(self.observer.clone())));
        let cache = self.cache.as_ref().map(StageCache::scoped);
        let run = Run { stages: &stages, cache: cache.as_ref(), options, progress, startup_s: self.startup_s };
        let choices = self.choices(&sources, options);
        std::fs::create_dir_all(&options.out)
            .with_context(|| format!("creating the output folder {}", options.out.display()))?;
        // Pairs go to disk window by window (memory holds two windows', not
        // the corpus's) and, in batches, to the deduper on its own thread,
        // which so works beside the next window instead of after the last.
        let mut spill = spill::Spill::new(&options.out)?;
        let source = spill.source()?;
        let mut generated = Distributions::default();
        let mut outcomes: Vec<DocumentOutcome> = Vec::with_capacity(sources.len());
        let (documents, deduplicated) = std::thread::scope(|scope| {
            let (sender, batches) = std::sync::mpsc::sync_channel::<spill::Batch>(2);
            let run = &run;
            let source = &source;
            let dedup = scope.spawn(move || global::deduplicate(run, batches, source));
            let documents = (|| -> Result<(), RunError> {
                let mut batcher = spill::Batcher::new(options.pair_batch_bytes);
                // Window n's chunks are analyzed while window n + 1 is
                // ingested and segmented: each step ends waiting for its
                // slowest call, and the other window's work fills that wait.
                let windows = windows(&sources);
                let mut prepared = windows.first().map(|window| self.pool.install(|| prepare_window(run, window)));
                for next in windows.iter().skip(1).map(Some).chain(std::iter::once(None)) {
                    let Some(items) = prepared.take() else { break };
                    let (finished, next_prepared) = self.pool.install(|| {
                        rayon::join(|| finish_window(run, items), || next.map(|window| prepare_window(run, window)))
                    });
                    prepared = next_prepared;
                    for mut outcome in finished {
                        for pair in std::mem::take(&mut outcome.pairs) {
                            count_generated(&mut generated, &pair);
                            let json = spill.push(&pair)?;
                            if let Some(batch) = batcher.push(pair, json) {
                                spill.flush()?;
                                // A closed channel means the deduper stopped; it says why below.
                                let _ = sender.send(batch);
                            }
                        }
                        outcomes.push(outcome);
                    }
                }
                if let Some(batch) = batcher.finish() {
                    spill.flush()?;
                    let _ = sender.send(batch);
                }
                Ok(())
            })();
            drop(sender);
            let documents_done = Instant::now();
            progress.phase("diversify");
            let deduplicated = dedup.join().map_err(|_| anyhow::anyhow!("the dedup thread panicked"));
            (documents.map(|()| documents_done), deduplicated)
        });
        let documents_done = documents?;
        let deduplicated = deduplicated??;
        if progress.cancelled() {
            // Finished documents are in the cache: a re-run resumes from them.
            let _ = cache.as_ref().map(StageCache::flush);
            return Err(RunError::Cancelled);
        }
        // Dedup runs beside the documents; "diversify" is what is left of it after them.
        let phases = vec![
            crate::profile::PhaseTime {
                phase: "documents".to_string(),
                seconds: documents_done.duration_since(started).as_secs_f64(),
            },
            phase_time("diversify", documents_done),
        ];
        let finished = FinishedDocuments {
            outcomes,
            spill,
            source,
            deduplicated,
            generated,
            choices,
            jobs: self.jobs,
            started,
            phases,
            warnings: skipped
                .iter()
                .map(|dir| {
                    format!(
                        "skipped {}: it holds brightrun output (the output folder, or an earlier run's report.json and dataset_info.json); pass its files by name to read them",
                        dir.display()
                    )
                })
                .collect(),
        };
        self.pool.install(|| finish(&run, finished))
    }

    /// The choices made for this run's files, with their reasons.
    fn choices(&self, files: &[Source], options: &RunOptions) -> Vec<Choice> {
        let mut choices = Vec::new();
        choices.push(Choice { setting: "jobs".into(), value: self.jobs.to_string(), reason: self.jobs_reason.clone() });
        let total_bytes: u64 = files.iter().map(Source::bytes).sum();
        let mean_kib = total_bytes as f64 / files.len().max(1) as f64 / 1024.0;
        let batch_docs =
            ((SEGMENT_BATCH_BYTES as f64 / 1024.0 / mean_kib.max(1.0)) as usize).clamp(1, SEGMENT_BATCH_DOCS);
        choices.push(Choice {
            setting: "segment batch".into(),
            value: format!("about {batch_docs} documents per call"),
            reason: format!(
                "documents average {mean_kib:.0} KiB and a call carries up to {} KiB or {SEGMENT_BATCH_DOCS} documents, so the tokenizer's start-up is paid about {} times instead of {}",
                SEGMENT_BATCH_BYTES / 1024,
                files.len().div_ceil(batch_docs),
                files.len()
            ),
        });
        let windows = windows(files).len();
        choices.push(Choice {
            setting: "windows".into(),
            value: format!("{windows} of up to {} MiB", WINDOW_BYTES >> 20),
            reason: format!(
                "{:.1} MB of input: memory holds two windows' documents, chunks and pairs (one is analyzed while the next is segmented), and dedup works on a window's pairs while the workers do the next ones",
                total_bytes as f64 / 1e6
            ),
        });
        let batch = options.pair_batch_bytes;
        choices.push(Choice {
            setting: "pair batch".into(),
            value: format!("{} KiB", batch >> 10),
            reason: if batch == DEFAULT_PAIR_BATCH_BYTES {
                "the default: a validate call's tokenizer start-up is a small share of a 4 MiB batch, and a batch stays a few MiB in host and component".to_string()
            } else {
                "set with --pair-batch-kib".to_string()
            },
        });
        if options.stage_cache {
            let budget = options.memory_cache_bytes;
            choices.push(Choice {
                setting: "memory cache".into(),
                value: format!("{} MiB", budget >> 20),
                reason: match budget {
                    RUN_MEMORY_BUDGET => "one run reads back only the results that repeat within it, and the persistent store answers those too: memory holds the most recent few".to_string(),
                    SERVER_MEMORY_BUDGET => "the server outlives its jobs: a re-run after an edit finds the unchanged results in memory".to_string(),
                    _ => "set by the caller".to_string(),
                },
            });
        }
        choices
    }
}

/// What the per-document part of a run hands to the global stages.
struct FinishedDocuments {
    /// The documents' reports and errors; their pairs are in `spill`.
    outcomes: Vec<DocumentOutcome>,
    spill: spill::Spill,
    source: spill::SpillSource,
    /// What dedup decided, pair by pair.
    deduplicated: global::Deduplicated,
    /// Pairs generated, per task, content type and difficulty.
    generated: Distributions,
    choices: Vec<Choice>,
    jobs: usize,
    started: Instant,
    /// Wall time of the phases so far.
    phases: Vec<crate::profile::PhaseTime>,
    /// Run-level warnings (output folders skipped among the inputs).
    warnings: Vec<String>,
}

/// A phase that began at `since` and ends now.
fn phase_time(phase: &str, since: Instant) -> crate::profile::PhaseTime {
    crate::profile::PhaseTime { phase: phase.to_string(), seconds: since.elapsed().as_secs_f64() }
}

/// The global stages (dedup, validate and export), then the files and the report.
fn finish(run: &Run<'_>, finished: FinishedDocuments) -> Result<RunReport, RunError> {
    let FinishedDocuments {
        outcomes,
        spill,
        source,
        deduplicated,
        generated,
        choices,
        jobs,
        started,
        mut phases,
        warnings,
    } = finished;
    let (stages, cache, options, progress) = (run.stages, run.cache, run.options, run.progress);
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    let mut sources = Vec::new();
    for outcome in outcomes {
        if outcome.report.format.is_some() {
            sources.push(card_name(&outcome.report.name, &run.options.inputs));
        }
        documents.push(outcome.report);
        errors.extend(outcome.errors);
    }
    let pairs_generated = spill.len();

    let mut dropped = deduplicated.dropped;
    errors.extend(deduplicated.error);

    progress.phase("validate-export");
    let export_config = types::ExportConfig {
        dataset_name: options.dataset_name.clone(),
        max_sequence_tokens: options.max_sequence_tokens,
        min_fidelity: options.min_fidelity,
        sources,
        language_model: options.generate.llm.as_ref().map(|llm| format!("{} at {}", llm.model, llm.base_url)),
    };
    let phase_started = Instant::now();
    let exported = global::export(run, &source, &deduplicated.kept, &export_config, jobs)?;
    phases.push(phase_time("validate-export", phase_started));
    drop((spill, source));
    for (reason, count) in exported.dropped {
        *dropped.entry(reason).or_default() += count;
    }
    errors.extend(exported.errors);

    if let Some(Err(error)) = cache.map(StageCache::flush) {
        // A cache that cannot be written costs the next run time, not this run its output.
        errors.push(run_error(
            Stage::ValidateExport,
            StageFailure::Host { stage: Stage::ValidateExport, message: format!("writing the stage cache: {error:#}") },
        ));
    }

    progress.phase("write");
    let pairs_exported = exported.quality.as_ref().map_or(0, |q| q.pairs_out as usize);
    let quality = exported.quality.as_ref().map(quality_report);
    let mut written = exported.files;
    written.push("report.json".to_string());
    written.push("report.html".to_string());

    let counts = Counts {
        documents: documents.len(),
        documents_failed: documents.iter().filter(|d| d.status == DocumentStatus::Failed).count(),
        chunks: documents.iter().map(|d| d.chunks).sum(),
        chunks_failed: documents.iter().map(|d| d.failed_chunks).sum(),
        pairs_generated,
        dropped,
        pairs_exported,
    };
    let stage_stats = aggregate(&stages.metrics().snapshot());
    let cache_stats = cache.map(StageCache::stats).unwrap_or_default();
    let report = RunReport {
        version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: options.inputs.iter().map(|p| p.display().to_string()).collect(),
        settings: Settings { jobs, ..settings(options) },
        choices,
        documents,
        errors,
        counts,
        quality,
        generated,
        profile: crate::profile::Profile {
            phases,
            ..crate::profile::profile(&stage_stats, &cache_stats, &options.alerts)
        },
        stages: stage_stats,
        cache: CacheReport {
            store: cache.and_then(StageCache::describe),
            enabled: cache.is_some(),
            stages: cache_stats,
        },
        components: stages.components().to_vec(),
        elapsed_s: started.elapsed().as_secs_f64(),
        startup_s: run.startup_s,
        files: written,
        warnings,
        previous_kept: None,
    };
    let json = serde_json::to_string_pretty(&report).context("serialising the report")?;
    write_file(&options.out, "report.json", &format!("{json}\n"))?;
    write_file(&options.out, "report.html", &crate::report_html::render(&report))?;
    Ok(report)
}

/// The worker count and why: `options.jobs` when set, else the cores, fewer
/// when memory cannot hold that many calls at their memory limit at once,
/// (chunks fan out over the workers, so a single file still uses them all).
pub fn choose_jobs(options: &RunOptions) -> (usize, String) {
    if options.jobs > 0 {
        return (options.jobs, "set with --jobs".to_string());
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let available = available_memory_bytes();
    let per_call = options.limits.memory_bytes.max(1);
    let by_memory = available.map_or(cores, |bytes| (bytes / per_call as u64).max(1) as usize);
    let jobs = cores.min(by_memory).max(1);
    let memory = available.map_or("unknown".to_string(), |b| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64));
    (
        jobs,
        format!(
            "{cores} cores; {memory} available holds {by_memory} calls at the {} MiB per-call limit",
            per_call >> 20
        ),
    )
}

/// `MemAvailable` from /proc/meminfo, where there is one.
fn available_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|line| line.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Input files in a stable order: each input in turn, folders walked
/// recursively in name order, hidden entries skipped, duplicates dropped.
pub fn discover(inputs: &[PathBuf], out: &Path) -> Result<Discovered, RunError> {
    let mut walk = Walk { out: std::fs::canonicalize(out).ok(), files: Vec::new(), skipped: Vec::new() };
    for input in inputs {
        if !input.exists() {
            return Err(RunError::MissingInput(input.clone()));
        }
        walk.visit(input).with_context(|| format!("listing {}", input.display()))?;
    }
    let Walk { mut files, skipped, .. } = walk;
    let mut seen = std::collections::HashSet::new();
    files.retain(|file| seen.insert(file.clone()));
    if files.is_empty() {
        let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(RunError::NoInputFiles(names.join(", ")));
    }
    Ok(Discovered { files, skipped })
}

/// The input files, and the folders left out because they hold brightrun
/// output (the run's own `--out`, or an earlier run's).
#[derive(Debug, Default)]
pub struct Discovered {
    /// Files to read, in order.
    pub files: Vec<PathBuf>,
    /// Output folders found among the inputs and not read.
    pub skipped: Vec<PathBuf>,
}

struct Walk {
    /// `--out`, when it exists already.
    out: Option<PathBuf>,
    files: Vec<PathBuf>,
    skipped: Vec<PathBuf>,
}

impl Walk {
    fn visit(&mut self, path: &Path) -> std::io::Result<()> {
        if !path.is_dir() {
            self.files.push(path.to_path_buf());
            return Ok(());
        }
        // A run must not read its own dataset, card and report (`--out`
        // inside an input folder), nor an earlier run's.
        let is_out = self.out.is_some() && std::fs::canonicalize(path).ok() == self.out;
        if is_out || output::is_output_folder(path) {
            self.skipped.push(path.to_path_buf());
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let hidden = entry.file_name().to_str().is_some_and(|name| name.starts_with('.'));
            // Symlinks inside a folder are followed to files only: a link to a
            // folder could loop back on itself.
            let is_linked_dir = entry.file_type()?.is_symlink() && entry.path().is_dir();
            if !hidden && !is_linked_dir {
                entries.push(entry.path());
            }
        }
        entries.sort();
        for entry in entries {
            self.visit(&entry)?;
        }
        Ok(())
    }
}

/// Input bytes processed together: documents of a window are ingested and
/// segmented while the window before is analysed, then analysed while the
/// next is segmented, and its pairs then go to the spill file and the
/// deduper, so memory is bounded by two windows, not the corpus. At 4 MiB a
/// window holds about 2 500 chunks, and the deduper works on one window's
/// pairs while the workers do the next ones.
pub const WINDOW_BYTES: u64 = 4 << 20;

/// Segment calls carry up to this much text (or [`SEGMENT_BATCH_DOCS`]
/// documents): the tokenizer's start-up (~90 ms) is paid once per batch.
pub const SEGMENT_BATCH_BYTES: usize = 1 << 20;

/// Most documents in one segment call.
pub const SEGMENT_BATCH_DOCS: usize = 64;

/// What every step of a run shares.
struct Run<'a> {
    stages: &'a Stages,
    cache: Option<&'a StageCache>,
    options: &'a RunOptions,
    progress: &'a dyn Progress,
    /// The runtime's start-up, reported beside the run's own time.
    startup_s: f64,
}

impl Run<'_> {
    /// `compute`'s result for (`stage`, `config`, `input`), from the cache when
    /// it has it. A key that cannot be computed only skips the cache.
    fn cached<T, C, I>(
        &self,
        stage: Stage,
        config: &C,
        input: &I,
        compute: impl FnOnce() -> Result<T, StageFailure>,
    ) -> Result<T, StageFailure>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
        C: serde::Serialize,
        I: serde::Serialize,
    {
        let Some(cache) = self.cache else { return compute() };
        let key = CacheKey::new(stage, self.stages.digest(stage), config, input).ok();
        cache.get_or_compute(stage, key, compute)
    }
}

/// Whose a segment slot's document is, and where it lies in the document
/// it was cut from.
#[derive(Debug, Clone, Copy)]
struct SlotPart {
    /// The window's item (file) it came from.
    item: usize,
    /// The part's start in the whole document's text.
    offset: u32,
    /// Whether it is the document's first part.
    first: bool,
    /// Whether the document was cut at all.
    split: bool,
}

/// Consecutive runs of `sources` whose sizes add up to at most [`WINDOW_BYTES`].
fn windows(sources: &[Source]) -> Vec<&[Source]> {
    let mut windows = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (index, source) in sources.iter().enumerate() {
        let size = source.bytes();
        if index > start && bytes + size > WINDOW_BYTES {
            windows.push(&sources[start..index]);
            start = index;
            bytes = 0;
        }
        bytes += size;
    }
    if start < sources.len() {
        windows.push(&sources[start..]);
    }
    windows
}

/// The pairs of one chunk, or why it failed (boxed: the error is large).
type ChunkResult = Result<Vec<types::Pair>, Box<ErrorReport>>;

/// A document on its way through a window.
struct Item {
    report: DocumentReport,
    errors: Vec<ErrorReport>,
    /// What ingest decoded: one document, or one per JSON record.
    documents: Vec<types::Document>,
    chunks: Vec<types::Chunk>,
    /// The key of the whole document's outcome, when caching.
    document_key: Option<CacheKey>,
    /// The whole document's outcome, served from the cache.
    cached: Option<CachedDocument>,
}

/// What the document layer of the cache keeps: the report and the pairs of
/// a document that went through every per-document stage without error.
type CachedDocument = (DocumentReport, Vec<types::Pair>);

/// Runs ingest and segment (batched) for the files of one window, in
/// parallel on the current pool: the documents with their chunks, for
/// [`finish_window`].
fn prepare_window(run: &Run<'_>, sources: &[Source]) -> Vec<Item> {
    let (stages, options, progress) = (run.stages, run.options, run.progress);
    if progress.cancelled() {
        return Vec::new();
    }
    let mut items: Vec<Item> = sources.par_iter().map(|source| read_and_ingest(run, source)).collect();
    for item in items.iter().filter(|item| item.documents.is_empty() && item.cached.is_none()) {
        progress.document_finished(&item.report.name, item.errors.first().map(|e| &e.failure));
    }

    // Segment in batches; a batch that fails as a whole is retried one
    // document at a time, so a hostile document cannot take others down.
    // A large document goes as parts (see `split`), which batch like documents.
    let mut batches: Vec<(Vec<usize>, Vec<types::Document>)> = Vec::new();
    let mut batch_bytes = 0;
    let mut segmented: Vec<(usize, Result<Vec<types::Chunk>, StageFailure>)> = Vec::new();
    // Parts are numbered across the window ("slots"); each slot knows its item and part.
    let mut slot_part: Vec<SlotPart> = Vec::new();
    let mut keys: BTreeMap<usize, CacheKey> = BTreeMap::new();
    for (index, item) in items.iter_mut().enumerate() {
        for whole in std::mem::take(&mut item.documents) {
            let parts = split::parts(whole);
            let split = parts.len() > 1;
            for (number, split::Part { offset, document }) in parts.into_iter().enumerate() {
                let slot = slot_part.len();
                slot_part.push(SlotPart { item: index, offset, first: number == 0, split });
                if let Some(cache) = run.cache {
                    // A hit is served here; a miss is batched and stored below.
                    let key = CacheKey::new(Stage::Segment, stages.digest(Stage::Segment), &options.segment, &document);
                    if let Ok(key) = key {
                        if let Some(chunks) = cache.get::<Vec<types::Chunk>>(Stage::Segment, &key) {
                            segmented.push((slot, Ok(chunks)));
                            continue;
                        }
                        keys.insert(slot, key);
                    }
                }
                let full = batches.last().is_none_or(|(_, docs)| {
                    docs.len() >= SEGMENT_BATCH_DOCS || batch_bytes + document.text.len() > SEGMENT_BATCH_BYTES
                });
                if full {
                    batches.push((Vec::new(), Vec::new()));
                    batch_bytes = 0;
                }
                batch_bytes += document.text.len();
                if let Some((slots, docs)) = batches.last_mut() {
                    slots.push(slot);
                    docs.push(document);
                }
            }
        }
    }
    let computed: Vec<(usize, Result<Vec<types::Chunk>, StageFailure>)> = batches
        .par_iter()
        .flat_map_iter(|(slots, docs)| {
            let results = match stages.segment(docs, options.segment) {
                Ok(results) => results,
                Err(_) if docs.len() > 1 => docs
                    .iter()
                    .map(|doc| match stages.segment(std::slice::from_ref(doc), options.segment) {
                        Ok(mut one) => one.pop().unwrap_or_else(|| Ok(Vec::new())),
                        Err(failure) => Err(failure),
                    })
                    .collect(),
                Err(failure) => vec![Err(failure)],
            };
            slots.iter().copied().zip(results).collect::<Vec<_>>()
        })
        .collect();
    for (slot, result) in &computed {
        if let (Some(cache), Some(key), Ok(chunks)) = (run.cache, keys.get(slot), result) {
            cache.store(Stage::Segment, *key, chunks);
        }
    }
    segmented.extend(computed);
    segmented.sort_by_key(|(slot, _)| *slot);
    let mut segment_failures: Vec<usize> = vec![0; items.len()];
    // Chunks the earlier parts of the current document gave.
    let mut placed: u32 = 0;
    for (slot, result) in segmented {
        let part = slot_part[slot];
        let index = part.item;
        let item = &mut items[index];
        if part.first {
            placed = 0;
        }
        match result {
            Ok(mut chunks) => {
                if part.split {
                    split::place(&mut chunks, part.offset, placed);
                    placed = placed.saturating_add(u32::try_from(chunks.len()).unwrap_or(u32::MAX));
                }
                progress.chunks_found(chunks.len());
                item.report.chunks += chunks.len();
                item.chunks.extend(chunks);
            }
            // A part holding only headings (a document ending in one, say):
            // the document's other parts have its text.
            Err(StageFailure::Guest { problem, .. }) if part.split && problem == "no-content" => {}
            Err(failure) => {
                segment_failures[index] += 1;
                let name = failure_document(&failure).unwrap_or(&item.report.name).to_string();
                item.errors.push(document_error(&name, Stage::Segment, None, failure));
            }
        }
    }
    for (item, failures) in items.iter().zip(&segment_failures) {
        if *failures > 0 && item.chunks.is_empty() {
            progress.document_finished(&item.report.name, item.errors.last().map(|e| &e.failure));
        }
    }
    items
}

/// Runs analyze and generate for every chunk of a prepared window, in
/// parallel on the current pool, and gives each document's outcome.
fn finish_window(run: &Run<'_>, items: Vec<Item>) -> Vec<DocumentOutcome> {
    let (stages, options, progress) = (run.stages, run.options, run.progress);
    let work: Vec<(usize, &types::Chunk)> = items
        .iter()
        .enumerate()
        .flat_map(|(index, item)| item.chunks.iter().map(move |chunk| (index, chunk)))
        .collect();
    let results: Vec<(usize, ChunkResult)> = work
        .par_iter()
        .map(|(index, chunk)| {
            if progress.cancelled() {
                // The run's results are dropped; this only stops the work.
                return (*index, Ok(Vec::new()));
            }
            let name = &chunk.document;
            let result = run
                .cached(Stage::Analyze, &(), chunk, || stages.analyze(chunk))
                .map_err(|failure| Box::new(document_error(name, Stage::Analyze, Some(chunk.index), failure)))
                .and_then(|analysis| {
                    run.cached(Stage::Generate, &options.generate, &(chunk, &analysis), || {
                        stages.generate(chunk, &analysis, &options.generate)
                    })
                    .map_err(|failure| Box::new(document_error(name, Stage::Generate, Some(chunk.index), failure)))
                });
            progress.chunk_finished();
            (*index, result)
        })
        .collect();
    let mut pairs: Vec<Vec<types::Pair>> = vec![Vec::new(); items.len()];
    let mut chunk_errors: Vec<Vec<ErrorReport>> = vec![Vec::new(); items.len()];
    for (index, result) in results {
        match result {
            Ok(chunk_pairs) => pairs[index].extend(chunk_pairs),
            Err(error) => chunk_errors[index].push(*error),
        }
    }

    items
        .into_iter()
        .zip(pairs.into_iter().zip(chunk_errors))
        .map(|(mut item, (pairs, failed))| {
            if let Some((report, pairs)) = item.cached {
                // Served whole from the cache: no chunk work to count.
                progress.document_finished(&report.name, None);
                return DocumentOutcome { report, errors: Vec::new(), pairs };
            }
            if item.report.chunks > 0 {
                item.report.failed_chunks = failed.len();
                item.report.pairs = pairs.len();
                let segment_failed = item.errors.iter().any(|e| e.stage == Stage::Segment);
                item.report.status = if failed.is_empty() && !segment_failed {
                    DocumentStatus::Ok
                } else if failed.len() == item.report.chunks {
                    DocumentStatus::Failed
                } else {
                    DocumentStatus::Partial
                };
                let first = item.errors.first().or(failed.first()).map(|e| &e.failure);
                progress.document_finished(&item.report.name, first);
            }
            item.errors.extend(failed);
            // A cancelled run may have skipped chunks: its documents are not whole.
            let whole = item.errors.is_empty() && !progress.cancelled();
            if let (Some(cache), Some(key), true) = (run.cache, item.document_key, whole) {
                cache.store_document(key, &(&item.report, &pairs));
            }
            DocumentOutcome { report: item.report, errors: item.errors, pairs }
        })
        .collect()
}

/// Reads and ingests one file or part; a failure is recorded on the item.
fn read_and_ingest(run: &Run<'_>, source: &Source) -> Item {
    let file = source.path.as_path();
    let relative = run.options.names_relative_to.as_deref().and_then(|base| file.strip_prefix(base).ok());
    let name = relative.unwrap_or(file).display().to_string();
    let report_name = source.report_name(&name);
    let mut item = Item {
        report: DocumentReport {
            name: report_name.clone(),
            bytes: 0,
            format: None,
            documents: 0,
            warnings: Vec::new(),
            chunks: 0,
            failed_chunks: 0,
            pairs: 0,
            status: DocumentStatus::Failed,
        },
        errors: Vec::new(),
        documents: Vec::new(),
        chunks: Vec::new(),
        document_key: None,
        cached: None,
    };
    let size = source.bytes();
    item.report.bytes = size;
    if size > MAX_FILE_BYTES {
        let failure = StageFailure::Guest {
            problem: "too-large".to_string(),
            document: report_name.clone(),
            detail: format!("{size} bytes, more than the {MAX_FILE_BYTES}-byte limit"),
        };
        item.errors.push(document_error(&report_name, Stage::Ingest, None, failure));
        return item;
    }
    let bytes = match source.read() {
        Ok(bytes) => bytes,
        Err(error) => {
            let failure =
                StageFailure::Host { stage: Stage::Ingest, message: format!("reading {report_name}: {error}") };
            item.errors.push(document_error(&report_name, Stage::Ingest, None, failure));
            return item;
        }
    };
    // Files carry no media type: ingest takes the extension in the name as
    // its hint. (A server would pass an upload's Content-Type.)
    let media: Option<&str> = None;
    let input = (&name, blake3::hash(&bytes).to_hex().to_string());
    if let Some(cache) = run.cache {
        let stages = [Stage::Ingest, Stage::Segment, Stage::Analyze, Stage::Generate].map(|s| run.stages.digest(s));
        let settings = (stages, (&media, &run.options.ingest), run.options.segment, &run.options.generate);
        // A part's records are named from its first line on, which its bytes do not say.
        let whole = (&report_name, &input.1);
        item.document_key = CacheKey::new(Stage::Ingest, "document", &settings, &whole).ok();
        if let Some(cached) = item.document_key.as_ref().and_then(|key| cache.document::<CachedDocument>(key)) {
            item.cached = Some(cached);
            return item;
        }
    }
    let config = &run.options.ingest;
    let ingested =
        run.cached(Stage::Ingest, &(media, config), &input, || run.stages.ingest(&name, media, &bytes, config));
    let ingested = match source.part {
        Some(part) => renumber(ingested, &part, &name),
        None => ingested,
    };
    match ingested {
        Ok(ingested) => {
            item.report.format = ingested.documents.first().map(|d| format_name(d.format).to_string());
            item.report.documents = ingested.documents.len();
            item.report.warnings = ingested.warnings.iter().map(|w| format!("{}: {}", w.document, w.detail)).collect();
            item.documents = ingested.documents;
        }
        Err(failure) => item.errors.push(document_error(&report_name, Stage::Ingest, None, failure)),
    }
    item
}

/// `ingested` as ingest of the whole file would give it: the records of
/// `part` of file `name` named by their line in the file (see [`source`]).
fn renumber(
    ingested: Result<types::Ingested, StageFailure>,
    part: &source::Part,
    name: &str,
) -> Result<types::Ingested, StageFailure> {
    match ingested {
        Ok(mut ingested) => {
            for document in &mut ingested.documents {
                if document.title == document.name {
                    document.title = part.renumber(name, &document.title);
                }
                document.name = part.renumber(name, &document.name);
            }
            for warning in &mut ingested.warnings {
                warning.document = part.renumber(name, &warning.document);
            }
            Ok(ingested)
        }
        Err(StageFailure::Guest { problem, document, detail }) => {
            Err(StageFailure::Guest { problem, document: part.renumber(name, &document), detail })
        }
        Err(failure) => Err(failure),
    }
}

/// The document a guest error names (a JSON record inside a file, say).
fn failure_document(failure: &StageFailure) -> Option<&str> {
    match failure {
        StageFailure::Guest { document, .. } => Some(document),
        _ => None,
    }
}

fn document_error(document: &str, stage: Stage, chunk: Option<u32>, failure: StageFailure) -> ErrorReport {
    let message = match chunk {
        Some(index) => format!("{document}: chunk {index}: {stage}: {failure}"),
        None => format!("{document}: {stage}: {failure}"),
    };
    ErrorReport { document: document.to_string(), stage, chunk, kind: failure.kind().to_string(), message, failure }
}

fn run_error(stage: Stage, failure: StageFailure) -> ErrorReport {
    document_error("(all pairs)", stage, None, failure)
}

/// Counts `pair` in the generated distributions.
fn count_generated(generated: &mut Distributions, pair: &types::Pair) {
    *generated.tasks.entry(task_name(pair.task).to_string()).or_default() += 1;
    *generated.content_types.entry(content_type_name(pair.content_type).to_string()).or_default() += 1;
    *generated.difficulties.entry(difficulty_name(pair.difficulty).to_string()).or_default() += 1;
}

/// The file's contents if `formats` selects it (see [`brightrun_types::job::select_export_file`]).
fn select_file(file: &types::ExportFile, formats: &[ExportFormat]) -> Option<String> {
    brightrun_types::job::select_export_file(&file.name, &file.contents, formats)
}

/// A document's name for the dataset card: relative to the input it came
/// from, led by that input folder's own name (`docs/guide/intro.md` for
/// `/home/me/docs/guide/intro.md` under input `/home/me/docs`), so the card
/// shows no local paths; a file passed by itself is its file name.
fn card_name(document: &str, inputs: &[PathBuf]) -> String {
    let path = Path::new(document);
    for input in inputs {
        if let Ok(relative) = path.strip_prefix(input) {
            let root = input.file_name().map(|n| Path::new(n).to_path_buf()).unwrap_or_default();
            let named = if relative.as_os_str().is_empty() {
                PathBuf::from(path.file_name().unwrap_or_default())
            } else {
                root.join(relative)
            };
            return named.display().to_string();
        }
    }
    // Parts of a split document carry a suffix after the file's path.
    path.file_name().map_or_else(|| document.to_string(), |name| name.to_string_lossy().into_owned())
}

fn write_file(dir: &Path, name: &str, contents: &str) -> anyhow::Result<()> {
    let path = global::safe_path(dir, name)?;
    std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))
}

fn settings(options: &RunOptions) -> Settings {
    Settings {
        jobs: options.jobs,
        max_tokens: options.segment.max_tokens,
        overlap_tokens: options.segment.overlap_tokens,
        tokenizer: "cl100k_base".to_string(),
        max_pairs_per_chunk: options.generate.max_pairs_per_chunk,
        seed: options.generate.seed,
        shingle_words: options.diversify.shingle_words,
        bands: options.diversify.bands,
        rows: options.diversify.rows,
        near_duplicate_threshold: options.diversify.threshold,
        max_task_share: options.diversify.max_task_share,
        max_content_share: options.diversify.max_content_share,
        max_difficulty_share: options.diversify.max_difficulty_share,
        semantic_threshold: options.diversify.semantic_threshold,
        max_sequence_tokens: options.max_sequence_tokens,
        min_fidelity: options.min_fidelity,
        limits: options.limits,
        stage_cache: options.stage_cache,
        formats: options.formats.iter().map(|f| f.as_str().to_string()).collect(),
        llm: options.generate.llm.clone().map(|config| crate::report::LlmSettings {
            config,
            concurrency: options.llm_concurrency,
            api_key: options.llm_api_key.is_some(),
        }),
    }
}

fn quality_report(quality: &types::Quality) -> QualityReport {
    QualityReport {
        pairs_checked: quality.pairs_in,
        pairs_exported: quality.pairs_out,
        faithful_share: quality.faithful_share,
        mean_fidelity: quality.mean_fidelity,
        fidelity_histogram: quality.fidelity_histogram.clone(),
        tasks: quality.tasks.iter().map(|(k, n)| (task_name(*k).to_string(), *n)).collect(),
        content_types: quality.content_types.iter().map(|(k, n)| (content_type_name(*k).to_string(), *n)).collect(),
        difficulties: quality.difficulties.iter().map(|(k, n)| (difficulty_name(*k).to_string(), *n)).collect(),
        mean_tokens: quality.mean_tokens,
        max_tokens: quality.max_tokens,
        repaired: quality.repaired,
        question_templates: quality.question_variety.templates,
        question_distinct_bigrams: quality.question_variety.distinct_bigrams,
        drop_examples: quality
            .drop_examples
            .iter()
            .map(|e| DropExampleReport {
                reason: drop_reason_name(e.reason).to_string(),
                id: e.id.clone(),
                question: e.question.clone(),
                answer: e.answer.clone(),
                fidelity: e.fidelity,
            })
            .collect(),
    }
}

/// The WIT name of a source format.
pub fn format_name(format: types::SourceFormat) -> &'static str {
    match format {
        types::SourceFormat::PlainText => "plain-text",
        types::SourceFormat::Markdown => "markdown",
        types::SourceFormat::Html => "html",
        types::SourceFormat::Pdf => "pdf",
        types::SourceFormat::Docx => "docx",
        types::SourceFormat::Json => "json",
        types::SourceFormat::JsonLines => "json-lines",
        types::SourceFormat::RestructuredText => "restructured-text",
        types::SourceFormat::AsciiDoc => "ascii-doc",
    }
}

/// The WIT name of a task type.
pub fn task_name(task: types::TaskType) -> &'static str {
    match task {
        types::TaskType::DefinitionQa => "definition-qa",
        types::TaskType::ProcedureInstruction => "procedure-instruction",
        types::TaskType::SectionSummary => "section-summary",
        types::TaskType::ReasoningWhy => "reasoning-why",
        types::TaskType::FaqAnswer => "faq-answer",
        types::TaskType::FactualQa => "factual-qa",
        types::TaskType::CompareContrast => "compare-contrast",
        types::TaskType::CodeExplanation => "code-explanation",
        types::TaskType::TableLookup => "table-lookup",
        types::TaskType::MultiTurn => "multi-turn",
    }
}

/// The WIT name of a content type.
pub fn content_type_name(kind: types::ContentType) -> &'static str {
    match kind {
        types::ContentType::Conceptual => "conceptual",
        types::ContentType::Procedural => "procedural",
        types::ContentType::Faq => "faq",
        types::ContentType::Code => "code",
        types::ContentType::Tabular => "tabular",
        types::ContentType::Reference => "reference",
        types::ContentType::Narrative => "narrative",
    }
}

/// The WIT name of a difficulty.
pub fn difficulty_name(level: types::Difficulty) -> &'static str {
    match level {
        types::Difficulty::Easy => "easy",
        types::Difficulty::Medium => "medium",
        types::Difficulty::Hard => "hard",
    }
}

/// The WIT name of a drop reason.
pub fn drop_reason_name(reason: types::DropReason) -> &'static str {
    match reason {
        types::DropReason::ExactDuplicate => "exact-duplicate",
        types::DropReason::NearDuplicate => "near-duplicate",
        types::DropReason::LowFidelity => "low-fidelity",
        types::DropReason::RolesNotAlternating => "roles-not-alternating",
        types::DropReason::OddTurnCount => "odd-turn-count",
        types::DropReason::EmptyTurn => "empty-turn",
        types::DropReason::TooLong => "too-long",
        types::DropReason::InvalidText => "invalid-text",
        types::DropReason::LeftoverMarkup => "leftover-markup",
        types::DropReason::MissingEvidence => "missing-evidence",
        types::DropReason::RepeatedQuestion => "repeated-question",
        types::DropReason::OverRepresented => "over-represented",
        types::DropReason::SemanticDuplicate => "semantic-duplicate",
        types::DropReason::UnresolvedReference => "unresolved-reference",
        types::DropReason::PointsElsewhere => "points-elsewhere",
        types::DropReason::IncompleteAnswer => "incomplete-answer",
        types::DropReason::FragmentQuestion => "fragment-question",
        types::DropReason::QuestionRepeatsAnswer => "question-repeats-answer",
        types::DropReason::TrivialAnswer => "trivial-answer",
        types::DropReason::ChangelogNote => "changelog-note",
    }
}

#[cfg(test)]
mod card_name_tests {
    use super::*;

    #[test]
    fn card_names_are_relative_to_the_inputs() {
        let inputs = [PathBuf::from("/home/me/docs"), PathBuf::from("/tmp/one.pdf")];
        assert_eq!(card_name("/home/me/docs/guide/intro.md", &inputs), "docs/guide/intro.md");
        assert_eq!(card_name("/tmp/one.pdf", &inputs), "one.pdf");
        assert_eq!(card_name("/elsewhere/two.md", &inputs), "two.md");
    }
}
