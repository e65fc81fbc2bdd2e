//! The stage components this binary carries, built from `components/` by
//! `build.rs` for `wasm32-wasip2` and embedded, so the binary runs anywhere
//! without the source tree.

include!(concat!(env!("OUT_DIR"), "/components.rs"));

/// A pipeline stage, each served by one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Bytes to document.
    Ingest,
    /// Document to chunks.
    Segment,
    /// Chunk to analysis.
    Analyze,
    /// Chunk and analysis to pairs.
    Generate,
    /// Pairs to deduplicated pairs.
    Diversify,
    /// Pairs to dataset files.
    ValidateExport,
}

impl Stage {
    /// Every stage in pipeline order.
    pub const ALL: [Stage; 6] =
        [Stage::Ingest, Stage::Segment, Stage::Analyze, Stage::Generate, Stage::Diversify, Stage::ValidateExport];

    /// The name used on the command line, in reports and in metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Segment => "segment",
            Stage::Analyze => "analyze",
            Stage::Generate => "generate",
            Stage::Diversify => "diversify",
            Stage::ValidateExport => "validate-export",
        }
    }

    /// The embedded component for this stage.
    pub fn embedded(&self) -> &'static [u8] {
        match self {
            Stage::Ingest => INGEST,
            Stage::Segment => SEGMENT,
            Stage::Analyze => ANALYZE,
            Stage::Generate => GENERATE,
            Stage::Diversify => DIVERSIFY,
            Stage::ValidateExport => VALIDATE_EXPORT,
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Stage {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == name)
            .ok_or_else(|| format!("unknown stage \"{name}\"; expected one of ingest, segment, analyze, generate, diversify, validate-export"))
    }
}
