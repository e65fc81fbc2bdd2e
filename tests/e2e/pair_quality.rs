//! Pair quality on real documents nobody on the project wrote (the fixtures
//! of each format, with their sources in `tests/fixtures/*/SOURCES.md`),
//! through the real binary: markup of any input format in under 0.5 % of
//! exported pairs, near-duplicate questions under 5 %, conversations still
//! present. The markup needles here are written independently of the
//! reviewer's checks in `brightrun_types::prose`, so the test does not grade
//! the checks by themselves.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{json_lines, run, stderr, workspace};

/// A kind of markup and how to find it in prose.
type Needle = (&'static str, fn(&str) -> bool);

/// Markup a reader must never see in a pair's prose: reStructuredText roles,
/// directives, targets and footnotes; AsciiDoc macros and attributes;
/// Sphinx permalinks and viewcode links; TeX internals.
fn markup_needles(text: &str) -> Vec<&'static str> {
    // Code that a pair shows on purpose (fenced blocks, inline code) is not prose.
    let mut prose = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            let mut inline = false;
            for c in line.chars() {
                if c == '`' {
                    inline = !inline;
                } else if !inline {
                    prose.push(c);
                }
            }
            prose.push('\n');
        }
    }
    let needles: &[Needle] = &[
        ("pilcrow", |p| p.contains('¶')),
        ("rst role", |p| p.contains(":func:") || p.contains(":ref:") || p.contains(":class:") || p.contains(":meth:")),
        ("rst directive", |p| p.lines().any(|l| l.trim_start().starts_with(".. "))),
        ("rst literal marker", |p| p.lines().any(|l| l.trim_end().ends_with("::"))),
        ("rst footnote", |p| p.contains("[#]_") || p.contains("]_")),
        ("rst link", |p| p.contains("`_") || p.contains("__ ")),
        ("asciidoc macro", |p| p.contains("linkgit:") || p.contains("<<") || p.contains("[[")),
        ("asciidoc attribute", |p| ["{litdd}", "{plus}", "{caret}", "{tilde}"].iter().any(|a| p.contains(a))),
        ("viewcode link", |p| p.contains("[source]")),
        ("tex internal", |p| {
            p.contains('@')
                && p.contains('\\')
                && p.split('\\').skip(1).any(|s| {
                    s.split(|c: char| !c.is_alphanumeric() && c != '@').next().is_some_and(|name| name.contains('@'))
                })
        }),
        ("html tag", |p| p.contains("</") || p.contains("<a ") || p.contains("<span")),
    ];
    needles.iter().filter(|(_, found)| found(&prose)).map(|(name, _)| *name).collect()
}

/// Word 3-grams of a question, lower-cased.
fn trigrams(text: &str) -> BTreeSet<String> {
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    words.windows(3).map(|w| w.join(" ")).collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 { 0.0 } else { a.intersection(b).count() as f64 / union as f64 }
}

#[test]
fn pairs_from_real_documents_of_every_format_carry_no_markup_and_rarely_repeat_a_question() {
    let fixtures = workspace().join("tests/fixtures");
    let inputs: Vec<std::path::PathBuf> =
        ["rst", "asciidoc", "html", "pdf"].iter().map(|format| fixtures.join(format)).collect();
    let inputs: Vec<&std::path::Path> = inputs.iter().map(|p| p.as_path()).collect();
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let output = run(&inputs, &out, &work.path().join("cache"), &["--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let pairs = json_lines(&out.join("pairs.jsonl"));
    assert!(pairs.len() >= 50, "only {} pairs from the fixtures", pairs.len());

    let text_of = |pair: &Value| -> Vec<(String, String)> {
        pair["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| (m["role"].as_str().unwrap_or("").to_string(), m["content"].as_str().unwrap_or("").to_string()))
            .collect()
    };
    let with_markup: Vec<(Vec<&str>, String)> = pairs
        .iter()
        .filter_map(|pair| {
            let found: Vec<&str> = text_of(pair).iter().flat_map(|(_, content)| markup_needles(content)).collect();
            (!found.is_empty()).then(|| (found, pair["messages"].to_string()))
        })
        .collect();
    assert!(
        with_markup.len() * 200 < pairs.len(),
        "{} of {} pairs carry markup (at most 0.5 % may): {:?}",
        with_markup.len(),
        pairs.len(),
        with_markup.iter().take(5).collect::<Vec<_>>()
    );

    let questions: Vec<BTreeSet<String>> = pairs
        .iter()
        .map(|pair| {
            let first = text_of(pair).into_iter().find(|(role, _)| role == "user").map(|(_, c)| c).unwrap_or_default();
            trigrams(&first)
        })
        .collect();
    let near_duplicates = (0..questions.len())
        .filter(|i| (0..questions.len()).any(|j| j != *i && jaccard(&questions[*i], &questions[j]) >= 0.7))
        .count();
    assert!(
        near_duplicates * 20 < questions.len(),
        "{near_duplicates} of {} questions have a near-duplicate (word 3-gram Jaccard >= 0.7)",
        questions.len()
    );
    assert!(pairs.iter().any(|p| p["task"] == "multi-turn"), "conversations are still made");
}
