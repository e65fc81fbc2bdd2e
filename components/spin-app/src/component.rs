//! The spin-sdk layer: Spin's HTTP request in, the routes of [`crate::api`],
//! Spin's response out; the key-value store and the stage interfaces behind
//! the two traits the logic uses.
#![allow(missing_docs, unsafe_code)]

use std::time::Duration;

use brightrun_types as domain;
use brightrun_types::wit::types as wit;
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;

use crate::api::{self, App};
use crate::job::StepLimits;
use crate::kv::{KeyValue, StoreError};
use crate::stages::StageCalls;

mod bindings {
    wit_bindgen::generate!({
        world: "spin-app",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.10.0": brightrun_types::wit::types },
    });
}

use bindings::brightrun::pipeline as stage;

/// The key-value store label the app keeps jobs and results in.
const STORE: &str = "default";

#[http_component]
async fn handle(request: Request) -> anyhow::Result<impl IntoResponse> {
    let store = match spin_sdk::key_value::Store::open(STORE) {
        Ok(store) => store,
        Err(error) => {
            let body = serde_json::json!({"error": {"code": "store-unavailable",
                "message": format!("opening the key-value store {STORE:?}: {error}")}});
            return Ok(Response::builder()
                .status(503)
                .header("content-type", "application/json")
                .body(body.to_string())
                .build());
        }
    };
    let app = App {
        kv: &SpinStore(store),
        stages: &ImportedStages,
        step: StepLimits {
            budget: milliseconds("step_budget_ms").unwrap_or(crate::job::DEFAULT_STEP_BUDGET),
            lease_margin: milliseconds("lease_margin_ms").unwrap_or(crate::job::DEFAULT_LEASE_MARGIN),
        },
        max_body_bytes: api::DEFAULT_MAX_BODY_BYTES,
    };
    let response = api::handle(&app, convert_request(request)).await;
    let mut builder = Response::builder();
    builder.status(response.status);
    for (name, value) in response.headers {
        builder.header(name, value);
    }
    Ok(builder.body(response.body).build())
}

/// A variable of `spin.toml` in milliseconds, if set and a number.
fn milliseconds(name: &str) -> Option<Duration> {
    spin_sdk::variables::get(name).ok().and_then(|value| value.trim().parse::<u64>().ok()).map(Duration::from_millis)
}

fn convert_request(request: Request) -> api::Request {
    let method = match request.method() {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Patch => "PATCH",
        Method::Options => "OPTIONS",
        _ => "OTHER",
    }
    .to_string();
    // Spin passes the path below the matched route as spin-path-info.
    let path = request
        .header("spin-path-info")
        .and_then(|value| value.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| request.path().to_string());
    let headers = request
        .headers()
        .filter_map(|(name, value)| Some((name.to_ascii_lowercase(), value.as_str()?.to_string())))
        .collect();
    let query = request.query().to_string();
    api::Request { method, path, query, headers, body: request.into_body() }
}

struct SpinStore(spin_sdk::key_value::Store);

fn store_error(error: spin_sdk::key_value::Error) -> StoreError {
    StoreError(error.to_string())
}

impl KeyValue for SpinStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key).map_err(store_error)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0.set(key, value).map_err(store_error)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).map_err(store_error)
    }
    fn keys(&self) -> Result<Vec<String>, StoreError> {
        self.0.get_keys().map_err(store_error)
    }
}

/// The stage components, through the interfaces Spin links them in by.
struct ImportedStages;

fn convert_all<A, B: From<A>>(items: impl IntoIterator<Item = A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}

impl StageCalls for ImportedStages {
    fn ingest(
        &self,
        name: &str,
        media_type: Option<&str>,
        bytes: &[u8],
        config: &domain::IngestConfig,
    ) -> Result<domain::Ingested, domain::StageError> {
        let config: wit::IngestConfig = config.clone().into();
        stage::ingest::ingest(name, media_type, bytes, &config).map(Into::into).map_err(Into::into)
    }

    fn segment(
        &self,
        documents: &[domain::Document],
        config: &domain::SegmentConfig,
    ) -> Vec<Result<Vec<domain::Chunk>, domain::StageError>> {
        let documents: Vec<wit::Document> = convert_all(documents.iter().cloned());
        stage::segment::segment(&documents, (*config).into())
            .into_iter()
            .map(|result| result.map(convert_all).map_err(Into::into))
            .collect()
    }

    fn analyze(&self, chunk: &domain::Chunk) -> Result<domain::Analysis, domain::StageError> {
        stage::analyze::analyze(&chunk.clone().into()).map(Into::into).map_err(Into::into)
    }

    fn generate(
        &self,
        chunk: &domain::Chunk,
        analysis: &domain::Analysis,
        config: &domain::GenerateConfig,
    ) -> Result<Vec<domain::Pair>, domain::StageError> {
        stage::generate::generate(&chunk.clone().into(), &analysis.clone().into(), &config.clone().into())
            .map(convert_all)
            .map_err(Into::into)
    }

    fn diversify(
        &self,
        pairs: &[domain::Pair],
        config: &domain::DiversifyConfig,
    ) -> Result<domain::DiversifyResult, domain::StageError> {
        let pairs: Vec<wit::Pair> = convert_all(pairs.iter().cloned());
        stage::diversify::diversify(&pairs, (*config).into()).map(Into::into).map_err(Into::into)
    }

    fn validate_export(
        &self,
        pairs: &[domain::Pair],
        config: &domain::ExportConfig,
    ) -> Result<domain::ExportResult, domain::StageError> {
        let pairs: Vec<wit::Pair> = convert_all(pairs.iter().cloned());
        stage::validate_export::validate_export(&pairs, &config.clone().into()).map(Into::into).map_err(Into::into)
    }
}
