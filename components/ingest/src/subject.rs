//! The subject of a document: the product, project or tool it is about.
//!
//! A page titled "Models" in Django's documentation teaches Django's models;
//! a question "What are proxy models?" asked without the page is ambiguous,
//! "In Django, what are proxy models?" is not. Reviewers rejected pairs for
//! exactly that, so ingest names the subject once and every question built
//! from the document can name it.
//!
//! Two sources, in order of trust:
//! 1. A site title. Documentation generators put the project in the page's
//!    `<title>` suffix ("Models — Django 3.2.25 documentation"), the home
//!    link ("PostgreSQL 15.20 Documentation"), a DOCX's `dc:title`, or a
//!    first heading ("The eso-pic package"). Only titles that say they are
//!    documentation, a manual or a package count.
//! 2. The name the prose is about: a capitalised name (not an acronym, not a
//!    sentence's first word) used far more often than any other, and at
//!    least a few times per page ("Sphinx", "Git").

use std::collections::HashMap;

use brightrun_types::{Block, BlockKind};

/// Words that mark a title as the name of a documentation set.
const DOC_WORDS: &[&str] = &[
    "documentation",
    "docs",
    "manual",
    "handbook",
    "guide",
    "reference",
    "tutorial",
    "user's",
    "users'",
    "administrator's",
    "developer's",
    "programmer's",
];

/// Capitalised words that open or decorate sentences but name no product.
const COMMON_CAPITALISED: &[&str] = &[
    "The",
    "This",
    "That",
    "These",
    "Those",
    "There",
    "Then",
    "Thus",
    "Note",
    "Notes",
    "See",
    "Also",
    "For",
    "If",
    "When",
    "While",
    "With",
    "Without",
    "You",
    "Your",
    "Our",
    "We",
    "It",
    "Its",
    "In",
    "On",
    "At",
    "To",
    "By",
    "As",
    "An",
    "And",
    "Or",
    "But",
    "Not",
    "No",
    "Yes",
    "All",
    "Any",
    "Each",
    "Every",
    "Some",
    "Most",
    "Many",
    "One",
    "Two",
    "First",
    "Second",
    "Third",
    "Next",
    "Last",
    "Finally",
    "However",
    "Otherwise",
    "Example",
    "Examples",
    "Warning",
    "Tip",
    "Hint",
    "Important",
    "Caution",
    "Default",
    "Chapter",
    "Section",
    "Table",
    "Figure",
    "Part",
    "Step",
    "Appendix",
    "Version",
    "Changed",
    "New",
    "Added",
    "Deprecated",
    "See",
    "Use",
    "Using",
    "Since",
    "Unlike",
    "Because",
    "Although",
    "After",
    "Before",
    "Here",
    "Where",
    "What",
    "Which",
    "Who",
    "Why",
    "How",
    "Can",
    "May",
    "Must",
    "Should",
    "Will",
    "Would",
    "Could",
    "Do",
    "Does",
    "Is",
    "Are",
    "Be",
    "Was",
    "Were",
    "Has",
    "Have",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "English",
    "Unicode",
    "Windows",
    "Linux",
    "Unix",
    "Internet",
    "Web",
    "Python",
    "Prev",
    "Up",
    "Home",
    "Previous",
    "Contents",
    "Index",
    "Download",
    "Copyright",
    "License",
    "Author",
    "Authors",
    "Date",
    "Revision",
    "Status",
];

/// The subject of a document from its site titles (tried in order), else
/// from the name its prose is about.
pub(crate) fn subject(titles: &[&str], text: &str, blocks: &[Block]) -> Option<String> {
    titles.iter().find_map(|title| from_site_title(title)).or_else(|| dominant_name(text, blocks))
}

/// The project a documentation title names: "Models — Django 3.2.25
/// documentation" → "Django"; "PostgreSQL 15.20 Documentation" →
/// "PostgreSQL"; "The Debian Administrator's Handbook" → "Debian"; "The
/// eso-pic package" → "eso-pic". None for a title that is no such name.
pub(crate) fn from_site_title(title: &str) -> Option<String> {
    let title = title.trim();
    // A manual page names its command: "git-bisect(1)".
    if let Some((name, section)) = title.strip_suffix(')').and_then(|t| t.split_once('('))
        && section.len() == 1
        && section.chars().all(|c| c.is_ascii_digit())
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
    {
        return Some(name.to_string());
    }
    // The site is the last part after a separator ("Page — Site").
    let site = [" — ", " – ", " | ", " :: ", " - "]
        .iter()
        .find_map(|separator| title.rsplit_once(separator).map(|(_, site)| site))
        .unwrap_or(title)
        .trim();
    // Footnote marks on a PDF title ("The eso-pic package∗") are no part
    // of the name; "The ragged2e-package" is "The ragged2e package".
    let words: Vec<&str> = site
        .split_whitespace()
        .map(|w| w.trim_end_matches(['∗', '*', '†', '‡', '§']))
        .flat_map(|w| match w.strip_suffix("-package") {
            Some(name) if !name.is_empty() => vec![name, "package"],
            _ => vec![w],
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > 8 {
        return None;
    }
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    // "The eso-pic package", "The float package".
    // LaTeX names its packages and classes in lower case ("The memoir
    // class"); "The Directive Class" is a section about a class.
    if let Some(position) = words.iter().position(|w| matches!(*w, "package" | "class" | "bundle")) {
        let before: Vec<&str> = words[..position].iter().copied().filter(|w| !is_article(w)).collect();
        if before.len() == 1 && is_name_like(before[0]) && !before[0].chars().any(char::is_uppercase) {
            return Some(before[0].to_string());
        }
        return None;
    }
    let first_doc_word = lower.iter().position(|w| DOC_WORDS.contains(&w.as_str()))?;
    let name: Vec<&str> =
        words[..first_doc_word].iter().copied().filter(|w| !is_article(w) && !is_version(w)).collect();
    if name.is_empty() || name.len() > 3 || !name.iter().all(|w| is_name_like(w)) {
        return None;
    }
    // "Northwind Relay On-Call Handbook": a third word describes the
    // documentation ("On-Call", "User") more often than it names the project.
    Some(name[..name.len().min(2)].join(" "))
}

fn is_article(word: &str) -> bool {
    matches!(word, "The" | "the" | "A" | "a" | "An" | "an")
}

/// "3.2.25", "15.20", "v4", "2.x", "(latest)".
fn is_version(word: &str) -> bool {
    let word = word.trim_matches(|c| c == '(' || c == ')');
    let word = word.strip_prefix(['v', 'V']).unwrap_or(word);
    word == "latest"
        || word == "stable"
        || word == "dev"
        || (word.starts_with(|c: char| c.is_ascii_digit())
            && word.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'x' | '-' | 'r' | 'c' | 'b' | 'a')))
}

/// A name: letters first, then letters, digits and `-_.+`, not a plain
/// lower-case English word of the title ("for", "with").
fn is_name_like(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && word.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
        && !matches!(word.to_lowercase().as_str(), "for" | "with" | "and" | "of" | "to" | "in" | "on" | "using")
}

/// The capitalised name the prose uses most, when it clearly dominates: at
/// least six uses, twice as many as the next name, and one use per 3 000
/// bytes of prose. Acronyms ("HTML", "SQL") are formats more often than
/// subjects, and a sentence's first word is capitalised anyway, so neither
/// counts.
fn dominant_name(text: &str, blocks: &[Block]) -> Option<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut lower_counts: HashMap<String, usize> = HashMap::new();
    let mut prose_bytes = 0usize;
    for block in blocks {
        if !matches!(block.kind, BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Quote) {
            continue;
        }
        let Some(prose) = block.span.slice(text) else { continue };
        prose_bytes += prose.len();
        let mut sentence_start = true;
        for raw in prose.split_whitespace() {
            let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
            let ends_sentence = raw.ends_with(['.', '!', '?', ':']);
            // Inline code and TeX macros (`\RaggedRight`) are identifiers.
            let code = raw.contains(['`', '\\', '(', '_', '/', '=']);
            let capitalised = word.chars().next().is_some_and(char::is_uppercase)
                && word.chars().skip(1).any(char::is_lowercase)
                && word.len() >= 3
                && word.chars().all(|c| c.is_alphanumeric() || c == '-');
            if capitalised && !code && !sentence_start && !COMMON_CAPITALISED.contains(&word) {
                *counts.entry(word).or_default() += 1;
            } else if !code && word.chars().all(|c| c.is_lowercase() || c == '-') && word.len() >= 3 {
                *lower_counts.entry(word.trim_end_matches('s').to_string()).or_default() += 1;
            }
            sentence_start = ends_sentence;
        }
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let (name, count) = *ranked.first()?;
    let runner_up = ranked.get(1).map_or(0, |(_, count)| *count);
    let often = count >= 6 && count * 3000 >= prose_bytes;
    // A document about a product names it where it starts ("Sphinx provides
    // a number of builders ..."); one about rate limiting that mentions
    // Redis in a few sections does not, and is not about Redis.
    let opening = blocks
        .iter()
        .filter(|block| block.kind == BlockKind::Heading)
        .take(3)
        .chain(blocks.iter().filter(|block| block.kind == BlockKind::Paragraph).take(2))
        .filter_map(|block| block.span.slice(text))
        .any(|opening| opening.contains(name));
    if !opening {
        return None;
    }
    // "Directive" beside many a "directive" is a common noun capitalised,
    // not a product's name.
    let as_common_noun = lower_counts.get(name.to_lowercase().trim_end_matches('s')).copied().unwrap_or(0);
    (often && count >= 2 * runner_up && as_common_noun * 2 < count).then(|| name.to_string())
}

/// A site title hidden in raw HTML that a Markdown conversion kept (pandoc
/// keeps DocBook's navigation table: `<a accesskey="h" title="PostgreSQL
/// 15.20 Documentation">`): the first `title="..."` attribute, in the first
/// 32 KiB, that names a documentation set; the whole title, as the page's
/// other titles are.
pub(crate) fn title_attribute(raw: &str) -> Option<String> {
    let head = raw.get(..raw.len().min(32 << 10)).unwrap_or(raw);
    head.split("title=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|title| from_site_title(title).is_some())
        .map(|title| title.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use brightrun_types::Span;

    #[test]
    fn site_titles_name_their_project() {
        let cases = [
            ("Models — Django 3.2.25 documentation", Some("Django")),
            ("Sphinx FAQ — Sphinx documentation", Some("Sphinx")),
            ("sphinx.ext.autodoc – Include documentation from docstrings — Sphinx documentation", Some("Sphinx")),
            ("PostgreSQL 15.20 Documentation", Some("PostgreSQL")),
            ("The Debian Administrator's Handbook", Some("Debian")),
            ("The eso-pic package", Some("eso-pic")),
            ("The textcase package∗", Some("textcase")),
            ("The ragged2e-package∗", Some("ragged2e")),
            ("The obsolete EverySel package∗", None),
            ("Django 3.2.25 documentation", Some("Django")),
            ("26.1. SQL Dump", None),
            ("Writing your first Django app, part 1", None),
            ("Docutils FAQ (Frequently Asked Questions)", None),
            ("Options for HTML output", None),
            ("The Directive Class", None),
            ("Northwind Relay On-Call Handbook", Some("Northwind Relay")),
            ("git-bisect(1)", Some("git-bisect")),
            ("Usage (1)", None),
        ];
        for (title, expected) in cases {
            assert_eq!(from_site_title(title).as_deref(), expected, "{title}");
        }
    }

    #[test]
    fn a_title_attribute_in_raw_html_names_the_site() {
        let raw = "<a href=\"index.html\" accesskey=\"h\" title=\"PostgreSQL 15.20 Documentation\">Home</a>";
        assert_eq!(title_attribute(raw).as_deref(), Some("PostgreSQL 15.20 Documentation"));
        assert_eq!(title_attribute("<a title=\"Chapter 8. Data Types\">x</a>"), None);
    }

    fn paragraphs(text: &str) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut at = 0;
        for part in text.split("\n\n") {
            let start = at as u32;
            let end = (at + part.len()) as u32;
            blocks.push(Block {
                kind: BlockKind::Paragraph,
                level: 0,
                ordinal: None,
                span: Span { start, end },
                language: None,
                page: None,
            });
            at += part.len() + 2;
        }
        blocks
    }

    #[test]
    fn the_name_the_prose_is_about_is_the_subject_when_it_dominates() {
        let text = "Themes change how Sphinx renders pages. You can pick one for Sphinx in conf.py.\n\n\
                    Every theme Sphinx ships is configurable, and Sphinx reads its options from the file.\n\n\
                    Third-party themes for Sphinx install with pip; Sphinx finds them by name. Jinja is used.";
        assert_eq!(dominant_name(text, &paragraphs(text)).as_deref(), Some("Sphinx"));
        let common = "A directive is markup. Write a Directive class, then register the Directive. Each \
                      directive has options; Directive subclasses run directive code. Directive Directive Directive. "
            .repeat(3);
        assert_eq!(dominant_name(&common, &paragraphs(&common)), None);
        let later = format!("Rate limits protect a service.\n\nEach client gets a budget.\n\n{}", text);
        assert_eq!(dominant_name(&later, &paragraphs(&later)).as_deref(), None, "not named where it starts");
        let even = "Alice met Bob. Then Alice told Bob about Carol. Alice, Bob and Carol left.";
        assert_eq!(dominant_name(even, &paragraphs(even)), None);
    }

    #[test]
    fn acronyms_and_sentence_openers_are_not_subjects() {
        let text = "Write HTML with care. The HTML is parsed; HTML is kept. HTML HTML HTML HTML here.\n\n\
                    Sentences start with Capitals. Capitals begin. Capitals again. Capitals. Capitals. Capitals.";
        assert_eq!(dominant_name(text, &paragraphs(text)), None);
    }
}
