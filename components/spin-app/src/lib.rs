//! brightrun's Spin app: the job API (`/v1/jobs`, as `brightrun serve` has
//! it) and one endpoint per stage (`/v1/stages/<stage>`), served by a Spin
//! HTTP component that calls the stage components through their WIT
//! interfaces.
//!
//! A serverless instance lives for one request, so a job advances in bounded
//! steps ([`job::step`]): each request to a job (its creation, every status
//! poll) runs at most one step's budget of work, and everything a step makes
//! goes to Spin's key-value store before the job's cursor moves past it.
//! Stage results are keyed by the hash of their input and settings, so an
//! instance that dies mid-step costs the next step only that step's work, and
//! two jobs over the same document share it.
//!
//! Everything here is plain Rust over two small traits ([`kv::KeyValue`],
//! [`stages::StageCalls`]) and is tested natively against the stage crates;
//! `component.rs` binds them to spin-sdk and the imported stage interfaces.

pub mod api;
pub mod job;
pub mod kv;
pub mod stages;

#[cfg(target_arch = "wasm32")]
mod component;

/// The stage crates called directly: the app's logic runs natively in tests
/// with the same stage code its components are built from.
#[cfg(test)]
pub(crate) mod native {
    use brightrun_types::tokenizer::Tokenizer;
    use brightrun_types::*;

    use crate::stages::StageCalls;

    pub struct NativeStages {
        tokenizer: Tokenizer,
    }

    impl NativeStages {
        pub fn new() -> Self {
            NativeStages { tokenizer: Tokenizer::cl100k() }
        }
    }

    impl StageCalls for NativeStages {
        fn ingest(
            &self,
            name: &str,
            media_type: Option<&str>,
            bytes: &[u8],
            config: &IngestConfig,
        ) -> Result<Ingested, StageError> {
            brightrun_ingest::ingest(name, media_type, bytes, config)
        }
        fn segment(&self, documents: &[Document], config: &SegmentConfig) -> Vec<Result<Vec<Chunk>, StageError>> {
            documents.iter().map(|d| brightrun_segment::segment(d, config, &self.tokenizer)).collect()
        }
        fn analyze(&self, chunk: &Chunk) -> Result<Analysis, StageError> {
            brightrun_analyze::analyze(chunk)
        }
        fn generate(
            &self,
            chunk: &Chunk,
            analysis: &Analysis,
            config: &GenerateConfig,
        ) -> Result<Vec<Pair>, StageError> {
            brightrun_generate::generate(chunk, analysis, config)
        }
        fn diversify(&self, pairs: &[Pair], config: &DiversifyConfig) -> Result<DiversifyResult, StageError> {
            brightrun_diversify::diversify(pairs.to_vec(), config)
        }
        fn validate_export(&self, pairs: &[Pair], config: &ExportConfig) -> Result<ExportResult, StageError> {
            brightrun_validate::validate_export(pairs.to_vec(), config, &self.tokenizer)
        }
    }
}
