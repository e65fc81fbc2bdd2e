//! What a client may ask of a job, and the defaults every runner starts from.
//!
//! The CLI (`brightrun run`), the server (`brightrun serve`) and the Spin app
//! run the same stages with the same settings; this module is the one place
//! the settings' names, defaults, ranges and the choice of export files are
//! written, so a job means the same thing on every runner.

use serde::{Deserialize, Serialize};

use crate::{DiversifyConfig, ExportConfig, GenerateConfig, IngestConfig, SegmentConfig};

/// Default balance caps (the diversify component's own defaults): no task
/// type above 60 % of the kept pairs, no difficulty above 70 %, no cap on
/// content type (see diversify's `balance`).
pub const DEFAULT_MAX_TASK_SHARE: f32 = 0.6;
/// See [`DEFAULT_MAX_TASK_SHARE`].
pub const DEFAULT_MAX_CONTENT_SHARE: f32 = 1.0;
/// See [`DEFAULT_MAX_TASK_SHARE`].
pub const DEFAULT_MAX_DIFFICULTY_SHARE: f32 = 0.7;
/// Static-embedding cosine at which two pairs (questions and answers both)
/// are semantic duplicates. Paraphrased questions score 0.87–0.95 with this
/// embedding and the same question about another subject 0.3–0.6, but two
/// pairs on neighbouring facts of one technical document (two kinds of lock)
/// reach 0.85–0.9 on both halves: at 0.85 such pairs were among the drops
/// on the examples, at 0.9 the drops read as the same fact twice.
pub const DEFAULT_SEMANTIC_THRESHOLD: f32 = 0.9;

/// The export formats a job writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// `alpaca.json`: instruction/input/output.
    Alpaca,
    /// `sharegpt.json`: conversations with from/value.
    Sharegpt,
    /// `openai.jsonl`: messages with role/content.
    Openai,
    /// `completion.jsonl`: prompt/completion.
    Completion,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 4] =
        [ExportFormat::Alpaca, ExportFormat::Sharegpt, ExportFormat::Openai, ExportFormat::Completion];

    /// The file the format is written to.
    pub fn file_name(&self) -> &'static str {
        match self {
            ExportFormat::Alpaca => "alpaca.json",
            ExportFormat::Sharegpt => "sharegpt.json",
            ExportFormat::Openai => "openai.jsonl",
            ExportFormat::Completion => "completion.jsonl",
        }
    }

    /// The name used on the command line and in a job's `formats`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExportFormat::Alpaca => "alpaca",
            ExportFormat::Sharegpt => "sharegpt",
            ExportFormat::Openai => "openai",
            ExportFormat::Completion => "completion",
        }
    }
}

/// The contents of export file `name` if `formats` selects it (`None` drops
/// it); `dataset_info.json` keeps only the entries whose files are written.
pub fn select_export_file(name: &str, contents: &str, formats: &[ExportFormat]) -> Option<String> {
    let is_export = |f: &ExportFormat| f.file_name() == name;
    if ExportFormat::ALL.iter().any(is_export) {
        return formats.iter().any(is_export).then(|| contents.to_string());
    }
    if name == "dataset_info.json" {
        let mut info: serde_json::Value = serde_json::from_str(contents).ok()?;
        if let Some(entries) = info.as_object_mut() {
            entries.retain(|_, entry| {
                let file = entry["file_name"].as_str().unwrap_or("");
                formats.iter().any(|f| f.file_name() == file)
            });
        }
        return serde_json::to_string_pretty(&info).ok().map(|text| format!("{text}\n"));
    }
    Some(contents.to_string())
}

/// Why `name` cannot be an uploaded file's name, if it cannot: uploads are
/// stored under their own name (a file in the server's job folder, a key in
/// the Spin app's store) and name their documents, so only a plain name (no
/// separators, no `..`, no hidden or control characters) is accepted.
pub fn unsafe_file_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 255 {
        Some("it is longer than 255 bytes")
    } else if name.contains(['/', '\\']) {
        Some("it contains a path separator")
    } else if name == "." || name == ".." || name.starts_with('.') {
        Some("it starts with a dot")
    } else if name.chars().any(char::is_control) {
        Some("it contains control characters")
    } else {
        None
    }
}

/// Every stage setting of one run, as the stages take them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSettings {
    /// JSON field names and the inflation cap.
    pub ingest: IngestConfig,
    /// Chunk budget.
    pub segment: SegmentConfig,
    /// Generation settings.
    pub generate: GenerateConfig,
    /// Dedup and balance settings.
    pub diversify: DiversifyConfig,
    /// Name of the dataset in dataset_info.json and the card.
    pub dataset_name: String,
    /// Training sequence length in tokens.
    pub max_sequence_tokens: u32,
    /// Lowest fidelity exported.
    pub min_fidelity: f32,
    /// Formats to write.
    pub formats: Vec<ExportFormat>,
}

impl Default for JobSettings {
    /// 512-token chunks with 64 tokens of overlap, 8 pairs per chunk,
    /// datatrove's MinHash settings (3-word shingles, 14 bands of 8 rows,
    /// 0.7 Jaccard), the balance caps above, a 2048-token sequence length, a
    /// 0.8 fidelity floor and every export format.
    fn default() -> Self {
        JobSettings {
            ingest: IngestConfig::default(),
            segment: SegmentConfig { max_tokens: 512, overlap_tokens: 64 },
            generate: GenerateConfig { seed: 0, max_pairs_per_chunk: 8, tasks: Vec::new(), llm: None },
            diversify: DiversifyConfig {
                shingle_words: 3,
                bands: 14,
                rows: 8,
                threshold: 0.7,
                max_task_share: DEFAULT_MAX_TASK_SHARE,
                max_content_share: DEFAULT_MAX_CONTENT_SHARE,
                max_difficulty_share: DEFAULT_MAX_DIFFICULTY_SHARE,
                semantic_threshold: DEFAULT_SEMANTIC_THRESHOLD,
            },
            dataset_name: "brightrun".to_string(),
            max_sequence_tokens: 2048,
            min_fidelity: 0.8,
            formats: ExportFormat::ALL.to_vec(),
        }
    }
}

impl JobSettings {
    /// The validate-export settings for documents named `sources`.
    pub fn export_config(&self, sources: Vec<String>) -> ExportConfig {
        ExportConfig {
            dataset_name: self.dataset_name.clone(),
            max_sequence_tokens: self.max_sequence_tokens,
            min_fidelity: self.min_fidelity,
            sources,
            language_model: None,
        }
    }
}

/// How far a job has got: the counts both job APIs (`brightrun serve`, the
/// Spin app) show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    /// Files found.
    pub documents: usize,
    /// Files finished (ok, partial or failed).
    pub documents_done: usize,
    /// Files that failed.
    pub documents_failed: usize,
    /// Chunks found so far.
    pub chunks: usize,
    /// Chunks finished.
    pub chunks_done: usize,
    /// Pairs in the dataset, once written.
    pub pairs_exported: usize,
}

impl JobCounts {
    /// Progress through the per-document work, 0–90: documents take the first
    /// 90 %, the global phases the rest. Chunks count towards the document
    /// share so one large file still moves it.
    pub fn documents_percent(&self) -> u8 {
        if self.documents == 0 {
            return 0;
        }
        let chunks = if self.chunks == 0 { 0.0 } else { self.chunks_done as f64 / self.chunks as f64 };
        let documents = self.documents_done as f64 / self.documents as f64;
        (90.0 * (0.5 * documents + 0.5 * chunks.min(1.0)).min(1.0)) as u8
    }
}

/// Settings a client may give a job (the `config` part of an upload). Unset
/// fields take the runner's defaults; unknown fields are refused so a typo
/// is not silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// Dataset name in dataset_info.json and the card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_name: Option<String>,
    /// Export formats to write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formats: Option<Vec<ExportFormat>>,
    /// Most tokens in a chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Tokens a chunk repeats from the one before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlap_tokens: Option<u32>,
    /// Most pairs from one chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pairs_per_chunk: Option<u32>,
    /// Phrasing seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Lowest fidelity exported (0–1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_fidelity: Option<f32>,
    /// Training sequence length in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sequence_tokens: Option<u32>,
    /// JSON fields holding a record's text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_fields: Option<Vec<String>>,
    /// JSON fields holding a record's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_fields: Option<Vec<String>>,
    /// Largest share of one task type (0–1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_task_share: Option<f32>,
    /// Largest share of one content type (0–1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_content_share: Option<f32>,
    /// Largest share of one difficulty (0–1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_difficulty_share: Option<f32>,
    /// Static-embedding cosine for semantic duplicates (0–1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic_threshold: Option<f32>,
}

impl JobConfig {
    /// Why the settings cannot run, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if let Some(name) = &self.dataset_name {
            let ok = !name.is_empty()
                && name.len() <= 64
                && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Some("dataset_name must be 1–64 characters of letters, digits, '-', '_' or '.'".into());
            }
        }
        if let Some(tokens) = self.max_tokens
            && !(32..=32768).contains(&tokens)
        {
            return Some(format!("max_tokens must be between 32 and 32768, not {tokens}"));
        }
        let max_tokens = self.max_tokens.unwrap_or(512);
        if let Some(overlap) = self.overlap_tokens
            && overlap >= max_tokens / 2
        {
            return Some(format!("overlap_tokens must be less than half of max_tokens ({max_tokens}), not {overlap}"));
        }
        if let Some(pairs) = self.max_pairs_per_chunk
            && !(1..=64).contains(&pairs)
        {
            return Some(format!("max_pairs_per_chunk must be between 1 and 64, not {pairs}"));
        }
        if let Some(fidelity) = self.min_fidelity
            && !(0.0..=1.0).contains(&fidelity)
        {
            return Some(format!("min_fidelity must be between 0 and 1, not {fidelity}"));
        }
        if let Some(tokens) = self.max_sequence_tokens
            && !(64..=1_048_576).contains(&tokens)
        {
            return Some(format!("max_sequence_tokens must be between 64 and 1048576, not {tokens}"));
        }
        for (name, share) in [
            ("max_task_share", self.max_task_share),
            ("max_content_share", self.max_content_share),
            ("max_difficulty_share", self.max_difficulty_share),
            ("semantic_threshold", self.semantic_threshold),
        ] {
            if let Some(share) = share
                && !(share > 0.0 && share <= 1.0)
            {
                return Some(format!("{name} must be in (0, 1], not {share}"));
            }
        }
        if self.formats.as_ref().is_some_and(Vec::is_empty) {
            return Some("formats must name at least one format".into());
        }
        for fields in [&self.text_fields, &self.title_fields].into_iter().flatten() {
            if fields.is_empty() || fields.iter().any(|f| f.is_empty() || f.len() > 128) {
                return Some("text_fields and title_fields must be non-empty lists of field names".into());
            }
        }
        None
    }

    /// `settings` with these settings applied.
    pub fn apply(&self, mut settings: JobSettings) -> JobSettings {
        if let Some(name) = &self.dataset_name {
            settings.dataset_name = name.clone();
        }
        if let Some(formats) = &self.formats {
            settings.formats = formats.clone();
            settings.formats.sort();
            settings.formats.dedup();
        }
        if let Some(tokens) = self.max_tokens {
            settings.segment.max_tokens = tokens;
            settings.segment.overlap_tokens = settings.segment.overlap_tokens.min(tokens / 4);
        }
        if let Some(overlap) = self.overlap_tokens {
            settings.segment.overlap_tokens = overlap;
        }
        if let Some(pairs) = self.max_pairs_per_chunk {
            settings.generate.max_pairs_per_chunk = pairs;
        }
        if let Some(seed) = self.seed {
            settings.generate.seed = seed;
        }
        if let Some(fidelity) = self.min_fidelity {
            settings.min_fidelity = fidelity;
        }
        if let Some(tokens) = self.max_sequence_tokens {
            settings.max_sequence_tokens = tokens;
        }
        if let Some(fields) = &self.text_fields {
            settings.ingest.text_fields = fields.clone();
        }
        if let Some(fields) = &self.title_fields {
            settings.ingest.title_fields = fields.clone();
        }
        if let Some(share) = self.max_task_share {
            settings.diversify.max_task_share = share;
        }
        if let Some(share) = self.max_content_share {
            settings.diversify.max_content_share = share;
        }
        if let Some(share) = self.max_difficulty_share {
            settings.diversify.max_difficulty_share = share;
        }
        if let Some(threshold) = self.semantic_threshold {
            settings.diversify.semantic_threshold = threshold;
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_settings_are_named() {
        let config = JobConfig { max_tokens: Some(8), ..JobConfig::default() };
        assert!(config.problem().is_some_and(|p| p.contains("max_tokens")));
        let config = JobConfig { max_task_share: Some(0.0), ..JobConfig::default() };
        assert!(config.problem().is_some_and(|p| p.contains("max_task_share")));
        let config = JobConfig { semantic_threshold: Some(1.5), ..JobConfig::default() };
        assert!(config.problem().is_some_and(|p| p.contains("semantic_threshold")));
        assert_eq!(JobConfig::default().problem(), None);
    }

    #[test]
    fn a_job_can_set_the_semantic_threshold() {
        let config: JobConfig = serde_json::from_str(r#"{"semantic_threshold": 0.95}"#).expect("a known key");
        assert_eq!(config.apply(JobSettings::default()).diversify.semantic_threshold, 0.95);
        assert_eq!(JobSettings::default().diversify.semantic_threshold, DEFAULT_SEMANTIC_THRESHOLD);
    }

    #[test]
    fn a_smaller_chunk_budget_shrinks_the_default_overlap() {
        let config = JobConfig { max_tokens: Some(128), ..JobConfig::default() };
        let settings = config.apply(JobSettings::default());
        assert_eq!((settings.segment.max_tokens, settings.segment.overlap_tokens), (128, 32));
    }

    #[test]
    fn dataset_info_keeps_only_the_written_formats() {
        let info = r#"{"a": {"file_name": "alpaca.json"}, "b": {"file_name": "openai.jsonl"}}"#;
        let kept = select_export_file("dataset_info.json", info, &[ExportFormat::Openai]).unwrap_or_default();
        assert!(kept.contains("openai.jsonl") && !kept.contains("alpaca.json"));
        assert_eq!(select_export_file("alpaca.json", "[]", &[ExportFormat::Openai]), None);
        assert_eq!(select_export_file("README.md", "card", &[]).as_deref(), Some("card"));
    }
}
