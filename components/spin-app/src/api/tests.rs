#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::job::StepLimits;
use crate::kv::MemoryStore;
use crate::native::NativeStages;

const BOUNDARY: &str = "brightrun-test-boundary";

fn multipart(files: &[(&str, &[u8])], config: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    if let Some(config) = config {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"config\"\r\n\r\n{config}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn request(method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Request {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    Request {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: content_type.map(|t| vec![("content-type".to_string(), t.to_string())]).unwrap_or_default(),
        body,
    }
}

fn call(app: &App<'_>, request: Request) -> (u16, serde_json::Value, Vec<u8>) {
    let response = futures_executor::block_on(handle(app, request));
    let value = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
    (response.status, value, response.body)
}

fn upload_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

#[test]
fn a_client_that_creates_a_job_and_only_polls_sees_it_finish() {
    let (kv, stages) = (MemoryStore::default(), NativeStages::new());
    let app = App { kv: &kv, stages: &stages, step: StepLimits::ONE_UNIT, max_body_bytes: DEFAULT_MAX_BODY_BYTES };
    let faq = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/corpus/sqlite-faq.md")).unwrap();
    let body = multipart(&[("faq.md", &faq)], Some(r#"{"formats": ["openai"], "dataset_name": "faq"}"#));
    let (status, job, _) = call(&app, request("POST", "/v1/jobs", Some(&upload_type()), body));
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(job["status"], "running");
    assert_eq!(job["source"]["files"][0], "faq.md");

    let mut polls = 0;
    let job = loop {
        let (status, job, _) = call(&app, request("GET", &format!("/v1/jobs/{id}"), None, Vec::new()));
        assert_eq!(status, 200);
        polls += 1;
        if job["status"] != "running" {
            break job;
        }
        assert!(polls < 5000);
    };
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress"], 100);
    assert!(polls > 3);

    let (_, listing, _) = call(&app, request("GET", &format!("/v1/jobs/{id}/files"), None, Vec::new()));
    let names: Vec<&str> = listing["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"openai.jsonl") && !names.contains(&"alpaca.json"), "{names:?}");
    let (status, _, body) = call(&app, request("GET", &format!("/v1/jobs/{id}/files/openai.jsonl"), None, Vec::new()));
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8(body).unwrap().lines().count() as u64,
        job["counts"]["pairs_exported"].as_u64().unwrap()
    );
    let (status, error, _) = call(&app, request("GET", &format!("/v1/jobs/{id}/files/..%2Fstate"), None, Vec::new()));
    assert_eq!((status, error["error"]["code"].as_str()), (404, Some("not-found")));

    let (_, list, _) = call(&app, request("GET", "/v1/jobs", None, Vec::new()));
    assert_eq!(list["jobs"][0]["id"], id.as_str());
}

#[test]
fn bad_uploads_are_refused_with_the_servers_errors() {
    let (kv, stages) = (MemoryStore::default(), NativeStages::new());
    let app = App { kv: &kv, stages: &stages, step: StepLimits::ONE_UNIT, max_body_bytes: 1 << 20 };
    let cases = [
        (multipart(&[(".hidden", b"x")], None), "starts with a dot"),
        (multipart(&[("a.md", b"x")], Some(r#"{"max_tokens": 4}"#)), "max_tokens must be between"),
        (multipart(&[("a.md", b"x")], Some(r#"{"max_token": 400}"#)), "unknown field"),
        (multipart(&[("a.md", b"x"), ("a.md", b"y")], None), "appears twice"),
        (multipart(&[], None), "no file parts"),
    ];
    for (body, expected) in cases {
        let (status, error, _) = call(&app, request("POST", "/v1/jobs", Some(&upload_type()), body));
        assert_eq!(status, 400, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains(expected), "{error} should say {expected}");
    }
    let (status, error, _) = call(&app, request("POST", "/v1/jobs", Some("text/plain"), b"hello".to_vec()));
    assert_eq!((status, error["error"]["code"].as_str()), (415, Some("unsupported-media-type")));
    let (status, _, _) = call(&app, request("POST", "/v1/jobs", Some(&upload_type()), vec![b'x'; (1 << 20) + 1]));
    assert_eq!(status, 413);
    let (status, _, _) = call(&app, request("GET", "/v1/jobs/feedfacefeedface", None, Vec::new()));
    assert_eq!(status, 404);
    assert!(kv.keys().unwrap().is_empty(), "a refused upload stores nothing");
}

#[test]
fn single_stage_endpoints_chain_from_bytes_to_dataset_files() {
    let (kv, stages) = (MemoryStore::default(), NativeStages::new());
    let app = App { kv: &kv, stages: &stages, step: StepLimits::ONE_UNIT, max_body_bytes: DEFAULT_MAX_BODY_BYTES };
    let text = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/corpus/sqlite-wal.md")).unwrap();
    let (status, ingested, _) =
        call(&app, request("POST", "/v1/stages/ingest?name=wal.md", Some("text/markdown"), text));
    assert_eq!(status, 200, "{ingested}");
    let documents = ingested["documents"].clone();
    let (status, segmented, _) = call(
        &app,
        request("POST", "/v1/stages/segment", None, serde_json::to_vec(&json!({"documents": documents})).unwrap()),
    );
    assert_eq!(status, 200, "{segmented}");
    // The first chunk that gives pairs (the generator skips what it cannot ask about).
    let chunks = segmented[0]["chunks"].as_array().unwrap().clone();
    let pairs = chunks
        .iter()
        .find_map(|chunk| {
            let (status, analysis, _) = call(
                &app,
                request("POST", "/v1/stages/analyze", None, serde_json::to_vec(&json!({"chunk": chunk})).unwrap()),
            );
            assert_eq!(status, 200, "{analysis}");
            let body = json!({"chunk": chunk, "analysis": analysis});
            let (status, pairs, _) =
                call(&app, request("POST", "/v1/stages/generate", None, serde_json::to_vec(&body).unwrap()));
            assert_eq!(status, 200, "{pairs}");
            (!pairs.as_array().unwrap().is_empty()).then_some(pairs)
        })
        .expect("a chunk gives pairs");
    let body = serde_json::to_vec(&json!({"pairs": pairs})).unwrap();
    let (status, kept, _) = call(&app, request("POST", "/v1/stages/diversify", None, body));
    assert_eq!(status, 200, "{kept}");
    let body = serde_json::to_vec(&json!({"pairs": kept["kept"]})).unwrap();
    let (status, exported, _) = call(&app, request("POST", "/v1/stages/validate-export", None, body));
    assert_eq!(status, 200, "{exported}");
    assert!(exported["files"].as_array().unwrap().iter().any(|f| f["name"] == "alpaca.json"));

    let (status, error, _) =
        call(&app, request("POST", "/v1/stages/ingest?name=x.pdf", None, b"%PDF-1.7\n1 0 obj".to_vec()));
    assert_eq!((status, error["error"]["code"].as_str()), (422, Some("corrupt")), "{error}");
    let (status, error, _) = call(&app, request("POST", "/v1/stages/analyze", None, b"{}".to_vec()));
    assert_eq!(status, 400, "{error}");
    let (status, _, _) = call(&app, request("POST", "/v1/stages/translate", None, Vec::new()));
    assert_eq!(status, 404);
    assert!(kv.keys().unwrap().is_empty(), "stage calls keep no state");
}
