use super::*;

#[test]
fn openings_that_refer_back_are_unresolved() {
    for text in [
        "This function returns a list.",
        "It inherits the managers from its model parents.",
        "For example, the file sketch/spam.rst could refer to the image.",
        "However, the server must be restarted.",
        "The following options are available.",
        "\"These\" are the rules.",
    ] {
        assert!(starts_unresolved(text), "{text}");
    }
    for text in [
        "Django's login form is returned using the POST method.",
        "A proxy model must inherit from exactly one non-abstract model class.",
        "There are two kinds of indexes in PostgreSQL.",
        "`os.path.join()` joins path segments.",
    ] {
        assert!(!starts_unresolved(text), "{text}");
    }
}

#[test]
fn pointers_to_unseen_parts_are_found() {
    for text in [
        "See Unpacking Argument Lists for details on the asterisk in this line.",
        "The functions are listed in Table 9.50.",
        "as in the example below.",
        "the default value is inline [4, p. 12].",
        "as described in the previous section.",
    ] {
        assert!(points_elsewhere(text), "{text}");
    }
    for text in ["WAL reduces the number of disk writes.", "Run `git log --see` to list commits."] {
        assert!(!points_elsewhere(text), "{text}");
    }
}

#[test]
fn clipped_and_open_endings_are_mid_clause() {
    for text in [
        "evaluated at the point of function definition in the defining scope, so that",
        "The options are:",
        "It is set to (the default",
        "The value of the",
        "justifying switches back to justified text after ragged text has been",
    ] {
        assert!(ends_mid_clause(text), "{text}");
    }
    for text in ["A proxy model must inherit from exactly one model.", "Run this:\n\n```\nls\n```", "Is it (really)?"] {
        assert!(!ends_mid_clause(text), "{text}");
    }
}

#[test]
fn changelog_notes_are_recognised() {
    for text in [
        "Changed in version 3.2: The option can now take arguments.",
        "New in version 1.8.",
        "Deprecated since version 5.0: use X.",
        "New in Django 4.1.",
    ] {
        assert!(is_changelog_note(text), "{text}");
    }
    assert!(!is_changelog_note("New indexes are built in the background."));
    assert!(!is_changelog_note("Changed files are listed by git status."));
}

#[test]
fn markup_of_every_format_is_residue_and_code_is_not() {
    for text in [
        "Use :func:`os.path.join` to join paths.",
        "See the `feature request tracker`_ page.",
        "A footnote [#]_ here.",
        ".. audit-event:: os.startfile/2 path,operation",
        "Optimization¶",
        "\\getrefnumber 261 \\rc@newcommand*",
        "\\setlength{\\parindent}{0pt} is set.",
        "Run linkgit:git-log[1] to see them.",
        "Use the {litdd}all flag.",
        "The |version| of the project.",
        "Write this::",
        "Heading\n=======",
    ] {
        assert!(has_markup_residue(text), "{text}");
    }
    for text in [
        "Use `:func:` roles in your sources.",
        "The \\RaggedRight command sets text ragged-right.",
        "Pipe a | b into c.",
        "```\n.. code-block:: python\n```",
        "A dict {'a': 1} maps keys.",
    ] {
        assert!(!has_markup_residue(text), "{text}");
    }
}

#[test]
fn an_answer_that_restates_its_question_is_found() {
    assert!(repeats_question(
        "Under what condition can an optional file docutils.conf be added to the configuration directory?",
        "An optional file docutils.conf can be added to the configuration directory."
    ));
    assert!(!repeats_question(
        "Why must the server be restarted?",
        "The server must be restarted because the configuration is read only at start-up."
    ));
}

#[test]
fn inline_code_left_open_is_an_incomplete_answer() {
    assert_eq!(
        review_answer(
            "What does `text_secnumber_suffix` do?",
            "Suffix for section numbers in text output. Default: `\"."
        ),
        Some(DropReason::IncompleteAnswer)
    );
    assert_eq!(review_answer("What is `x` for?", "The suffix written after `x` in every section number."), None);
}

#[test]
fn an_answer_that_starts_mid_sentence_is_incomplete() {
    for text in [
        "possible, yet not too much, because short lines should be considered bad.",
        "and flushright) to typeset ragged text.",
    ] {
        assert!(starts_mid_sentence(text), "{text}");
    }
    for text in [
        "docutils is a text processing system for converting plain text documentation.",
        "request is an optional HttpRequest which is passed on.",
        "The `\\floatstyle` command sets a default float style.",
        "`pg_dump` writes a script.",
    ] {
        assert!(!starts_mid_sentence(text), "{text}");
    }
}
