//! Domain types shared by brightrun's stage components.
//!
//! The WIT package in `wit/` is the contract; these are the same records as
//! plain Rust so that stage logic is written, tested and benchmarked natively
//! without any binding types. On `wasm32` the [`wit`] module holds the one
//! generated copy of the WIT `types` interface and the conversions to and from
//! it, which every component's thin binding layer reuses.

use serde::{Deserialize, Serialize};

#[cfg(target_arch = "wasm32")]
pub mod wit;

#[cfg(feature = "tokenizer")]
pub mod tokenizer;

pub mod job;

pub mod judged;
pub mod prose;
pub mod question;

/// Sentences of `text` as (byte offset, trimmed sentence), by Unicode
/// sentence boundaries (UAX #29). Every stage that reasons about sentences
/// uses this one definition, so their offsets agree.
pub fn sentences(text: &str) -> Vec<(usize, &str)> {
    use unicode_segmentation::UnicodeSegmentation;
    text.split_sentence_bound_indices()
        .filter_map(|(offset, sentence)| {
            let lead = sentence.len() - sentence.trim_start().len();
            let trimmed = sentence.trim();
            (!trimmed.is_empty()).then_some((offset + lead, trimmed))
        })
        .collect()
}

/// A half-open byte range `[start, end)` into a document's normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `usize` offsets; offsets past `u32::MAX` saturate (ingest
    /// refuses documents that large, so this never happens in practice).
    pub fn new(start: usize, end: usize) -> Self {
        Span { start: u32::try_from(start).unwrap_or(u32::MAX), end: u32::try_from(end).unwrap_or(u32::MAX) }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// True when the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The text the span covers, or `None` when it is out of bounds or not on
    /// character boundaries.
    pub fn slice<'a>(&self, text: &'a str) -> Option<&'a str> {
        text.get(self.start as usize..self.end as usize)
    }
}

/// What kind of structure a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    /// A section heading.
    Heading,
    /// Running prose.
    Paragraph,
    /// One list item.
    ListItem,
    /// One table row (the first row of a table is its header).
    TableRow,
    /// A code block, kept whole.
    Code,
    /// A block quote.
    Quote,
}

/// One structural unit of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// What the block is.
    pub kind: BlockKind,
    /// Heading level, list depth or table index; 0 otherwise.
    pub level: u8,
    /// Position in a numbered list.
    pub ordinal: Option<u32>,
    /// Where the block's text is.
    pub span: Span,
    /// Language tag of a fenced code block.
    pub language: Option<String>,
    /// Page (from 1) in a paged format.
    pub page: Option<u32>,
}

/// A decoded document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// The name it was given (usually its path).
    pub name: String,
    /// The format it was decoded from.
    pub format: SourceFormat,
    /// First top-level heading, or the file name.
    pub title: String,
    /// The product or project the document is about, when it names one.
    #[serde(default)]
    pub subject: Option<String>,
    /// Normalised text; every span points into it.
    pub text: String,
    /// Blocks in reading order.
    pub blocks: Vec<Block>,
}

/// A problem worth reporting about one input, named by document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputProblem {
    /// The document (or record) it concerns.
    pub document: String,
    /// What is wrong.
    pub detail: String,
}

/// How ingest reads records and which safety limits it keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestConfig {
    /// JSON fields holding a record's text, tried in order.
    pub text_fields: Vec<String>,
    /// JSON fields holding a record's title, tried in order.
    pub title_fields: Vec<String>,
    /// Most bytes a compressed part (PDF stream, DOCX zip entry) may inflate to.
    pub max_inflated_bytes: u64,
}

impl Default for IngestConfig {
    /// The field names CMS and dataset dumps use most, and a 256 MiB inflation
    /// cap: far above any real document part, far below the memory limit.
    fn default() -> Self {
        let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect();
        IngestConfig {
            text_fields: names(&["text", "content", "body", "markdown", "html", "article", "description"]),
            title_fields: names(&["title", "name", "heading", "subject"]),
            max_inflated_bytes: 256 << 20,
        }
    }
}

/// What one input decoded to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ingested {
    /// One document for most formats, one per record for JSON and JSON Lines.
    pub documents: Vec<Document>,
    /// Reported, not fatal: an extension that disagrees with the content, skipped records.
    pub warnings: Vec<InputProblem>,
}

/// Token budget for segmenting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentConfig {
    /// Most tokens in a chunk.
    pub max_tokens: u32,
    /// Tokens repeated from the previous chunk.
    pub overlap_tokens: u32,
}

/// A slice of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// The document it came from.
    pub document: String,
    /// Position in the document, from 0.
    pub index: u32,
    /// Headings above it, outermost first.
    pub section_path: Vec<String>,
    /// The subject of its document: questions name it.
    #[serde(default)]
    pub subject: Option<String>,
    /// The whole chunk, overlap included.
    pub span: Span,
    /// Where the chunk's own content begins.
    pub body_start: u32,
    /// The text of `span`.
    pub text: String,
    /// Token count of `text`.
    pub token_count: u32,
    /// Blocks (or parts of blocks) in the chunk, spans into the document.
    pub blocks: Vec<Block>,
}

impl Chunk {
    /// The chunk text at document offsets `span`, if the span lies inside the chunk.
    pub fn text_at(&self, span: Span) -> Option<&str> {
        if span.start < self.span.start || span.end > self.span.end {
            return None;
        }
        let start = (span.start - self.span.start) as usize;
        let end = (span.end - self.span.start) as usize;
        self.text.get(start..end)
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The kebab-case name used in WIT, reports and exports.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// The formats ingest understands.
    SourceFormat {
        /// Plain UTF-8 text.
        PlainText => "plain-text",
        /// CommonMark with GitHub tables.
        Markdown => "markdown",
        /// HTML, main content only.
        Html => "html",
        /// PDF with a text layer.
        Pdf => "pdf",
        /// Word (Office Open XML).
        Docx => "docx",
        /// One JSON value of records.
        Json => "json",
        /// One JSON record per line.
        JsonLines => "json-lines",
        /// reStructuredText.
        RestructuredText => "restructured-text",
        /// AsciiDoc.
        AsciiDoc => "ascii-doc",
    }
}

string_enum! {
    /// What sort of writing a chunk is.
    ContentType {
        /// Definitions and explanations.
        Conceptual => "conceptual",
        /// Ordered steps.
        Procedural => "procedural",
        /// Questions and answers.
        Faq => "faq",
        /// Source code.
        Code => "code",
        /// Tables.
        Tabular => "tabular",
        /// Facts and rules.
        Reference => "reference",
        /// Story-like prose.
        Narrative => "narrative",
    }
}

string_enum! {
    /// How hard a chunk is to learn from.
    Difficulty {
        /// Short sentences, common words.
        Easy => "easy",
        /// In between.
        Medium => "medium",
        /// Long sentences, rare words, chained reasoning.
        Hard => "hard",
    }
}

string_enum! {
    /// The relation a reasoning marker signals.
    ReasoningKind {
        /// Gives a cause.
        Cause => "cause",
        /// Gives an effect.
        Consequence => "consequence",
        /// Gives a condition.
        Condition => "condition",
        /// Qualifies.
        Contrast => "contrast",
    }
}

string_enum! {
    /// Kinds of training example.
    TaskType {
        /// "What is X?"
        DefinitionQa => "definition-qa",
        /// "How do I …?"
        ProcedureInstruction => "procedure-instruction",
        /// "Summarise …"
        SectionSummary => "section-summary",
        /// "Why …?"
        ReasoningWhy => "reasoning-why",
        /// A question from the document's FAQ.
        FaqAnswer => "faq-answer",
        /// A question about a stated fact.
        FactualQa => "factual-qa",
        /// "How does X differ from Y?"
        CompareContrast => "compare-contrast",
        /// "What does this code do?"
        CodeExplanation => "code-explanation",
        /// "What is the <column> of <row>?"
        TableLookup => "table-lookup",
        /// Two or three exchanges on one section.
        MultiTurn => "multi-turn",
    }
}

string_enum! {
    /// Who speaks a turn.
    Role {
        /// Instructions to the model.
        System => "system",
        /// The person asking.
        User => "user",
        /// The model.
        Assistant => "assistant",
    }
}

string_enum! {
    /// Why a pair left the dataset; counted in the report under these names.
    DropReason {
        /// Same normalised text as a kept pair.
        ExactDuplicate => "exact-duplicate",
        /// MinHash similarity to a kept pair at or above the threshold.
        NearDuplicate => "near-duplicate",
        /// Fidelity below the minimum.
        LowFidelity => "low-fidelity",
        /// Roles do not alternate user/assistant.
        RolesNotAlternating => "roles-not-alternating",
        /// Odd number of turns.
        OddTurnCount => "odd-turn-count",
        /// A turn with no text.
        EmptyTurn => "empty-turn",
        /// Longer than the sequence length.
        TooLong => "too-long",
        /// Control or replacement characters.
        InvalidText => "invalid-text",
        /// Markup left in the text.
        LeftoverMarkup => "leftover-markup",
        /// No usable evidence.
        MissingEvidence => "missing-evidence",
        /// The same question body on the same subject as an exported pair.
        RepeatedQuestion => "repeated-question",
        /// Over its task, content-type or difficulty share.
        OverRepresented => "over-represented",
        /// Same meaning as a kept pair (static embedding similarity of question and answer).
        SemanticDuplicate => "semantic-duplicate",
        /// A question or answer opening with a reference the reader cannot resolve ("This", "It", "For example"), or an answer whose first sentence leans on one ("this option").
        UnresolvedReference => "unresolved-reference",
        /// A question or answer pointing at what the reader cannot see: "below", "see X", "Table 9.50", a citation.
        PointsElsewhere => "points-elsewhere",
        /// An answer ending mid-clause, on a colon, or with a bracket or quote left open.
        IncompleteAnswer => "incomplete-answer",
        /// A question that is no well-formed question or instruction: clipped, unbalanced, or without a subject it names.
        FragmentQuestion => "fragment-question",
        /// An answer that says little its question does not already hold.
        QuestionRepeatsAnswer => "question-repeats-answer",
        /// An answer too short to teach anything.
        TrivialAnswer => "trivial-answer",
        /// A changelog line ("Changed in version 3.2: ...") made a stand-alone fact.
        ChangelogNote => "changelog-note",
    }
}

/// A term that matters in a chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concept {
    /// The term as written.
    pub term: String,
    /// Occurrences in the chunk.
    pub mentions: u32,
    /// First occurrence.
    pub span: Span,
}

/// A sentence that says what a term means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// The term defined.
    pub term: String,
    /// What it is defined as.
    pub meaning: String,
    /// The defining sentence.
    pub span: Span,
}

/// One step of a procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The step's text.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// Ordered steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    /// What the procedure achieves.
    pub goal: String,
    /// The steps in order.
    pub steps: Vec<Step>,
}

/// A sentence asserting a checkable fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The sentence.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// A sentence carrying reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reasoning {
    /// The marker as written.
    pub marker: String,
    /// What it signals.
    pub kind: ReasoningKind,
    /// The whole sentence.
    pub span: Span,
    /// The part before the marker.
    pub premise: String,
    /// The part after the marker.
    pub explanation: String,
}

/// A question in the text with its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqEntry {
    /// The question.
    pub question: String,
    /// The answer.
    pub answer: String,
    /// Where the answer is.
    pub answer_span: Span,
}

/// Everything analyze found in a chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    /// The chunk's index.
    pub chunk_index: u32,
    /// Key terms, most salient first.
    pub concepts: Vec<Concept>,
    /// Defining sentences.
    pub definitions: Vec<Definition>,
    /// Ordered procedures.
    pub procedures: Vec<Procedure>,
    /// Factual claims.
    pub claims: Vec<Claim>,
    /// Reasoning sentences.
    pub reasoning: Vec<Reasoning>,
    /// Question/answer entries.
    pub faq: Vec<FaqEntry>,
    /// Named things.
    pub entities: Vec<String>,
    /// Numbers with units.
    pub numbers: Vec<String>,
    /// Dominant kind of writing.
    pub content_type: ContentType,
    /// How hard the chunk is.
    pub difficulty: Difficulty,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: String,
}

/// Source text supporting an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The index in the pair's turns of the assistant turn it supports.
    pub turn: u32,
    /// The document.
    #[serde(rename = "source")]
    pub document: String,
    /// Where in its normalised text.
    #[serde(flatten)]
    pub span: Span,
    /// The text at `span`.
    pub text: String,
}

/// A training example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// Stable id.
    pub id: String,
    /// What kind of example.
    pub task: TaskType,
    /// User first, alternating.
    pub turns: Vec<Turn>,
    /// Supporting source text.
    pub evidence: Vec<Evidence>,
    /// From the analysis.
    pub difficulty: Difficulty,
    /// From the analysis.
    pub content_type: ContentType,
    /// The chunk it came from.
    pub chunk_index: u32,
}

impl Pair {
    /// The text of the first user turn, or "".
    pub fn question(&self) -> &str {
        self.turns.iter().find(|turn| turn.role == Role::User).map_or("", |turn| turn.content.as_str())
    }

    /// The text of all user turns joined by newlines.
    pub fn questions(&self) -> String {
        self.joined_turns(Role::User)
    }

    /// The text of all assistant turns joined by newlines.
    pub fn answer(&self) -> String {
        self.joined_turns(Role::Assistant)
    }

    fn joined_turns(&self, role: Role) -> String {
        let texts: Vec<&str> =
            self.turns.iter().filter(|turn| turn.role == role).map(|turn| turn.content.as_str()).collect();
        texts.join("\n")
    }
}

/// Settings for generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateConfig {
    /// Varies phrasing deterministically.
    pub seed: u64,
    /// Most pairs from one chunk.
    pub max_pairs_per_chunk: u32,
    /// Tasks to generate; empty means all.
    pub tasks: Vec<TaskType>,
    /// Generate with a language model (the LLM generate component only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmConfig>,
}

/// An OpenAI-compatible chat-completions endpoint (no API key: the host adds it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmConfig {
    /// Base URL; requests go to `<base_url>/chat/completions`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens per reply.
    pub max_tokens: u32,
    /// Wait for a response to begin, per attempt.
    pub timeout_ms: u32,
    /// Attempts after the first.
    pub max_retries: u32,
}

/// The LLM client's first wait between attempts; doubled per attempt.
pub const LLM_BACKOFF_BASE: std::time::Duration = std::time::Duration::from_millis(500);
/// The LLM client's longest wait between attempts, also for a larger `Retry-After`.
pub const LLM_BACKOFF_CAP: std::time::Duration = std::time::Duration::from_secs(20);

impl LlmConfig {
    /// The longest one generate call can take when every attempt uses its
    /// whole timeout to connect, to begin and between body bytes, and every
    /// wait is the longest: the host's deadline for the call.
    pub fn call_budget(timeout_ms: u32, max_retries: u32) -> std::time::Duration {
        let attempts = max_retries.saturating_add(1);
        let per_attempt = std::time::Duration::from_millis(u64::from(timeout_ms)).saturating_mul(3);
        per_attempt.saturating_mul(attempts).saturating_add(LLM_BACKOFF_CAP.saturating_mul(max_retries))
    }
}

/// Dedup settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiversifyConfig {
    /// Words per shingle.
    pub shingle_words: u32,
    /// LSH bands.
    pub bands: u32,
    /// Rows per band.
    pub rows: u32,
    /// Near-duplicate Jaccard threshold.
    pub threshold: f32,
    /// Largest share of kept pairs one task type may have; 1 is no cap.
    pub max_task_share: f32,
    /// Largest share one content type may have.
    pub max_content_share: f32,
    /// Largest share one difficulty may have.
    pub max_difficulty_share: f32,
    /// Embedding similarity of question and answer at which two pairs are semantic duplicates.
    pub semantic_threshold: f32,
}

/// A dropped pair and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedPair {
    /// The pair's id.
    pub id: String,
    /// Why.
    pub reason: DropReason,
    /// The kept pair it duplicates.
    pub duplicate_of: Option<String>,
}

/// What diversify kept and dropped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiversifyResult {
    /// Kept pairs in input order.
    pub kept: Vec<Pair>,
    /// Dropped pairs.
    pub dropped: Vec<DroppedPair>,
}

/// Counts `dropped` per reason, in [`DropReason::ALL`] order, leaving out zeros.
pub fn count_drops(dropped: &[DroppedPair]) -> Vec<(DropReason, u32)> {
    DropReason::ALL
        .iter()
        .filter_map(|reason| {
            let count = dropped.iter().filter(|drop| drop.reason == *reason).count();
            (count > 0).then(|| (*reason, u32::try_from(count).unwrap_or(u32::MAX)))
        })
        .collect()
}

/// Settings for validation and export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportConfig {
    /// Dataset name.
    pub dataset_name: String,
    /// Longest pair in tokens.
    pub max_sequence_tokens: u32,
    /// Lowest fidelity kept.
    pub min_fidelity: f32,
    /// Source documents.
    pub sources: Vec<String>,
    /// The language model that wrote the pairs; `None` for the offline rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_model: Option<String>,
}

/// A file to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFile {
    /// Relative name.
    pub name: String,
    /// Contents.
    pub contents: String,
}

/// Fidelity and size figures.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Quality {
    /// Pairs received.
    pub pairs_in: u32,
    /// Pairs exported.
    pub pairs_out: u32,
    /// Mean fidelity of exported pairs.
    pub mean_fidelity: f32,
    /// Share of received pairs at or above the minimum fidelity.
    pub faithful_share: f32,
    /// Ten buckets of 0.1 over received pairs.
    pub fidelity_histogram: Vec<u32>,
    /// Exported pairs per task.
    pub tasks: Vec<(TaskType, u32)>,
    /// Exported pairs per content type.
    pub content_types: Vec<(ContentType, u32)>,
    /// Exported pairs per difficulty.
    pub difficulties: Vec<(Difficulty, u32)>,
    /// Mean tokens per exported pair.
    pub mean_tokens: f32,
    /// Most tokens in an exported pair.
    pub max_tokens: u32,
    /// Pairs exported after their answer was trimmed to its supported sentences.
    pub repaired: u32,
    /// How varied the exported questions are.
    pub question_variety: QuestionVariety,
    /// A few dropped pairs per reason.
    pub drop_examples: Vec<DropExample>,
}

/// How varied a dataset's questions are.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QuestionVariety {
    /// Distinct question bodies (question words not in the evidence).
    pub templates: u32,
    /// Distinct-2 over the questions' words, 0–1.
    pub distinct_bigrams: f32,
}

/// A dropped pair shown as an example of its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DropExample {
    /// Why it was dropped.
    pub reason: DropReason,
    /// The pair's id.
    pub id: String,
    /// Its first question.
    pub question: String,
    /// Its answers, shortened.
    pub answer: String,
    /// Its fidelity.
    pub fidelity: f32,
}

/// What validate-export produced.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExportResult {
    /// Files to write.
    pub files: Vec<ExportFile>,
    /// Rejected pairs.
    pub dropped: Vec<DroppedPair>,
    /// Figures.
    pub quality: Quality,
}

/// A pair that passed validation, with its scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatedPair {
    /// The pair; its answer may have been trimmed to its supported sentences.
    pub pair: Pair,
    /// Fidelity to its evidence, 0–1.
    pub fidelity: f32,
    /// Tokens of all turns, chat-template overhead included.
    pub tokens: u32,
    /// Whether the answer was trimmed to pass.
    pub repaired: bool,
}

/// What validating one batch of pairs found.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Validated {
    /// Pairs received.
    pub pairs_in: u32,
    /// Pairs that passed, in input order.
    pub passed: Vec<ValidatedPair>,
    /// Pairs a check rejected.
    pub dropped: Vec<DroppedPair>,
    /// Received pairs whose fidelity reached the minimum before any repair.
    pub faithful: u32,
    /// Ten buckets of 0.1 over received pairs.
    pub fidelity_histogram: Vec<u32>,
    /// A few rejected pairs per reason.
    pub drop_examples: Vec<DropExample>,
}

/// What an exporter made of one batch: text to append to each file, and
/// the pairs dropped as repeated questions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExportPart {
    /// Text to append, per file name.
    pub files: Vec<ExportFile>,
    /// The batch's drops: validation's, then the repeated questions.
    pub dropped: Vec<DroppedPair>,
}

/// A stage's typed failure. Each case names the document (or pair) and says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StageError {
    /// No bytes, or only whitespace.
    #[error("{document}: empty input: {detail}")]
    EmptyInput {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// Not valid UTF-8.
    #[error("{document}: invalid encoding: {detail}")]
    InvalidEncoding {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// Not a format the stage understands.
    #[error("{document}: unsupported format: {detail}")]
    UnsupportedFormat {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// Larger than the stage accepts.
    #[error("{document}: too large: {detail}")]
    TooLarge {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// Nothing to work with.
    #[error("{document}: no content: {detail}")]
    NoContent {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// A config value out of range.
    #[error("{document}: invalid config: {detail}")]
    InvalidConfig {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// A damaged container (truncated PDF, DOCX that is not a zip, bad JSON).
    #[error("{document}: corrupt: {detail}")]
    Corrupt {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// Encrypted; needs its password.
    #[error("{document}: encrypted: {detail}")]
    Encrypted {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// A PDF without a text layer.
    #[error("{document}: no text layer: {detail}")]
    NoTextLayer {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// A safety limit (inflated size, nesting depth) would be passed.
    #[error("{document}: limit exceeded: {detail}")]
    LimitExceeded {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
    /// A service the stage relies on (the LLM endpoint) failed or kept answering unusably.
    #[error("{document}: service failed: {detail}")]
    ServiceFailed {
        /// The document.
        document: String,
        /// What is wrong.
        detail: String,
    },
}

impl StageError {
    /// The case's name as WIT, reports and APIs spell it (`"corrupt"`, `"too-large"`…).
    pub fn kind(&self) -> &'static str {
        match self {
            StageError::EmptyInput { .. } => "empty-input",
            StageError::InvalidEncoding { .. } => "invalid-encoding",
            StageError::UnsupportedFormat { .. } => "unsupported-format",
            StageError::TooLarge { .. } => "too-large",
            StageError::NoContent { .. } => "no-content",
            StageError::InvalidConfig { .. } => "invalid-config",
            StageError::Corrupt { .. } => "corrupt",
            StageError::Encrypted { .. } => "encrypted",
            StageError::NoTextLayer { .. } => "no-text-layer",
            StageError::LimitExceeded { .. } => "limit-exceeded",
            StageError::ServiceFailed { .. } => "service-failed",
        }
    }

    /// The document (or pair) the error names.
    pub fn document(&self) -> &str {
        self.parts().0
    }

    /// What is wrong.
    pub fn detail(&self) -> &str {
        self.parts().1
    }

    fn parts(&self) -> (&str, &str) {
        use StageError as E;
        match self {
            E::EmptyInput { document, detail }
            | E::InvalidEncoding { document, detail }
            | E::UnsupportedFormat { document, detail }
            | E::TooLarge { document, detail }
            | E::NoContent { document, detail }
            | E::InvalidConfig { document, detail }
            | E::Corrupt { document, detail }
            | E::Encrypted { document, detail }
            | E::NoTextLayer { document, detail }
            | E::LimitExceeded { document, detail }
            | E::ServiceFailed { document, detail } => (document, detail),
        }
    }
}

/// Result alias for stage logic.
pub type Result<T, E = StageError> = std::result::Result<T, E>;
