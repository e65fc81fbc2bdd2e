//! Questions that name their document's subject.
//!
//! "What is a theme?" asked of a model fine-tuned on Sphinx's documentation
//! teaches it that *a theme* is what Sphinx says; asked of anyone else it is
//! ambiguous. Reviewers rejected such questions as awkward, so a question
//! that names no product gets its document's subject (ingest's
//! `document.subject`): "What is a theme in Sphinx?", "In Sphinx templating,
//! what does `body` do?".

use crate::templates::lower_first;

/// The question naming `subject`, unless it already names it or another
/// proper name (then the subject would be wrong or redundant: "What is
/// Jinja in Sphinx?").
pub(crate) fn name_subject(question: &str, subject: Option<&str>) -> String {
    // "In Templating, what does `body` do?": a question framed by its topic.
    let framed = question.strip_prefix("In ").and_then(|q| q.split_once(", "));
    let Some(subject) = subject.map(str::trim).filter(|s| !s.is_empty()) else {
        // "In Creating reStructuredText Directives, ...": still an activity.
        if let Some((topic, rest)) = framed
            && let Some(activity) = activity(topic)
        {
            return format!("When {activity}, {rest}");
        }
        return question.to_string();
    };
    // `needs_sphinx` is code, not a mention of Sphinx.
    let named = without_code(question).to_lowercase().contains(&subject.to_lowercase());
    match framed {
        Some((topic, rest)) if named => {
            // "In Using the Django authentication system, ...": a gerund
            // heading is an activity, not a place.
            if let Some(activity) = activity(topic) {
                return format!("When {activity}, {rest}");
            }
            // "In Django deployment checklist, ..." → "In Django's deployment checklist, ...".
            if let Some(after) = topic.strip_prefix(subject).and_then(|t| t.strip_prefix(' '))
                && after.starts_with(char::is_lowercase)
            {
                return format!("In {subject}'s {after}, {rest}");
            }
            question.to_string()
        }
        _ if named => question.to_string(),
        // The topic gains the subject.
        Some((topic, rest)) => with_topic(topic, rest, subject),
        None if names_something(question) => question.to_string(),
        None => match question.char_indices().next_back() {
            Some((at, end @ ('?' | '.'))) => format!("{} in {subject}{end}", question[..at].trim_end()),
            _ => question.to_string(),
        },
    }
}

/// "In {topic}, {rest}" with the subject: "In Sphinx templating, ...",
/// "In Sphinx's options for LaTeX output, ...", "When using forms in
/// Django, ..."; an imperative heading ("Write your first view") is no
/// place at all, so only the subject is.
fn with_topic(topic: &str, rest: &str, subject: &str) -> String {
    if let Some(activity) = activity(topic) {
        return format!("When {activity} in {subject}, {rest}");
    }
    let first = first_word(topic);
    let several = topic.split_whitespace().count() > 1;
    let imperative =
        first.chars().skip(1).all(char::is_lowercase) && crate::units::is_verb_base(&first.to_lowercase()) && several;
    if imperative {
        return format!("In {subject}, {rest}");
    }
    if topic.split_whitespace().count() <= 2 {
        format!("In {subject} {}, {rest}", lower_first(topic))
    } else {
        format!("In {subject}'s {}, {rest}", lower_first(topic))
    }
}

/// A topic that names an activity ("Working with forms", "Using the cache"),
/// lower-cased to follow "When": a gerund and more ("Templating" alone is a
/// subject).
fn activity(topic: &str) -> Option<String> {
    (is_gerund(first_word(topic)) && topic.split_whitespace().count() > 1).then(|| lower_first(topic))
}

fn first_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or("")
}

fn is_gerund(word: &str) -> bool {
    word.chars().skip(1).all(char::is_lowercase) && crate::units::is_gerund(word)
}

/// The question with its inline code left out.
fn without_code(question: &str) -> String {
    question.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

/// Whether a question names a product or place already: a capitalised word
/// after its first ("What is Jinja?"), or a qualified identifier
/// ("`django.db.models`", "`QueryDict.copy()`").
fn names_something(question: &str) -> bool {
    let mut in_code = false;
    for (position, raw) in question.split_whitespace().enumerate() {
        let backticks = raw.matches('`').count();
        let code = in_code || backticks > 0;
        if backticks % 2 == 1 {
            in_code = !in_code;
        }
        if code {
            let ident = raw.trim_matches(|c: char| c == '`' || c.is_ascii_punctuation() && c != '.' && c != '_');
            let ident = ident.trim_end_matches("()").trim_matches('.');
            // `install.py` is a file, which the subject places; `QueryDict.copy`
            // is placed already.
            let file = ident.rsplit_once('.').is_some_and(|(_, extension)| FILE_EXTENSIONS.contains(&extension));
            if ident.contains('.') && !file {
                return true;
            }
            continue;
        }
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let capitalised = word.chars().next().is_some_and(char::is_uppercase)
            && word.chars().skip(1).any(char::is_lowercase)
            && !matches!(word, "I" | "In");
        if position > 0 && capitalised {
            return true;
        }
    }
    false
}

/// Extensions that make a dotted name a file name.
const FILE_EXTENSIONS: &[&str] = &[
    "py", "txt", "rst", "md", "html", "htm", "css", "js", "json", "toml", "yaml", "yml", "ini", "cfg", "conf", "xml",
    "sh", "sql", "tex", "sty", "cls", "c", "h", "rs", "go", "java",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_without_a_product_names_the_subject() {
        let cases = [
            ("What is a theme?", "What is a theme in Sphinx?"),
            ("How do I create indexes?", "How do I create indexes in PostgreSQL?"),
            ("In Templating, what does `body` do?", "In Sphinx templating, what does `body` do?"),
            (
                "In Options for HTML output, what is `html_css_files` for?",
                "In Sphinx's options for HTML output, what is `html_css_files` for?",
            ),
            ("Give me an overview of proxy models.", "Give me an overview of proxy models in Django."),
            (
                "In Options for LaTeX output, what is `latex_theme` for?",
                "In Sphinx's options for LaTeX output, what is `latex_theme` for?",
            ),
            ("In Write your first view, what does `path()` do?", "In Django, what does `path()` do?"),
            (
                "In General configuration, what is `needs_sphinx` for?",
                "In Sphinx general configuration, what is `needs_sphinx` for?",
            ),
            (
                "In Storage Parameters, what is `fillfactor` for?",
                "In Sphinx storage parameters, what is `fillfactor` for?",
            ),
            ("In Working with forms, what is `Form` for?", "When working with forms in Django, what is `Form` for?"),
            (
                "In Using the Django authentication system, what is `form_class` for?",
                "When using the Django authentication system, what is `form_class` for?",
            ),
        ];
        let subject = |q: &str| match q {
            q if q.contains("indexes") => "PostgreSQL",
            q if q.contains("proxy") || q.contains("path()") || q.to_lowercase().contains("form") => "Django",
            _ => "Sphinx",
        };
        for (question, expected) in cases {
            assert_eq!(name_subject(question, Some(subject(question))), expected);
        }
    }

    #[test]
    fn a_question_that_names_a_product_or_qualified_name_is_kept() {
        for question in [
            "What does the `-q` option of sphinx-build do?",
            "What is Jinja?",
            "What does `QueryDict.copy()` do?",
            "How do I run Sphinx in a container?",
        ] {
            assert_eq!(name_subject(question, Some("Sphinx")), question);
        }
        assert_eq!(name_subject("What is a theme?", None), "What is a theme?");
        assert_eq!(
            name_subject("In Creating reStructuredText Directives, what does `flag` do?", None),
            "When creating reStructuredText Directives, what does `flag` do?"
        );
        assert_eq!(
            name_subject("What does `install.py` do?", Some("Docutils")),
            "What does `install.py` do in Docutils?"
        );
    }
}
