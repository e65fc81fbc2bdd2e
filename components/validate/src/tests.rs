use super::*;
use brightrun_types::{ContentType, Difficulty, Evidence, Span, TaskType, Turn};
use serde_json::Value;
use std::sync::OnceLock;

fn tokenizer() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(Tokenizer::cl100k)
}

const EVIDENCE: &str = "The journal is deleted when the transaction commits, after at most 2 fsync calls.";

fn pair(id: &str, turns: &[(Role, &str)]) -> Pair {
    Pair {
        id: id.to_string(),
        task: TaskType::DefinitionQa,
        turns: turns.iter().map(|(role, content)| Turn { role: *role, content: content.to_string() }).collect(),
        evidence: vec![Evidence {
            turn: 1,
            document: "a.md".into(),
            span: Span::new(10, 10 + EVIDENCE.len()),
            text: EVIDENCE.into(),
        }],
        difficulty: Difficulty::Medium,
        content_type: ContentType::Reference,
        chunk_index: 0,
    }
}

fn qa(id: &str, answer: &str) -> Pair {
    pair(id, &[(Role::User, "When does SQLite remove its rollback journal?"), (Role::Assistant, answer)])
}

fn config() -> ExportConfig {
    ExportConfig {
        dataset_name: "handbook".into(),
        max_sequence_tokens: 256,
        min_fidelity: 0.8,
        sources: vec!["a.md".into()],
        language_model: None,
    }
}

#[test]
fn scores_faithful_answers_high_and_altered_ones_low() {
    let cases = [
        (EVIDENCE, true),
        ("The journal is deleted when the transaction commits.", true),
        ("The journal is deleted when the transaction commits, after at most 7 fsync calls.", false),
        ("The journal is not deleted when the transaction commits.", false),
        ("The journal is archived to object storage every night by the backup daemon.", false),
    ];
    for (answer, faithful) in cases {
        let score = fidelity(&qa("x", answer));
        assert_eq!(score >= 0.8, faithful, "{answer}: {score}");
    }
}

#[test]
fn rejects_each_structural_problem_with_its_reason() {
    let long = "word ".repeat(400);
    let cases: Vec<(Pair, Option<DropReason>)> = vec![
        (qa("ok", EVIDENCE), None),
        (pair("swapped", &[(Role::Assistant, EVIDENCE), (Role::User, "When?")]), Some(DropReason::RolesNotAlternating)),
        (pair("odd", &[(Role::User, "When is the journal deleted?")]), Some(DropReason::OddTurnCount)),
        (qa("empty", "  "), Some(DropReason::EmptyTurn)),
        (qa("control", "The journal\u{7} is deleted."), Some(DropReason::InvalidText)),
        (qa("markup", "The <b>journal</b> is deleted when the transaction commits."), Some(DropReason::LeftoverMarkup)),
        (qa("link", "See [the journal](http://x) when the transaction commits."), Some(DropReason::LeftoverMarkup)),
        (qa("long", &long), Some(DropReason::TooLong)),
        (qa("unfaithful", "Backups run nightly on the storage cluster."), Some(DropReason::LowFidelity)),
        (Pair { evidence: Vec::new(), ..qa("bare", EVIDENCE) }, Some(DropReason::MissingEvidence)),
    ];
    for (pair, expected) in cases {
        let score = fidelity(&pair);
        let tokens = pair_tokens(&pair, tokenizer());
        assert_eq!(check(&pair, score, tokens, &config()), expected, "{}", pair.id);
    }
}

#[test]
fn exports_every_format_with_the_shape_its_loader_expects() {
    let pairs = vec![qa("a", EVIDENCE), qa("b", "Backups run nightly on the storage cluster.")];
    let result = validate_export(pairs, &config(), tokenizer()).expect("exports");
    assert_eq!(result.quality.pairs_in, 2);
    assert_eq!(result.quality.pairs_out, 1);
    assert_eq!(result.quality.faithful_share, 0.5);
    assert_eq!(result.dropped.len(), 1);
    let file = |name: &str| {
        result
            .files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.clone())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let alpaca: Value = serde_json::from_str(&file("alpaca.json")).expect("alpaca is JSON");
    assert_eq!(alpaca[0]["instruction"], "When does SQLite remove its rollback journal?");
    assert_eq!(alpaca[0]["input"], "");
    assert_eq!(alpaca[0]["output"], EVIDENCE);
    let sharegpt: Value = serde_json::from_str(&file("sharegpt.json")).expect("sharegpt is JSON");
    assert_eq!(sharegpt[0]["conversations"][0]["from"], "human");
    assert_eq!(sharegpt[0]["conversations"][1]["from"], "gpt");
    let openai: Value = serde_json::from_str(file("openai.jsonl").lines().next().expect("a row")).expect("JSON line");
    let message = openai["messages"][0].as_object().expect("object");
    assert_eq!(message.keys().collect::<Vec<_>>(), ["content", "role"]);
    let audit: Value = serde_json::from_str(file("pairs.jsonl").lines().next().expect("a row")).expect("JSON line");
    assert_eq!(audit["evidence"][0]["source"], "a.md");
    assert_eq!(audit["evidence"][0]["start"], 10);
    assert_eq!(audit["task"], "definition-qa");
    let info: Value = serde_json::from_str(&file("dataset_info.json")).expect("JSON");
    assert_eq!(info["handbook_sharegpt"]["formatting"], "sharegpt");
    let card = file("README.md");
    assert!(card.starts_with("---\npretty_name: \"handbook\"\n"), "{card}");
    assert!(card.contains("size_categories:\n- n<1K\n"));
}

#[test]
fn errors_on_invalid_config() {
    let bad = ExportConfig { max_sequence_tokens: 0, ..config() };
    let error = validate_export(Vec::new(), &bad, tokenizer()).expect_err("invalid");
    assert!(error.to_string().starts_with("validate-export: invalid config: max-sequence-tokens 0"), "{error}");
}

/// One hand-labelled case of `tests/fixtures/fidelity/labelled.jsonl`.
#[derive(serde::Deserialize)]
struct Labelled {
    id: String,
    label: String,
    kind: String,
    question: String,
    answer: String,
    evidence: Vec<String>,
}

#[test]
fn labelled_set_precision_and_recall() {
    let (precision, recall, cases) = precision_and_recall("labelled.jsonl");
    assert!(cases >= 48, "the set is all there");
    assert!(precision >= 0.9 && recall >= 0.9, "precision {precision:.3}, recall {recall:.3}");
}

/// Cases written after the validator's negation and number-word checks,
/// from another document, and scored once as written: a check that the
/// checks were not fitted to `labelled.jsonl` alone.
#[test]
fn held_out_set_precision_and_recall() {
    let (precision, recall, cases) = precision_and_recall("held-out.jsonl");
    assert!(cases >= 16, "the set is all there");
    assert!(precision >= 0.85 && recall >= 0.9, "precision {precision:.3}, recall {recall:.3}");
}

/// Scores a labelled file, prints the figures, returns (precision, recall, cases).
fn precision_and_recall(file: &str) -> (f64, f64, usize) {
    let path = format!("{}/../../tests/fixtures/fidelity/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("the labelled set");
    let cases: Vec<Labelled> = text.lines().map(|line| serde_json::from_str(line).expect("a labelled case")).collect();
    let floor = config().min_fidelity;
    // (true positive, false positive, false negative, true negative) overall and per kind.
    let mut overall = [0usize; 4];
    let mut by_kind: std::collections::BTreeMap<&str, [usize; 4]> = Default::default();
    let mut wrong = Vec::new();
    for case in &cases {
        let mut evidence_pair = pair(&case.id, &[(Role::User, &case.question), (Role::Assistant, &case.answer)]);
        evidence_pair.evidence = case
            .evidence
            .iter()
            .map(|text| Evidence {
                turn: 1,
                document: "labelled".into(),
                span: Span::new(0, text.len()),
                text: text.clone(),
            })
            .collect();
        let score = fidelity(&evidence_pair);
        let (faithful, predicted) = (case.label == "faithful", score >= floor);
        let cell = match (faithful, predicted) {
            (true, true) => 0,
            (false, true) => 1,
            (true, false) => 2,
            (false, false) => 3,
        };
        overall[cell] += 1;
        by_kind.entry(case.kind.as_str()).or_default()[cell] += 1;
        if faithful != predicted {
            wrong.push(format!("  {} {} ({}): {score:.3}  {}", case.id, case.label, case.kind, case.answer));
        }
    }
    let precision = overall[0] as f64 / (overall[0] + overall[1]).max(1) as f64;
    let recall = overall[0] as f64 / (overall[0] + overall[2]).max(1) as f64;
    println!("fidelity validator on the {} labelled pairs of {file} at the {floor} floor:", cases.len());
    println!(
        "  precision {precision:.3}, recall {recall:.3} (tp {}, fp {}, fn {}, tn {})",
        overall[0], overall[1], overall[2], overall[3]
    );
    for (kind, [tp, fp, fn_, tn]) in &by_kind {
        println!("  {kind:<22} right {:>2} of {:>2}", tp + tn, tp + fp + fn_ + tn);
    }
    println!("misjudged:\n{}", wrong.join("\n"));
    (precision, recall, cases.len())
}

/// A conversation: two exchanges, each answer citing its own evidence.
fn conversation(second_answer: &str) -> Pair {
    let second_evidence = "The journal holds the original content of every changed page.";
    let mut pair = pair(
        "talk",
        &[
            (Role::User, "When is the journal deleted?"),
            (Role::Assistant, EVIDENCE),
            (Role::User, "What does the rollback journal hold?"),
            (Role::Assistant, second_answer),
        ],
    );
    pair.task = TaskType::MultiTurn;
    pair.evidence.push(Evidence {
        turn: 3,
        document: "a.md".into(),
        span: Span::new(200, 200 + second_evidence.len()),
        text: second_evidence.into(),
    });
    pair
}

#[test]
fn scores_a_conversation_by_its_weakest_answer() {
    let faithful = conversation("The journal holds the original content of every changed page.");
    assert!(fidelity(&faithful) >= 0.9, "{}", fidelity(&faithful));
    // True of the first turn's evidence, not of the evidence the second turn cites.
    let borrowed = conversation("The journal is deleted when the transaction commits.");
    assert!(fidelity(&borrowed) < 0.8, "{}", fidelity(&borrowed));
    let invented = conversation("The journal holds a compressed copy of the whole database.");
    assert!(fidelity(&invented) < 0.8, "{}", fidelity(&invented));
}

#[test]
fn exports_conversations_and_quoted_code_by_the_loaders_rules() {
    let mut code = pair(
        "code",
        &[
            (
                Role::User,
                "What does `bucket.take(1)` return in the rate limiter?\n\n```python\nreturn bucket.take(1)\n```",
            ),
            (Role::Assistant, EVIDENCE),
        ],
    );
    code.task = TaskType::CodeExplanation;
    let mut unfenced = code.clone();
    unfenced.turns[0].content = "What does `bucket.take(1)` return?\n\n```python\nreturn bucket.take(1)".into();
    assert_eq!(check(&code, 1.0, 10, &config()), None, "a quoted code block is not leftover markup");
    assert_eq!(check(&unfenced, 1.0, 10, &config()), Some(DropReason::LeftoverMarkup));

    let talk = conversation("The journal holds the original content of every changed page.");
    let result = validate_export(vec![talk, code, qa("single", EVIDENCE)], &config(), tokenizer()).expect("exports");
    assert_eq!(result.quality.pairs_out, 3, "{:?}", result.dropped);
    let file = |name: &str| result.files.iter().find(|f| f.name == name).map(|f| f.contents.clone()).expect("file");

    // LLaMA-Factory ShareGPT: human/gpt alternating from the first turn, an even count.
    let sharegpt: Value = serde_json::from_str(&file("sharegpt.json")).expect("JSON");
    for row in sharegpt.as_array().expect("rows") {
        let turns = row["conversations"].as_array().expect("conversations");
        assert!(!turns.is_empty() && turns.len().is_multiple_of(2), "{row}");
        for (index, turn) in turns.iter().enumerate() {
            assert_eq!(turn["from"], if index % 2 == 0 { "human" } else { "gpt" }, "{row}");
        }
    }
    // Unsloth and TRL: messages of exactly role and content, user first, alternating.
    for line in file("openai.jsonl").lines() {
        let row: Value = serde_json::from_str(line).expect("JSON line");
        for (index, message) in row["messages"].as_array().expect("messages").iter().enumerate() {
            let keys: Vec<&String> = message.as_object().expect("object").keys().collect();
            assert_eq!(keys, ["content", "role"], "{row}");
            assert_eq!(message["role"], if index % 2 == 0 { "user" } else { "assistant" }, "{row}");
        }
    }
    // Alpaca: earlier exchanges in `history`; the last one is instruction/output.
    let alpaca: Value = serde_json::from_str(&file("alpaca.json")).expect("JSON");
    let rows = alpaca.as_array().expect("rows");
    // LLaMA-Factory reads every declared column: each row has `system` and `history`.
    assert!(rows.iter().all(|r| r["system"].is_string() && r["history"].is_array()), "{alpaca}");
    let talk_row = rows.iter().find(|r| r["history"].as_array().is_some_and(|h| !h.is_empty())).expect("history");
    assert_eq!(talk_row["history"], serde_json::json!([["When is the journal deleted?", EVIDENCE]]));
    assert_eq!(talk_row["instruction"], "What does the rollback journal hold?");
    // Prompt/completion holds the single-turn pairs only.
    assert_eq!(file("completion.jsonl").lines().count(), 2);
    let audit: Vec<Value> = file("pairs.jsonl").lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    let talk_audit = audit.iter().find(|a| a["task"] == "multi-turn").expect("audited");
    let turns: Vec<u64> = talk_audit["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|e| e["turn"].as_u64().expect("turn"))
        .collect();
    assert_eq!(turns, [1, 3]);
}

#[test]
fn repairs_an_answer_by_cutting_its_unsupported_sentence() {
    let padded = format!("{EVIDENCE} Backups are then copied to tape in another building every night.");
    let pair = qa("padded", &padded);
    assert!(fidelity(&pair) < 0.8, "{}", fidelity(&pair));
    let fixed = fidelity::repair(&pair, 0.8).expect("one sentence is supported");
    assert_eq!(fixed.turns[1].content, EVIDENCE);
    assert!(fidelity(&fixed) >= 0.9);
    // Nothing supported, or nothing to cut: no repair.
    assert_eq!(fidelity::repair(&qa("invented", "Backups run nightly. They go to tape."), 0.8), None);
    assert_eq!(fidelity::repair(&qa("one", "Backups run nightly on the storage cluster."), 0.8), None);

    let result =
        validate_export(vec![pair, qa("invented", "Backups run nightly. They go to tape.")], &config(), tokenizer())
            .expect("exports");
    assert_eq!((result.quality.pairs_out, result.quality.repaired), (1, 1));
    assert_eq!(result.quality.faithful_share, 0.0, "the share counts pairs as generated, before repair");
    let example = &result.quality.drop_examples[0];
    assert_eq!((example.reason, example.id.as_str()), (DropReason::LowFidelity, "invented"));
    assert!(example.fidelity < 0.8);
}

#[test]
fn drops_the_same_question_body_on_the_same_subject_and_measures_variety() {
    let first = qa("first", EVIDENCE);
    let same = qa("same", "The journal is deleted when the transaction commits.");
    let mut other_task = qa("other-task", "The journal is deleted when the transaction commits.");
    other_task.task = TaskType::FactualQa;
    let mut reworded = qa("reworded", "The journal is deleted when the transaction commits.");
    reworded.turns[0].content = "At what point does SQLite get rid of its rollback journal?".into();
    let result = validate_export(vec![first, same, other_task, reworded], &config(), tokenizer()).expect("exports");
    let dropped: Vec<(&str, DropReason)> = result.dropped.iter().map(|d| (d.id.as_str(), d.reason)).collect();
    assert_eq!(dropped, [("same", DropReason::RepeatedQuestion)]);
    let variety = &result.quality.question_variety;
    assert_eq!(variety.templates, 2, "\"when is deleted\" (two tasks share it) and \"at what point does get deleted\"");
    assert!(variety.distinct_bigrams > 0.5 && variety.distinct_bigrams <= 1.0, "{variety:?}");
}

#[test]
fn batches_through_an_exporter_give_the_files_and_figures_of_one_call() {
    // Repeated questions across batches, a repair, drops of several reasons.
    let mut reworded = qa("reworded", "The journal is deleted when the transaction commits.");
    reworded.turns[0].content = "At what point does SQLite get rid of its rollback journal?".into();
    let mut pairs = vec![
        qa("first", EVIDENCE),
        qa("invented", "Backups run nightly. They go to tape."),
        qa("same", "The journal is deleted when the transaction commits."),
        reworded,
        qa("repairable", "The journal is deleted when the transaction commits. It is kept on tape for years."),
        qa("markup", "The journal is **deleted** when the transaction commits."),
    ];
    let mut other_task = qa("other-task", "The journal is deleted when the transaction commits.");
    other_task.task = TaskType::FactualQa;
    pairs.push(other_task);
    let whole = validate_export(pairs.clone(), &config(), tokenizer()).expect("exports");
    assert!(whole.quality.pairs_out >= 3, "{:?}", whole.quality);

    for size in [1, 2, 3] {
        let mut exporter = Exporter::new(&config()).expect("valid config");
        let mut files: Vec<ExportFile> = Vec::new();
        let mut dropped = Vec::new();
        for batch in pairs.chunks(size) {
            let validated = validate(batch.to_vec(), &config(), tokenizer()).expect("validates");
            let part = exporter.add(validated);
            dropped.extend(part.dropped);
            for file in part.files {
                match files.iter_mut().find(|f| f.name == file.name) {
                    Some(existing) => existing.contents.push_str(&file.contents),
                    None => files.push(file),
                }
            }
        }
        let end = exporter.finish();
        for file in end.files {
            match files.iter_mut().find(|f| f.name == file.name) {
                Some(existing) => existing.contents.push_str(&file.contents),
                None => files.push(file),
            }
        }
        assert_eq!(files, whole.files, "batches of {size}");
        assert_eq!(end.quality, whole.quality, "batches of {size}");
        let mut ids: Vec<&str> = dropped.iter().map(|d| d.id.as_str()).collect();
        let mut whole_ids: Vec<&str> = whole.dropped.iter().map(|d| d.id.as_str()).collect();
        ids.sort_unstable();
        whole_ids.sort_unstable();
        assert_eq!(ids, whole_ids, "batches of {size}");
    }
    let alpaca: Value = serde_json::from_str(&whole.files[0].contents).expect("alpaca.json parses");
    assert_eq!(alpaca.as_array().map(Vec::len), Some(whole.quality.pairs_out as usize));
}

#[test]
fn an_exporter_that_saw_no_pair_writes_empty_arrays_and_files() {
    let exporter = Exporter::new(&config()).expect("valid config");
    let end = exporter.finish();
    let contents = |name: &str| end.files.iter().find(|f| f.name == name).map(|f| f.contents.clone());
    assert_eq!(contents("alpaca.json").as_deref(), Some("[]\n"));
    assert_eq!(contents("sharegpt.json").as_deref(), Some("[]\n"));
    assert_eq!(contents("openai.jsonl").as_deref(), Some(""));
    assert_eq!(end.quality.pairs_out, 0);
}

#[test]
fn markup_quoted_as_inline_code_is_not_leftover_markup() {
    assert_eq!(
        without_inline_code("will not use the `<p>` element; default `**`"),
        "will not use the  element; default \n"
    );
    assert!(!has_markup(&without_inline_code("The default is `**`, meaning all files.")));
    assert!(has_markup(&without_inline_code("The default is **bold** here.")));
}
