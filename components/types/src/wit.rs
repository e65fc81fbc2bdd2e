//! The one generated copy of the WIT `types` interface, and the conversions
//! between it and the domain types. Components point their own bindings at
//! [`types`] with wit-bindgen's `with`, so each conversion is written once.
#![allow(missing_docs, unsafe_code)]

mod bindings {
    wit_bindgen::generate!({
        world: "shared-types",
        path: "../../wit",
    });
}

pub use bindings::brightrun::pipeline::types;

use crate as domain;
use types as wit;

/// Maps a fieldless enum both ways, variant by variant; a new variant on either
/// side fails to compile until it is listed.
macro_rules! map_enum {
    ($domain:ident <=> $wit:ident { $($variant:ident),+ $(,)? }) => {
        impl From<wit::$wit> for domain::$domain {
            fn from(value: wit::$wit) -> Self {
                match value { $(wit::$wit::$variant => domain::$domain::$variant),+ }
            }
        }
        impl From<domain::$domain> for wit::$wit {
            fn from(value: domain::$domain) -> Self {
                match value { $(domain::$domain::$variant => wit::$wit::$variant),+ }
            }
        }
    };
}

map_enum!(SourceFormat <=> SourceFormat { PlainText, Markdown, Html, Pdf, Docx, Json, JsonLines, RestructuredText, AsciiDoc });
map_enum!(BlockKind <=> BlockKind { Heading, Paragraph, ListItem, TableRow, Code, Quote });
map_enum!(ContentType <=> ContentType { Conceptual, Procedural, Faq, Code, Tabular, Reference, Narrative });
map_enum!(Difficulty <=> Difficulty { Easy, Medium, Hard });
map_enum!(ReasoningKind <=> ReasoningKind { Cause, Consequence, Condition, Contrast });
map_enum!(TaskType <=> TaskType {
    DefinitionQa,
    ProcedureInstruction,
    SectionSummary,
    ReasoningWhy,
    FaqAnswer,
    FactualQa,
    CompareContrast,
    CodeExplanation,
    TableLookup,
    MultiTurn,
});
map_enum!(Role <=> Role { System, User, Assistant });
map_enum!(DropReason <=> DropReason {
    ExactDuplicate,
    NearDuplicate,
    LowFidelity,
    RolesNotAlternating,
    OddTurnCount,
    EmptyTurn,
    TooLong,
    InvalidText,
    LeftoverMarkup,
    MissingEvidence,
    RepeatedQuestion,
    OverRepresented,
    SemanticDuplicate,
    UnresolvedReference,
    PointsElsewhere,
    IncompleteAnswer,
    FragmentQuestion,
    QuestionRepeatsAnswer,
    TrivialAnswer,
    ChangelogNote,
});

impl From<wit::Span> for domain::Span {
    fn from(span: wit::Span) -> Self {
        domain::Span { start: span.start, end: span.end }
    }
}
impl From<domain::Span> for wit::Span {
    fn from(span: domain::Span) -> Self {
        wit::Span { start: span.start, end: span.end }
    }
}

impl From<wit::Block> for domain::Block {
    fn from(block: wit::Block) -> Self {
        domain::Block {
            kind: block.kind.into(),
            level: block.level,
            ordinal: block.ordinal,
            span: block.span.into(),
            language: block.language,
            page: block.page,
        }
    }
}
impl From<domain::Block> for wit::Block {
    fn from(block: domain::Block) -> Self {
        wit::Block {
            kind: block.kind.into(),
            level: block.level,
            ordinal: block.ordinal,
            span: block.span.into(),
            language: block.language,
            page: block.page,
        }
    }
}

impl From<wit::InputProblem> for domain::InputProblem {
    fn from(problem: wit::InputProblem) -> Self {
        domain::InputProblem { document: problem.document, detail: problem.detail }
    }
}
impl From<domain::InputProblem> for wit::InputProblem {
    fn from(problem: domain::InputProblem) -> Self {
        wit::InputProblem { document: problem.document, detail: problem.detail }
    }
}

impl From<wit::IngestConfig> for domain::IngestConfig {
    fn from(config: wit::IngestConfig) -> Self {
        domain::IngestConfig {
            text_fields: config.text_fields,
            title_fields: config.title_fields,
            max_inflated_bytes: config.max_inflated_bytes,
        }
    }
}
impl From<domain::IngestConfig> for wit::IngestConfig {
    fn from(config: domain::IngestConfig) -> Self {
        wit::IngestConfig {
            text_fields: config.text_fields,
            title_fields: config.title_fields,
            max_inflated_bytes: config.max_inflated_bytes,
        }
    }
}

impl From<wit::Ingested> for domain::Ingested {
    fn from(ingested: wit::Ingested) -> Self {
        domain::Ingested { documents: convert_all(ingested.documents), warnings: convert_all(ingested.warnings) }
    }
}
impl From<domain::Ingested> for wit::Ingested {
    fn from(ingested: domain::Ingested) -> Self {
        wit::Ingested { documents: convert_all(ingested.documents), warnings: convert_all(ingested.warnings) }
    }
}

fn convert_all<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}

impl From<wit::Document> for domain::Document {
    fn from(doc: wit::Document) -> Self {
        domain::Document {
            name: doc.name,
            format: doc.format.into(),
            title: doc.title,
            subject: doc.subject,
            text: doc.text,
            blocks: convert_all(doc.blocks),
        }
    }
}
impl From<domain::Document> for wit::Document {
    fn from(doc: domain::Document) -> Self {
        wit::Document {
            name: doc.name,
            format: doc.format.into(),
            title: doc.title,
            subject: doc.subject,
            text: doc.text,
            blocks: convert_all(doc.blocks),
        }
    }
}

impl From<wit::SegmentConfig> for domain::SegmentConfig {
    fn from(config: wit::SegmentConfig) -> Self {
        domain::SegmentConfig { max_tokens: config.max_tokens, overlap_tokens: config.overlap_tokens }
    }
}

impl From<wit::Chunk> for domain::Chunk {
    fn from(chunk: wit::Chunk) -> Self {
        domain::Chunk {
            document: chunk.document,
            index: chunk.index,
            section_path: chunk.section_path,
            subject: chunk.subject,
            span: chunk.span.into(),
            body_start: chunk.body_start,
            text: chunk.text,
            token_count: chunk.token_count,
            blocks: convert_all(chunk.blocks),
        }
    }
}
impl From<domain::Chunk> for wit::Chunk {
    fn from(chunk: domain::Chunk) -> Self {
        wit::Chunk {
            document: chunk.document,
            index: chunk.index,
            section_path: chunk.section_path,
            subject: chunk.subject,
            span: chunk.span.into(),
            body_start: chunk.body_start,
            text: chunk.text,
            token_count: chunk.token_count,
            blocks: convert_all(chunk.blocks),
        }
    }
}

impl From<wit::Analysis> for domain::Analysis {
    fn from(a: wit::Analysis) -> Self {
        domain::Analysis {
            chunk_index: a.chunk_index,
            concepts: a
                .concepts
                .into_iter()
                .map(|c| domain::Concept { term: c.term, mentions: c.mentions, span: c.span.into() })
                .collect(),
            definitions: a
                .definitions
                .into_iter()
                .map(|d| domain::Definition { term: d.term, meaning: d.meaning, span: d.span.into() })
                .collect(),
            procedures: a
                .procedures
                .into_iter()
                .map(|p| domain::Procedure {
                    goal: p.goal,
                    steps: p.steps.into_iter().map(|s| domain::Step { text: s.text, span: s.span.into() }).collect(),
                })
                .collect(),
            claims: a.claims.into_iter().map(|c| domain::Claim { text: c.text, span: c.span.into() }).collect(),
            reasoning: a
                .reasoning
                .into_iter()
                .map(|r| domain::Reasoning {
                    marker: r.marker,
                    kind: r.kind.into(),
                    span: r.span.into(),
                    premise: r.premise,
                    explanation: r.explanation,
                })
                .collect(),
            faq: a
                .faq
                .into_iter()
                .map(|f| domain::FaqEntry { question: f.question, answer: f.answer, answer_span: f.answer_span.into() })
                .collect(),
            entities: a.entities,
            numbers: a.numbers,
            content_type: a.content_type.into(),
            difficulty: a.difficulty.into(),
        }
    }
}
impl From<domain::Analysis> for wit::Analysis {
    fn from(a: domain::Analysis) -> Self {
        wit::Analysis {
            chunk_index: a.chunk_index,
            concepts: a
                .concepts
                .into_iter()
                .map(|c| wit::Concept { term: c.term, mentions: c.mentions, span: c.span.into() })
                .collect(),
            definitions: a
                .definitions
                .into_iter()
                .map(|d| wit::Definition { term: d.term, meaning: d.meaning, span: d.span.into() })
                .collect(),
            procedures: a
                .procedures
                .into_iter()
                .map(|p| wit::Procedure {
                    goal: p.goal,
                    steps: p.steps.into_iter().map(|s| wit::Step { text: s.text, span: s.span.into() }).collect(),
                })
                .collect(),
            claims: a.claims.into_iter().map(|c| wit::Claim { text: c.text, span: c.span.into() }).collect(),
            reasoning: a
                .reasoning
                .into_iter()
                .map(|r| wit::Reasoning {
                    marker: r.marker,
                    kind: r.kind.into(),
                    span: r.span.into(),
                    premise: r.premise,
                    explanation: r.explanation,
                })
                .collect(),
            faq: a
                .faq
                .into_iter()
                .map(|f| wit::FaqEntry { question: f.question, answer: f.answer, answer_span: f.answer_span.into() })
                .collect(),
            entities: a.entities,
            numbers: a.numbers,
            content_type: a.content_type.into(),
            difficulty: a.difficulty.into(),
        }
    }
}

impl From<wit::Pair> for domain::Pair {
    fn from(p: wit::Pair) -> Self {
        domain::Pair {
            id: p.id,
            task: p.task.into(),
            turns: p.turns.into_iter().map(|t| domain::Turn { role: t.role.into(), content: t.content }).collect(),
            evidence: p
                .evidence
                .into_iter()
                .map(|e| domain::Evidence { turn: e.turn, document: e.document, span: e.span.into(), text: e.text })
                .collect(),
            difficulty: p.difficulty.into(),
            content_type: p.content_type.into(),
            chunk_index: p.chunk_index,
        }
    }
}
impl From<domain::Pair> for wit::Pair {
    fn from(p: domain::Pair) -> Self {
        wit::Pair {
            id: p.id,
            task: p.task.into(),
            turns: p.turns.into_iter().map(|t| wit::Turn { role: t.role.into(), content: t.content }).collect(),
            evidence: p
                .evidence
                .into_iter()
                .map(|e| wit::Evidence { turn: e.turn, document: e.document, span: e.span.into(), text: e.text })
                .collect(),
            difficulty: p.difficulty.into(),
            content_type: p.content_type.into(),
            chunk_index: p.chunk_index,
        }
    }
}

impl From<wit::GenerateConfig> for domain::GenerateConfig {
    fn from(c: wit::GenerateConfig) -> Self {
        domain::GenerateConfig {
            seed: c.seed,
            max_pairs_per_chunk: c.max_pairs_per_chunk,
            tasks: convert_all(c.tasks),
            llm: c.llm.map(|l| domain::LlmConfig {
                base_url: l.base_url,
                model: l.model,
                temperature: l.temperature,
                max_tokens: l.max_tokens,
                timeout_ms: l.timeout_ms,
                max_retries: l.max_retries,
            }),
        }
    }
}

impl From<wit::DiversifyConfig> for domain::DiversifyConfig {
    fn from(c: wit::DiversifyConfig) -> Self {
        domain::DiversifyConfig {
            shingle_words: c.shingle_words,
            bands: c.bands,
            rows: c.rows,
            threshold: c.threshold,
            max_task_share: c.max_task_share,
            max_content_share: c.max_content_share,
            max_difficulty_share: c.max_difficulty_share,
            semantic_threshold: c.semantic_threshold,
        }
    }
}

impl From<domain::DroppedPair> for wit::DroppedPair {
    fn from(d: domain::DroppedPair) -> Self {
        wit::DroppedPair { id: d.id, reason: d.reason.into(), duplicate_of: d.duplicate_of }
    }
}

fn counts(dropped: &[domain::DroppedPair]) -> Vec<wit::DropCount> {
    domain::count_drops(dropped)
        .into_iter()
        .map(|(reason, count)| wit::DropCount { reason: reason.into(), count })
        .collect()
}

impl From<domain::DiversifyResult> for wit::DiversifyResult {
    fn from(r: domain::DiversifyResult) -> Self {
        let counts = counts(&r.dropped);
        wit::DiversifyResult { kept: convert_all(r.kept), dropped: convert_all(r.dropped), counts }
    }
}

impl From<wit::ExportConfig> for domain::ExportConfig {
    fn from(c: wit::ExportConfig) -> Self {
        domain::ExportConfig {
            dataset_name: c.dataset_name,
            max_sequence_tokens: c.max_sequence_tokens,
            min_fidelity: c.min_fidelity,
            sources: c.sources,
            language_model: c.language_model,
        }
    }
}

fn convert_counts<A: Copy, B: From<A>>(items: Vec<(A, u32)>) -> Vec<(B, u32)> {
    items.into_iter().map(|(key, count)| (B::from(key), count)).collect()
}

impl From<domain::ExportResult> for wit::ExportResult {
    fn from(r: domain::ExportResult) -> Self {
        let counts = counts(&r.dropped);
        let q = r.quality;
        wit::ExportResult {
            files: convert_all(r.files),
            dropped: convert_all(r.dropped),
            counts,
            quality: wit::Quality {
                pairs_in: q.pairs_in,
                pairs_out: q.pairs_out,
                mean_fidelity: q.mean_fidelity,
                faithful_share: q.faithful_share,
                fidelity_histogram: q.fidelity_histogram,
                tasks: convert_counts(q.tasks),
                content_types: convert_counts(q.content_types),
                difficulties: convert_counts(q.difficulties),
                mean_tokens: q.mean_tokens,
                max_tokens: q.max_tokens,
                repaired: q.repaired,
                question_variety: wit::QuestionVariety {
                    templates: q.question_variety.templates,
                    distinct_bigrams: q.question_variety.distinct_bigrams,
                },
                drop_examples: convert_all(q.drop_examples),
            },
        }
    }
}

/// The one place logic errors become WIT errors; exhaustive, so a new case
/// fails to compile until it is mapped.
impl From<domain::StageError> for wit::StageError {
    fn from(error: domain::StageError) -> Self {
        use domain::StageError as E;
        let problem = |document, detail| wit::InputProblem { document, detail };
        match error {
            E::EmptyInput { document, detail } => wit::StageError::EmptyInput(problem(document, detail)),
            E::InvalidEncoding { document, detail } => wit::StageError::InvalidEncoding(problem(document, detail)),
            E::UnsupportedFormat { document, detail } => wit::StageError::UnsupportedFormat(problem(document, detail)),
            E::TooLarge { document, detail } => wit::StageError::TooLarge(problem(document, detail)),
            E::NoContent { document, detail } => wit::StageError::NoContent(problem(document, detail)),
            E::InvalidConfig { document, detail } => wit::StageError::InvalidConfig(problem(document, detail)),
            E::Corrupt { document, detail } => wit::StageError::Corrupt(problem(document, detail)),
            E::Encrypted { document, detail } => wit::StageError::Encrypted(problem(document, detail)),
            E::NoTextLayer { document, detail } => wit::StageError::NoTextLayer(problem(document, detail)),
            E::LimitExceeded { document, detail } => wit::StageError::LimitExceeded(problem(document, detail)),
            E::ServiceFailed { document, detail } => wit::StageError::ServiceFailed(problem(document, detail)),
        }
    }
}

// The other direction, for components that call stages (the Spin app).

impl From<domain::SegmentConfig> for wit::SegmentConfig {
    fn from(config: domain::SegmentConfig) -> Self {
        wit::SegmentConfig { max_tokens: config.max_tokens, overlap_tokens: config.overlap_tokens }
    }
}

impl From<domain::GenerateConfig> for wit::GenerateConfig {
    fn from(c: domain::GenerateConfig) -> Self {
        wit::GenerateConfig {
            seed: c.seed,
            max_pairs_per_chunk: c.max_pairs_per_chunk,
            tasks: convert_all(c.tasks),
            llm: c.llm.map(|l| wit::LlmConfig {
                base_url: l.base_url,
                model: l.model,
                temperature: l.temperature,
                max_tokens: l.max_tokens,
                timeout_ms: l.timeout_ms,
                max_retries: l.max_retries,
            }),
        }
    }
}

impl From<domain::DiversifyConfig> for wit::DiversifyConfig {
    fn from(c: domain::DiversifyConfig) -> Self {
        wit::DiversifyConfig {
            shingle_words: c.shingle_words,
            bands: c.bands,
            rows: c.rows,
            threshold: c.threshold,
            max_task_share: c.max_task_share,
            max_content_share: c.max_content_share,
            max_difficulty_share: c.max_difficulty_share,
            semantic_threshold: c.semantic_threshold,
        }
    }
}

impl From<domain::ExportConfig> for wit::ExportConfig {
    fn from(c: domain::ExportConfig) -> Self {
        wit::ExportConfig {
            dataset_name: c.dataset_name,
            max_sequence_tokens: c.max_sequence_tokens,
            min_fidelity: c.min_fidelity,
            sources: c.sources,
            language_model: c.language_model,
        }
    }
}

impl From<wit::DroppedPair> for domain::DroppedPair {
    fn from(d: wit::DroppedPair) -> Self {
        domain::DroppedPair { id: d.id, reason: d.reason.into(), duplicate_of: d.duplicate_of }
    }
}

impl From<wit::DiversifyResult> for domain::DiversifyResult {
    fn from(r: wit::DiversifyResult) -> Self {
        domain::DiversifyResult { kept: convert_all(r.kept), dropped: convert_all(r.dropped) }
    }
}

impl From<wit::ExportResult> for domain::ExportResult {
    fn from(r: wit::ExportResult) -> Self {
        let q = r.quality;
        domain::ExportResult {
            files: convert_all(r.files),
            dropped: convert_all(r.dropped),
            quality: domain::Quality {
                pairs_in: q.pairs_in,
                pairs_out: q.pairs_out,
                mean_fidelity: q.mean_fidelity,
                faithful_share: q.faithful_share,
                fidelity_histogram: q.fidelity_histogram,
                tasks: convert_counts(q.tasks),
                content_types: convert_counts(q.content_types),
                difficulties: convert_counts(q.difficulties),
                mean_tokens: q.mean_tokens,
                max_tokens: q.max_tokens,
                repaired: q.repaired,
                question_variety: domain::QuestionVariety {
                    templates: q.question_variety.templates,
                    distinct_bigrams: q.question_variety.distinct_bigrams,
                },
                drop_examples: convert_all(q.drop_examples),
            },
        }
    }
}

impl From<wit::StageError> for domain::StageError {
    fn from(error: wit::StageError) -> Self {
        use domain::StageError as E;
        match error {
            wit::StageError::EmptyInput(p) => E::EmptyInput { document: p.document, detail: p.detail },
            wit::StageError::InvalidEncoding(p) => E::InvalidEncoding { document: p.document, detail: p.detail },
            wit::StageError::UnsupportedFormat(p) => E::UnsupportedFormat { document: p.document, detail: p.detail },
            wit::StageError::TooLarge(p) => E::TooLarge { document: p.document, detail: p.detail },
            wit::StageError::NoContent(p) => E::NoContent { document: p.document, detail: p.detail },
            wit::StageError::InvalidConfig(p) => E::InvalidConfig { document: p.document, detail: p.detail },
            wit::StageError::Corrupt(p) => E::Corrupt { document: p.document, detail: p.detail },
            wit::StageError::Encrypted(p) => E::Encrypted { document: p.document, detail: p.detail },
            wit::StageError::NoTextLayer(p) => E::NoTextLayer { document: p.document, detail: p.detail },
            wit::StageError::LimitExceeded(p) => E::LimitExceeded { document: p.document, detail: p.detail },
            wit::StageError::ServiceFailed(p) => E::ServiceFailed { document: p.document, detail: p.detail },
        }
    }
}

impl From<domain::DropExample> for wit::DropExample {
    fn from(e: domain::DropExample) -> Self {
        wit::DropExample {
            reason: e.reason.into(),
            id: e.id,
            question: e.question,
            answer: e.answer,
            fidelity: e.fidelity,
        }
    }
}

impl From<wit::DropExample> for domain::DropExample {
    fn from(e: wit::DropExample) -> Self {
        domain::DropExample {
            reason: e.reason.into(),
            id: e.id,
            question: e.question,
            answer: e.answer,
            fidelity: e.fidelity,
        }
    }
}

impl From<domain::ExportFile> for wit::ExportFile {
    fn from(f: domain::ExportFile) -> Self {
        wit::ExportFile { name: f.name, contents: f.contents }
    }
}

impl From<wit::ExportFile> for domain::ExportFile {
    fn from(f: wit::ExportFile) -> Self {
        domain::ExportFile { name: f.name, contents: f.contents }
    }
}

impl From<domain::ValidatedPair> for wit::ValidatedPair {
    fn from(v: domain::ValidatedPair) -> Self {
        wit::ValidatedPair { pair: v.pair.into(), fidelity: v.fidelity, tokens: v.tokens, repaired: v.repaired }
    }
}

impl From<wit::ValidatedPair> for domain::ValidatedPair {
    fn from(v: wit::ValidatedPair) -> Self {
        domain::ValidatedPair { pair: v.pair.into(), fidelity: v.fidelity, tokens: v.tokens, repaired: v.repaired }
    }
}

impl From<domain::Validated> for wit::Validated {
    fn from(v: domain::Validated) -> Self {
        wit::Validated {
            pairs_in: v.pairs_in,
            passed: convert_all(v.passed),
            dropped: convert_all(v.dropped),
            faithful: v.faithful,
            fidelity_histogram: v.fidelity_histogram,
            drop_examples: convert_all(v.drop_examples),
        }
    }
}

impl From<wit::Validated> for domain::Validated {
    fn from(v: wit::Validated) -> Self {
        domain::Validated {
            pairs_in: v.pairs_in,
            passed: convert_all(v.passed),
            dropped: convert_all(v.dropped),
            faithful: v.faithful,
            fidelity_histogram: v.fidelity_histogram,
            drop_examples: convert_all(v.drop_examples),
        }
    }
}

impl From<domain::ExportPart> for wit::ExportPart {
    fn from(p: domain::ExportPart) -> Self {
        wit::ExportPart { files: convert_all(p.files), dropped: convert_all(p.dropped) }
    }
}

impl From<wit::ExportPart> for domain::ExportPart {
    fn from(p: wit::ExportPart) -> Self {
        domain::ExportPart { files: convert_all(p.files), dropped: convert_all(p.dropped) }
    }
}
