//! The HTTP API under `/v1`, `/metrics`, `/healthz` and the web page.
//!
//! Errors are JSON, `{"error": {"code": "...", "message": "..."}}`, with a 4xx
//! status for what the client can fix and 5xx for what it cannot. File names
//! never become paths unchecked: uploads must be plain names, downloads are
//! looked up in the job's listing, and a server-side folder must lie inside
//! an allowed root after symlinks are resolved.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::jobs::{Feedback, Job, JobConfig, JobError, JobManager, JobSource};
use super::telemetry::ServerMetrics;

/// Limits on what a client may send.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest request body, in bytes (all files of one job together).
    pub max_request_bytes: usize,
    /// Most files in one job.
    pub max_files: usize,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The jobs.
    pub manager: Arc<JobManager>,
    /// The Prometheus counters.
    pub metrics: Arc<ServerMetrics>,
    /// Upload limits.
    pub limits: UploadLimits,
    /// Canonical folders a job may name instead of uploading; empty refuses all.
    pub allowed_roots: Vec<PathBuf>,
}

/// The router.
pub fn router(state: AppState) -> Router {
    let body_limit = DefaultBodyLimit::max(state.limits.max_request_bytes);
    Router::new()
        .route("/", get(page))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/jobs", post(create_job).get(list_jobs).layer(body_limit))
        .route("/v1/jobs/{id}", get(get_job).delete(cancel_job))
        .route("/v1/jobs/{id}/resume", post(resume_job))
        .route("/v1/jobs/{id}/events", get(job_events))
        .route("/v1/jobs/{id}/files", get(list_files))
        .route("/v1/jobs/{id}/files/{name}", get(get_file))
        .route("/v1/jobs/{id}/pairs", get(list_pairs))
        .route("/v1/jobs/{id}/feedback", get(list_feedback).post(give_feedback))
        .fallback(not_found)
        .with_state(state)
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message)
    }

    fn internal(error: impl std::fmt::Display) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", error.to_string())
    }
}

impl From<JobError> for ApiError {
    fn from(error: JobError) -> Self {
        let message = error.to_string();
        match error {
            JobError::QueueFull(_) => ApiError {
                retry_after: Some(10),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "queue-full", message)
            },
            JobError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not-found", message),
            JobError::Conflict { .. } => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            JobError::Store(error) => ApiError::internal(format!("{error:#}")),
        }
    }
}

impl From<axum::extract::multipart::MultipartError> for ApiError {
    fn from(error: axum::extract::multipart::MultipartError) -> Self {
        let status = error.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "too-large" } else { "bad-upload" };
        ApiError::new(status, code, error.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not-found", "no such route")
}

async fn page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}

async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    use super::jobs::JobStatus;
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "jobs_queued": state.manager.count(JobStatus::Queued),
        "jobs_running": state.manager.count(JobStatus::Running),
    }))
}

async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render(&state.manager) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
            .into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}

/// A job on a server-side folder: `{"path": "...", "config": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathJob {
    path: PathBuf,
    #[serde(default)]
    config: JobConfig,
}

async fn create_job(State(state): State<AppState>, headers: HeaderMap, request: Request) -> Result<Response, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let job = if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
        create_upload_job(&state, multipart).await?
    } else if content_type.starts_with("application/json") {
        let Json(body) = Json::<PathJob>::from_request(request, &state)
            .await
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
        create_path_job(&state, body).await?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "send multipart/form-data (one part per file, optional `config` part) or application/json {\"path\": ...}",
        ));
    };
    let location = format!("/v1/jobs/{}", job.id);
    let mut response = (StatusCode::ACCEPTED, Json(job)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

pub use brightrun_types::job::unsafe_file_name;

async fn create_upload_job(state: &AppState, multipart: Multipart) -> Result<Job, ApiError> {
    let (id, dir) = state.manager.reserve().map_err(ApiError::internal)?;
    let received = receive_files(state, &dir.join("input"), multipart).await;
    let submitted = received.and_then(|(files, bytes, config)| {
        state.manager.submit(id, JobSource::Upload { files }, bytes, config).map_err(ApiError::from)
    });
    if submitted.is_err() {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    submitted
}

/// Writes each file part to `input`; returns the names, total bytes and config.
async fn receive_files(
    state: &AppState,
    input: &Path,
    mut multipart: Multipart,
) -> Result<(Vec<String>, u64, JobConfig), ApiError> {
    let mut names = BTreeSet::new();
    let mut files = Vec::new();
    let mut bytes = 0u64;
    let mut config = JobConfig::default();
    while let Some(mut field) = multipart.next_field().await? {
        let Some(name) = field.file_name().map(str::to_string) else {
            if field.name() == Some("config") {
                let text = field.text().await?;
                config = serde_json::from_str(&text).map_err(|error| {
                    ApiError::bad_request(format!("the config part is not a valid job config: {error}"))
                })?;
                if let Some(problem) = config.problem() {
                    return Err(ApiError::bad_request(format!("config: {problem}")));
                }
                continue;
            }
            let part = field.name().unwrap_or("(unnamed)").to_string();
            return Err(ApiError::bad_request(format!(
                "part {part:?} has no filename: send each document as a file part, settings as a part named config"
            )));
        };
        if let Some(problem) = unsafe_file_name(&name) {
            return Err(ApiError::bad_request(format!("file name {name:?} is not accepted: {problem}")));
        }
        if !names.insert(name.clone()) {
            return Err(ApiError::bad_request(format!("file name {name:?} appears twice")));
        }
        if names.len() > state.limits.max_files {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-many-files",
                format!("a job takes at most {} files", state.limits.max_files),
            ));
        }
        let path = input.join(&name);
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|error| ApiError::internal(format!("storing {name}: {error}")))?;
        while let Some(chunk) = field.chunk().await? {
            bytes += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(|error| ApiError::internal(format!("storing {name}: {error}")))?;
        }
        file.flush().await.map_err(|error| ApiError::internal(format!("storing {name}: {error}")))?;
        files.push(name);
    }
    if files.is_empty() {
        return Err(ApiError::bad_request("the upload holds no file parts"));
    }
    Ok((files, bytes, config))
}

async fn create_path_job(state: &AppState, body: PathJob) -> Result<Job, ApiError> {
    if state.allowed_roots.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this server reads no server-side folders (start it with --allow-root DIR); upload the files instead",
        ));
    }
    if let Some(problem) = body.config.problem() {
        return Err(ApiError::bad_request(format!("config: {problem}")));
    }
    let shown = body.path.display().to_string();
    let path = tokio::fs::canonicalize(&body.path)
        .await
        .map_err(|error| ApiError::new(StatusCode::NOT_FOUND, "not-found", format!("{shown}: {error}")))?;
    if !state.allowed_roots.iter().any(|root| path.starts_with(root)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{shown} is outside the folders this server may read"),
        ));
    }
    let measured = path.clone();
    let bytes = tokio::task::spawn_blocking(move || folder_bytes(&measured)).await.unwrap_or(0);
    let (id, _dir) = state.manager.reserve().map_err(ApiError::internal)?;
    Ok(state.manager.submit(id, JobSource::Path { path }, bytes, body.config)?)
}

/// Total size of the files under `path` (symlinked folders not followed).
fn folder_bytes(path: &Path) -> u64 {
    let Ok(metadata) = std::fs::symlink_metadata(path) else { return 0 };
    if !metadata.is_dir() {
        return std::fs::metadata(path).map_or(0, |m| m.len());
    }
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries.flatten().map(|entry| folder_bytes(&entry.path())).sum()
}

async fn list_jobs(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({"jobs": state.manager.list()}))
}

async fn get_job(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Json<Job>, ApiError> {
    Ok(Json(state.manager.get(&id)?.snapshot()))
}

async fn cancel_job(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Response, ApiError> {
    let job = state.manager.cancel(&id)?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

async fn resume_job(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Response, ApiError> {
    let job = state.manager.resume(&id)?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// Server-sent events: `progress` with the job on every change, then one
/// `end` when it reaches a terminal status, after which the stream closes.
async fn job_events(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let receiver = state.manager.get(&id)?.subscribe();
    let stream = futures_util::stream::unfold((receiver, false, None), |(mut receiver, ended, sent)| async move {
        if ended {
            return None;
        }
        if sent.is_some() && receiver.changed().await.is_err() {
            return None;
        }
        let job = receiver.borrow_and_update().clone();
        let terminal = job.status.is_terminal();
        let name = if terminal { "end" } else { "progress" };
        let now = serde_json::to_value(&job).unwrap_or_default();
        let data = job_change(sent.as_ref(), &now);
        let event = Event::default().event(name).json_data(&data).unwrap_or_else(|_| Event::default().event(name));
        Some((Ok(event), (receiver, terminal, Some(now))))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// An event's data: the whole job the first time, then its id and only the
/// fields that changed since the last event. A job of a thousand files
/// would otherwise repeat its file list in every progress event.
fn job_change(sent: Option<&serde_json::Value>, now: &serde_json::Value) -> serde_json::Value {
    let (Some(before), serde_json::Value::Object(fields)) = (sent, now) else { return now.clone() };
    let changed = fields
        .iter()
        .filter(|(name, value)| name.as_str() == "id" || before.get(name.as_str()) != Some(*value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    serde_json::Value::Object(changed)
}

/// A file a finished job wrote.
#[derive(Debug, Serialize)]
struct OutputFile {
    name: String,
    bytes: u64,
    url: String,
}

/// The regular files in a job's output folder, by name.
fn output_files(manager: &JobManager, id: &str) -> Result<Vec<OutputFile>, ApiError> {
    manager.get(id)?;
    let out = manager.job_dir(id).join("out");
    let Ok(entries) = std::fs::read_dir(&out) else { return Ok(Vec::new()) };
    let mut files: Vec<OutputFile> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let bytes = entry.metadata().ok()?.len();
            Some(OutputFile { url: format!("/v1/jobs/{id}/files/{name}"), name, bytes })
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

async fn list_files(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({"files": output_files(&state.manager, &id)?})))
}

async fn get_file(
    State(state): State<AppState>,
    UrlPath((id, name)): UrlPath<(String, String)>,
) -> Result<Response, ApiError> {
    // Looked up in the listing, never joined from the request: no traversal.
    let listed = output_files(&state.manager, &id)?.into_iter().find(|file| file.name == name);
    let Some(file) = listed else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not-found", format!("job {id} has no file {name:?}")));
    };
    let path = state.manager.job_dir(&id).join("out").join(&file.name);
    let opened = tokio::fs::File::open(&path).await.map_err(ApiError::internal)?;
    let content_type = match file.name.rsplit('.').next() {
        Some("json") => "application/json",
        Some("jsonl") => "application/jsonl",
        Some("md") => "text/markdown; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(opened));
    Ok(([(header::CONTENT_TYPE, content_type), (header::CONTENT_LENGTH, &file.bytes.to_string())], body)
        .into_response())
}

/// `?offset=&limit=` for pair listings.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    offset: usize,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    20
}

/// Pairs from `pairs.jsonl` (with evidence), a page at a time, each with
/// the verdict a user gave it.
async fn list_pairs(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    // axum answers a bad query in plain text; the API answers in JSON.
    let Query(page) = page.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    state.manager.get(&id)?;
    let path = state.manager.job_dir(&id).join("out").join("pairs.jsonl");
    let limit = page.limit.clamp(1, 200);
    let read = tokio::task::spawn_blocking(move || read_pairs(&path, page.offset, limit))
        .await
        .map_err(ApiError::internal)??;
    let (total, mut pairs) = read;
    let verdicts = state.manager.store().feedback(&id).map_err(ApiError::internal)?;
    for pair in &mut pairs {
        let id = pair["id"].as_str().unwrap_or("");
        if let Some(feedback) = verdicts.iter().find(|f| f.pair_id == id) {
            pair["feedback"] = json!(feedback.verdict);
        }
    }
    Ok(Json(json!({"total": total, "offset": page.offset, "pairs": pairs})))
}

/// Lines `offset..offset + limit` of `pairs.jsonl`, and how many there are.
fn read_pairs(path: &Path, offset: usize, limit: usize) -> Result<(usize, Vec<serde_json::Value>), ApiError> {
    use std::io::BufRead;
    let file = std::fs::File::open(path)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not-found", "this job has no pairs.jsonl (yet)"))?;
    let mut total = 0;
    let mut pairs = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(ApiError::internal)?;
        if line.trim().is_empty() {
            continue;
        }
        if total >= offset && pairs.len() < limit {
            pairs.push(serde_json::from_str(&line).map_err(ApiError::internal)?);
        }
        total += 1;
    }
    Ok((total, pairs))
}

/// Whether `pairs.jsonl` of a job has a pair `pair_id`.
fn has_pair(path: &Path, pair_id: &str) -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else { return false };
    std::io::BufReader::new(file).lines().map_while(Result::ok).any(|line| {
        serde_json::from_str::<serde_json::Value>(&line).is_ok_and(|pair| pair["id"].as_str() == Some(pair_id))
    })
}

async fn list_feedback(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.manager.get(&id)?;
    let feedback = state.manager.store().feedback(&id).map_err(ApiError::internal)?;
    Ok(Json(json!({"feedback": feedback})))
}

async fn give_feedback(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: Result<Json<Feedback>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Feedback>, ApiError> {
    let Json(feedback) = body.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    state.manager.get(&id)?;
    if feedback.note.as_ref().is_some_and(|note| note.chars().count() > 2000) {
        return Err(ApiError::bad_request("note must be at most 2000 characters"));
    }
    let path = state.manager.job_dir(&id).join("out").join("pairs.jsonl");
    let pair_id = feedback.pair_id.clone();
    let found = tokio::task::spawn_blocking(move || has_pair(&path, &pair_id)).await.unwrap_or(false);
    if !found {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("job {id} has no pair {:?}", feedback.pair_id),
        ));
    }
    state.manager.store().save_feedback(&id, &feedback).map_err(ApiError::internal)?;
    Ok(Json(feedback))
}

#[cfg(test)]
mod tests {
    use super::unsafe_file_name;

    #[test]
    fn only_plain_file_names_are_accepted() {
        for name in ["notes.md", "Q3 report (final).pdf", "données.txt", "a..b.json"] {
            assert_eq!(unsafe_file_name(name), None, "{name}");
        }
        let long = "x".repeat(256);
        for name in
            ["", ".", "..", ".env", "../etc/passwd", "a/b.md", "..\\boot.ini", "C:\\x.txt", "a\nb", long.as_str()]
        {
            assert!(unsafe_file_name(name).is_some(), "{name:?} is refused");
        }
    }
}
