//! The app's HTTP routes, over plain request and response records so they
//! are tested natively; `component.rs` converts spin-sdk's types.
//!
//! The job routes mirror `brightrun serve`'s (`/v1/jobs`, same JSON, same
//! error shape `{"error": {"code", "message"}}`), so one client drives both.
//! What a serverless app cannot do is refused plainly: there is no
//! filesystem to create a job from a path, and no long-lived connection for
//! server-sent events (poll `GET /v1/jobs/{id}` instead: each poll runs the
//! job's next step).

use brightrun_types::job::{JobConfig, JobSettings, unsafe_file_name};
use brightrun_types::{Analysis, Chunk, Document, Pair};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::job::{self, JobError, StepLimits, Upload};
use crate::kv::KeyValue;
use crate::stages::StageCalls;

/// An HTTP request, body read whole.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// "GET", "POST"…
    pub method: String,
    /// The path under the app's route, starting with '/'.
    pub path: String,
    /// The query string without '?'.
    pub query: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, v)| percent_decode(v))
    }
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    fn json(status: u16, value: &serde_json::Value) -> Response {
        let mut body = serde_json::to_vec(value).unwrap_or_default();
        body.push(b'\n');
        Response { status, headers: vec![("content-type".into(), "application/json".into())], body }
    }

    fn error(status: u16, code: &str, message: impl Into<String>) -> Response {
        Response::json(status, &json!({"error": {"code": code, "message": message.into()}}))
    }

    fn bad_request(message: impl Into<String>) -> Response {
        Response::error(400, "bad-request", message)
    }

    fn value<T: serde::Serialize>(status: u16, value: &T) -> Response {
        match serde_json::to_value(value) {
            Ok(value) => Response::json(status, &value),
            Err(error) => Response::error(500, "internal", error.to_string()),
        }
    }
}

/// What a request runs against.
pub struct App<'a> {
    /// The job store.
    pub kv: &'a dyn KeyValue,
    /// The stages.
    pub stages: &'a dyn StageCalls,
    /// How much each request may do to a job.
    pub step: StepLimits,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
}

/// The default upload cap: every upload is held in the instance's memory.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 << 20;

impl From<JobError> for Response {
    fn from(error: JobError) -> Self {
        match error {
            JobError::NotFound(_) => Response::error(404, "not-found", error.to_string()),
            JobError::Store(_) => Response::error(503, "store-unavailable", error.to_string()),
        }
    }
}

/// Serves one request.
pub async fn handle(app: &App<'_>, request: Request) -> Response {
    if request.body.len() > app.max_body_bytes {
        return Response::error(
            413,
            "too-large",
            format!("the request body is {} bytes; this app takes at most {}", request.body.len(), app.max_body_bytes),
        );
    }
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let method = request.method.as_str();
    let result = match (method, segments.as_slice()) {
        ("GET", ["healthz"]) => Ok(Response::json(200, &json!({"status": "ok", "runner": "spin"}))),
        ("GET", [""]) => Ok(index()),
        ("POST", ["v1", "jobs"]) => create_job(app, &request).await,
        ("GET", ["v1", "jobs"]) => job::list(app.kv).map(|jobs| Response::value(200, &json!({"jobs": jobs}))),
        ("GET", ["v1", "jobs", id]) => {
            job::step(app.kv, app.stages, id, app.step).map(|job| Response::value(200, &job))
        }
        ("DELETE", ["v1", "jobs", id]) => job::cancel(app.kv, id).map(|job| Response::value(202, &job)),
        ("GET", ["v1", "jobs", id, "files"]) => {
            job::files(app.kv, id).map(|files| Response::value(200, &json!({"files": files})))
        }
        ("GET", ["v1", "jobs", id, "files", name]) => {
            let name = percent_decode(name);
            job::file(app.kv, id, &name).map(|contents| match contents {
                Some(body) => {
                    Response { status: 200, headers: vec![("content-type".into(), content_type(&name))], body }
                }
                None => Response::error(404, "not-found", format!("job {id} has no file {name:?}")),
            })
        }
        ("GET", ["v1", "jobs", _, "events"]) => Ok(Response::error(
            501,
            "not-implemented",
            "a serverless app keeps no connection open: poll GET /v1/jobs/{id}, which also runs the job's next step",
        )),
        ("POST", ["v1", "stages", stage]) => Ok(run_stage(app, stage, &request)),
        (_, ["v1", ..]) | (_, ["healthz"]) => Ok(Response::error(405, "method-not-allowed", "no such method here")),
        _ => Ok(Response::error(404, "not-found", "no such route")),
    };
    result.unwrap_or_else(Response::from)
}

fn index() -> Response {
    Response::json(
        200,
        &json!({
            "name": "brightrun",
            "runner": "spin",
            "version": env!("CARGO_PKG_VERSION"),
            "routes": [
                "POST /v1/jobs (multipart: one part per file, optional `config` part)",
                "GET /v1/jobs", "GET /v1/jobs/{id} (runs the next step)", "DELETE /v1/jobs/{id}",
                "GET /v1/jobs/{id}/files", "GET /v1/jobs/{id}/files/{name}",
                "POST /v1/stages/{ingest|segment|analyze|generate|diversify|validate-export}",
                "GET /healthz",
            ],
        }),
    )
}

async fn create_job(app: &App<'_>, request: &Request) -> Result<Response, JobError> {
    let content_type = request.header("content-type").unwrap_or("");
    if content_type.starts_with("application/json") {
        return Ok(Response::error(
            400,
            "bad-request",
            "a Spin app has no filesystem to read a path from: upload the documents as multipart/form-data",
        ));
    }
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return Ok(Response::error(
            415,
            "unsupported-media-type",
            "send multipart/form-data: one part per file, and an optional part named config",
        ));
    };
    let (uploads, config) = match read_uploads(request.body.clone(), boundary).await {
        Ok(read) => read,
        Err(response) => return Ok(response),
    };
    let mut job = job::create(app.kv, uploads, config)?;
    // The creating request runs the first step, so small jobs are done at once.
    job = job::step(app.kv, app.stages, &job.id, app.step)?;
    let mut response = Response::value(202, &job);
    response.headers.push(("location".into(), format!("/v1/jobs/{}", job.id)));
    Ok(response)
}

/// The file parts and the config part of an upload; the same rules as the server's.
async fn read_uploads(body: Vec<u8>, boundary: String) -> Result<(Vec<Upload>, JobConfig), Response> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(multer::bytes::Bytes::from(body)) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut uploads: Vec<Upload> = Vec::new();
    let mut config = JobConfig::default();
    let bad_upload = |error: multer::Error| Response::error(400, "bad-upload", error.to_string());
    while let Some(field) = multipart.next_field().await.map_err(bad_upload)? {
        let Some(name) = field.file_name().map(str::to_string) else {
            if field.name() == Some("config") {
                let text = field.text().await.map_err(bad_upload)?;
                config = serde_json::from_str(&text).map_err(|error| {
                    Response::bad_request(format!("the config part is not a valid job config: {error}"))
                })?;
                if let Some(problem) = config.problem() {
                    return Err(Response::bad_request(format!("config: {problem}")));
                }
                continue;
            }
            let part = field.name().unwrap_or("(unnamed)").to_string();
            return Err(Response::bad_request(format!(
                "part {part:?} has no filename: send each document as a file part, settings as a part named config"
            )));
        };
        if let Some(problem) = unsafe_file_name(&name) {
            return Err(Response::bad_request(format!("file name {name:?} is not accepted: {problem}")));
        }
        if uploads.iter().any(|u| u.name == name) {
            return Err(Response::bad_request(format!("file name {name:?} appears twice")));
        }
        let media_type =
            field.content_type().map(|m| m.essence_str().to_string()).filter(|m| m != "application/octet-stream");
        let bytes = field.bytes().await.map_err(bad_upload)?.to_vec();
        uploads.push(Upload { name, media_type, bytes });
    }
    if uploads.is_empty() {
        return Err(Response::bad_request("the upload holds no file parts"));
    }
    Ok((uploads, config))
}

fn content_type(name: &str) -> String {
    match name.rsplit('.').next() {
        Some("json") => "application/json",
        Some("jsonl") => "application/jsonl",
        Some("md") => "text/markdown; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
    .to_string()
}

/// The body of a single-stage call: the stage's inputs, settings optional
/// (the job defaults otherwise).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentCall {
    documents: Vec<Document>,
    #[serde(default)]
    config: Option<brightrun_types::SegmentConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyzeCall {
    chunk: Chunk,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerateCall {
    chunk: Chunk,
    analysis: Analysis,
    #[serde(default)]
    config: Option<brightrun_types::GenerateConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiversifyCall {
    pairs: Vec<Pair>,
    #[serde(default)]
    config: Option<brightrun_types::DiversifyConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateCall {
    pairs: Vec<Pair>,
    #[serde(default)]
    config: Option<brightrun_types::ExportConfig>,
}

fn parse<T: DeserializeOwned>(stage: &str, body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|error| Response::bad_request(format!("the {stage} request body: {error}")))
}

/// `POST /v1/stages/{stage}`: one stage call, JSON in and out. Ingest takes
/// the document's bytes as the body, `?name=` naming it and Content-Type as
/// the format hint. A stage's typed error is a 422 whose code is its kind.
fn run_stage(app: &App<'_>, stage: &str, request: &Request) -> Response {
    let defaults = JobSettings::default();
    let stages = app.stages;
    let result: Result<Result<serde_json::Value, brightrun_types::StageError>, Response> = (|| {
        Ok(match stage {
            "ingest" => {
                let name = request.query_param("name").unwrap_or_else(|| "upload".to_string());
                if let Some(problem) = unsafe_file_name(&name) {
                    return Err(Response::bad_request(format!("name {name:?} is not accepted: {problem}")));
                }
                let media = request.header("content-type").filter(|m| !m.starts_with("application/octet-stream"));
                stages.ingest(&name, media, &request.body, &defaults.ingest).map(|r| json!(r))
            }
            "segment" => {
                let call: SegmentCall = parse(stage, &request.body)?;
                let config = call.config.unwrap_or(defaults.segment);
                let results = stages.segment(&call.documents, &config);
                Ok(json!(
                    results
                        .into_iter()
                        .map(|r| match r {
                            Ok(chunks) => json!({"chunks": chunks}),
                            Err(error) => json!({"error": {"code": error.kind(), "message": error.to_string()}}),
                        })
                        .collect::<Vec<_>>()
                ))
            }
            "analyze" => {
                let call: AnalyzeCall = parse(stage, &request.body)?;
                stages.analyze(&call.chunk).map(|r| json!(r))
            }
            "generate" => {
                let call: GenerateCall = parse(stage, &request.body)?;
                let config = call.config.unwrap_or(defaults.generate);
                stages.generate(&call.chunk, &call.analysis, &config).map(|r| json!(r))
            }
            "diversify" => {
                let call: DiversifyCall = parse(stage, &request.body)?;
                let config = call.config.unwrap_or(defaults.diversify);
                stages.diversify(&call.pairs, &config).map(|r| json!(r))
            }
            "validate-export" => {
                let call: ValidateCall = parse(stage, &request.body)?;
                let config = call.config.unwrap_or_else(|| defaults.export_config(Vec::new()));
                stages.validate_export(&call.pairs, &config).map(|r| json!(r))
            }
            _ => {
                return Err(Response::error(
                    404,
                    "not-found",
                    format!("no stage {stage:?}: one of {}", crate::stages::STAGE_NAMES.join(", ")),
                ));
            }
        })
    })();
    match result {
        Ok(Ok(value)) => Response::json(200, &value),
        Ok(Err(error)) => Response::error(422, error.kind(), error.to_string()),
        Err(response) => response,
    }
}

/// `text` percent-decoded ('+' is a space, as in a form's query string).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests;
