use brightrun_types::{BlockKind, Document, IngestConfig, SourceFormat};

use super::*;

/// The blocks `parse` makes of `text`: kind, level, ordinal, text.
fn blocks(text: &str) -> Vec<(BlockKind, u8, Option<u32>, String)> {
    let builder = parse(text);
    builder
        .blocks
        .iter()
        .map(|block| {
            (
                block.kind,
                block.level,
                block.ordinal,
                block.span.slice(&builder.text).unwrap_or("<bad span>").to_string(),
            )
        })
        .collect()
}

fn texts(text: &str) -> Vec<String> {
    blocks(text).into_iter().map(|(_, _, _, text)| text).collect()
}

fn one(text: &str) -> String {
    let all = texts(text);
    assert_eq!(all.len(), 1, "one block from {text:?}: {all:?}");
    all.into_iter().next().unwrap_or_default()
}

use BlockKind::{Code, Heading, ListItem, Paragraph, Quote, TableRow};

#[test]
fn one_line_and_underlined_titles_are_headings_of_their_level() {
    let source =
        "= Guide\n\n== Install ==\n\n=== Files\n\nBuild\n-----\n\nRun it\n~~~~~~\n\nDeep\n^^^^\n\nDeeper\n++++++\n";
    assert_eq!(
        blocks(source),
        vec![
            (Heading, 1, None, "Guide".to_string()),
            (Heading, 2, None, "Install".to_string()),
            (Heading, 3, None, "Files".to_string()),
            (Heading, 2, None, "Build".to_string()),
            (Heading, 3, None, "Run it".to_string()),
            (Heading, 4, None, "Deep".to_string()),
            (Heading, 5, None, "Deeper".to_string()),
        ]
    );
}

#[test]
fn a_man_page_title_is_the_document_title_and_its_sections_are_level_two() {
    let source = "git-stash(1)\n============\n\nNAME\n----\ngit-stash - Stash the changes\n\nSYNOPSIS\n--------\n\
                  [verse]\n'git stash' list [<log-options>]\n'git stash' show [-u|--include-untracked]\n";
    assert_eq!(
        blocks(source),
        vec![
            (Heading, 1, None, "git-stash(1)".to_string()),
            (Heading, 2, None, "NAME".to_string()),
            (Paragraph, 0, None, "git-stash - Stash the changes".to_string()),
            (Heading, 2, None, "SYNOPSIS".to_string()),
            (Code, 0, None, "git stash list [<log-options>]\ngit stash show [-u|--include-untracked]".to_string()),
        ]
    );
}

#[test]
fn an_underline_of_a_different_length_is_a_listing_delimiter() {
    let source = "It is a rough equivalent for:\n------\n\t$ git reset --soft HEAD^\n------\nbut not quite.\n";
    assert_eq!(
        blocks(source),
        vec![
            (Paragraph, 0, None, "It is a rough equivalent for:".to_string()),
            (Code, 0, None, "\t$ git reset --soft HEAD^".to_string()),
            (Paragraph, 0, None, "but not quite.".to_string()),
        ]
    );
}

#[test]
fn listing_and_literal_blocks_are_verbatim_code_with_the_source_language() {
    let source = "[source,c]\n----\nint main(void) { return *p; } // 'x' {litdd}\n----\n\n....\n  linkgit:kept[1]\n....\n\n\
                  ```sh\necho hi\n```\n";
    let builder = parse(source);
    let languages: Vec<Option<&str>> = builder.blocks.iter().map(|block| block.language.as_deref()).collect();
    assert_eq!(
        blocks(source),
        vec![
            (Code, 0, None, "int main(void) { return *p; } // 'x' {litdd}".to_string()),
            (Code, 0, None, "  linkgit:kept[1]".to_string()),
            (Code, 0, None, "echo hi".to_string()),
        ]
    );
    assert_eq!(languages, vec![Some("c"), None, Some("sh")]);
}

#[test]
fn a_verse_synopsis_is_code_and_another_verse_is_a_quote() {
    let synopsis = "[verse]\n'git commit' [-a | --interactive] [--[no-]status]\n\t   [--] [<pathspec>...]\n";
    assert_eq!(
        blocks(synopsis),
        vec![(Code, 0, None, "git commit [-a | --interactive] [--[no-]status]\n\t   [--] [<pathspec>...]".to_string())]
    );
    let poem = "== Poem\n\n[verse, Carl Sandburg]\n____\nThe fog comes\non little cat feet.\n____\n";
    assert_eq!(blocks(poem).last().cloned(), Some((Quote, 0, None, "The fog comes on little cat feet.".to_string())));
    let quote = "[quote]\nTo be or not to be.\n\n____\nA quoted *block*.\n____\n";
    assert_eq!(
        blocks(quote),
        vec![(Quote, 0, None, "To be or not to be.".to_string()), (Quote, 0, None, "A quoted block.".to_string())]
    );
}

#[test]
fn example_sidebar_and_open_blocks_decode_their_contents_as_blocks() {
    let source = ".Merge upwards\n[caption=\"Rule: \"]\n=====================================\nAlways commit your fixes to the \
                  oldest branch.\n=====================================\n\n****\nA sidebar.\n\n* with a list\n****\n\n\
                  [NOTE]\n====\nNoted.\n====\n\n--\nOpen.\n--\n";
    assert_eq!(
        blocks(source),
        vec![
            (Heading, 1, None, "Merge upwards".to_string()),
            (Paragraph, 0, None, "Always commit your fixes to the oldest branch.".to_string()),
            (Paragraph, 0, None, "A sidebar.".to_string()),
            (ListItem, 1, None, "with a list".to_string()),
            (Paragraph, 0, None, "Noted.".to_string()),
            (Paragraph, 0, None, "Open.".to_string()),
        ]
    );
}

#[test]
fn passthrough_comments_and_attribute_lines_are_dropped() {
    let source = ":git-commit: 1\n:toc:\n\n// a comment line\n////\nA comment block.\n////\n\n++++\n<p>raw</p>\n++++\n\n\
                  [[anchor]]\n[[[ref]]]\n[caption=\"Rule: \"]\nKept text.\n// another\nmore.\n\n'''\n\nimage::diagram.png[A diagram]\n";
    assert_eq!(blocks(source), vec![(Paragraph, 0, None, "Kept text. more.".to_string())]);
}

#[test]
fn an_indented_paragraph_is_literal_code_without_its_common_indent() {
    let source = "Variables:\n\n\tGIT_AUTHOR_NAME\n\tGIT_AUTHOR_EMAIL\n\t  (indented more)\n";
    assert_eq!(
        blocks(source),
        vec![
            (Paragraph, 0, None, "Variables:".to_string()),
            (Code, 0, None, "GIT_AUTHOR_NAME\nGIT_AUTHOR_EMAIL\n  (indented more)".to_string()),
        ]
    );
}

#[test]
fn bullets_and_numbered_lists_are_items_with_levels_and_ordinals() {
    let source =
        "* one\ncontinued\n** nested\n- dash\n\n. first\n. second\n.. inner\n\n3. three\n4. four\n\n<1> callout\n";
    assert_eq!(
        blocks(source),
        vec![
            (ListItem, 1, None, "one continued".to_string()),
            (ListItem, 2, None, "nested".to_string()),
            (ListItem, 1, None, "dash".to_string()),
            (ListItem, 1, Some(1), "first".to_string()),
            (ListItem, 1, Some(2), "second".to_string()),
            (ListItem, 2, Some(1), "inner".to_string()),
            (ListItem, 1, Some(3), "three".to_string()),
            (ListItem, 1, Some(4), "four".to_string()),
            (ListItem, 1, Some(1), "callout".to_string()),
        ]
    );
}

#[test]
fn labelled_list_entries_join_their_terms_and_keep_the_first_paragraph() {
    let source = "OPTIONS\n-------\n--keep-index::\n--no-keep-index::\n\tAll changes already added to the index\n\tare left intact.\n\
                  +\nA second paragraph.\n+\n----\n$ git stash push --keep-index\n----\n\n\\--::\n\tEnd of options.\n\n\
                  add <path>::\n\nCreate a worktree.\n\nterm;; inline definition\nsub-term::: deeper\n";
    assert_eq!(
        blocks(source),
        vec![
            (Heading, 2, None, "OPTIONS".to_string()),
            (
                ListItem,
                1,
                None,
                "--keep-index, --no-keep-index: All changes already added to the index are left intact.".to_string()
            ),
            (Paragraph, 0, None, "A second paragraph.".to_string()),
            (Code, 0, None, "$ git stash push --keep-index".to_string()),
            (ListItem, 1, None, "--: End of options.".to_string()),
            (ListItem, 1, None, "add <path>: Create a worktree.".to_string()),
            (ListItem, 2, None, "term: inline definition".to_string()),
            (ListItem, 2, None, "sub-term: deeper".to_string()),
        ]
    );
}

#[test]
fn lists_inside_a_block_attached_to_an_item_nest_below_it() {
    let source = "--cleanup=<mode>::\n\tHow to clean up.\n+\n--\nstrip::\n\tStrip lines.\nverbatim::\n\tKeep them.\n--\n+\nAfter.\n";
    assert_eq!(
        blocks(source),
        vec![
            (ListItem, 1, None, "--cleanup=<mode>: How to clean up.".to_string()),
            (ListItem, 2, None, "strip: Strip lines.".to_string()),
            (ListItem, 2, None, "verbatim: Keep them.".to_string()),
            (Paragraph, 0, None, "After.".to_string()),
        ]
    );
}

#[test]
fn macros_and_cross_references_become_their_text() {
    let cases = [
        ("See linkgit:git-commit[1] and linkgit:git-web{litdd}browse[1].", "See git-commit(1) and git-web--browse(1)."),
        (
            "Read link:user-manual.html[The Git User's Manual] or https://git-scm.com[the site].",
            "Read The Git User's Manual or the site.",
        ),
        ("Bare https://example.com/a_b_c_, kept.", "Bare https://example.com/a_b_c_, kept."),
        (
            "See <<cover-letter,\"The cover letter\">> and <<ATTRIBUTES>> and <<def_object_name>>.",
            "See The cover letter and ATTRIBUTES and def object name.",
        ),
        ("Mail the maintainerfootnote:[gitster@pobox.com] today.", "Mail the maintainer today."),
        ("A pass:[<u>raw</u>] word, +++[[dco]]+++ header.", "A <u>raw</u> word, dco header."),
        ("[[def_index]]index:: the staging area", "index: the staging area"),
        ("Press kbd:[Ctrl+C] then image:icon.png[an icon].", "Press Ctrl+C then an icon."),
        ("Conflict markers <<<<<<< and >>>>>>> stay.", "Conflict markers <<<<<<< and >>>>>>> stay."),
    ];
    for (source, expected) in cases {
        assert_eq!(one(source), expected, "{source}");
    }
}

#[test]
fn attribute_references_use_the_document_then_git_then_drop_the_braces() {
    let source = ":project: Git\n:patch-series: https://lore.kernel.org/x\n\n\
                  {project} uses {litdd}all, {plus}1, HEAD{caret}, {startsb}x{endsb}, {tilde}, a{empty}b, {unknown-ref}, \
                  {patch-series}[an example], HEAD@{upstream}, `@{u}`, ${VAR}, \\{litdd}.";
    assert_eq!(
        one(source),
        "Git uses --all, +1, HEAD^, [x], ~, ab, unknown-ref, an example, HEAD@{upstream}, `@{u}`, ${VAR}, {litdd}."
    );
}

#[test]
fn emphasis_marks_go_and_code_keeps_its_backticks() {
    let cases = [
        (
            "Use 'git add' to *stage* _changes_ with +--patch+ and `git commit -a`.",
            "Use git add to stage changes with `--patch` and `git commit -a`.",
        ),
        ("It's the user's **strong** choice; don't.", "It's the user's strong choice; don't."),
        (
            "See the ``Interactive Mode'' section and ``Algorithm`` below.",
            "See the \"Interactive Mode\" section and `Algorithm` below.",
        ),
        ("Globs like a/**/b and *.c stay; `*_x_*` too.", "Globs like a/**/b and *.c stay; `*_x_*` too."),
        ("Escaped \\*not bold* and \\--option.", "Escaped *not bold* and --option."),
        ("GIT_DIR and snake_case_name stay.", "GIT_DIR and snake_case_name stay."),
        ("A hard +\nline break.", "A hard line break."),
    ];
    for (source, expected) in cases {
        assert_eq!(one(source), expected, "{source}");
    }
}

#[test]
fn admonition_labels_are_not_text() {
    assert_eq!(one("NOTE: Mind the gap."), "Mind the gap.");
    assert_eq!(one("[WARNING]\nCareful now."), "Careful now.");
}

#[test]
fn preprocessor_conditionals_follow_the_attributes_the_document_defines() {
    let source = ":git-pull: 1\n\nifdef::git-pull[]\nFor pull.\nendif::git-pull[]\nifndef::git-pull[]\nNot for pull.\n\
                  endif::git-pull[]\nifdef::git-log[]\nFor log.\nendif::git-log[]\n\nifdef::git-pull[One line.]\n\n\
                  include::fetch-options.txt[]\n";
    assert_eq!(texts(source), vec!["For pull.".to_string(), "One line.".to_string()]);
}

#[test]
fn tables_become_rows_of_cells_joined_by_bars() {
    let source =
        "[cols=\"1,2\"]\n|===\n|Name |Meaning\n\n|`-a`\n|all files\n|pipe\n|a \\| b\n|===\n\n|===\n|x |y |z\n|===\n";
    assert_eq!(
        blocks(source),
        vec![
            (TableRow, 1, None, "Name | Meaning".to_string()),
            (TableRow, 1, None, "`-a` | all files".to_string()),
            (TableRow, 1, None, "pipe | a \\| b".to_string()),
            (TableRow, 2, None, "x | y | z".to_string()),
        ]
    );
}

#[test]
fn detects_asciidoc_by_its_tell_tales_and_not_markdown_or_prose() {
    let asciidoc = [
        "git-add(1)\n==========\n\nNAME\n----\ngit-add - Add file contents\n\nSee linkgit:git-commit[1].\n",
        "== Intro\n\n[source,c]\n----\nint x;\n----\n",
        "-a::\n--all::\n\tAll.\n\n-q::\n\tQuiet.\n\n:attr: value\n",
        "ifdef::git-pull[]\nText.\nendif::git-pull[]\n\n[verse]\n'git pull'\n",
    ];
    for text in asciidoc {
        assert!(looks_like(text), "{text:?} reads as AsciiDoc");
    }
    let not_asciidoc = [
        "# Title\n\nSome *Markdown* with [a link](http://x).\n\n```\ncode\n```\n",
        "Operations Handbook\n===================\n\nThe on-call engineer answers pages.\n",
        "A paragraph of prose.\n\nAnother one, mentioning linkgit:git-foo[1] once.\n",
        "Title\n-----\n\n* a list\n* of things\n\n---\n\nMore.\n",
    ];
    for text in not_asciidoc {
        assert!(!looks_like(text), "{text:?} does not read as AsciiDoc");
    }
}

// ---- Real documents: Git's own documentation (tests/fixtures/asciidoc/SOURCES.md) ----

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/asciidoc/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

const FIXTURES: [&str; 3] = ["git-commit.txt", "git-worktree.txt", "gittutorial.txt"];

/// Decodes a fixture by its `.txt` name, so detection by content is tested too.
fn decode(name: &str) -> Document {
    let ingested = crate::ingest(name, None, &fixture(name), &IngestConfig::default()).expect("fixture decodes");
    ingested.documents.into_iter().next().expect("one document")
}

fn block_texts(doc: &Document) -> Vec<(BlockKind, u8, &str)> {
    doc.blocks.iter().map(|block| (block.kind, block.level, block.span.slice(&doc.text).unwrap_or(""))).collect()
}

/// Markup that must not survive into prose: macros, anchors, attribute
/// references, labelled-list marks, delimiters, preprocessor lines.
fn residue(text: &str) -> Option<String> {
    for mark in ["linkgit:", "[[", "]]", "ifdef::", "ifndef::", "endif::", "include::", "link:", "footnote:", "pass:["]
    {
        if text.contains(mark) {
            return Some(mark.to_string());
        }
    }
    for line in text.lines() {
        let line = line.trim();
        let delimiter =
            line.len() >= 4 && ["-", ".", "=", "*"].iter().any(|mark| line.chars().all(|c| c.to_string() == *mark));
        if line == "+" || line.ends_with("::") || delimiter {
            return Some(format!("line {line:?}"));
        }
    }
    // `{word}` outside backticks, except Git's `@{upstream}`, `^{tree}` and `${VAR}`.
    let mut in_code = false;
    let mut previous = ' ';
    for (at, c) in text.char_indices() {
        if c == '`' {
            in_code = !in_code;
        }
        if c == '{' && !in_code && !matches!(previous, '@' | '^' | '$') {
            let name: String = text[at + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            if !name.is_empty()
                && text[at + 1 + name.len()..].starts_with('}')
                && !name.chars().all(|c| c.is_ascii_digit())
            {
                return Some(format!("{{{name}}}"));
            }
        }
        previous = c;
    }
    None
}

#[test]
fn git_documentation_fixtures_decode_as_asciidoc_without_markup_residue() {
    for name in FIXTURES {
        let doc = decode(name);
        assert_eq!(doc.format, SourceFormat::AsciiDoc, "{name}");
        for (kind, _, text) in block_texts(&doc) {
            if kind != Code {
                assert_eq!(residue(text), None, "{name}: {kind:?} {text:?}");
            }
        }
    }
}

#[test]
fn git_commit_options_become_items_that_start_with_their_flags() {
    let doc = decode("git-commit.txt");
    assert_eq!(doc.title, "git-commit(1)");
    let blocks = block_texts(&doc);
    let sections: Vec<&str> =
        blocks.iter().filter(|(kind, level, _)| *kind == Heading && *level == 2).map(|b| b.2).collect();
    assert_eq!(
        sections.get(..4),
        Some(&["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"][..]),
        "man-page sections in order"
    );
    let item = |prefix: &str| {
        blocks
            .iter()
            .find(|(kind, _, text)| *kind == ListItem && text.starts_with(prefix))
            .map(|(_, _, text)| *text)
            .unwrap_or_else(|| panic!("an item starting {prefix:?}"))
    };
    assert_eq!(
        item("-a, --all: "),
        "-a, --all: Tell the command to automatically stage files that have been modified and deleted, but new files \
         you have not told Git about are not affected."
    );
    assert!(item("-C <commit>, --reuse-message=<commit>: ").contains("Take an existing commit object"));
    assert!(item("-S[<keyid>], --gpg-sign[=<keyid>], --no-gpg-sign: GPG-sign commits.").contains("`keyid`"));
    assert!(item("--: ").starts_with("--: Do not interpret any more arguments as options."));
    // The definition's later paragraphs (after `+`) are paragraphs of their own.
    let fixup = blocks.iter().position(|(_, _, text)| text.starts_with("--fixup=[(amend|reword):]<commit>: Create"));
    let next = fixup.and_then(|at| blocks.get(at + 1));
    assert!(
        next.is_some_and(
            |(kind, _, text)| *kind == Paragraph && text.starts_with("The commit created by plain `--fixup=<commit>`")
        ),
        "{next:?}"
    );
    // The synopsis is code, without the emphasis quotes.
    let synopsis = blocks.iter().find(|(kind, _, _)| *kind == Code).map(|b| b.2);
    assert!(synopsis.is_some_and(|code| code.starts_with("git commit [-a | --interactive | --patch]")), "{synopsis:?}");
    // Cross-references read as page names.
    assert!(blocks.iter().any(|(_, _, text)| text.contains("as described in git-checkout(1))")));
}

#[test]
fn git_worktree_commands_and_subsections_decode() {
    let doc = decode("git-worktree.txt");
    let blocks = block_texts(&doc);
    assert!(blocks.contains(&(Heading, 3, "Porcelain Format")), "a `~~~~` subsection");
    assert!(blocks.iter().any(|(kind, _, text)| *kind == ListItem
        && text.starts_with(
            "add <path> [<commit-ish>]: Create a worktree at `<path>` and checkout `<commit-ish>` into it."
        )));
    assert!(blocks.iter().any(|(kind, _, text)| *kind == ListItem
        && text.starts_with("-b <new-branch>, -B <new-branch>: With `add`, create a new branch")));
    assert!(blocks.iter().any(|(kind, _, text)| *kind == Code && text.contains("$ git worktree add -b emergency-fix ../temp master")));
    assert!(blocks.contains(&(ListItem, 1, "`core.worktree` should never be shared.")));
}

#[test]
fn gittutorial_sections_links_and_examples_decode() {
    let doc = decode("gittutorial.txt");
    let blocks = block_texts(&doc);
    assert!(blocks.contains(&(Heading, 2, "Importing a new project")));
    assert!(blocks.iter().any(|(kind, _, text)| *kind == Paragraph
        && text.ends_with("you may prefer to start with the first two chapters of The Git User's Manual.")));
    assert!(
        blocks
            .iter()
            .any(|(kind, _, text)| *kind == Paragraph && text.contains("see git-help(1) for more information."))
    );
    assert!(blocks.iter().any(|(kind, _, text)| *kind == Code
        && *text == "$ git config --global user.name \"Your Name Comes Here\"\n$ git config --global user.email you@yourdomain.example.com"));
}

// ---- Hostile input ----

#[test]
fn every_prefix_of_the_fixtures_decodes_with_valid_spans() {
    for name in FIXTURES {
        let text = String::from_utf8(fixture(name)).expect("utf-8 fixture");
        let mut cut = 0;
        while cut <= text.len() {
            let end = (cut..=text.len()).find(|at| text.is_char_boundary(*at)).unwrap_or(text.len());
            let builder = parse(&text[..end]);
            for block in &builder.blocks {
                assert!(block.span.slice(&builder.text).is_some(), "{name} cut at {end}");
            }
            cut += 97;
        }
    }
}

#[test]
fn unclosed_blocks_run_to_the_end_without_losing_text() {
    for delimiter in ["----", "....", "====", "****", "____", "--", "++++", "////", "|===", "```"] {
        let source = format!("Before.\n\n{delimiter}\nInside *the* block.\n\nStill inside.\n");
        let all = blocks(&source);
        assert_eq!(all.first().map(|b| b.3.as_str()), Some("Before."), "{delimiter}");
        assert!(all.len() <= 3, "{delimiter}: {all:?}");
    }
    let unclosed = blocks("[verse]\n____\nOpen verse\n\n= Title\n");
    assert_eq!(unclosed, vec![(Quote, 0, None, "Open verse = Title".to_string())]);
}

#[test]
fn megabyte_lines_and_marks_without_partners_decode() {
    let patterns = [
        "link:",
        "linkgit:a-",
        "'a *b _c `d +e <<f ((g [[h {i footnote:[ pass:[ ",
        "https://",
        "http://a[",
        "a:: ",
        " ``",
        " **",
        "|a ",
        "\\",
        "[[[",
        "(((",
        "{litdd}",
    ];
    for pattern in patterns {
        let line = pattern.repeat(1_000_000 / pattern.len());
        let builder = parse(&line);
        assert!(!builder.blocks.is_empty(), "{pattern:?}");
    }
    let nested: String = (4..600).map(|width| "=".repeat(width) + "\n").collect();
    assert!(parse(&nested).blocks.is_empty(), "nested example blocks hold nothing");
}

#[test]
fn a_ten_megabyte_repetition_decodes_to_ten_times_the_blocks() {
    let text = String::from_utf8(fixture("git-commit.txt")).expect("utf-8 fixture");
    let once = parse(&text).blocks.len();
    let copies = 10_000_000 / text.len() + 1;
    // Each copy starts after a blank line, so no block spans two copies.
    let repeated = format!("{text}\n").repeat(copies);
    assert_eq!(parse(&repeated).blocks.len(), once * copies);
}
