//! Jobs that advance in bounded steps, with all their state in the key-value
//! store.
//!
//! A job is a cursor over units of work: per uploaded file, ingest, then
//! segment, then analyze + generate for each chunk; then diversify over all
//! pairs, then validate-export. A step runs units until its time budget is
//! spent (at least one), writing each unit's result under a key derived from
//! the hash of its input and settings *before* moving the cursor past it. A
//! step that dies loses nothing written; the next step re-reads the cursor,
//! and a unit that was finished but not yet recorded is found by its key.
//!
//! The order of documents, chunks and pairs is the CLI's (files by name,
//! documents as ingest returns them, chunks in order), so the same input and
//! settings give the same dataset as `brightrun run`.
//!
//! Spin's key-value interface has no compare-and-swap, so a lease key only
//! keeps two requests from stepping one job at once in the common case; if
//! two steps do race, both compute the same content-keyed results and the
//! job still converges.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use brightrun_types::job::JobCounts;
use brightrun_types::job::{JobConfig, JobSettings, select_export_file};
use brightrun_types::{Chunk, DiversifyResult, ExportResult, Ingested, Pair, StageError};
use serde::{Deserialize, Serialize};

use crate::kv::{self, KeyValue, StoreError};
use crate::stages::StageCalls;

/// Identifies the stage code results were made with (see `build.rs`).
pub const STAGES_FINGERPRINT: &str = env!("BRIGHTRUN_STAGES_FINGERPRINT");

/// A step's default time budget: far inside a serverless request's limit
/// (Fermyon Cloud and SpinKube give tens of seconds), long enough that the
/// store round trips of a step are a small share of it.
pub const DEFAULT_STEP_BUDGET: Duration = Duration::from_secs(2);

/// How long past its budget a step's lease keeps other requests from
/// stepping the job. A step that dies (its instance killed, a stage trapping)
/// holds the job this long; a unit that runs longer than budget + margin may
/// be started a second time by a poll (harmless: results are keyed by
/// content), and counts as an attempt.
pub const DEFAULT_LEASE_MARGIN: Duration = Duration::from_secs(30);

/// How much a request may do to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepLimits {
    /// Time a step spends before it stops starting units (it runs at least one).
    pub budget: Duration,
    /// See [`DEFAULT_LEASE_MARGIN`].
    pub lease_margin: Duration,
}

impl Default for StepLimits {
    fn default() -> Self {
        StepLimits { budget: DEFAULT_STEP_BUDGET, lease_margin: DEFAULT_LEASE_MARGIN }
    }
}

impl StepLimits {
    /// Exactly one unit per step, and a dead step's lease gone at once.
    pub const ONE_UNIT: StepLimits = StepLimits { budget: Duration::ZERO, lease_margin: Duration::ZERO };
}

/// Errors listed in a job record; `report.json` has them all.
pub const MAX_LISTED_ERRORS: usize = 50;

/// Where a job is in its life (the server's statuses, less `interrupted`:
/// a Spin job is never interrupted, only not yet stepped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobStatus {
    /// Created; no step has run yet.
    Queued,
    /// Steps are under way.
    Running,
    /// Finished and wrote a dataset (some documents may have failed).
    Succeeded,
    /// Finished without a dataset.
    Failed,
    /// Cancelled by a client.
    Cancelled,
}

impl JobStatus {
    /// Whether the job will not change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled)
    }
}

/// Where a job's documents came from (always an upload here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum JobSource {
    /// Files uploaded with the request.
    Upload {
        /// Their names.
        files: Vec<String>,
    },
}

/// A job as the API shows it: the fields of `brightrun serve`'s job record,
/// plus the steps taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// 16 hex digits.
    pub id: String,
    /// Where it is in its life.
    pub status: JobStatus,
    /// 0–100.
    pub progress: u8,
    /// What the next step does: "queued", "documents", "diversify", "validate-export", "done".
    pub phase: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    /// When the first step ran.
    pub started_at: Option<u64>,
    /// When it reached a terminal status.
    pub finished_at: Option<u64>,
    /// Its documents.
    pub source: JobSource,
    /// Bytes of input.
    pub bytes: u64,
    /// Its settings.
    pub config: JobConfig,
    /// Counts so far.
    pub counts: JobCounts,
    /// Per-document errors (the first [`MAX_LISTED_ERRORS`]), and the job's own failure.
    pub errors: Vec<String>,
    /// Steps run so far.
    pub steps: u32,
}

/// One uploaded file on its way through the per-document stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FileState {
    name: String,
    media_type: Option<String>,
    /// Key of the uploaded bytes.
    upload: String,
    bytes: u64,
    /// Key of the ingest result, once ingested.
    ingested: Option<String>,
    /// Key of the segment result, once segmented.
    segmented: Option<String>,
    /// Chunks found (known once segmented).
    chunks: u32,
    /// Chunks analysed and generated.
    chunks_done: u32,
    failed_chunks: u32,
    pairs: usize,
    format: Option<String>,
    documents: usize,
    warnings: Vec<String>,
    errors: Vec<String>,
    status: Option<DocumentStatus>,
}

/// How a file fared (the CLI report's statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentStatus {
    /// Every chunk made it.
    Ok,
    /// Some chunks failed.
    Partial,
    /// Nothing came out.
    Failed,
}

/// The unit the next step starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "kebab-case")]
enum Cursor {
    /// Per-document work on file `file`.
    File { file: usize },
    /// Dedup and balance over every pair.
    Diversify,
    /// Validation and the dataset files.
    Export,
    /// Nothing left.
    Done,
}

/// A job's private state: what the steps need and the API does not show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct JobState {
    settings: JobSettings,
    files: Vec<FileState>,
    cursor: Cursor,
    /// Key of the diversify result, once run.
    diversified: Option<String>,
    errors: Vec<String>,
    /// The unit under way and how many steps have started it. A stage that
    /// traps takes the whole request down with it (Spin composes the stages
    /// into the app), so a unit started [`MAX_ATTEMPTS`] times without
    /// finishing is failed instead of tried again: one hostile document
    /// cannot stall the job.
    #[serde(default)]
    attempt: Option<(String, u32)>,
}

/// Steps that may start one unit before it counts as crashing.
pub const MAX_ATTEMPTS: u32 = 2;

/// What one chunk's analyze + generate left behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ChunkOutcome {
    pairs: Vec<Pair>,
    /// The failing stage's error, named as the CLI names it.
    error: Option<String>,
}

/// Why a job request could not be served.
#[derive(Debug)]
pub enum JobError {
    /// No job has that id.
    NotFound(String),
    /// The store failed.
    Store(StoreError),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::NotFound(id) => write!(f, "no job {id:?}"),
            JobError::Store(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for JobError {}

impl From<StoreError> for JobError {
    fn from(error: StoreError) -> Self {
        JobError::Store(error)
    }
}

/// A file a client uploads.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Its plain name.
    pub name: String,
    /// The part's Content-Type, passed to ingest as a hint.
    pub media_type: Option<String>,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A file a finished job wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Its name.
    pub name: String,
    /// Its size.
    pub bytes: u64,
    /// Where to fetch it.
    pub url: String,
}

fn job_key(id: &str) -> String {
    format!("job:{id}")
}
fn state_key(id: &str) -> String {
    format!("job:{id}:state")
}
fn lease_key(id: &str) -> String {
    format!("job:{id}:lease")
}
fn files_key(id: &str) -> String {
    format!("job:{id}:files")
}
fn file_key(id: &str, name: &str) -> String {
    format!("job:{id}:file:{name}")
}

/// The key of a stage result: the stage, the code that made it, and the
/// hash of everything it was computed from.
fn result_key<T: Serialize + ?Sized>(stage: &str, inputs: &T) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(stage.as_bytes());
    hasher.update(STAGES_FINGERPRINT.as_bytes());
    // Serialising our own records cannot fail; an empty input would only
    // cost a cache miss.
    hasher.update(&serde_json::to_vec(inputs).unwrap_or_default());
    format!("result:{stage}:{}", hasher.finalize().to_hex())
}

fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Stores the uploads and the job; the first step is the caller's to run.
/// Files are taken in name order (the order `brightrun run` walks a folder in).
pub fn create(kv: &dyn KeyValue, mut uploads: Vec<Upload>, config: JobConfig) -> Result<Job, JobError> {
    uploads.sort_by(|a, b| a.name.cmp(&b.name));
    let created_at = now_seconds();
    let mut id_hash = blake3::Hasher::new();
    id_hash.update(&now_millis().to_le_bytes());
    // RandomState is seeded from the platform's randomness (wasi:random in a component).
    let random = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), created_at);
    id_hash.update(&random.to_le_bytes());
    let mut files = Vec::new();
    for upload in &uploads {
        let hash = kv::content_hash(&upload.bytes);
        id_hash.update(hash.as_bytes());
        let key = format!("upload:{hash}");
        if kv.get(&key)?.is_none() {
            kv::put_blob(kv, &key, &upload.bytes)?;
        }
        files.push(FileState {
            name: upload.name.clone(),
            media_type: upload.media_type.clone(),
            upload: key,
            bytes: upload.bytes.len() as u64,
            ingested: None,
            segmented: None,
            chunks: 0,
            chunks_done: 0,
            failed_chunks: 0,
            pairs: 0,
            format: None,
            documents: 0,
            warnings: Vec::new(),
            errors: Vec::new(),
            status: None,
        });
    }
    // Time, randomness and content make ids unique in practice; a collision is
    // checked for, not assumed away.
    let mut id = id_hash.finalize().to_hex()[..16].to_string();
    while kv.get(&job_key(&id))?.is_some() {
        id = kv::content_hash(id.as_bytes())[..16].to_string();
    }
    let settings = config.apply(JobSettings::default());
    let state = JobState {
        settings,
        files,
        cursor: Cursor::File { file: 0 },
        diversified: None,
        errors: Vec::new(),
        attempt: None,
    };
    let job = Job {
        id: id.clone(),
        status: JobStatus::Queued,
        progress: 0,
        phase: "queued".to_string(),
        created_at,
        started_at: None,
        finished_at: None,
        source: JobSource::Upload { files: uploads.iter().map(|u| u.name.clone()).collect() },
        bytes: uploads.iter().map(|u| u.bytes.len() as u64).sum(),
        config,
        counts: JobCounts { documents: uploads.len(), ..JobCounts::default() },
        errors: Vec::new(),
        steps: 0,
    };
    kv::put_json_blob(kv, &state_key(&id), &state)?;
    kv::set_json(kv, &job_key(&id), &job)?;
    Ok(job)
}

/// The job's record.
pub fn get(kv: &dyn KeyValue, id: &str) -> Result<Job, JobError> {
    kv::get_json(kv, &job_key(id))?.ok_or_else(|| JobError::NotFound(id.to_string()))
}

/// Every job, newest first.
pub fn list(kv: &dyn KeyValue) -> Result<Vec<Job>, JobError> {
    let mut jobs = Vec::new();
    for key in kv.keys()? {
        let Some(id) = key.strip_prefix("job:") else { continue };
        if id.contains(':') {
            continue;
        }
        if let Some(job) = kv::get_json::<Job>(kv, &key)? {
            jobs.push(job);
        }
    }
    jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(jobs)
}

/// Cancels a job that has not finished; a finished one is returned as is.
pub fn cancel(kv: &dyn KeyValue, id: &str) -> Result<Job, JobError> {
    let mut job = get(kv, id)?;
    if !job.status.is_terminal() {
        job.status = JobStatus::Cancelled;
        job.phase = "cancelled".to_string();
        job.finished_at = Some(now_seconds());
        kv::set_json(kv, &job_key(id), &job)?;
    }
    Ok(job)
}

/// The files a finished job wrote.
pub fn files(kv: &dyn KeyValue, id: &str) -> Result<Vec<OutputFile>, JobError> {
    get(kv, id)?;
    Ok(kv::get_json(kv, &files_key(id))?.unwrap_or_default())
}

/// One file a finished job wrote, if it wrote it (looked up in the listing,
/// never built from the request).
pub fn file(kv: &dyn KeyValue, id: &str, name: &str) -> Result<Option<Vec<u8>>, JobError> {
    if !files(kv, id)?.iter().any(|f| f.name == name) {
        return Ok(None);
    }
    Ok(kv::get_blob(kv, &file_key(id, name))?)
}

/// Runs one step of job `id` if it is not finished and no other request holds
/// it: units of work until the budget is spent (at least one). Returns the
/// job as it stands after the step.
pub fn step(kv: &dyn KeyValue, stages: &dyn StageCalls, id: &str, limits: StepLimits) -> Result<Job, JobError> {
    let mut job = get(kv, id)?;
    if job.status.is_terminal() {
        return Ok(job);
    }
    let now = now_millis();
    let held = kv::get_json::<u64>(kv, &lease_key(id))?.is_some_and(|until| until > now);
    if held {
        return Ok(job);
    }
    let lease = limits.budget + limits.lease_margin;
    kv::set_json(kv, &lease_key(id), &(now + lease.as_millis() as u64))?;
    let result = run_step(kv, stages, &mut job, limits.budget);
    kv.delete(&lease_key(id))?;
    result?;
    Ok(job)
}

fn run_step(kv: &dyn KeyValue, stages: &dyn StageCalls, job: &mut Job, budget: Duration) -> Result<(), JobError> {
    let started = Instant::now();
    let id = job.id.clone();
    let mut state: JobState = kv::get_json_blob(kv, &state_key(&id))?
        .ok_or_else(|| StoreError(format!("job {id} has a record but no state")))?;
    if job.status == JobStatus::Queued {
        job.status = JobStatus::Running;
        job.started_at = Some(now_seconds());
    }
    job.steps += 1;
    // Segment results are read once per step, not once per chunk.
    let mut chunk_lists: BTreeMap<String, Vec<Chunk>> = BTreeMap::new();
    loop {
        let more = run_unit(kv, stages, job, &mut state, &mut chunk_lists)?;
        refresh(job, &state);
        // The record is saved after every unit: a poll while a later step
        // runs sees the progress, and a step that dies resumes from here.
        kv::put_json_blob(kv, &state_key(&id), &state)?;
        // A cancel that arrived during the step wins.
        if get(kv, &id)?.status == JobStatus::Cancelled {
            return Ok(());
        }
        kv::set_json(kv, &job_key(&id), job)?;
        if !more || started.elapsed() >= budget {
            return Ok(());
        }
    }
}

/// The unit at the cursor, as a label (for the attempt count).
fn unit_label(state: &JobState) -> Option<String> {
    match state.cursor {
        Cursor::File { file } => {
            let entry = state.files.get(file)?;
            Some(if entry.ingested.is_none() {
                format!("file {file}: ingest")
            } else if entry.segmented.is_none() {
                format!("file {file}: segment")
            } else {
                format!("file {file}: chunk {}", entry.chunks_done)
            })
        }
        Cursor::Diversify => Some("diversify".to_string()),
        Cursor::Export => Some("validate-export".to_string()),
        Cursor::Done => None,
    }
}

/// Runs the unit at the cursor and moves the cursor past it; `false` when
/// the job is finished.
fn run_unit(
    kv: &dyn KeyValue,
    stages: &dyn StageCalls,
    job: &mut Job,
    state: &mut JobState,
    chunk_lists: &mut BTreeMap<String, Vec<Chunk>>,
) -> Result<bool, JobError> {
    // Count the attempt before calling a stage that might take the request down.
    let crashed = match unit_label(state) {
        Some(label) => {
            let attempts = match &state.attempt {
                Some((unit, attempts)) if *unit == label => attempts + 1,
                _ => 1,
            };
            state.attempt = Some((label, attempts));
            kv::put_json_blob(kv, &state_key(&job.id), state)?;
            attempts > MAX_ATTEMPTS
        }
        None => false,
    };
    let crash = StageError::LimitExceeded {
        document: String::new(),
        detail: format!(
            "the stage stopped the request {MAX_ATTEMPTS} times on this input (a trap or a resource limit)"
        ),
    };
    let stages: &dyn StageCalls = if crashed { &Crashed(crash) } else { stages };
    let more = match state.cursor {
        Cursor::File { file } if file >= state.files.len() => {
            state.cursor = Cursor::Diversify;
            true
        }
        Cursor::File { file } => {
            let settings = state.settings.clone();
            let entry = &mut state.files[file];
            if entry.ingested.is_none() {
                ingest_file(kv, stages, entry, &settings)?;
            } else if entry.segmented.is_none() {
                segment_file(kv, stages, entry, &settings)?;
            } else if entry.chunks_done < entry.chunks {
                generate_chunk(kv, stages, entry, &settings, chunk_lists)?;
            }
            if entry.status.is_some() {
                state.cursor = Cursor::File { file: file + 1 };
            }
            true
        }
        Cursor::Diversify => {
            diversify(kv, stages, state)?;
            state.cursor = Cursor::Export;
            true
        }
        Cursor::Export => {
            export(kv, stages, job, state)?;
            state.cursor = Cursor::Done;
            false
        }
        Cursor::Done => false,
    };
    state.attempt = None;
    Ok(more)
}

/// Stands in for the stages on a unit that crashed [`MAX_ATTEMPTS`] times:
/// every call fails with the crash, which the unit records (and stores under
/// the input's key) like any other failure of the same stage code.
struct Crashed(StageError);

impl StageCalls for Crashed {
    fn ingest(
        &self,
        name: &str,
        _: Option<&str>,
        _: &[u8],
        _: &brightrun_types::IngestConfig,
    ) -> Result<Ingested, StageError> {
        Err(self.named(name))
    }
    fn segment(
        &self,
        documents: &[brightrun_types::Document],
        _: &brightrun_types::SegmentConfig,
    ) -> Vec<Result<Vec<Chunk>, StageError>> {
        documents.iter().map(|d| Err(self.named(&d.name))).collect()
    }
    fn analyze(&self, chunk: &Chunk) -> Result<brightrun_types::Analysis, StageError> {
        Err(self.named(&chunk.document))
    }
    fn generate(
        &self,
        chunk: &Chunk,
        _: &brightrun_types::Analysis,
        _: &brightrun_types::GenerateConfig,
    ) -> Result<Vec<Pair>, StageError> {
        Err(self.named(&chunk.document))
    }
    fn diversify(&self, _: &[Pair], _: &brightrun_types::DiversifyConfig) -> Result<DiversifyResult, StageError> {
        Err(self.named("(all pairs)"))
    }
    fn validate_export(&self, _: &[Pair], _: &brightrun_types::ExportConfig) -> Result<ExportResult, StageError> {
        Err(self.named("(all pairs)"))
    }
}

impl Crashed {
    fn named(&self, document: &str) -> StageError {
        StageError::LimitExceeded { document: document.to_string(), detail: self.0.detail().to_string() }
    }
}

fn ingest_file(
    kv: &dyn KeyValue,
    stages: &dyn StageCalls,
    entry: &mut FileState,
    settings: &JobSettings,
) -> Result<(), JobError> {
    let key = result_key("ingest", &(&entry.name, &entry.media_type, &settings.ingest, &entry.upload));
    let result: Result<Ingested, StageError> = match kv::get_json_blob(kv, &key)? {
        Some(result) => result,
        None => {
            let bytes = kv::get_blob(kv, &entry.upload)?
                .ok_or_else(|| StoreError(format!("the upload of {} is missing from the store", entry.name)))?;
            let result = stages.ingest(&entry.name, entry.media_type.as_deref(), &bytes, &settings.ingest);
            kv::put_json_blob(kv, &key, &result)?;
            result
        }
    };
    entry.ingested = Some(key);
    match result {
        Ok(ingested) => {
            entry.format = ingested.documents.first().map(|d| d.format.as_str().to_string());
            entry.documents = ingested.documents.len();
            entry.warnings = ingested.warnings.iter().map(|w| format!("{}: {}", w.document, w.detail)).collect();
            if ingested.documents.is_empty() {
                entry.status = Some(DocumentStatus::Failed);
            }
        }
        Err(error) => fail_document(entry, "ingest", &error),
    }
    Ok(())
}

fn segment_file(
    kv: &dyn KeyValue,
    stages: &dyn StageCalls,
    entry: &mut FileState,
    settings: &JobSettings,
) -> Result<(), JobError> {
    let Some(ingested_key) = entry.ingested.clone() else { return Ok(()) };
    let key = result_key("segment", &(&ingested_key, &settings.segment));
    let results: Vec<Result<Vec<Chunk>, StageError>> = match kv::get_json_blob(kv, &key)? {
        Some(results) => results,
        None => {
            let ingested: Result<Ingested, StageError> = kv::get_json_blob(kv, &ingested_key)?
                .ok_or_else(|| StoreError(format!("the ingest result of {} is missing", entry.name)))?;
            let documents = ingested.map(|i| i.documents).unwrap_or_default();
            let results = stages.segment(&documents, &settings.segment);
            kv::put_json_blob(kv, &key, &results)?;
            results
        }
    };
    entry.segmented = Some(key);
    let mut chunks = 0usize;
    let mut failures = 0;
    for result in &results {
        match result {
            Ok(list) => chunks += list.len(),
            Err(error) => {
                failures += 1;
                let name = error_document(error).unwrap_or(&entry.name).to_string();
                entry.errors.push(format!("{name}: segment: {}: {}", error.kind(), error.detail()));
            }
        }
    }
    entry.chunks = u32::try_from(chunks).unwrap_or(u32::MAX);
    if chunks == 0 {
        if failures > 0 {
            entry.status = Some(DocumentStatus::Failed);
        } else {
            entry.status = Some(DocumentStatus::Ok);
        }
    }
    Ok(())
}

/// The chunks of a segmented file, in order, read once per step.
fn chunks_of<'a>(
    kv: &dyn KeyValue,
    key: &str,
    lists: &'a mut BTreeMap<String, Vec<Chunk>>,
) -> Result<&'a Vec<Chunk>, JobError> {
    if !lists.contains_key(key) {
        let results: Vec<Result<Vec<Chunk>, StageError>> =
            kv::get_json_blob(kv, key)?.ok_or_else(|| StoreError(format!("the segment result {key} is missing")))?;
        lists.insert(key.to_string(), results.into_iter().flatten().flatten().collect());
    }
    lists.get(key).ok_or_else(|| JobError::Store(StoreError(format!("the segment result {key} is missing"))))
}

fn chunk_key(chunk: &Chunk, settings: &JobSettings) -> String {
    result_key("chunk", &(chunk, &settings.generate))
}

fn generate_chunk(
    kv: &dyn KeyValue,
    stages: &dyn StageCalls,
    entry: &mut FileState,
    settings: &JobSettings,
    lists: &mut BTreeMap<String, Vec<Chunk>>,
) -> Result<(), JobError> {
    let Some(segmented) = entry.segmented.clone() else { return Ok(()) };
    let chunks = chunks_of(kv, &segmented, lists)?;
    let Some(chunk) = chunks.get(entry.chunks_done as usize) else {
        entry.chunks_done = entry.chunks;
        return Ok(());
    };
    let key = chunk_key(chunk, settings);
    let outcome = match kv::get_json_blob::<ChunkOutcome>(kv, &key)? {
        Some(outcome) => outcome,
        None => {
            let name = &chunk.document;
            let outcome = match stages.analyze(chunk) {
                Err(error) => {
                    ChunkOutcome { pairs: Vec::new(), error: Some(chunk_error(name, chunk, "analyze", &error)) }
                }
                Ok(analysis) => match stages.generate(chunk, &analysis, &settings.generate) {
                    Ok(pairs) => ChunkOutcome { pairs, error: None },
                    Err(error) => {
                        ChunkOutcome { pairs: Vec::new(), error: Some(chunk_error(name, chunk, "generate", &error)) }
                    }
                },
            };
            kv::put_json_blob(kv, &key, &outcome)?;
            outcome
        }
    };
    entry.chunks_done += 1;
    entry.pairs += outcome.pairs.len();
    if let Some(error) = outcome.error {
        entry.failed_chunks += 1;
        entry.errors.push(error);
    }
    if entry.chunks_done >= entry.chunks {
        let segment_failed = entry.errors.iter().any(|e| e.contains(": segment: "));
        entry.status = Some(if entry.failed_chunks == 0 && !segment_failed {
            DocumentStatus::Ok
        } else if entry.failed_chunks == entry.chunks {
            DocumentStatus::Failed
        } else {
            DocumentStatus::Partial
        });
    }
    Ok(())
}

/// Every pair of the job, in file, document and chunk order.
fn all_pairs(kv: &dyn KeyValue, state: &JobState) -> Result<Vec<Pair>, JobError> {
    let mut lists = BTreeMap::new();
    let mut pairs = Vec::new();
    for entry in &state.files {
        let Some(segmented) = &entry.segmented else { continue };
        for chunk in chunks_of(kv, segmented, &mut lists)? {
            let key = chunk_key(chunk, &state.settings);
            let outcome: ChunkOutcome = kv::get_json_blob(kv, &key)?
                .ok_or_else(|| StoreError(format!("the result of {} chunk {} is missing", entry.name, chunk.index)))?;
            pairs.extend(outcome.pairs);
        }
        lists.clear();
    }
    Ok(pairs)
}

fn diversify(kv: &dyn KeyValue, stages: &dyn StageCalls, state: &mut JobState) -> Result<(), JobError> {
    let pairs = all_pairs(kv, state)?;
    let ids: Vec<&str> = pairs.iter().map(|p| p.id.as_str()).collect();
    let key = result_key("diversify", &(&state.settings.diversify, kv::content_hash(ids.join("\n").as_bytes())));
    if kv.get(&key)?.is_none() {
        let result = match stages.diversify(&pairs, &state.settings.diversify) {
            Ok(result) => result,
            Err(error) => {
                // Dedup is an improvement, not a requirement: keep every pair and say so.
                state.errors.push(format!("(all pairs): diversify: {}: {}", error.kind(), error.detail()));
                DiversifyResult { kept: pairs, dropped: Vec::new() }
            }
        };
        kv::put_json_blob(kv, &key, &result)?;
    }
    state.diversified = Some(key);
    Ok(())
}

fn export(kv: &dyn KeyValue, stages: &dyn StageCalls, job: &mut Job, state: &mut JobState) -> Result<(), JobError> {
    let id = job.id.clone();
    let diversified: DiversifyResult = match &state.diversified {
        Some(key) => {
            kv::get_json_blob(kv, key)?.ok_or_else(|| StoreError(format!("the diversify result {key} is missing")))?
        }
        None => DiversifyResult::default(),
    };
    let sources: Vec<String> = state.files.iter().filter(|f| f.format.is_some()).map(|f| f.name.clone()).collect();
    let config = state.settings.export_config(sources);
    let result: Result<ExportResult, StageError> = stages.validate_export(&diversified.kept, &config);
    let mut listing = Vec::new();
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    for drop in &diversified.dropped {
        *dropped.entry(drop.reason.as_str().to_string()).or_default() += 1;
    }
    let quality = match result {
        Ok(result) => {
            for drop in &result.dropped {
                *dropped.entry(drop.reason.as_str().to_string()).or_default() += 1;
            }
            for file in &result.files {
                let Some(contents) = select_export_file(&file.name, &file.contents, &state.settings.formats) else {
                    continue;
                };
                kv::put_blob(kv, &file_key(&id, &file.name), contents.as_bytes())?;
                listing.push(output_file(&id, &file.name, contents.len()));
            }
            job.counts.pairs_exported = result.quality.pairs_out as usize;
            Some(result.quality)
        }
        Err(error) => {
            state.errors.push(format!("(all pairs): validate-export: {}: {}", error.kind(), error.detail()));
            None
        }
    };
    let report = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "runner": "spin",
        "job": id,
        "settings": state.settings,
        "documents": state.files.iter().map(|f| serde_json::json!({
            "name": f.name, "bytes": f.bytes, "format": f.format, "documents": f.documents,
            "warnings": f.warnings, "chunks": f.chunks, "failed_chunks": f.failed_chunks,
            "pairs": f.pairs, "status": f.status,
        })).collect::<Vec<_>>(),
        "errors": all_errors(state),
        "counts": {
            "documents": state.files.len(),
            "documents_failed": state.files.iter().filter(|f| f.status == Some(DocumentStatus::Failed)).count(),
            "chunks": state.files.iter().map(|f| f.chunks as usize).sum::<usize>(),
            "chunks_failed": state.files.iter().map(|f| f.failed_chunks as usize).sum::<usize>(),
            "pairs_generated": state.files.iter().map(|f| f.pairs).sum::<usize>(),
            "dropped": dropped,
            "pairs_exported": job.counts.pairs_exported,
        },
        "quality": quality,
        "steps": job.steps,
    });
    let report = format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default());
    kv::put_blob(kv, &file_key(&id, "report.json"), report.as_bytes())?;
    listing.push(output_file(&id, "report.json", report.len()));
    listing.sort_by(|a, b| a.name.cmp(&b.name));
    kv::set_json(kv, &files_key(&id), &listing)?;
    job.status = if quality.is_some() { JobStatus::Succeeded } else { JobStatus::Failed };
    job.finished_at = Some(now_seconds());
    Ok(())
}

fn output_file(id: &str, name: &str, bytes: usize) -> OutputFile {
    OutputFile { name: name.to_string(), bytes: bytes as u64, url: format!("/v1/jobs/{id}/files/{name}") }
}

fn all_errors(state: &JobState) -> Vec<String> {
    state.files.iter().flat_map(|f| f.errors.iter().cloned()).chain(state.errors.iter().cloned()).collect()
}

/// Brings the public record up to date with the state.
fn refresh(job: &mut Job, state: &JobState) {
    let files = &state.files;
    job.counts.documents = files.len();
    job.counts.documents_done = files.iter().filter(|f| f.status.is_some()).count();
    job.counts.documents_failed = files.iter().filter(|f| f.status == Some(DocumentStatus::Failed)).count();
    job.counts.chunks = files.iter().map(|f| f.chunks as usize).sum();
    job.counts.chunks_done = files.iter().map(|f| f.chunks_done as usize).sum();
    job.errors = all_errors(state).into_iter().take(MAX_LISTED_ERRORS).collect();
    let (phase, progress) = match state.cursor {
        Cursor::File { .. } => ("documents", job.counts.documents_percent()),
        Cursor::Diversify => ("diversify", 92),
        Cursor::Export => ("validate-export", 95),
        Cursor::Done => ("done", if job.status == JobStatus::Succeeded { 100 } else { job.progress }),
    };
    job.phase = phase.to_string();
    job.progress = job.progress.max(progress);
}

fn fail_document(entry: &mut FileState, stage: &str, error: &StageError) {
    let name = error_document(error).unwrap_or(&entry.name).to_string();
    entry.errors.push(format!("{name}: {stage}: {}: {}", error.kind(), error.detail()));
    entry.status = Some(DocumentStatus::Failed);
}

fn chunk_error(document: &str, chunk: &Chunk, stage: &str, error: &StageError) -> String {
    format!("{document}: chunk {}: {stage}: {}: {}", chunk.index, error.kind(), error.detail())
}

fn error_document(error: &StageError) -> Option<&str> {
    Some(error.document()).filter(|document| !document.is_empty())
}

#[cfg(test)]
mod tests;
