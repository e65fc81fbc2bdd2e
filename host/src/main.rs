//! The `brightrun` command line.
//!
//! Exit codes: 0 when a dataset was written (even if some documents failed:
//! see `report.json`), 1 when nothing could be exported, 2 for a usage error
//! or an input path that does not exist, 3 when the run could not start or
//! write its output.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brightrun_host::components::Stage;
use brightrun_host::engine::{CompileSource, Limits};
use brightrun_host::pipeline::{self, ExportFormat, Progress, RunError, RunOptions};
use brightrun_host::report::RunReport;
use brightrun_host::serve::ServeOptions;
use brightrun_host::serve::api::UploadLimits;
use brightrun_host::stages::StageFailure;
use clap::{Parser, Subcommand};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Parser)]
#[command(name = "brightrun", version, about = "Turn your documents into LoRA fine-tuning datasets.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline on files and folders and write the dataset to --out.
    Run(RunArgs),
    /// Serve the job API and web page: upload documents, watch progress, download datasets.
    Serve(ServeArgs),
    /// Serve a Spin app (spin.toml) as `spin up` does: HTTP triggers, key-value stores, dependencies.
    SpinUp(SpinUpArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// Files or folders to read (folders recursively; hidden entries skipped).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Folder to write the dataset, card and report to (created if missing).
    #[arg(long, short)]
    out: PathBuf,
    /// Export formats to write (repeat or comma-separate) [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    format: Vec<ExportFormat>,
    /// Dataset name, used in dataset_info.json and the card.
    #[arg(long, default_value = "brightrun")]
    name: String,
    /// JSON field holding a record's text, tried in order (repeat or comma-separate)
    /// [default: text, content, body, markdown, html, article, description].
    #[arg(long, value_delimiter = ',', value_name = "FIELD")]
    text_field: Vec<String>,
    /// JSON field holding a record's title, tried in order [default: title, name, heading, subject].
    #[arg(long, value_delimiter = ',', value_name = "FIELD")]
    title_field: Vec<String>,
    /// Most bytes a compressed part (a PDF stream, a DOCX zip entry) may inflate to, in MiB.
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    max_inflated_mib: u64,
    /// Most tokens in a chunk (cl100k_base).
    #[arg(long, default_value_t = 512)]
    max_tokens: u32,
    /// Tokens of context a chunk repeats from the one before.
    #[arg(long, default_value_t = 64)]
    overlap_tokens: u32,
    /// Most pairs generated from one chunk.
    #[arg(long, default_value_t = 8)]
    max_pairs_per_chunk: u32,
    /// Seed for phrasing choices; the same seed gives the same dataset.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Training sequence length: longer pairs are dropped.
    #[arg(long, default_value_t = 2048)]
    max_sequence_tokens: u32,
    /// Lowest fidelity to the evidence a pair may have and be exported (0–1).
    #[arg(long, default_value_t = 0.8)]
    min_fidelity: f32,
    /// Near-duplicate threshold: estimated Jaccard similarity (0–1].
    #[arg(long, default_value_t = 0.7)]
    near_duplicate_threshold: f32,
    /// Largest share of the dataset one task type may have (0–1]; 1 turns balancing off.
    #[arg(long, default_value_t = pipeline::DEFAULT_MAX_TASK_SHARE)]
    max_task_share: f32,
    /// Largest share one content type may have (0–1].
    #[arg(long, default_value_t = pipeline::DEFAULT_MAX_CONTENT_SHARE)]
    max_content_share: f32,
    /// Largest share one difficulty may have (0–1].
    #[arg(long, default_value_t = pipeline::DEFAULT_MAX_DIFFICULTY_SHARE)]
    max_difficulty_share: f32,
    /// Semantic duplicates: pairs whose question and answer both reach this static-embedding cosine (0–1].
    #[arg(long, default_value_t = pipeline::DEFAULT_SEMANTIC_THRESHOLD)]
    semantic_threshold: f32,
    #[command(flatten)]
    runtime: RuntimeArgs,
    /// Print no progress bars or summary.
    #[arg(long, short)]
    quiet: bool,
}

/// Settings of the runtime: workers, limits, caches, components.
#[derive(clap::Args)]
struct RuntimeArgs {
    /// Worker threads [default: the number of cores].
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Memory limit of one component invocation, in MiB.
    #[arg(long, default_value_t = 1024)]
    memory_limit_mib: usize,
    /// Memory limit of the deduper, in MiB: it keeps fingerprints of every
    /// pair it keeps (about 1.2 KB each), so a corpus past 1 GB needs more.
    #[arg(long, default_value_t = 1024)]
    dedup_memory_limit_mib: usize,
    /// Wall-clock limit of one component invocation, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    /// Fuel of one invocation before its input is counted (about one unit per instruction).
    #[arg(long, default_value_t = Limits::default().fuel_base)]
    fuel: u64,
    /// Where compiled components and stage results (stages.sqlite) are cached [default: ~/.cache/brightrun].
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Keep stage results in Redis instead of SQLite: redis://HOST:PORT[/DB].
    #[arg(long, value_name = "URL")]
    cache: Option<String>,
    /// Most MiB of stage results the SQLite cache keeps; the least recently used go beyond it (0: no cap).
    #[arg(long, default_value_t = 4096, value_name = "MIB")]
    cache_max_mib: u64,
    /// Cache no stage result: recompute every stage (compiled components are still kept and reused).
    #[arg(long, conflicts_with = "cache")]
    no_cache: bool,
    /// KiB of pairs per batch in the global stages (dedup, validate, export):
    /// larger batches pay less start-up per pair, smaller ones hold less memory.
    #[arg(long, default_value_t = brightrun_host::pipeline::DEFAULT_PAIR_BATCH_BYTES >> 10, value_name = "KIB")]
    pair_batch_kib: usize,
    /// Replace a stage's bundled component: STAGE=PATH (e.g. analyze=my_analyzer.wasm).
    #[arg(long, value_parser = parse_stage_component)]
    stage_component: Vec<(Stage, PathBuf)>,
    /// Alert when a stage's p95 latency exceeds this many milliseconds.
    #[arg(long, value_name = "MS")]
    alert_p95_ms: Option<f64>,
    /// Alert when a call's linear memory exceeds this many MiB.
    #[arg(long, value_name = "MIB")]
    alert_memory_mib: Option<f64>,
    #[command(flatten)]
    llm: LlmArgs,
}

/// The LLM backend of generate (off unless --llm-url is given).
#[derive(clap::Args)]
struct LlmArgs {
    /// Generate with an OpenAI-compatible chat-completions API at this base URL
    /// (e.g. http://127.0.0.1:11434/v1 for Ollama, https://api.openai.com/v1).
    #[arg(long, value_name = "URL", requires = "llm_model")]
    llm_url: Option<String>,
    /// The model to ask.
    #[arg(long, value_name = "NAME")]
    llm_model: Option<String>,
    /// Environment variable holding the API key.
    #[arg(long, value_name = "VAR", default_value = "BRIGHTRUN_LLM_API_KEY")]
    llm_api_key_env: String,
    /// File holding the API key (a mounted secret, say); read instead of the environment.
    #[arg(long, value_name = "PATH")]
    llm_api_key_file: Option<PathBuf>,
    /// Sampling temperature.
    #[arg(long, default_value_t = 0.3)]
    llm_temperature: f32,
    /// Most tokens the model may write per chunk.
    #[arg(long, default_value_t = 2048)]
    llm_max_tokens: u32,
    /// Seconds to wait for a response to begin, per attempt.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    llm_timeout_secs: u32,
    /// Attempts after the first on 429, 5xx, timeouts and unusable replies.
    #[arg(long, default_value_t = 3)]
    llm_retries: u32,
    /// Most requests in flight at once.
    #[arg(long, default_value_t = pipeline::DEFAULT_LLM_CONCURRENCY)]
    llm_concurrency: usize,
}

impl LlmArgs {
    fn apply(self, options: &mut RunOptions) -> Result<(), String> {
        let (Some(base_url), Some(model)) = (self.llm_url, self.llm_model) else { return Ok(()) };
        options.llm_api_key = match &self.llm_api_key_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("--llm-api-key-file {}: {e}", path.display()))?
                    .trim()
                    .to_string(),
            ),
            None => std::env::var(&self.llm_api_key_env).ok(),
        };
        options.llm_concurrency = self.llm_concurrency.max(1);
        options.generate.llm = Some(brightrun_host::types::LlmConfig {
            base_url,
            model,
            temperature: self.llm_temperature,
            max_tokens: self.llm_max_tokens.max(1),
            timeout_ms: self.llm_timeout_secs.max(1).saturating_mul(1000),
            max_retries: self.llm_retries,
        });
        Ok(())
    }
}

/// `brightrun serve`.
#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on; loopback by default (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// Where jobs and their files are kept [default: ~/.local/share/brightrun].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A folder jobs may name instead of uploading (repeatable); none by default.
    #[arg(long, value_name = "DIR")]
    allow_root: Vec<PathBuf>,
    /// Jobs run at once.
    #[arg(long, default_value_t = 1)]
    concurrent_jobs: usize,
    /// Jobs that may wait for a worker; more are refused with 429.
    #[arg(long, default_value_t = 16)]
    queue: usize,
    /// Largest upload (all files of one job), in MiB.
    #[arg(long, default_value_t = 1024, value_name = "MIB")]
    max_upload_mib: usize,
    /// Most files in one job.
    #[arg(long, default_value_t = 10_000)]
    max_files: usize,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// `brightrun spin-up` (flag names as `spin up` spells them).
#[derive(clap::Args)]
struct SpinUpArgs {
    /// The app's manifest.
    #[arg(long, short = 'f', default_value = "spin.toml")]
    from: PathBuf,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: std::net::SocketAddr,
    /// Spin runtime-config file: key-value stores by label (`type = "redis"`, `url`; or `type = "spin"`, `path`).
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
    /// Where the default SQLite key-value store lives [default: .spin beside the manifest].
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Run each component's build command first, as `spin up --build` does.
    #[arg(long)]
    build: bool,
    /// Most linear memory of one component instance, in MiB.
    #[arg(long, default_value_t = 1024, value_name = "MIB")]
    memory_mib: usize,
    /// Longest a request may run, in seconds.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    request_timeout: u64,
}

fn spin_up(args: SpinUpArgs) -> ExitCode {
    let options = brightrun_host::spin::SpinUpOptions {
        manifest: args.from,
        listen: args.listen,
        runtime_config: args.runtime_config_file,
        state_dir: args.state_dir,
        build: args.build,
        memory_bytes: args.memory_mib.saturating_mul(1 << 20),
        request_timeout: std::time::Duration::from_secs(args.request_timeout.max(1)),
        cache_dir: brightrun_host::engine::default_cache_dir(),
    };
    match brightrun_host::spin::spin_up(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(3)
        }
    }
}

fn parse_stage_component(value: &str) -> Result<(Stage, PathBuf), String> {
    let (stage, path) = value.split_once('=').ok_or_else(|| format!("expected STAGE=PATH, got \"{value}\""))?;
    Ok((stage.parse()?, PathBuf::from(path)))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Serve(args) => serve(args),
        Command::SpinUp(args) => spin_up(args),
    }
}

fn run(args: RunArgs) -> ExitCode {
    let mut options = RunOptions::new(args.inputs, args.out);
    if let Err(error) = args.runtime.apply(&mut options) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    if !args.format.is_empty() {
        options.formats = args.format;
        options.formats.sort();
        options.formats.dedup();
    }
    options.dataset_name = args.name;
    if !args.text_field.is_empty() {
        options.ingest.text_fields = args.text_field;
    }
    if !args.title_field.is_empty() {
        options.ingest.title_fields = args.title_field;
    }
    options.ingest.max_inflated_bytes = args.max_inflated_mib.max(1).saturating_mul(1 << 20);
    options.segment.max_tokens = args.max_tokens;
    options.segment.overlap_tokens = args.overlap_tokens;
    options.generate.max_pairs_per_chunk = args.max_pairs_per_chunk;
    options.generate.seed = args.seed;
    options.max_sequence_tokens = args.max_sequence_tokens;
    options.min_fidelity = args.min_fidelity;
    options.diversify.threshold = args.near_duplicate_threshold;
    options.diversify.max_task_share = args.max_task_share;
    options.diversify.max_content_share = args.max_content_share;
    options.diversify.max_difficulty_share = args.max_difficulty_share;
    options.diversify.semantic_threshold = args.semantic_threshold;

    let progress = Arc::new(Bars::new(args.quiet));
    watch_interrupts(Arc::clone(&progress));
    let result = pipeline::run(&options, progress.as_ref());
    progress.finish();
    match result {
        Ok(report) => {
            for warning in report.warnings.iter().chain(report.documents.iter().flat_map(|d| &d.warnings)) {
                eprintln!("warning: {warning}");
            }
            for error in &report.errors {
                eprintln!("error: {}", error.message);
            }
            for alert in &report.profile.alerts {
                eprintln!("alert: {alert}");
            }
            if !args.quiet {
                print_summary(&report, &options);
            }
            if report.counts.pairs_exported == 0 {
                match &report.previous_kept {
                    Some(failed) => eprintln!(
                        "error: no pair could be exported; the dataset already in {} is kept as it was; this run's report is {}",
                        options.out.display(),
                        failed.join("report.json").display()
                    ),
                    None => {
                        eprintln!("error: no pair could be exported; see {}", options.out.join("report.json").display())
                    }
                }
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error @ (RunError::MissingInput(_) | RunError::NoInputFiles(_))) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
        Err(RunError::Cancelled) => {
            eprintln!("{}", interrupted_note(&options));
            ExitCode::from(130)
        }
        Err(RunError::Other(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(3)
        }
    }
}

impl RuntimeArgs {
    fn apply(self, options: &mut RunOptions) -> Result<(), String> {
        if let Some(jobs) = self.jobs {
            options.jobs = jobs.max(1);
        }
        options.limits.memory_bytes = self.memory_limit_mib.saturating_mul(1 << 20);
        options.limits.dedup_memory_bytes = self.dedup_memory_limit_mib.saturating_mul(1 << 20);
        options.limits.timeout = Duration::from_secs(self.timeout_secs.max(1));
        options.limits.fuel_base = self.fuel;
        options.pair_batch_bytes = self.pair_batch_kib.max(1).saturating_mul(1 << 10);
        options.alerts.stage_p95_ms = self.alert_p95_ms;
        options.alerts.peak_memory_mib = self.alert_memory_mib;
        // Compiled components stay cached: they depend only on the component
        // bytes and the engine, never on the inputs `--no-cache` is about.
        options.cache_dir = self.cache_dir.or(options.cache_dir.take());
        options.stage_cache = !self.no_cache;
        options.cache_url = self.cache;
        options.cache_max_bytes = (self.cache_max_mib > 0).then(|| self.cache_max_mib.saturating_mul(1 << 20));
        options.stage_components = self.stage_component.into_iter().collect::<BTreeMap<_, _>>();
        self.llm.apply(options)
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let Some(data_dir) = args.data_dir.or_else(default_data_dir) else {
        eprintln!("error: no home folder to keep jobs in; pass --data-dir");
        return ExitCode::from(2);
    };
    let mut base = RunOptions::new(Vec::new(), PathBuf::new());
    if let Err(error) = args.runtime.apply(&mut base) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    let options = ServeOptions {
        addr: args.addr,
        data_dir,
        allowed_roots: args.allow_root,
        concurrent_jobs: args.concurrent_jobs.max(1),
        queue_capacity: args.queue.max(1),
        limits: UploadLimits {
            max_request_bytes: args.max_upload_mib.saturating_mul(1 << 20),
            max_files: args.max_files.max(1),
        },
    };
    match brightrun_host::serve::serve(options, base) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(3)
        }
    }
}

/// `$XDG_DATA_HOME/brightrun`, else `~/.local/share/brightrun`.
fn default_data_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()).map(PathBuf::from);
    let data = data.or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))?;
    Some(data.join("brightrun"))
}

/// What an interrupted run kept, in words.
fn interrupted_note(options: &RunOptions) -> String {
    let resumed = ", so a re-run picks up where this one stopped";
    let kept = match (&options.cache_url, &options.cache_dir, options.stage_cache) {
        (_, _, false) => "no stage result was cached (--no-cache)".to_string(),
        (Some(url), _, true) => format!("the stage results computed so far are kept in {url}{resumed}"),
        (None, Some(dir), true) => format!("the stage results computed so far are kept in {}{resumed}", dir.display()),
        (None, None, true) => "no stage result was cached".to_string(),
    };
    format!("interrupted: {kept}; {} is untouched", options.out.display())
}

/// Ctrl-C (SIGINT) or SIGTERM asks the run to stop: it finishes the calls in
/// flight, keeps what it cached and writes nothing (see [`interrupted_note`]).
/// A second signal stops at once; the earlier dataset is still untouched,
/// since the run writes into a staging folder until it is done.
fn watch_interrupts(progress: Arc<Bars>) {
    let spawned = std::thread::Builder::new().name("brightrun-signals".into()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        runtime.block_on(async move {
            let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
                return;
            };
            let mut signals = 0;
            loop {
                tokio::select! {
                    result = tokio::signal::ctrl_c() => if result.is_err() { return },
                    _ = terminate.recv() => {}
                }
                signals += 1;
                progress.finish();
                if signals == 1 {
                    progress.interrupted.store(true, Ordering::Relaxed);
                    eprintln!("\nstopping after the calls in flight (Ctrl-C again to stop at once)...");
                } else {
                    eprintln!("stopped; the output folder is untouched");
                    std::process::exit(130);
                }
            }
        });
    });
    // Without the watcher, Ctrl-C ends the process as it always did.
    drop(spawned);
}

/// Progress bars on stderr (hidden when stderr is not a terminal or with --quiet).
struct Bars {
    documents: ProgressBar,
    chunks: ProgressBar,
    _multi: MultiProgress,
    finished: Mutex<()>,
    quiet: bool,
    /// Whether the compiling line was printed.
    compiling: AtomicBool,
    /// Set by the first Ctrl-C: the run stops at the next chunk.
    interrupted: AtomicBool,
}

impl Bars {
    fn new(quiet: bool) -> Self {
        let target = if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
        let multi = MultiProgress::with_draw_target(target);
        let style = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let documents = multi.add(ProgressBar::new(0).with_style(style.clone()).with_prefix("documents"));
        let chunks = multi.add(ProgressBar::new(0).with_style(style).with_prefix("chunks"));
        Bars {
            documents,
            chunks,
            _multi: multi,
            finished: Mutex::new(()),
            quiet,
            compiling: AtomicBool::new(false),
            interrupted: AtomicBool::new(false),
        }
    }

    fn finish(&self) {
        let _guard = self.finished.lock();
        self.documents.finish_and_clear();
        self.chunks.finish_and_clear();
    }
}

impl Progress for Bars {
    fn documents_found(&self, total: usize) {
        self.documents.set_length(total as u64);
    }
    fn chunks_found(&self, chunks: usize) {
        self.chunks.inc_length(chunks as u64);
    }
    fn chunk_finished(&self) {
        self.chunks.inc(1);
    }
    fn document_finished(&self, name: &str, failure: Option<&StageFailure>) {
        self.documents.inc(1);
        let short = name.rsplit('/').next().unwrap_or(name);
        let status = if failure.is_some() { " (failed)" } else { "" };
        self.documents.set_message(format!("{short}{status}"));
    }
    fn phase(&self, name: &str) {
        self.chunks.set_message(name.to_string());
    }
    fn cancelled(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }
    fn compiling_component(&self, stage: Stage) {
        // A plain line, shown where the bars are hidden too (stderr not a
        // terminal): the first run compiles for tens of seconds.
        if !self.quiet && !self.compiling.swap(true, Ordering::Relaxed) {
            eprintln!("compiling stage components, first run only (later runs load them from the cache)...");
        }
        self.documents.set_message(format!("compiling the {stage} component"));
        self.documents.tick();
    }
}

/// What the run's time was spent on before the pipeline, in words.
fn startup_note(report: &RunReport) -> String {
    let compiled = report.components.iter().filter(|c| c.source == CompileSource::Compiled).count();
    let what = if compiled > 0 {
        format!("compiling {compiled} stage components, first run only")
    } else {
        "loading the compiled components".to_string()
    };
    format!("startup {:.2} s {what}; pipeline {:.2} s", report.startup_s, report.elapsed_s)
}

fn print_summary(report: &RunReport, options: &RunOptions) {
    let counts = &report.counts;
    eprintln!();
    eprintln!(
        "{} documents ({} failed), {} chunks ({} failed), {} pairs generated, {} exported in {:.2} s ({})",
        counts.documents,
        counts.documents_failed,
        counts.chunks,
        counts.chunks_failed,
        counts.pairs_generated,
        counts.pairs_exported,
        report.startup_s + report.elapsed_s,
        startup_note(report)
    );
    if !counts.dropped.is_empty() {
        let dropped: Vec<String> = counts.dropped.iter().map(|(reason, n)| format!("{reason} {n}")).collect();
        eprintln!("dropped: {}", dropped.join(", "));
    }
    if let Some(quality) = &report.quality {
        let reviewed_out: usize = brightrun_types::judged::REVIEW_REASONS
            .iter()
            .filter_map(|reason| counts.dropped.get(reason.as_str()))
            .sum();
        eprintln!(
            "checks: {} of {} pairs reaching validate passed and were exported; the reviewer's checks dropped {} \
             (answers are source text: mean fidelity {:.3})",
            quality.pairs_exported, quality.pairs_checked, reviewed_out, quality.mean_fidelity
        );
        match brightrun_types::judged::LATEST {
            Some(judged) => eprintln!("judged: {}", judged.line()),
            None => eprintln!("judged: no blind-judging round is on record for this generator"),
        }
    }
    if report.cache.enabled {
        let (hits, misses) =
            report.cache.stages.iter().fold((0, 0), |(h, m), s| (h + s.memory_hits + s.store_hits, m + s.misses));
        let store = report.cache.store.as_deref().unwrap_or("memory only");
        eprintln!("cache: {hits} stage results reused, {misses} computed ({store})");
    }
    eprintln!();
    if report.stages.is_empty() {
        eprintln!("no component was called: every stage result came from the cache");
    } else {
        print_stage_table(report);
    }
    for recommendation in &report.profile.recommendations {
        eprintln!("hint: {recommendation}");
    }
    eprintln!();
    eprintln!("wrote {} to {}", report.files.join(", "), options.out.display());
}

fn print_stage_table(report: &RunReport) {
    eprintln!(
        "{:<16} {:>6} {:>5} {:>9} {:>9} {:>9} {:>12} {:>9} {:>8}",
        "stage", "calls", "fail", "p50 ms", "p95 ms", "max ms", "fuel", "peak MiB", "MB/s"
    );
    for stage in &report.stages {
        eprintln!(
            "{:<16} {:>6} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>12} {:>9.1} {:>8.2}",
            stage.stage.as_str(),
            stage.invocations,
            stage.failures,
            stage.p50_ms,
            stage.p95_ms,
            stage.max_ms,
            stage.fuel,
            stage.peak_memory as f64 / (1 << 20) as f64,
            stage.mb_per_s
        );
    }
}
