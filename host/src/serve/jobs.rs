//! Background jobs: their records, the SQLite file that keeps them across
//! restarts, and the bounded queue and workers that run them on the shared
//! [`Runtime`].
//!
//! A job is `queued`, `running`, then `succeeded`, `failed` or `cancelled`;
//! a job that was running when the server stopped is `interrupted` on the
//! next start and can be resumed (its finished documents come from the
//! stage cache). Every change is written to SQLite before it is published.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::pipeline::{Progress, RunError, RunOptions, Runtime};
use crate::report::RunReport;
use crate::stages::StageFailure;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker is running it.
    Running,
    /// Finished and wrote a dataset (some documents may have failed: see its report).
    Succeeded,
    /// Finished without a dataset, or could not start.
    Failed,
    /// Cancelled by a client.
    Cancelled,
    /// The server stopped while it ran; resumable.
    Interrupted,
}

impl JobStatus {
    /// Every status, for metrics.
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
        JobStatus::Interrupted,
    ];

    /// Whether the job will not change again on its own.
    pub fn is_terminal(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running)
    }

    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Interrupted => "interrupted",
        }
    }
}

pub use brightrun_types::job::{JobConfig, JobCounts};

/// `options` with a job's settings applied (the same rules the Spin app applies).
fn apply_config(config: &JobConfig, options: RunOptions) -> RunOptions {
    let settings = config.apply(options.settings());
    options.with_settings(&settings)
}

/// Where a job's documents come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum JobSource {
    /// Files uploaded with the request, kept in the job's folder.
    Upload {
        /// The files' names, as uploaded.
        files: Vec<String>,
    },
    /// A folder or file on the server, inside an allowed root.
    Path {
        /// Its canonical path.
        path: PathBuf,
    },
}

/// One job as the API shows it and SQLite keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Its id: 16 hex digits.
    pub id: String,
    /// Where it is in its life.
    pub status: JobStatus,
    /// 0–100.
    pub progress: u8,
    /// What it is doing: "queued", "documents", "diversify", "validate-export", "write", "done";
    /// for a job that failed, was cancelled or interrupted, the phase it stopped in.
    pub phase: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    /// When a worker took it (the last time, if resumed).
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
    /// Per-document errors (first [`MAX_LISTED_ERRORS`]), and the job's own failure.
    pub errors: Vec<String>,
}

/// Errors listed in a job record; the report has them all.
pub const MAX_LISTED_ERRORS: usize = 50;

/// The SQLite file of jobs and pair feedback.
pub struct JobStore {
    connection: Mutex<rusqlite::Connection>,
}

/// A user's verdict on one pair, for the improvement loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// The pair's id in `pairs.jsonl`.
    pub pair_id: String,
    /// "good" or "bad".
    pub verdict: Verdict,
    /// Why, optionally.
    #[serde(default)]
    pub note: Option<String>,
}

/// A verdict on a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Worth training on.
    Good,
    /// Wrong, unfaithful or useless.
    Bad,
}

impl JobStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let connection =
            rusqlite::Connection::open(path).with_context(|| format!("opening the job store {}", path.display()))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, record TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS feedback (
                     job_id TEXT NOT NULL, pair_id TEXT NOT NULL, verdict TEXT NOT NULL, note TEXT,
                     updated_at INTEGER NOT NULL, PRIMARY KEY (job_id, pair_id));",
            )
            .with_context(|| format!("preparing the job store {}", path.display()))?;
        Ok(JobStore { connection: Mutex::new(connection) })
    }

    fn connection(&self) -> Result<std::sync::MutexGuard<'_, rusqlite::Connection>> {
        self.connection.lock().map_err(|_| anyhow::anyhow!("job store connection poisoned"))
    }

    /// Writes `job`, replacing its previous record.
    pub fn save(&self, job: &Job) -> Result<()> {
        let record = serde_json::to_string(job)?;
        self.connection()?
            .prepare_cached("INSERT OR REPLACE INTO jobs (id, created_at, record) VALUES (?1, ?2, ?3)")?
            .execute(rusqlite::params![job.id, job.created_at as i64, record])?;
        Ok(())
    }

    /// Every job, oldest first. A record that does not parse (written by a
    /// different version) is skipped with a message on stderr.
    pub fn load(&self) -> Result<Vec<Job>> {
        let connection = self.connection()?;
        let mut statement = connection.prepare("SELECT id, record FROM jobs ORDER BY created_at, id")?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
        let mut jobs = Vec::new();
        for row in rows {
            let (id, record) = row?;
            match serde_json::from_str(&record) {
                Ok(job) => jobs.push(job),
                Err(error) => eprintln!("warning: job {id}: its stored record does not parse ({error}); skipped"),
            }
        }
        Ok(jobs)
    }

    /// Records (or replaces) a verdict.
    pub fn save_feedback(&self, job_id: &str, feedback: &Feedback) -> Result<()> {
        let verdict = match feedback.verdict {
            Verdict::Good => "good",
            Verdict::Bad => "bad",
        };
        self.connection()?
            .prepare_cached(
                "INSERT OR REPLACE INTO feedback (job_id, pair_id, verdict, note, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(rusqlite::params![job_id, feedback.pair_id, verdict, feedback.note, now() as i64])?;
        Ok(())
    }

    /// The verdicts on a job's pairs.
    pub fn feedback(&self, job_id: &str) -> Result<Vec<Feedback>> {
        let connection = self.connection()?;
        let mut statement = connection
            .prepare_cached("SELECT pair_id, verdict, note FROM feedback WHERE job_id = ?1 ORDER BY pair_id")?;
        let rows = statement.query_map([job_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<String>>(2)?))
        })?;
        let mut feedback = Vec::new();
        for row in rows {
            let (pair_id, verdict, note) = row?;
            let verdict = if verdict == "good" { Verdict::Good } else { Verdict::Bad };
            feedback.push(Feedback { pair_id, verdict, note });
        }
        Ok(feedback)
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// One job in memory: its record, who watches it, and its cancel flag.
pub struct JobHandle {
    job: Mutex<Job>,
    updates: watch::Sender<Job>,
    cancel: AtomicBool,
}

impl JobHandle {
    fn new(job: Job) -> Arc<Self> {
        let (updates, _) = watch::channel(job.clone());
        Arc::new(JobHandle { job: Mutex::new(job), updates, cancel: AtomicBool::new(false) })
    }

    /// The job as it is now.
    pub fn snapshot(&self) -> Job {
        self.updates.borrow().clone()
    }

    /// A receiver that sees every published change.
    pub fn subscribe(&self) -> watch::Receiver<Job> {
        self.updates.subscribe()
    }
}

/// Why a job could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The queue is full; try again later.
    #[error("the job queue is full ({0} jobs waiting); try again later")]
    QueueFull(usize),
    /// No such job.
    #[error("no job {0}")]
    NotFound(String),
    /// The job is not in a state that allows this.
    #[error("job {id} is {status}: {action}")]
    Conflict {
        /// The job.
        id: String,
        /// Its status.
        status: &'static str,
        /// What cannot be done.
        action: &'static str,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// The jobs, their queue and their workers.
pub struct JobManager {
    store: JobStore,
    jobs: Mutex<BTreeMap<String, Arc<JobHandle>>>,
    /// Ids for the workers. The channel itself is unbounded: a cancelled job
    /// stays in it until a worker skips it, so the bound is on jobs whose
    /// status is `queued`, checked under `admission`.
    queue: Sender<String>,
    queue_capacity: usize,
    /// Held while a job is checked against the bound and queued.
    admission: Mutex<()>,
    data_dir: PathBuf,
    /// Run settings every job starts from.
    base: RunOptions,
    runtime: Arc<Runtime>,
    /// Called with each finished run's report (the server's cache counters).
    on_report: Box<dyn Fn(&RunReport) + Send + Sync>,
}

impl JobManager {
    /// Opens the job store in `data_dir`, marks jobs that were running when
    /// the server last stopped as interrupted, queues again those that were
    /// waiting, and starts `workers` workers.
    pub fn start(
        data_dir: &Path,
        base: RunOptions,
        runtime: Arc<Runtime>,
        workers: usize,
        queue_capacity: usize,
        on_report: Box<dyn Fn(&RunReport) + Send + Sync>,
    ) -> Result<Arc<Self>> {
        std::fs::create_dir_all(data_dir.join("jobs"))
            .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
        let store = JobStore::open(&data_dir.join("jobs.sqlite3"))?;
        let (queue, receiver) = std::sync::mpsc::channel();
        let manager = Arc::new(JobManager {
            store,
            jobs: Mutex::new(BTreeMap::new()),
            queue,
            queue_capacity,
            admission: Mutex::new(()),
            data_dir: data_dir.to_path_buf(),
            base,
            runtime,
            on_report,
        });
        let mut requeue = Vec::new();
        for mut job in manager.store.load()? {
            if job.status == JobStatus::Running {
                job.status = JobStatus::Interrupted;
                job.finished_at = Some(now());
                job.errors.push(format!(
                    "the server stopped while this job ran; POST /v1/jobs/{}/resume runs it again, reusing what it finished",
                    job.id
                ));
                manager.store.save(&job)?;
            }
            if job.status == JobStatus::Queued {
                requeue.push(job.id.clone());
            }
            manager.insert(job);
        }
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..workers.max(1) {
            let manager = Arc::clone(&manager);
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("brightrun-job-{index}"))
                .spawn(move || manager.work(&receiver))
                .context("starting a job worker")?;
        }
        for id in requeue {
            manager.enqueue(&id)?;
        }
        Ok(manager)
    }

    fn insert(&self, job: Job) -> Arc<JobHandle> {
        let handle = JobHandle::new(job.clone());
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.insert(job.id.clone(), Arc::clone(&handle));
        }
        handle
    }

    /// The folder a job's files live in.
    pub fn job_dir(&self, id: &str) -> PathBuf {
        self.data_dir.join("jobs").join(id)
    }

    /// A new job id, and its folder (created, empty).
    pub fn reserve(&self) -> Result<(String, PathBuf)> {
        loop {
            let seed = format!("{:?}{}", SystemTime::now(), std::process::id());
            let id = blake3::hash(seed.as_bytes()).to_hex()[..16].to_string();
            let dir = self.job_dir(&id);
            if !dir.exists() {
                std::fs::create_dir_all(dir.join("input")).with_context(|| format!("creating {}", dir.display()))?;
                return Ok((id, dir));
            }
        }
    }

    /// Records a new job and queues it. On a full queue the job is not
    /// recorded (the caller removes its folder).
    pub fn submit(&self, id: String, source: JobSource, bytes: u64, config: JobConfig) -> Result<Job, JobError> {
        let _admission = self.admission.lock().map_err(|_| anyhow::anyhow!("job admission poisoned"))?;
        let waiting = self.count(JobStatus::Queued);
        if waiting >= self.queue_capacity {
            return Err(JobError::QueueFull(waiting));
        }
        let job = Job {
            id: id.clone(),
            status: JobStatus::Queued,
            progress: 0,
            phase: "queued".into(),
            created_at: now(),
            started_at: None,
            finished_at: None,
            source,
            bytes,
            config,
            counts: JobCounts::default(),
            errors: Vec::new(),
        };
        self.store.save(&job)?;
        self.insert(job.clone());
        self.enqueue(&id)?;
        Ok(job)
    }

    fn enqueue(&self, id: &str) -> Result<(), JobError> {
        self.queue.send(id.to_string()).map_err(|_| JobError::Store(anyhow::anyhow!("the job workers stopped")))
    }

    /// A job's handle.
    pub fn get(&self, id: &str) -> Result<Arc<JobHandle>, JobError> {
        self.jobs.lock().ok().and_then(|jobs| jobs.get(id).cloned()).ok_or_else(|| JobError::NotFound(id.to_string()))
    }

    /// Every job, newest first.
    pub fn list(&self) -> Vec<Job> {
        let handles: Vec<Arc<JobHandle>> =
            self.jobs.lock().map(|jobs| jobs.values().cloned().collect()).unwrap_or_default();
        let mut jobs: Vec<Job> = handles.iter().map(|handle| handle.snapshot()).collect();
        jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
        jobs
    }

    /// How many jobs have `status`.
    pub fn count(&self, status: JobStatus) -> usize {
        let handles: Vec<Arc<JobHandle>> =
            self.jobs.lock().map(|jobs| jobs.values().cloned().collect()).unwrap_or_default();
        handles.iter().filter(|handle| handle.snapshot().status == status).count()
    }

    /// The job store (feedback lives there too).
    pub fn store(&self) -> &JobStore {
        &self.store
    }

    /// Cancels a queued or running job. A queued job is cancelled at once; a
    /// running one stops at its next document or chunk.
    pub fn cancel(&self, id: &str) -> Result<Job, JobError> {
        let handle = self.get(id)?;
        let status = handle.snapshot().status;
        if status.is_terminal() {
            return Err(JobError::Conflict {
                id: id.into(),
                status: status.as_str(),
                action: "it cannot be cancelled",
            });
        }
        handle.cancel.store(true, Ordering::SeqCst);
        if status == JobStatus::Queued {
            self.update(id, |job| {
                if job.status == JobStatus::Queued {
                    finish(job, JobStatus::Cancelled);
                }
            });
        }
        Ok(handle.snapshot())
    }

    /// Queues an interrupted, failed or cancelled job again.
    pub fn resume(&self, id: &str) -> Result<Job, JobError> {
        let handle = self.get(id)?;
        let status = handle.snapshot().status;
        if !matches!(status, JobStatus::Interrupted | JobStatus::Failed | JobStatus::Cancelled) {
            return Err(JobError::Conflict {
                id: id.into(),
                status: status.as_str(),
                action: "only interrupted, failed or cancelled jobs can be resumed",
            });
        }
        let _admission = self.admission.lock().map_err(|_| anyhow::anyhow!("job admission poisoned"))?;
        let waiting = self.count(JobStatus::Queued);
        if waiting >= self.queue_capacity {
            return Err(JobError::QueueFull(waiting));
        }
        handle.cancel.store(false, Ordering::SeqCst);
        self.update(id, |job| {
            job.status = JobStatus::Queued;
            job.phase = "queued".into();
            job.progress = 0;
            job.finished_at = None;
            job.counts = JobCounts::default();
            job.errors.clear();
        });
        // The job as accepted: an idle worker may claim it as soon as it is
        // queued, and the answer should not depend on that race.
        let accepted = handle.snapshot();
        if let Err(error) = self.enqueue(id) {
            self.update(id, |job| finish(job, status));
            return Err(error);
        }
        Ok(accepted)
    }

    /// Applies `change` to a job, saves it and publishes it.
    fn update(&self, id: &str, change: impl FnOnce(&mut Job)) {
        let Ok(handle) = self.get(id) else { return };
        let Ok(mut job) = handle.job.lock() else { return };
        change(&mut job);
        if let Err(error) = self.store.save(&job) {
            eprintln!("warning: job {id}: saving its state failed: {error:#}");
        }
        handle.updates.send_replace(job.clone());
    }

    /// A worker: takes job ids off the queue until the server stops.
    fn work(&self, receiver: &Mutex<Receiver<String>>) {
        loop {
            let next = match receiver.lock() {
                Ok(receiver) => receiver.recv(),
                Err(_) => return,
            };
            let Ok(id) = next else { return };
            self.run_job(&id);
        }
    }

    fn run_job(&self, id: &str) {
        let Ok(handle) = self.get(id) else { return };
        // An id can be in the queue twice (cancelled while queued, then
        // resumed): only the worker that moves it from queued runs it.
        let mut claimed = false;
        self.update(id, |job| {
            if job.status == JobStatus::Queued {
                job.status = JobStatus::Running;
                job.phase = "documents".into();
                job.started_at = Some(now());
                claimed = true;
            }
        });
        if !claimed {
            return;
        }
        let job = handle.snapshot();
        let dir = self.job_dir(id);
        let mut options = apply_config(&job.config, self.base.clone());
        let (input, relative_to) = match &job.source {
            JobSource::Upload { .. } => (dir.join("input"), dir.join("input")),
            JobSource::Path { path } => {
                (path.clone(), if path.is_dir() { path.clone() } else { path.parent().unwrap_or(path).to_path_buf() })
            }
        };
        options.inputs = vec![input];
        options.names_relative_to = Some(relative_to);
        options.out = dir.join("out");
        let progress = JobProgress { manager: self, id, handle: &handle };
        let result = self.runtime.run(&options, &progress);
        match result {
            Ok(report) => {
                (self.on_report)(&report);
                self.update(id, |job| {
                    job.counts.documents = report.counts.documents;
                    job.counts.documents_failed = report.counts.documents_failed;
                    job.counts.documents_done = report.counts.documents;
                    // The report's count, not the progress tally: a resumed
                    // job's cached documents report no chunks as they pass.
                    job.counts.chunks = report.counts.chunks;
                    job.counts.chunks_done = report.counts.chunks;
                    job.counts.pairs_exported = report.counts.pairs_exported;
                    job.errors = report.errors.iter().take(MAX_LISTED_ERRORS).map(|e| e.message.clone()).collect();
                    if report.counts.pairs_exported == 0 {
                        job.errors.push("no pair could be exported; see report.json".into());
                        finish(job, JobStatus::Failed);
                    } else {
                        finish(job, JobStatus::Succeeded);
                    }
                });
            }
            Err(RunError::Cancelled) => self.update(id, |job| finish(job, JobStatus::Cancelled)),
            Err(error) => self.update(id, |job| {
                job.errors.push(format!("{error:#}"));
                finish(job, JobStatus::Failed);
            }),
        }
    }
}

/// Ends `job`. A job that did not succeed keeps the phase and progress it
/// stopped at, so the page can say where ("stopped in diversify") instead of
/// a near-full bar that reads as almost done.
fn finish(job: &mut Job, status: JobStatus) {
    job.status = status;
    job.finished_at = Some(now());
    if status == JobStatus::Succeeded {
        job.phase = "done".to_string();
        job.progress = 100;
    }
}

/// A running job's progress: counts into its record, saved and published.
struct JobProgress<'a> {
    manager: &'a JobManager,
    id: &'a str,
    handle: &'a JobHandle,
}

impl JobProgress<'_> {
    /// Changes the record in memory and publishes it without saving: chunk
    /// counts change too often to write each one.
    fn publish(&self, change: impl FnOnce(&mut JobCounts)) {
        let Ok(mut job) = self.handle.job.lock() else { return };
        change(&mut job.counts);
        job.progress = job.progress.max(job.counts.documents_percent());
        self.handle.updates.send_replace(job.clone());
    }
}

impl Progress for JobProgress<'_> {
    fn documents_found(&self, total: usize) {
        self.manager.update(self.id, |job| job.counts.documents = total);
    }

    fn chunks_found(&self, chunks: usize) {
        self.publish(|counts| counts.chunks += chunks);
    }

    fn chunk_finished(&self) {
        self.publish(|counts| counts.chunks_done += 1);
    }

    fn document_finished(&self, _name: &str, failure: Option<&StageFailure>) {
        self.manager.update(self.id, |job| {
            job.counts.documents_done += 1;
            if failure.is_some() {
                job.counts.documents_failed += 1;
            }
            job.progress = job.progress.max(job.counts.documents_percent());
        });
    }

    fn phase(&self, name: &str) {
        let percent = match name {
            "diversify" => 92,
            "validate-export" => 95,
            _ => 98,
        };
        self.manager.update(self.id, |job| {
            job.phase = name.to_string();
            job.progress = job.progress.max(percent);
        });
    }

    fn cancelled(&self) -> bool {
        self.handle.cancel.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::ExportFormat;

    #[test]
    fn settings_out_of_range_are_named() {
        let ok = JobConfig { max_tokens: Some(256), overlap_tokens: Some(32), ..JobConfig::default() };
        assert_eq!(ok.problem(), None);
        let cases = [
            (JobConfig { max_tokens: Some(5), ..JobConfig::default() }, "max_tokens"),
            (JobConfig { overlap_tokens: Some(300), ..JobConfig::default() }, "overlap_tokens"),
            (JobConfig { max_pairs_per_chunk: Some(0), ..JobConfig::default() }, "max_pairs_per_chunk"),
            (JobConfig { min_fidelity: Some(1.5), ..JobConfig::default() }, "min_fidelity"),
            (JobConfig { dataset_name: Some("../x".into()), ..JobConfig::default() }, "dataset_name"),
            (JobConfig { formats: Some(Vec::new()), ..JobConfig::default() }, "formats"),
            (JobConfig { text_fields: Some(vec![String::new()]), ..JobConfig::default() }, "text_fields"),
        ];
        for (config, field) in cases {
            let problem = config.problem().unwrap_or_default();
            assert!(problem.contains(field), "{config:?}: {problem}");
        }
    }

    #[test]
    fn settings_apply_over_the_servers_defaults() {
        let base = RunOptions::new(Vec::new(), PathBuf::new());
        let config = JobConfig {
            dataset_name: Some("support".into()),
            formats: Some(vec![ExportFormat::Sharegpt, ExportFormat::Alpaca, ExportFormat::Sharegpt]),
            max_tokens: Some(128),
            seed: Some(9),
            ..JobConfig::default()
        };
        let options = apply_config(&config, base.clone());
        assert_eq!(options.dataset_name, "support");
        assert_eq!(options.formats, vec![ExportFormat::Alpaca, ExportFormat::Sharegpt]);
        assert_eq!(options.segment.max_tokens, 128);
        assert!(options.segment.overlap_tokens <= 32, "the default overlap shrinks with the chunk");
        assert_eq!(options.generate.seed, 9);
        assert_eq!(options.min_fidelity, base.min_fidelity);
    }

    #[test]
    fn jobs_and_feedback_survive_reopening_the_store() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("jobs.sqlite3");
        let job = Job {
            id: "00112233aabbccdd".into(),
            status: JobStatus::Succeeded,
            progress: 100,
            phase: "done".into(),
            created_at: 1,
            started_at: Some(2),
            finished_at: Some(3),
            source: JobSource::Upload { files: vec!["a.md".into()] },
            bytes: 10,
            config: JobConfig { seed: Some(4), ..JobConfig::default() },
            counts: JobCounts { documents: 1, documents_done: 1, pairs_exported: 7, ..JobCounts::default() },
            errors: Vec::new(),
        };
        let feedback = Feedback { pair_id: "p1".into(), verdict: Verdict::Bad, note: Some("vague".into()) };
        {
            let store = JobStore::open(&path)?;
            store.save(&job)?;
            store.save_feedback(&job.id, &feedback)?;
            let changed = Feedback { verdict: Verdict::Good, note: None, ..feedback.clone() };
            store.save_feedback(&job.id, &changed)?;
        }
        let store = JobStore::open(&path)?;
        assert_eq!(store.load()?, vec![job.clone()]);
        let stored = store.feedback(&job.id)?;
        assert_eq!(stored, vec![Feedback { pair_id: "p1".into(), verdict: Verdict::Good, note: None }]);
        Ok(())
    }

    #[test]
    fn a_job_that_stops_keeps_where_it_stopped_and_one_that_succeeds_is_done() {
        let running = Job {
            id: "00112233aabbccdd".into(),
            status: JobStatus::Running,
            progress: 93,
            phase: "diversify".into(),
            created_at: 1,
            started_at: Some(2),
            finished_at: None,
            source: JobSource::Upload { files: vec!["a.md".into()] },
            bytes: 10,
            config: JobConfig::default(),
            counts: JobCounts::default(),
            errors: Vec::new(),
        };
        for status in [JobStatus::Failed, JobStatus::Cancelled] {
            let mut job = running.clone();
            finish(&mut job, status);
            assert_eq!((job.status, job.phase.as_str(), job.progress), (status, "diversify", 93));
            assert!(job.finished_at.is_some());
        }
        let mut job = running;
        finish(&mut job, JobStatus::Succeeded);
        assert_eq!((job.phase.as_str(), job.progress), ("done", 100));
    }

    #[test]
    fn progress_moves_with_documents_and_chunks_and_stops_short_of_the_global_phases() {
        let mut counts = JobCounts { documents: 4, ..JobCounts::default() };
        assert_eq!(counts.documents_percent(), 0);
        counts.chunks = 10;
        counts.chunks_done = 5;
        assert_eq!(counts.documents_percent(), 22);
        counts.chunks_done = 10;
        counts.documents_done = 4;
        assert_eq!(counts.documents_percent(), 90);
    }
}
