use super::*;
use brightrun_types::{ContentType, Difficulty, Role, TaskType, Turn};

fn pair(id: &str, question: &str, answer: &str) -> Pair {
    Pair {
        id: id.to_string(),
        task: TaskType::DefinitionQa,
        turns: vec![
            Turn { role: Role::User, content: question.to_string() },
            Turn { role: Role::Assistant, content: answer.to_string() },
        ],
        evidence: Vec::new(),
        difficulty: Difficulty::Easy,
        content_type: ContentType::Conceptual,
        chunk_index: 0,
    }
}

/// Only identical meanings are semantic duplicates.
const SEMANTIC_OFF: DiversifyConfig = DiversifyConfig { semantic_threshold: 1.0, ..DEFAULT_CONFIG };

const ANSWER: &str = "A rollback journal is a file that holds the original content of every page changed by the current transaction, so that a crash can be undone.";

#[test]
fn drops_exact_duplicates_after_normalising_case_and_punctuation() {
    let pairs = vec![
        pair("a", "What is a rollback journal?", ANSWER),
        pair("b", "what is a ROLLBACK journal", &ANSWER.to_uppercase()),
        pair("c", "What is a checkpoint?", "A checkpoint copies pages from the log back into the database file."),
    ];
    let result = diversify(pairs, &DEFAULT_CONFIG).expect("dedups");
    let kept: Vec<&str> = result.kept.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(kept, ["a", "c"]);
    assert_eq!(
        result.dropped,
        [DroppedPair { id: "b".into(), reason: DropReason::ExactDuplicate, duplicate_of: Some("a".into()) }]
    );
}

#[test]
fn drops_near_duplicates_and_keeps_distinct_pairs() {
    let pairs = vec![
        pair("a", "What is a rollback journal?", ANSWER),
        pair("b", "Define rollback journal.", ANSWER),
        pair(
            "c",
            "How do I rotate the signing key?",
            "Generate a new key pair, upload the public key and restart the signer process.",
        ),
    ];
    let result = diversify(pairs, &DEFAULT_CONFIG).expect("dedups");
    let kept: Vec<&str> = result.kept.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(kept, ["a", "c"]);
    assert_eq!(result.dropped[0].reason, DropReason::NearDuplicate);
    assert_eq!(result.dropped[0].duplicate_of.as_deref(), Some("a"));
    assert_eq!(brightrun_types::count_drops(&result.dropped), [(DropReason::NearDuplicate, 1)]);
}

#[test]
fn estimates_jaccard_similarity_close_to_the_truth() {
    // 8 shingles against 12, all 8 shared: true Jaccard 8/12.
    let left = normalise("one two three four five six seven eight nine ten");
    let right = normalise("one two three four five six seven eight nine ten eleven twelve thirteen fourteen");
    let (a, b) = (signature_of(&left, 3, 256), signature_of(&right, 3, 256));
    let estimate = similarity(&a, &b);
    assert!((estimate - 8.0 / 12.0).abs() < 0.1, "estimate {estimate}");
    assert_eq!(similarity(&a, &a), 1.0);
}

#[test]
fn errors_on_out_of_range_config() {
    for config in [
        DiversifyConfig { shingle_words: 0, ..DEFAULT_CONFIG },
        DiversifyConfig { bands: 0, ..DEFAULT_CONFIG },
        DiversifyConfig { bands: 200, rows: 200, ..DEFAULT_CONFIG },
        DiversifyConfig { threshold: 1.5, ..DEFAULT_CONFIG },
        DiversifyConfig { threshold: f32::NAN, ..DEFAULT_CONFIG },
        DiversifyConfig { semantic_threshold: 0.0, ..DEFAULT_CONFIG },
        DiversifyConfig { semantic_threshold: 1.01, ..DEFAULT_CONFIG },
    ] {
        let error = diversify(Vec::new(), &config).expect_err("invalid");
        assert!(error.to_string().starts_with("diversify: invalid config: shingle-words"), "{error}");
    }
}

/// `count` distinct pairs of `task`, each about a different numbered topic.
fn pairs_of(task: TaskType, prefix: &str, count: usize) -> Vec<Pair> {
    (0..count)
        .map(|index| {
            let mut p = pair(
                &format!("{prefix}{index}"),
                &format!("What does the {prefix} guide say about topic {index} and setting {}?", index * 7),
                &format!("Topic {index} of the {prefix} guide needs setting {} on host {}.", index * 7, index * 13),
            );
            p.task = task;
            p
        })
        .collect()
}

#[test]
fn balances_an_over_represented_task_down_to_its_share() {
    let mut pairs = pairs_of(TaskType::FactualQa, "fact", 150);
    pairs.extend(pairs_of(TaskType::DefinitionQa, "def", 30));
    pairs.extend(pairs_of(TaskType::ReasoningWhy, "why", 20));
    // The fixtures differ in a prefix word and numbers, which the embedding
    // sees as one meaning across tasks; semantic dedup is tested on its own.
    let off =
        DiversifyConfig { max_task_share: 1.0, max_content_share: 1.0, max_difficulty_share: 1.0, ..SEMANTIC_OFF };
    assert_eq!(diversify(pairs.clone(), &off).expect("runs").kept.len(), 200, "distinct pairs, no cap: all kept");

    let config =
        DiversifyConfig { max_task_share: 0.5, max_content_share: 1.0, max_difficulty_share: 1.0, ..SEMANTIC_OFF };
    let result = diversify(pairs, &config).expect("balances");
    let facts = result.kept.iter().filter(|p| p.task == TaskType::FactualQa).count();
    assert_eq!(result.kept.len(), 100, "150 facts cut to 50 beside the other 50");
    assert_eq!(facts, 50);
    assert!(result.dropped.iter().all(|d| d.reason == DropReason::OverRepresented));
    assert_eq!(result.dropped.len(), 100);
}

#[test]
fn does_not_balance_small_sets_or_below_an_even_split() {
    let mut pairs = pairs_of(TaskType::FactualQa, "fact", 60);
    pairs.extend(pairs_of(TaskType::DefinitionQa, "def", 10));
    let strict = DiversifyConfig { max_task_share: 0.1, ..SEMANTIC_OFF };
    assert_eq!(diversify(pairs, &strict).expect("runs").kept.len(), 70, "fewer than 100 pairs: left alone");

    let mut pairs = pairs_of(TaskType::FactualQa, "fact", 90);
    pairs.extend(pairs_of(TaskType::DefinitionQa, "def", 60));
    // A 0.1 cap over two tasks cannot be met: it is held at an even split.
    let result = diversify(pairs, &strict).expect("runs");
    let facts = result.kept.iter().filter(|p| p.task == TaskType::FactualQa).count();
    assert_eq!((facts, result.kept.len()), (60, 120));
}

#[test]
fn refuses_shares_outside_zero_to_one() {
    for share in [0.0, -0.5, 1.5, f32::NAN] {
        let config = DiversifyConfig { max_content_share: share, ..DEFAULT_CONFIG };
        assert!(diversify(Vec::new(), &config).is_err(), "{share}");
    }
}

#[test]
fn drops_pairs_that_mean_the_same_and_keeps_other_facts() {
    let pairs = vec![
        pair("a", "How long are backups kept?", "Backups are kept for thirty days before they are deleted."),
        pair("b", "For how many days are backups retained?", "Backups are retained thirty days, then deleted."),
        pair("c", "How long are audit logs kept?", "Audit logs are never deleted."),
        pair("d", "Which port does the admin API listen on?", "The admin API listens on port 8080."),
        pair("e", "On which port does the admin API listen?", "The admin API listens on port 9090."),
    ];
    let result = diversify(pairs, &DEFAULT_CONFIG).expect("dedups");
    let kept: Vec<&str> = result.kept.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(kept, ["a", "c", "d", "e"], "{:?}", result.dropped);
    assert_eq!(
        result.dropped,
        [DroppedPair { id: "b".into(), reason: DropReason::SemanticDuplicate, duplicate_of: Some("a".into()) }]
    );
    // At 1.0 only identical meanings go: the paraphrase stays.
    let strict = DiversifyConfig { semantic_threshold: 1.0, ..DEFAULT_CONFIG };
    let pairs = vec![
        pair("a", "How long are backups kept?", "Backups are kept for thirty days before they are deleted."),
        pair("b", "For how many days are backups retained?", "Backups are retained thirty days, then deleted."),
    ];
    assert_eq!(diversify(pairs, &strict).expect("runs").kept.len(), 2);
}

#[test]
fn keeps_one_of_two_paraphrases_because_balance_rescores_after_each_drop() {
    // 62 facts beside 40 definitions under a 0.6 task cap: two facts must go.
    let mut pairs = pairs_of(TaskType::FactualQa, "fact", 62);
    pairs.extend(pairs_of(TaskType::DefinitionQa, "def", 40));
    let config =
        DiversifyConfig { max_task_share: 0.6, max_content_share: 1.0, max_difficulty_share: 1.0, ..DEFAULT_CONFIG };
    // fact0 and fact1 say the same (0.95), as do fact2 and fact3 (0.8); the
    // rest have no neighbour. Scored once, both of the closest pair would go
    // and what they say would be lost; re-scored, one of each pair goes.
    let mut neighbours = vec![Vec::new(); pairs.len()];
    neighbours[0] = vec![(1, 0.95)];
    neighbours[1] = vec![(0, 0.95)];
    neighbours[2] = vec![(3, 0.8)];
    neighbours[3] = vec![(2, 0.8)];
    let (kept, dropped) = balance::balance(pairs, |member| neighbours[member].clone(), &config);
    let kept: Vec<&str> = kept.iter().map(|p| p.id.as_str()).collect();
    let kept_of = |ids: [&str; 2]| ids.iter().filter(|id| kept.contains(id)).count();
    assert_eq!((kept_of(["fact0", "fact1"]), kept_of(["fact2", "fact3"])), (1, 1), "{dropped:?}");
    assert_eq!(dropped.len(), 2);
    assert!(dropped.iter().all(|d| d.reason == DropReason::OverRepresented && d.duplicate_of.is_none()));
}

#[test]
fn finds_no_neighbours_when_nothing_is_over_its_cap() {
    let pairs = pairs_of(TaskType::FactualQa, "fact", 120);
    let config =
        DiversifyConfig { max_task_share: 1.0, max_content_share: 1.0, max_difficulty_share: 1.0, ..DEFAULT_CONFIG };
    let (kept, dropped) = balance::balance(pairs, |_| -> semantic::Neighbours { panic!("not needed") }, &config);
    assert_eq!((kept.len(), dropped.len()), (120, 0));
}

#[test]
fn lists_neighbours_closest_first_and_leaves_out_other_numbers() {
    let model = embedding::StaticModel::embedded().expect("the embedded model loads");
    let vectors: Vec<semantic::PairVectors> = [
        ("How long are backups kept?", "Backups are kept for thirty days."),
        ("For how many days are backups retained?", "Backups are retained thirty days."),
        ("How long are backup copies stored?", "Backup copies are stored for a month."),
        ("Which port does the API use?", "The API uses port 8080."),
        ("On which port does the API listen?", "The API listens on port 9090."),
    ]
    .iter()
    .map(|(question, answer)| semantic::PairVectors::of(&model, question, answer))
    .collect();
    let hyperplanes = semantic::Hyperplanes::new(model.dims());
    let mut fingerprints = semantic::Fingerprints::new(model.dims());
    let mut buckets = semantic::Buckets::default();
    let mut keys = store::Records::new(semantic::BANDS);
    for (member, vector) in vectors.iter().enumerate() {
        let member_keys = hyperplanes.keys(vector);
        fingerprints.push(vector.fingerprint());
        buckets.insert(member, &member_keys);
        // Keys for fewer members than there are fingerprints: the rest have no neighbours.
        if member < 4 {
            keys.push(&member_keys);
        }
    }
    let neighbours: Vec<semantic::Neighbours> =
        (0..vectors.len()).map(|member| semantic::neighbours(&fingerprints, &buckets, &keys, member)).collect();
    let first: Vec<u32> = neighbours[0].iter().map(|(other, _)| *other).collect();
    assert_eq!(first.first(), Some(&1), "{:?}", neighbours[0]);
    assert!(neighbours[0].windows(2).all(|w| w[0].1 >= w[1].1), "closest first: {:?}", neighbours[0]);
    assert!(neighbours[3].iter().all(|(other, _)| *other != 4), "8080 and 9090 differ: {:?}", neighbours[3]);
    assert!(neighbours[4].is_empty(), "no keys, no neighbours");
    assert!(semantic::neighbours(&fingerprints, &buckets, &keys, 99).is_empty(), "no such member");
}

#[test]
fn bounds_buckets_and_compares_the_pairs_sharing_most_bands() {
    use semantic::{Buckets, MAX_BUCKET, MAX_CANDIDATES};
    // 300 members under the same 16 keys: each bucket stops at MAX_BUCKET,
    // and a lookup compares at most MAX_CANDIDATES of them.
    let mut index = Buckets::default();
    let keys: Vec<u64> = (0..16).collect();
    for member in 0..300 {
        index.insert(member, &keys);
    }
    let found = index.candidates(&keys);
    assert_eq!(found.len(), MAX_CANDIDATES);
    assert!(found.iter().all(|member| *member < MAX_BUCKET));
    assert!(found.windows(2).all(|w| w[0] < w[1]), "insertion order");

    // One member sharing three bands outranks a hundred sharing one.
    let mut index = Buckets::default();
    for member in 0..100 {
        index.insert(member, &[1000 + member as u64, 0]);
    }
    index.insert(500, &[0, 1, 2]);
    let found = index.candidates(&[0, 1, 2]);
    assert_eq!(found.len(), MAX_CANDIDATES);
    assert_eq!(found.last(), Some(&500), "{found:?}");
}

/// A hand-labelled case: two pairs, and whether they say the same thing.
#[derive(serde::Deserialize)]
struct LabelledCase {
    id: String,
    label: String,
    kind: String,
    a: (String, String),
    b: (String, String),
}

/// Precision and recall of the semantic rule at `threshold` over
/// `tests/fixtures/semantic/labelled.jsonl`; prints the misjudged cases.
fn semantic_precision_and_recall(threshold: f32, verbose: bool) -> (f64, f64, usize) {
    let path = format!("{}/../../tests/fixtures/semantic/labelled.jsonl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("the labelled set");
    let cases: Vec<LabelledCase> =
        text.lines().map(|line| serde_json::from_str(line).expect("a labelled case")).collect();
    let model = embedding::StaticModel::embedded().expect("the embedded model loads");
    // (true positive, false positive, false negative, true negative)
    let mut counts = [0usize; 4];
    for case in &cases {
        let a = semantic::PairVectors::of(&model, &case.a.0, &case.a.1);
        let b = semantic::PairVectors::of(&model, &case.b.0, &case.b.1);
        let similarity = a.similarity(&b);
        let (duplicate, predicted) = (case.label == "duplicate", similarity >= threshold);
        counts[match (duplicate, predicted) {
            (true, true) => 0,
            (false, true) => 1,
            (true, false) => 2,
            (false, false) => 3,
        }] += 1;
        if verbose && duplicate != predicted {
            println!("  misjudged {} {} ({}): {similarity:.3}", case.id, case.label, case.kind);
        }
    }
    let precision = counts[0] as f64 / (counts[0] + counts[1]).max(1) as f64;
    let recall = counts[0] as f64 / (counts[0] + counts[2]).max(1) as f64;
    println!(
        "semantic rule at {threshold}: precision {precision:.3}, recall {recall:.3} (tp {}, fp {}, fn {}, tn {})",
        counts[0], counts[1], counts[2], counts[3]
    );
    (precision, recall, cases.len())
}

/// The rule against 30 hand-labelled pairs of pairs (paraphrases, reworded
/// answers, other templates; other subjects, other answers, other numbers,
/// neighbouring facts, a negation, a role swap), written before they were
/// first scored. The floors are what the default threshold reached then:
/// the set is small, so they guard against a regression, not a claim.
/// `cargo test --release -p brightrun-diversify semantic_rule -- --nocapture`
/// prints the figures at four thresholds and the misjudged cases.
#[test]
fn semantic_rule_precision_and_recall_on_the_labelled_set() {
    for threshold in [0.8, 0.85, 0.95] {
        semantic_precision_and_recall(threshold, false);
    }
    let (precision, recall, cases) = semantic_precision_and_recall(DEFAULT_CONFIG.semantic_threshold, true);
    assert!(cases >= 30, "the set is all there");
    assert!(precision >= 0.8 && recall >= 0.35, "precision {precision:.3}, recall {recall:.3}");
}

#[test]
fn an_answer_that_negates_is_not_a_duplicate_of_one_that_does_not() {
    let model = embedding::StaticModel::embedded().expect("the embedded model loads");
    let works = semantic::PairVectors::of(&model, "Does WAL work over NFS?", "WAL works over a network filesystem.");
    let fails =
        semantic::PairVectors::of(&model, "Does WAL work over NFS?", "WAL doesn't work over a network filesystem.");
    let never =
        semantic::PairVectors::of(&model, "Does WAL work over NFS?", "WAL never works over a network filesystem.");
    assert_eq!(works.similarity(&fails), 0.0);
    assert!(fails.similarity(&never) > 0.9, "both negate: {}", fails.similarity(&never));
}

#[test]
fn a_deduper_fed_in_batches_decides_as_one_call_does() {
    // Exact, near and semantic duplicates spread across batches, and enough
    // pairs of one task for balance to drop some.
    let mut pairs = pairs_of(TaskType::FactualQa, "fact", 90);
    // Other numbers: other facts, kept beside the facts.
    pairs.extend(pairs_of(TaskType::DefinitionQa, "def", 130).into_iter().skip(100));
    // Same numbers as fact0..fact4: the embedding sees the same meaning.
    pairs.extend(pairs_of(TaskType::DefinitionQa, "def", 5).into_iter().map(|mut p| {
        p.id = format!("alias-{}", p.id);
        p
    }));
    let copies: Vec<Pair> = pairs
        .iter()
        .step_by(7)
        .cloned()
        .map(|mut p| {
            p.id.push_str("-copy");
            p
        })
        .collect();
    pairs.extend(copies);
    let config =
        DiversifyConfig { max_task_share: 0.6, max_content_share: 1.0, max_difficulty_share: 1.0, ..DEFAULT_CONFIG };
    let whole = diversify(pairs.clone(), &config).expect("dedups");
    for reason in [DropReason::ExactDuplicate, DropReason::SemanticDuplicate, DropReason::OverRepresented] {
        assert!(whole.dropped.iter().any(|d| d.reason == reason), "{reason:?}: {:?}", whole.dropped);
    }
    for size in [1, 16, 50] {
        let mut deduper = Deduper::new(&config).expect("valid config");
        let mut dropped = Vec::new();
        for batch in pairs.chunks(size) {
            dropped.extend(deduper.add(batch).expect("adds").into_iter().flatten());
        }
        dropped.extend(deduper.finish());
        assert_eq!(
            deduper.finish().len(),
            whole.dropped.iter().filter(|d| d.reason == DropReason::OverRepresented).count()
        );
        let mut expected = whole.dropped.clone();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        dropped.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(dropped, expected, "batches of {size}");
    }
}

#[test]
fn drops_a_repeated_question_about_the_same_subject_whatever_its_answer() {
    let with_evidence = |id: &str, question: &str, answer: &str| {
        let mut pair = pair(id, question, answer);
        pair.evidence = vec![brightrun_types::Evidence {
            turn: 1,
            document: "wal.md".into(),
            span: brightrun_types::Span { start: 0, end: answer.len() as u32 },
            text: answer.to_string(),
        }];
        pair
    };
    let pairs = vec![
        with_evidence(
            "a",
            "What does \"checkpoint\" mean?",
            "A checkpoint copies pages from the WAL back into the database.",
        ),
        // The same template about the same subject, from another sentence.
        with_evidence(
            "b",
            "What does \"checkpoint\" mean?",
            "A checkpoint runs on its own once the WAL holds 1000 pages.",
        ),
        // The same template about another subject.
        with_evidence("c", "What does \"WAL\" mean?", "The WAL is a write-ahead log kept beside the database file."),
    ];
    let result = diversify(pairs.clone(), &DEFAULT_CONFIG).expect("dedups");
    let kept: Vec<&str> = result.kept.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(kept, ["a", "c"]);
    assert_eq!(
        result.dropped,
        [DroppedPair { id: "b".into(), reason: DropReason::RepeatedQuestion, duplicate_of: Some("a".into()) }]
    );
    // Another task asking it is another question.
    let mut other_task = pairs[1].clone();
    other_task.task = TaskType::FactualQa;
    let result = diversify(vec![pairs[0].clone(), other_task], &DEFAULT_CONFIG).expect("dedups");
    assert_eq!(result.kept.len(), 2, "{:?}", result.dropped);
}

#[test]
fn normalises_as_lowercasing_each_word_would() {
    let text = "Retry the JOB, then ΟΔΟΣ and Straße: İstanbul\t42x  done.";
    let expected: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    assert_eq!(normalise(text), expected.join(" "));
}

#[test]
fn shingles_a_text_the_same_however_its_words_are_spaced() {
    let single = signature_of("one two three four five six", 3, 32);
    assert_eq!(signature_of("one  two three   four five six ", 3, 32), single);
    assert_ne!(signature_of("one two three four five seven", 3, 32), single);
}

#[test]
fn questions_naming_different_code_are_not_the_same_question() {
    // The static embedding cannot see identifiers: without the code check
    // these two would embed alike and the second would go.
    let pairs = vec![
        pair(
            "get",
            "What is `HttpRequest.GET` for?",
            "A dictionary-like object containing all given HTTP GET parameters.",
        ),
        pair(
            "post",
            "What is `HttpRequest.POST` for?",
            "A dictionary-like object containing all given HTTP POST parameters.",
        ),
        pair(
            "again",
            "What is `HttpRequest.GET` for?",
            "A dictionary-like object that holds all given HTTP GET parameters.",
        ),
    ];
    let result = diversify(pairs, &DEFAULT_CONFIG).expect("dedups");
    let kept: Vec<&str> = result.kept.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(kept, ["get", "post"], "{:?}", result.dropped);
}
