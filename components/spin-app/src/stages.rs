//! The six stage calls the app makes, in domain types. In the component they
//! go through the imported WIT interfaces (the stage components Spin links
//! in); natively, tests call the stage crates directly.

use brightrun_types::{
    Analysis, Chunk, DiversifyConfig, DiversifyResult, Document, ExportConfig, ExportResult, GenerateConfig,
    IngestConfig, Ingested, Pair, SegmentConfig, StageError,
};

/// One call per stage interface of `wit/pipeline.wit`.
pub trait StageCalls {
    /// `ingest.ingest`.
    fn ingest(
        &self,
        name: &str,
        media_type: Option<&str>,
        bytes: &[u8],
        config: &IngestConfig,
    ) -> Result<Ingested, StageError>;
    /// `segment.segment`: one result per document.
    fn segment(&self, documents: &[Document], config: &SegmentConfig) -> Vec<Result<Vec<Chunk>, StageError>>;
    /// `analyze.analyze`.
    fn analyze(&self, chunk: &Chunk) -> Result<Analysis, StageError>;
    /// `generate.generate`.
    fn generate(&self, chunk: &Chunk, analysis: &Analysis, config: &GenerateConfig) -> Result<Vec<Pair>, StageError>;
    /// `diversify.diversify`.
    fn diversify(&self, pairs: &[Pair], config: &DiversifyConfig) -> Result<DiversifyResult, StageError>;
    /// `validate-export.validate-export`.
    fn validate_export(&self, pairs: &[Pair], config: &ExportConfig) -> Result<ExportResult, StageError>;
}

/// The stage's name as the API and errors spell it.
pub const STAGE_NAMES: [&str; 6] = ["ingest", "segment", "analyze", "generate", "diversify", "validate-export"];
