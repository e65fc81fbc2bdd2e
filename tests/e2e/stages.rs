//! The stage components called through the host's runner: success paths,
//! typed guest errors, and the limits with the hostile test component.

use std::collections::BTreeMap;
use std::time::Duration;

use brightrun_host::components::{HOSTILE_ANALYZE_PATH, Stage};
use brightrun_host::engine::Limits;
use brightrun_host::pipeline::RunOptions;
use brightrun_host::stages::{StageFailure, Stages};
use brightrun_host::types;

use crate::support::ingest_one;

fn stages(limits: Limits) -> Stages {
    Stages::new(limits, None, &BTreeMap::new()).expect("the embedded components load")
}

fn hostile(limits: Limits) -> Stages {
    let bytes = std::fs::read(HOSTILE_ANALYZE_PATH).expect("build.rs built the hostile component");
    let overrides = BTreeMap::from([(Stage::Analyze, bytes)]);
    Stages::new(limits, None, &overrides).expect("the hostile component loads as analyze")
}

fn guest_problem(result: Result<impl std::fmt::Debug, StageFailure>) -> (String, String) {
    match result {
        Err(StageFailure::Guest { problem, document, .. }) => (problem, document),
        other => panic!("expected a guest error, got {other:?}"),
    }
}

const MARKDOWN: &str = "# Cache\n\nA page cache is a region of memory that holds recently used pages. \
    The page cache must stay small because the database shares its memory.\n\n\
    To clear the cache:\n\n1. Stop the service.\n2. Delete the cache folder.\n3. Start the service.\n";

#[test]
fn runs_every_stage_component_in_order() {
    let stages = stages(Limits::default());
    let document = ingest_one(&stages, "cache.md", MARKDOWN.as_bytes()).expect("ingests");
    assert_eq!(document.title, "Cache");
    assert_eq!(document.format, types::SourceFormat::Markdown);
    let chunks = stages
        .segment(std::slice::from_ref(&document), types::SegmentConfig { max_tokens: 256, overlap_tokens: 0 })
        .expect("segments")
        .remove(0)
        .expect("segments the document");
    assert_eq!(chunks.len(), 1);
    let analysis = stages.analyze(&chunks[0]).expect("analyses");
    assert_eq!(analysis.procedures.len(), 1);
    let config = types::GenerateConfig { seed: 1, max_pairs_per_chunk: 8, tasks: Vec::new(), llm: None };
    let pairs = stages.generate(&chunks[0], &analysis, &config).expect("generates");
    // A definition, a "why" and the procedure (the first two may be one conversation).
    assert!(pairs.len() >= 2, "{pairs:?}");
    for pair in &pairs {
        for evidence in &pair.evidence {
            let at = &document.text[evidence.span.start as usize..evidence.span.end as usize];
            assert_eq!(at, evidence.text);
        }
    }
    let diversified =
        stages.diversify(&pairs, RunOptions::new(Vec::new(), std::path::PathBuf::new()).diversify).expect("dedups");
    let export = types::ExportConfig {
        dataset_name: "cache".into(),
        max_sequence_tokens: 1024,
        min_fidelity: 0.8,
        sources: vec!["cache.md".into()],
        language_model: None,
    };
    let result = stages.validate_export(&diversified.kept, &export).expect("exports");
    assert_eq!(result.quality.pairs_out as usize, diversified.kept.len());
    let names: Vec<&str> = result.files.iter().map(|f| f.name.as_str()).collect();
    for expected in ["alpaca.json", "sharegpt.json", "openai.jsonl", "pairs.jsonl", "dataset_info.json", "README.md"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let metrics = stages.metrics().snapshot();
    assert_eq!(metrics.len(), 6);
    assert!(metrics.iter().all(|m| m.ok && m.fuel > 0 && m.peak_memory > 0));
}

#[test]
fn ingest_returns_a_typed_error_for_each_bad_input() {
    let stages = stages(Limits::default());
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.txt", b"", "empty-input"),
        ("latin1.txt", b"caf\xe9 au lait", "invalid-encoding"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "unsupported-format"),
        ("comment.md", b"<!-- only a comment -->\n", "no-content"),
    ];
    for (name, bytes, expected) in cases {
        let (problem, document) = guest_problem(ingest_one(&stages, name, bytes));
        assert_eq!((problem.as_str(), document.as_str()), (expected, name));
    }
}

#[test]
fn segments_a_batch_with_one_result_per_document() {
    let stages = stages(Limits::default());
    let good = ingest_one(&stages, "cache.md", MARKDOWN.as_bytes()).expect("ingests");
    let headings = ingest_one(&stages, "headings.md", b"# Only\n\n## Headings\n").expect("ingests");
    let results =
        stages.segment(&[good, headings], types::SegmentConfig { max_tokens: 256, overlap_tokens: 0 }).expect("runs");
    assert_eq!(results.len(), 2);
    assert!(results[0].as_ref().is_ok_and(|chunks| chunks.len() == 1));
    assert!(matches!(&results[1], Err(StageFailure::Guest { problem, .. }) if problem == "no-content"));
}

#[test]
fn segment_rejects_a_budget_it_cannot_meet() {
    let stages = stages(Limits::default());
    let document = ingest_one(&stages, "cache.md", MARKDOWN.as_bytes()).expect("ingests");
    let results = stages.segment(&[document], types::SegmentConfig { max_tokens: 4, overlap_tokens: 0 }).expect("runs");
    assert_eq!(
        guest_problem(results.into_iter().next().expect("one result")),
        ("invalid-config".to_string(), "cache.md".to_string())
    );
}

fn chunk_with(text: &str) -> types::Chunk {
    types::Chunk {
        document: "hostile.md".into(),
        index: 0,
        section_path: Vec::new(),
        subject: None,
        span: types::Span { start: 0, end: text.len() as u32 },
        body_start: 0,
        text: text.into(),
        token_count: 0,
        blocks: vec![types::Block {
            kind: types::BlockKind::Paragraph,
            level: 0,
            ordinal: None,
            span: types::Span { start: 0, end: text.len() as u32 },
            language: None,
            page: None,
        }],
    }
}

#[test]
fn stops_a_guest_that_loops_forever_with_fuel() {
    let limits = Limits { fuel_base: 50_000_000, fuel_per_input_byte: 0, ..Limits::default() };
    let stages = hostile(limits);
    let result = stages.analyze(&chunk_with("HOSTILE-LOOP-FOREVER"));
    assert_eq!(result.err(), Some(StageFailure::OutOfFuel { stage: Stage::Analyze, fuel: 50_000_000 }));
    // The failed store is gone; the same component serves the next call.
    let analysis =
        stages.analyze(&chunk_with("A cache is a store that keeps copies of data close to where it is used."));
    assert!(analysis.is_ok(), "{analysis:?}");
}

#[test]
fn stops_a_guest_that_loops_past_its_deadline() {
    let limits = Limits { fuel_base: u64::MAX / 4, timeout: Duration::from_millis(300), ..Limits::default() };
    let stages = hostile(limits);
    let result = stages.analyze(&chunk_with("HOSTILE-LOOP-FOREVER"));
    assert_eq!(result.err(), Some(StageFailure::Timeout { stage: Stage::Analyze, millis: 300 }));
}

#[test]
fn stops_a_guest_that_allocates_without_bound() {
    let limits = Limits { memory_bytes: 64 << 20, ..Limits::default() };
    let stages = hostile(limits);
    let result = stages.analyze(&chunk_with("HOSTILE-ALLOCATE-FOREVER"));
    assert_eq!(result.err(), Some(StageFailure::OutOfMemory { stage: Stage::Analyze, limit_mib: 64 }));
    let metrics = stages.metrics().snapshot();
    assert!(metrics[0].peak_memory <= 64 << 20, "peak {}", metrics[0].peak_memory);
}

#[test]
fn turns_a_guest_panic_into_a_trap() {
    let stages = hostile(Limits::default());
    match stages.analyze(&chunk_with("HOSTILE-PANIC")) {
        Err(StageFailure::Trap { stage: Stage::Analyze, .. }) => {}
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn a_reused_instance_gives_the_same_analysis_and_a_trapped_one_is_replaced() {
    let stages = hostile(Limits { memory_bytes: 64 << 20, ..Limits::default() });
    let ordinary = chunk_with("A cache is a store that keeps copies of data close to where it is used.");
    // The generated WIT types have `Debug` but not `PartialEq`.
    let analyse = || format!("{:?}", stages.analyze(&ordinary).expect("analyses"));
    let first = analyse();
    assert_eq!(analyse(), first);
    assert!(matches!(stages.analyze(&chunk_with("HOSTILE-PANIC")), Err(StageFailure::Trap { .. })));
    assert!(matches!(stages.analyze(&chunk_with("HOSTILE-ALLOCATE-FOREVER")), Err(StageFailure::OutOfMemory { .. })));
    assert_eq!(analyse(), first, "after the traps");
    // One instance served the first two calls; each trap cost its instance,
    // so the calls after them instantiated afresh.
    let instantiated: Vec<bool> = stages
        .metrics()
        .snapshot()
        .iter()
        .filter(|call| call.stage == Stage::Analyze)
        .map(|call| !call.instantiate.is_zero())
        .collect();
    assert_eq!(instantiated, [true, false, false, true, true]);
}

#[test]
fn pair_stages_return_typed_errors_for_out_of_range_config() {
    let stages = stages(Limits::default());
    let chunk = chunk_with("A cache is a store that keeps copies of data close to where it is used.");
    let analysis = stages.analyze(&chunk).expect("analyses");
    let zero_cap = types::GenerateConfig { seed: 0, max_pairs_per_chunk: 0, tasks: Vec::new(), llm: None };
    assert_eq!(
        guest_problem(stages.generate(&chunk, &analysis, &zero_cap)),
        ("invalid-config".to_string(), "hostile.md".to_string())
    );
    let no_bands =
        types::DiversifyConfig { bands: 0, ..RunOptions::new(Vec::new(), std::path::PathBuf::new()).diversify };
    assert_eq!(guest_problem(stages.diversify(&[], no_bands)), ("invalid-config".to_string(), "diversify".to_string()));
    let no_length = types::ExportConfig {
        dataset_name: "x".into(),
        max_sequence_tokens: 0,
        min_fidelity: 0.8,
        sources: Vec::new(),
        language_model: None,
    };
    assert_eq!(
        guest_problem(stages.validate_export(&[], &no_length)),
        ("invalid-config".to_string(), "validate-export".to_string())
    );
}

fn qa_pair(id: &str, question: &str, answer: &str) -> types::Pair {
    types::Pair {
        id: id.to_string(),
        task: types::TaskType::FactualQa,
        turns: vec![
            types::Turn { role: types::Role::User, content: question.to_string() },
            types::Turn { role: types::Role::Assistant, content: answer.to_string() },
        ],
        evidence: Vec::new(),
        difficulty: types::Difficulty::Easy,
        content_type: types::ContentType::Conceptual,
        chunk_index: 0,
    }
}

#[test]
fn diversify_component_drops_a_paraphrase_with_its_embedded_model() {
    // The embedding table and tokenizer are compiled into the component;
    // this runs them under wasm32, not only natively.
    let stages = stages(Limits::default());
    let pairs = [
        qa_pair("a", "How long are backups kept?", "Backups are kept for thirty days before they are deleted."),
        qa_pair("b", "For how many days are backups retained?", "Backups are retained thirty days, then deleted."),
        qa_pair("c", "Which port does the admin API listen on?", "The admin API listens on port 8080."),
        qa_pair("d", "On which port does the admin API listen?", "The admin API listens on port 9090."),
    ];
    let config = RunOptions::new(Vec::new(), std::path::PathBuf::new()).diversify;
    let result = stages.diversify(&pairs, config).expect("dedups");
    let kept: Vec<&str> = result.kept.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(kept, ["a", "c", "d"]);
    assert_eq!(result.dropped.len(), 1);
    assert_eq!(result.dropped[0].id, "b");
    assert_eq!(result.dropped[0].reason, types::DropReason::SemanticDuplicate);
    assert_eq!(result.dropped[0].duplicate_of.as_deref(), Some("a"));
}

/// About `bytes` of Markdown: the example Markdown files again and again,
/// each copy's top-level headings numbered so the copies differ.
fn large_markdown(bytes: usize) -> String {
    let mut sources: Vec<String> = std::fs::read_dir(crate::support::examples())
        .expect("examples")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| std::fs::read_to_string(path).expect("readable example"))
        .collect();
    sources.sort();
    let mut text = String::new();
    for copy in 0.. {
        for source in &sources {
            if text.len() >= bytes {
                return text;
            }
            text.push_str(&source.replace("\n# ", &format!("\n# Copy {copy}: ")).replacen(
                "# ",
                &format!("# Copy {copy}: "),
                1,
            ));
            text.push_str("\n\n");
        }
    }
    text
}

#[test]
fn a_large_document_segments_in_parts_into_the_chunks_it_has_whole() {
    use brightrun_host::pipeline::split;
    let stages = stages(Limits::default());
    let markdown = large_markdown(3 << 20);
    let document = ingest_one(&stages, "large.md", markdown.as_bytes()).expect("ingests");
    let config = types::SegmentConfig { max_tokens: 512, overlap_tokens: 64 };
    let segment = |document: &types::Document| {
        let mut results = stages.segment(std::slice::from_ref(document), config).expect("runs");
        results.pop().expect("one result").expect("segments")
    };
    let whole = segment(&document);
    let parts = split::parts(document.clone());
    assert!(parts.len() >= 3, "{} parts", parts.len());
    let mut joined: Vec<types::Chunk> = Vec::new();
    for part in &parts {
        assert!(part.document.text.len() < 2 * split::PART_BYTES, "a part is about PART_BYTES");
        let mut chunks = segment(&part.document);
        split::place(&mut chunks, part.offset, u32::try_from(joined.len()).expect("fits"));
        joined.extend(chunks);
    }
    assert_eq!(joined.len(), whole.len());
    for (part_chunk, whole_chunk) in joined.iter().zip(&whole) {
        assert_eq!(
            serde_json::to_value(part_chunk).expect("json"),
            serde_json::to_value(whole_chunk).expect("json"),
            "chunk {}",
            whole_chunk.index
        );
    }
}

#[test]
fn the_pipeline_cuts_a_large_document_and_its_evidence_still_points_into_it() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = work.path().join("input");
    std::fs::create_dir(&input).expect("input folder");
    let handbook = std::fs::read_to_string(crate::support::examples().join("oncall-handbook.txt")).expect("example");
    let mut plain = String::new();
    for copy in 0.. {
        if plain.len() >= 5 << 19 {
            break;
        }
        plain.push_str(&handbook.replace("on-call", &format!("on-call (rota {copy})")));
        plain.push_str("\n\n");
    }
    std::fs::write(input.join("handbook.txt"), &plain).expect("writes");
    std::fs::write(input.join("large.md"), large_markdown(5 << 19)).expect("writes");

    let stages = stages(Limits::default());
    let texts: BTreeMap<String, String> = ["handbook.txt", "large.md"]
        .iter()
        .map(|name| {
            let path = input.join(name);
            let document = ingest_one(&stages, &path.display().to_string(), &std::fs::read(&path).expect("reads"));
            (path.display().to_string(), document.expect("ingests").text)
        })
        .collect();
    for (name, text) in &texts {
        assert!(text.len() > brightrun_host::pipeline::split::SPLIT_ABOVE_BYTES, "{name} is large enough to be cut");
    }

    let mut options = RunOptions::new(vec![input.clone()], work.path().join("out"));
    options.cache_dir = None;
    options.stage_cache = false;
    let report = brightrun_host::pipeline::run(&options, &brightrun_host::pipeline::NoProgress).expect("runs");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.documents.len(), 2);
    for document in &report.documents {
        assert!(document.chunks > 100 && document.pairs > 0, "{document:?}");
    }
    let pairs = crate::support::json_lines(&work.path().join("out/pairs.jsonl"));
    assert!(!pairs.is_empty());
    let mut sources = std::collections::BTreeSet::new();
    for pair in &pairs {
        for evidence in pair["evidence"].as_array().expect("evidence") {
            let source = evidence["source"].as_str().expect("source");
            let (start, end) = (evidence["start"].as_u64().expect("start"), evidence["end"].as_u64().expect("end"));
            let text = texts.get(source).unwrap_or_else(|| panic!("{source} is an input"));
            assert_eq!(text.get(start as usize..end as usize), evidence["text"].as_str(), "{pair}");
            sources.insert(source.to_string());
        }
    }
    assert_eq!(sources.len(), 2, "both documents give pairs");
}

#[test]
fn a_large_json_lines_file_is_read_in_parts_and_its_records_keep_their_line_names() {
    let work = tempfile::tempdir().expect("temp dir");
    let input = work.path().join("input");
    std::fs::create_dir(&input).expect("input folder");
    // Records from the example handbook's paragraphs, varied so dedup keeps
    // some of each part, with a blank line and a broken one to count past.
    let handbook = std::fs::read_to_string(crate::support::examples().join("oncall-handbook.txt")).expect("example");
    let paragraphs: Vec<&str> = handbook.split("\n\n").filter(|p| p.split_whitespace().count() > 12).collect();
    let mut lines = Vec::new();
    let mut bytes = 0;
    while bytes < 9 << 20 {
        let index = lines.len();
        let line = match index {
            7 => String::new(),
            11 => "{not json".to_string(),
            _ => {
                let text = paragraphs[index % paragraphs.len()].replace("on-call", &format!("on-call (team {index})"));
                // One how-to of its own per record, so every part gives pairs.
                let text = format!(
                    "{text}\n\nTo page the team_{index} rota, run pager --team {index} from the incident channel."
                );
                serde_json::json!({ "title": format!("Record {index}"), "text": text }).to_string()
            }
        };
        bytes += line.len() + 1;
        lines.push(line);
    }
    let path = input.join("records.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("writes");
    let parts = brightrun_host::pipeline::source::sources(std::slice::from_ref(&path), 4 << 20);
    assert!(parts.len() >= 2, "{} parts", parts.len());

    // What one ingest call over the whole file names and decodes.
    let stages = stages(Limits::default());
    let whole = stages
        .ingest(
            &path.display().to_string(),
            None,
            &std::fs::read(&path).expect("reads"),
            &types::IngestConfig::default(),
        )
        .expect("ingests whole");
    let records: BTreeMap<String, String> = whole.documents.into_iter().map(|d| (d.name, d.text)).collect();
    assert_eq!(records.len(), lines.len() - 2);

    let mut options = RunOptions::new(vec![input.clone()], work.path().join("out"));
    options.cache_dir = None;
    options.stage_cache = false;
    // The records repeat a handful of paragraphs: with only exact
    // duplicates dropped and no balance, every part keeps pairs to check the
    // names of.
    options.diversify.threshold = 1.0;
    options.diversify.semantic_threshold = 1.0;
    // Their pairs are mostly one task: no balance cap drops the later ones.
    options.diversify.max_task_share = 1.0;
    options.diversify.max_difficulty_share = 1.0;
    let report = brightrun_host::pipeline::run(&options, &brightrun_host::pipeline::NoProgress).expect("runs");
    assert_eq!(report.documents.len(), parts.len(), "one report entry per part");
    assert_eq!(report.documents.iter().map(|d| d.documents).sum::<usize>(), records.len());
    let warnings: Vec<&String> = report.documents.iter().flat_map(|d| &d.warnings).collect();
    assert!(warnings.iter().any(|w| w.contains("records.jsonl#L12")), "{warnings:?}");
    let pairs = crate::support::json_lines(&work.path().join("out/pairs.jsonl"));
    let mut seen = std::collections::BTreeSet::new();
    for pair in &pairs {
        for evidence in pair["evidence"].as_array().expect("evidence") {
            let source = evidence["source"].as_str().expect("source");
            let text = records.get(source).unwrap_or_else(|| panic!("{source} is a record of the whole file"));
            let (start, end) = (evidence["start"].as_u64().expect("start"), evidence["end"].as_u64().expect("end"));
            assert_eq!(text.get(start as usize..end as usize), evidence["text"].as_str(), "{pair}");
            seen.insert(source.to_string());
        }
    }
    let last_part_line = parts.last().and_then(|p| p.part).map_or(0, |p| p.lines_before) as usize;
    let late = seen
        .iter()
        .filter(|name| name.rsplit_once("#L").and_then(|(_, n)| n.parse::<usize>().ok()) > Some(last_part_line));
    assert!(late.count() > 0, "records of the last part give pairs under their own line numbers");
}
