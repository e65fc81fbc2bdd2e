use super::*;
use brightrun_types::{Block, BlockKind, Difficulty};

fn chunk(section: &[&str], blocks: &[(BlockKind, Option<u32>, &str)]) -> Chunk {
    const BASE: usize = 40;
    let mut text = String::new();
    let mut out = Vec::new();
    for (kind, ordinal, content) in blocks {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let start = BASE + text.len();
        text.push_str(content);
        let level = if matches!(kind, BlockKind::Heading | BlockKind::ListItem) { 1 } else { 0 };
        out.push(Block {
            kind: *kind,
            level,
            ordinal: *ordinal,
            span: Span::new(start, BASE + text.len()),
            language: None,
            page: None,
        });
    }
    Chunk {
        document: "guide.md".to_string(),
        index: 3,
        section_path: section.iter().map(|s| s.to_string()).collect(),
        subject: None,
        span: Span::new(BASE, BASE + text.len()),
        body_start: BASE as u32,
        token_count: 0,
        text,
        blocks: out,
    }
}

fn config() -> GenerateConfig {
    GenerateConfig { seed: 7, max_pairs_per_chunk: 8, tasks: Vec::new(), llm: None }
}

fn sample() -> Chunk {
    chunk(
        &["Storage", "Journaling"],
        &[
            (
                BlockKind::Paragraph,
                None,
                "A rollback journal is a file that holds the original content of changed pages. The journal must be written first because a crash must not corrupt the database file. The journal is deleted when the transaction commits. Readers never see a half-written page.",
            ),
            (BlockKind::Paragraph, None, "To recover after a crash:"),
            (BlockKind::ListItem, Some(1), "Open the database."),
            (BlockKind::ListItem, Some(2), "Let SQLite find the hot journal."),
            (BlockKind::ListItem, Some(3), "Wait for the rollback to finish."),
        ],
    )
}

#[test]
fn every_pair_cites_evidence_that_is_the_source_text_and_passes_review() {
    for c in [sample(), reference_sample()] {
        let analysis = brightrun_analyze::analyze(&c).expect("analyses");
        let pairs = generate(&c, &analysis, &config()).expect("generates");
        assert!(!pairs.is_empty());
        for pair in &pairs {
            assert_grounded(&c, pair);
            let mut question = "";
            for turn in &pair.turns {
                if turn.role == Role::User {
                    question = &turn.content;
                } else {
                    assert!(brightrun_types::prose::review_exchange(question, &turn.content), "{pair:?}");
                }
            }
        }
    }
}

/// The rules every pair keeps: user and assistant alternate from the user,
/// an even number of turns, every assistant turn cites evidence that is
/// the source text at its span, and the answer repeats it.
fn assert_grounded(c: &Chunk, pair: &Pair) {
    assert!(pair.turns.len() >= 2 && pair.turns.len().is_multiple_of(2), "{pair:?}");
    for (index, turn) in pair.turns.iter().enumerate() {
        let expected = if index % 2 == 0 { Role::User } else { Role::Assistant };
        assert_eq!(turn.role, expected, "{pair:?}");
        if turn.role == Role::Assistant {
            assert!(pair.evidence.iter().any(|e| e.turn as usize == index), "turn {index} cites nothing: {pair:?}");
        }
    }
    for evidence in &pair.evidence {
        assert_eq!(c.text_at(evidence.span), Some(evidence.text.as_str()), "{}", pair.id);
        let turn = &pair.turns[evidence.turn as usize];
        assert_eq!(turn.role, Role::Assistant, "{pair:?}");
        assert!(turn.content.contains(evidence.text.trim()), "{pair:?}");
    }
    assert_eq!(pair.chunk_index, c.index);
}

/// A reference page: an object signature as a heading, a task heading, a
/// purpose sentence introducing code, and an option list entry.
fn reference_sample() -> Chunk {
    chunk(
        &["Paths"],
        &[
            (BlockKind::Heading, None, "os.path.join(path, *paths)"),
            (
                BlockKind::Paragraph,
                None,
                "Join one or more path segments intelligently. The return value is the concatenation of path and all members of paths.",
            ),
            (BlockKind::Heading, None, "Creating virtual environments"),
            (
                BlockKind::Paragraph,
                None,
                "The venv module creates virtual environments in their own site directories. You can create one with a single command.",
            ),
            (BlockKind::Paragraph, None, "To create a virtual environment in the folder env, run:"),
            (BlockKind::Code, None, "python3 -m venv env"),
            (
                BlockKind::ListItem,
                None,
                "--clear: Delete the contents of the environment directory before creating it again.",
            ),
        ],
    )
}

#[test]
fn questions_name_the_subject_their_answer_is_about() {
    let c = reference_sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    let asked: Vec<(&str, &str)> = pairs
        .iter()
        .flat_map(|p| p.turns.chunks(2))
        .map(|exchange| (exchange[0].content.as_str(), exchange[1].content.as_str()))
        .collect();
    let find = |needle: &str| asked.iter().find(|(q, _)| q.contains(needle)).copied();
    let (_, join) = find("`os.path.join()`").unwrap_or_else(|| panic!("the object is named: {asked:?}"));
    assert!(join.starts_with("Join one or more path segments"), "{join}");
    let (question, _) = find("create virtual environments").unwrap_or_else(|| panic!("the task heading: {asked:?}"));
    assert!(question.starts_with("How "), "{question}");
    let (_, code) = find("create a virtual environment in the folder env").expect("the purpose sentence");
    assert!(code.ends_with("```\npython3 -m venv env\n```"), "the code it introduces: {code}");
    let (_, clear) = find("`--clear`").unwrap_or_else(|| panic!("the option entry: {asked:?}"));
    assert!(clear.starts_with("Delete the contents"), "{clear}");
}

#[test]
fn no_template_drops_a_keyword_into_a_generic_frame() {
    for c in [sample(), reference_sample()] {
        let analysis = brightrun_analyze::analyze(&c).expect("analyses");
        for pair in generate(&c, &analysis, &config()).expect("generates") {
            let question = pair.turns[0].content.to_lowercase();
            for frame in
                ["what is true of", "one fact about", "say about", "condition attached", "in which circumstances"]
            {
                assert!(!question.contains(frame), "{question}");
            }
        }
    }
}

#[test]
fn a_why_question_inverts_a_named_subject_and_its_auxiliary() {
    let c = sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let config = GenerateConfig { tasks: vec![TaskType::ReasoningWhy], ..config() };
    let pairs = generate(&c, &analysis, &config).expect("generates");
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert_eq!(pairs[0].turns[0].content, "Why must the journal be written first?");
}

#[test]
fn a_conversation_is_made_of_pairs_that_pass_alone_and_are_not_exported_twice() {
    let c = reference_sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    let conversation = pairs.iter().find(|p| p.task == TaskType::MultiTurn).expect("a conversation");
    assert!(conversation.turns.len() >= 4);
    let singles_config = GenerateConfig {
        tasks: TaskType::ALL.iter().copied().filter(|t| *t != TaskType::MultiTurn).collect(),
        ..config()
    };
    let singles = generate(&c, &analysis, &singles_config).expect("generates");
    for exchange in conversation.turns.chunks(2) {
        let passes_alone = singles
            .iter()
            .any(|p| p.turns[0].content == exchange[0].content && p.turns[1].content == exchange[1].content);
        assert!(passes_alone, "each exchange is a pair that passes on its own: {exchange:?}");
        let exported_alone =
            pairs.iter().filter(|p| p.task != TaskType::MultiTurn).any(|p| p.turns[0].content == exchange[0].content);
        assert!(!exported_alone, "an exchange of a conversation is not exported alone too: {exchange:?}");
    }
}

#[test]
fn answers_a_procedure_with_numbered_steps() {
    let c = sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let config = GenerateConfig { tasks: vec![TaskType::ProcedureInstruction], ..config() };
    let pairs = generate(&c, &analysis, &config).expect("generates");
    assert_eq!(pairs.len(), 1);
    assert!(pairs[0].turns[0].content.contains("recover after a crash"), "{}", pairs[0].turns[0].content);
    assert_eq!(
        pairs[0].turns[1].content,
        "1. Open the database.\n2. Let SQLite find the hot journal.\n3. Wait for the rollback to finish."
    );
    assert_eq!(pairs[0].evidence.len(), 3);
}

#[test]
fn is_deterministic_for_a_seed() {
    let c = reference_sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let first = generate(&c, &analysis, &config()).expect("generates");
    let second = generate(&c, &analysis, &config()).expect("generates");
    assert_eq!(first, second);
}

#[test]
fn skips_the_overlap_it_repeats_from_the_previous_chunk() {
    let mut c = reference_sample();
    c.body_start = c.blocks[2].span.start;
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    for pair in &pairs {
        for evidence in &pair.evidence {
            assert!(evidence.span.start >= c.body_start, "{pair:?}");
        }
    }
    assert!(!pairs.is_empty());
}

#[test]
fn caps_pairs_per_chunk_and_rejects_a_zero_cap() {
    let c = reference_sample();
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let capped = generate(&c, &analysis, &GenerateConfig { max_pairs_per_chunk: 2, ..config() }).expect("generates");
    assert_eq!(capped.len(), 2);
    let error = generate(&c, &analysis, &GenerateConfig { max_pairs_per_chunk: 0, ..config() }).expect_err("zero");
    assert_eq!(
        error.to_string(),
        "guide.md: invalid config: max-pairs-per-chunk 0 for chunk 3 with the analysis of chunk 3"
    );
}

#[test]
fn copies_difficulty_and_content_type_from_the_analysis() {
    let c = reference_sample();
    let mut analysis = brightrun_analyze::analyze(&c).expect("analyses");
    analysis.difficulty = Difficulty::Hard;
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    assert!(!pairs.is_empty());
    assert!(pairs.iter().all(|p| p.difficulty == Difficulty::Hard && p.content_type == analysis.content_type));
}

#[test]
fn a_short_page_gives_a_definition_a_why_and_its_procedure() {
    let c = chunk(
        &["Cache"],
        &[
            (BlockKind::Heading, None, "Cache"),
            (
                BlockKind::Paragraph,
                None,
                "A page cache is a region of memory that holds recently used pages. The page cache must stay small because the database shares its memory.",
            ),
            (BlockKind::Paragraph, None, "To clear the cache:"),
            (BlockKind::ListItem, Some(1), "Stop the service."),
            (BlockKind::ListItem, Some(2), "Delete the cache folder."),
            (BlockKind::ListItem, Some(3), "Start the service."),
        ],
    );
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    let questions: Vec<&str> =
        pairs.iter().flat_map(|p| p.turns.iter().step_by(2)).map(|turn| turn.content.as_str()).collect();
    for expected in ["a page cache", "Why must the page cache stay small?", "clear the cache"] {
        assert!(questions.iter().any(|q| q.contains(expected)), "{expected} missing from {questions:?}");
    }
    assert!(pairs.len() >= 2, "{pairs:?}");
}

#[test]
fn an_argument_list_after_a_signature_line_names_its_function() {
    let c = chunk(
        &["Using the authentication system"],
        &[
            (BlockKind::Heading, None, "Helper functions"),
            (BlockKind::Paragraph, None, "logout_then_login(request, login_url=None)"),
            (BlockKind::Paragraph, None, "Logs a user out, then redirects to the login page."),
            (
                BlockKind::ListItem,
                None,
                "login_url: The URL of the page that asks for a password again. Defaults to the login setting if not supplied.",
            ),
        ],
    );
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let questions: Vec<String> = generate(&c, &analysis, &config())
        .expect("generates")
        .into_iter()
        .map(|p| p.turns[0].content.clone())
        .collect();
    assert!(questions.iter().any(|q| q.contains("`login_url` argument of `logout_then_login()`")), "{questions:?}");
}

#[test]
fn a_how_to_answer_that_only_states_a_requirement_is_not_kept() {
    assert!(crate::only_requires("To build Git from source, you need to have a handful of dependencies installed."));
    assert!(crate::only_requires("To inherit Meta options, you must explicitly declare the Meta inheritance."));
    assert!(!crate::only_requires("To log out a user, use django.contrib.auth.logout() within your view."));
    assert!(!crate::only_requires("To run the tests, you need to call `manage.py test`."));
}

#[test]
fn a_product_defined_in_another_products_documents_is_asked_what_it_is() {
    let mut c = chunk(
        &["Glossary"],
        &[(
            BlockKind::Paragraph,
            None,
            "docutils is a text processing system for converting plain text documentation into other, richer formats.",
        )],
    );
    c.subject = Some("Sphinx".to_string());
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let config = GenerateConfig { tasks: vec![TaskType::DefinitionQa], ..config() };
    let questions: Vec<String> =
        generate(&c, &analysis, &config).expect("generates").iter().map(|p| p.turns[0].content.clone()).collect();
    assert_eq!(questions, ["What is docutils?"]);
}

#[test]
fn a_description_about_the_product_or_two_questions_in_a_heading_make_no_pair() {
    let mut c = chunk(
        &["Request and response objects"],
        &[
            (BlockKind::Heading, None, "HttpResponse subclasses"),
            (BlockKind::Heading, None, "class HttpResponse"),
            (
                BlockKind::Paragraph,
                None,
                "Django includes a number of `HttpResponse` subclasses that handle different types of HTTP responses.",
            ),
            (BlockKind::Heading, None, "How can I indicate the document title? Subtitle?"),
            (
                BlockKind::Paragraph,
                None,
                "A uniquely-adorned section title at the beginning of a document is treated specially, as the document title.",
            ),
        ],
    );
    c.subject = Some("Django".to_string());
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    for pair in &pairs {
        let question = &pair.turns[0].content;
        assert!(!question.contains("`HttpResponse`") && !question.contains("Subtitle"), "{question}");
    }
}

#[test]
fn an_attribute_list_whose_class_is_not_in_the_chunk_is_not_asked_about() {
    let c = chunk(
        &["All authentication views"],
        &[
            (BlockKind::Paragraph, None, "**Attributes:**"),
            (
                BlockKind::ListItem,
                None,
                "`token_generator`: Instance of the class to check the one time link. This will default to `default_token_generator`.",
            ),
        ],
    );
    let analysis = brightrun_analyze::analyze(&c).expect("analyses");
    let pairs = generate(&c, &analysis, &config()).expect("generates");
    assert!(pairs.iter().all(|p| !p.turns[0].content.contains("token_generator")), "{pairs:?}");
}
