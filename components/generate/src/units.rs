//! Answer-first pairs. Each generator here first finds an *answer unit*, a
//! sentence or passage that says something complete about a subject it
//! names (or that its heading or object signature names), checks it the way
//! a strict reviewer would ([`brightrun_types::prose::stands_alone`]), and
//! only then writes the question that unit answers, naming the subject.
//! Nothing drops a keyword into a generic frame: a unit whose subject or
//! question cannot be made explicit yields no pair.
//!
//! | generator | unit | question |
//! |---|---|---|
//! | [`object_descriptions`] | the lead of an API object's description (a heading that is a signature: `os.path.join(path, *paths)`, `--force`, `html_static_path`) | "What does `os.path.join()` do?" |
//! | [`section_leads`] | the lead of a section whose heading is a question, a task ("Creating indexes") or a topic its lead sentence names | the heading as a question |
//! | [`purposes`] | "To X, do Y." / "If you want to X, Y." / "Use X to Y.", with the code block it introduces | "How do I X?" |
//! | [`definitions`] | "A proxy model is ..." with the term as the sentence's subject | "What is a proxy model?" |
//! | [`reasons`] | "X must be Y because Z." with a named subject | "Why must X be Y?" |

use brightrun_types::prose;
use brightrun_types::{Analysis, Block, BlockKind, Chunk, ReasoningKind, Span, TaskType};

use crate::templates::lower_first;
use crate::{Candidate, Phrasing};

/// Most sentences in an answer drawn from a lead paragraph.
const LEAD_SENTENCES: usize = 3;

/// Most words in an answer drawn from prose (code shown with it not counted).
const MAX_ANSWER_WORDS: usize = 110;

/// Fewest words in such an answer.
const MIN_ANSWER_WORDS: usize = 8;

/// Longest code block (in lines) shown in an answer.
const MAX_CODE_LINES: usize = 25;

/// Headings that name a part of a document, not a subject.
const GENERIC_HEADINGS: &[&str] = &[
    "introduction",
    "overview",
    "example",
    "examples",
    "notes",
    "note",
    "parameters",
    "description",
    "synopsis",
    "options",
    "see also",
    "summary",
    "background",
    "motivation",
    "getting started",
    "tutorial",
    "basics",
    "details",
    "usage",
    "configuration",
    "discussion",
    "limitations",
    "caveats",
    "conclusion",
    "prerequisites",
    "requirements",
    "contents",
    "footnotes",
    "bugs",
    "name",
    "discussion",
    "references",
    "further reading",
    "next steps",
    "what's next",
    "general",
    "miscellaneous",
    "other",
    "others",
    "reference",
    "api",
    "arguments",
    "returns",
    "return value",
    "exceptions",
    "attributes",
    "methods",
    "fields",
    "settings",
    "author",
    "authors",
    "license",
    "copyright",
    "acknowledgements",
    "history",
    "changes",
    "changelog",
    "release notes",
    "faq",
    "questions",
    "compatibility",
    "files",
    "environment",
    "hooks",
    "commands",
    "configuration variables",
    "the code",
    "implementation",
    "abstract",
    "preface",
    "index",
    "glossary",
    "appendix",
    "todo",
    "warning",
    "warnings",
    "tips",
    "hints",
    "quick start",
    "quickstart",
    "installation",
    "install",
    "setup",
];

/// Gerunds that open task headings ("Creating indexes"), with their base
/// form for "How do I create indexes?". A list, not a rule: stripping "-ing"
/// by rule misreads "string", "setting" and "caching".
const GERUNDS: &[(&str, &str)] = &[
    ("accessing", "access"),
    ("adding", "add"),
    ("backing", "back"),
    ("building", "build"),
    ("changing", "change"),
    ("checking", "check"),
    ("choosing", "choose"),
    ("configuring", "configure"),
    ("controlling", "control"),
    ("converting", "convert"),
    ("creating", "create"),
    ("customizing", "customize"),
    ("customising", "customise"),
    ("debugging", "debug"),
    ("defining", "define"),
    ("deleting", "delete"),
    ("deploying", "deploy"),
    ("disabling", "disable"),
    ("documenting", "document"),
    ("dumping", "dump"),
    ("editing", "edit"),
    ("enabling", "enable"),
    ("exporting", "export"),
    ("extending", "extend"),
    ("filtering", "filter"),
    ("finding", "find"),
    ("generating", "generate"),
    ("getting", "get"),
    ("handling", "handle"),
    ("importing", "import"),
    ("including", "include"),
    ("installing", "install"),
    ("limiting", "limit"),
    ("listing", "list"),
    ("loading", "load"),
    ("making", "make"),
    ("managing", "manage"),
    ("migrating", "migrate"),
    ("modifying", "modify"),
    ("moving", "move"),
    ("organizing", "organize"),
    ("overriding", "override"),
    ("packaging", "package"),
    ("preparing", "prepare"),
    ("preserving", "preserve"),
    ("preventing", "prevent"),
    ("publishing", "publish"),
    ("querying", "query"),
    ("reading", "read"),
    ("registering", "register"),
    ("removing", "remove"),
    ("renaming", "rename"),
    ("rendering", "render"),
    ("replacing", "replace"),
    ("restoring", "restore"),
    ("reusing", "reuse"),
    ("running", "run"),
    ("saving", "save"),
    ("selecting", "select"),
    ("sending", "send"),
    ("serving", "serve"),
    ("setting", "set"),
    ("sharing", "share"),
    ("signing", "sign"),
    ("sorting", "sort"),
    ("specifying", "specify"),
    ("splitting", "split"),
    ("starting", "start"),
    ("stopping", "stop"),
    ("storing", "store"),
    ("submitting", "submit"),
    ("switching", "switch"),
    ("testing", "test"),
    ("translating", "translate"),
    ("troubleshooting", "troubleshoot"),
    ("updating", "update"),
    ("upgrading", "upgrade"),
    ("using", "use"),
    ("validating", "validate"),
    ("working", "work"),
    ("writing", "write"),
];

/// Auxiliaries a "Why" question inverts ("X must be Y" → "Why must X be Y?").
const AUXILIARIES: &[&str] = &[
    "is", "are", "was", "were", "can", "cannot", "must", "should", "will", "would", "may", "might", "does", "do",
    "did", "has", "have", "could",
];

/// Leading keywords of a signature that say what kind of object it is.
const SIGNATURE_KEYWORDS: &[&str] = &[
    "class ",
    "exception ",
    "method ",
    "classmethod ",
    "staticmethod ",
    "abstractmethod ",
    "async ",
    "awaitable ",
    "property ",
    "attribute ",
    "data ",
    "function ",
    "decorator ",
    "coroutine ",
    "field ",
    "setting ",
    "module ",
    "final ",
    "static ",
];

/// Sentences of one block, as spans into the document, with their text.
fn block_sentences<'c>(chunk: &'c Chunk, block: &Block) -> Vec<(Span, &'c str)> {
    let Some(text) = chunk.text_at(block.span) else { return Vec::new() };
    brightrun_types::sentences(text)
        .into_iter()
        .map(|(offset, sentence)| {
            let start = block.span.start as usize + offset;
            (Span::new(start, start + sentence.len()), sentence)
        })
        .collect()
}

/// The body's blocks, each with the index of the heading above it in the
/// body (None before the first).
fn body_blocks(chunk: &Chunk) -> impl Iterator<Item = (usize, &Block)> {
    chunk.blocks.iter().enumerate().filter(move |(_, b)| b.span.start >= chunk.body_start)
}

/// A heading's text without numbering ("3.4. Locks"), permalink marks or a
/// trailing colon.
fn heading_text(chunk: &Chunk, block: &Block) -> Option<String> {
    let text = chunk
        .text_at(block.span)?
        .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '`' && c != '[' && c != '_');
    let numbered = |c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace();
    let numbering_end = text.find(|c: char| !numbered(c)).unwrap_or(text.len());
    // Only strip leading numbers when they are numbering (followed by space or '.').
    let text =
        if numbering_end > 0 && text[..numbering_end].ends_with([' ', '.']) { &text[numbering_end..] } else { text };
    let text = text.trim().trim_end_matches(['¶', '#', ':', '.']).trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The lead of the section a heading opens: the first paragraph after it
/// (nothing else in between), cut to whole sentences that each pass the
/// reviewer's checks, at most [`LEAD_SENTENCES`] and [`MAX_ANSWER_WORDS`].
/// The first sentence must stand alone; later ones may refer back to it
/// ("It ..."), since it comes with them.
fn lead_after(chunk: &Chunk, heading_index: usize) -> Option<(Span, String)> {
    let next = chunk.blocks.get(heading_index + 1)?;
    if next.kind != BlockKind::Paragraph {
        return None;
    }
    leading_sentences(chunk, next, true)
}

/// Leading whole sentences of `block` that pass the checks; see [`lead_after`].
fn leading_sentences(chunk: &Chunk, block: &Block, first_must_stand_alone: bool) -> Option<(Span, String)> {
    let sentences = block_sentences(chunk, block);
    let mut taken: Vec<(Span, &str)> = Vec::new();
    let mut words = 0;
    for (index, (span, sentence)) in sentences.iter().enumerate() {
        let count = sentence.split_whitespace().count();
        let passes = if index == 0 && first_must_stand_alone {
            prose::stands_alone(sentence)
        } else {
            !prose::points_elsewhere(sentence)
                && !prose::ends_mid_clause(sentence)
                && !prose::is_changelog_note(sentence)
                && !prose::has_markup_residue(sentence)
        };
        if !passes || words + count > MAX_ANSWER_WORDS || taken.len() == LEAD_SENTENCES {
            break;
        }
        words += count;
        taken.push((*span, sentence));
    }
    let (first, last) = (taken.first()?.0, taken.last()?.0);
    if words < MIN_ANSWER_WORDS {
        return None;
    }
    let span = Span { start: first.start, end: last.end };
    Some((span, chunk.text_at(span)?.to_string()))
}

/// What a signature heading names, if the heading is one: the object's name
/// with "()" for callables (`os.path.join()`), an option (`--force`), or a
/// setting or other name written as code (`html_static_path`).
fn object_name(heading: &str) -> Option<(String, ObjectKind)> {
    let mut text = heading.trim();
    for keyword in SIGNATURE_KEYWORDS {
        if let Some(rest) = text.strip_prefix(keyword) {
            text = rest.trim_start();
        }
    }
    let text = text.trim_start_matches('@');
    if text.starts_with('-') {
        let option = text.split([',', ' ', '=', '[', '<']).next().unwrap_or("");
        let valid =
            option.len() >= 2 && option.trim_start_matches('-').chars().all(|c| c.is_alphanumeric() || c == '-');
        return valid.then(|| (option.to_string(), ObjectKind::Option));
    }
    let name_end = text.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | ':'))).unwrap_or(text.len());
    let name = text[..name_end].trim_end_matches(['.', ':']);
    if name.is_empty() || !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return None;
    }
    // "sect.shell-environment" is one token, not `sect.shell` and more.
    if text[name_end..].starts_with('-') {
        return None;
    }
    let rest = text[name_end..].trim_start();
    // "(path, *paths)" lists parameters; "(CSS length)" is a gloss.
    // "path() argument: route" is a heading about an argument, not path().
    let after_parameters = rest.split_once(')').map_or("", |(_, after)| after.trim());
    let signature_ends = after_parameters.is_empty()
        || after_parameters.starts_with("->")
        || after_parameters.starts_with('→')
        || !after_parameters.contains(' ');
    let callable = rest.starts_with('(') && parameters_only(rest) && signature_ends;
    // Code: an inner `_` or `.`, or camelCase; an all-capitals word
    // ("DESCRIPTION", "NOTES") is a man page's section title instead.
    let inner = name.get(1..name.len().saturating_sub(1)).unwrap_or("");
    // "LaTeX", "PostgreSQL": a product's name in mixed case is no code.
    let camel = name.chars().zip(name.chars().skip(1)).any(|(a, b)| a.is_lowercase() && b.is_uppercase())
        && !MIXED_CASE_PRODUCTS.contains(&name);
    let code_like = inner.contains(['_', '.']) || camel;
    let lone_lowercase_word = rest.is_empty() && name.chars().all(|c| c.is_ascii_lowercase());
    if callable {
        return Some((format!("{name}()"), ObjectKind::Callable));
    }
    // A bare name is an object only when it looks like code; a signature
    // with more after it ("Model(**kwargs)" took the branch above) must not
    // be a sentence-like heading ("Using the cache").
    if rest.is_empty() && (code_like || lone_lowercase_word) && name.len() >= 3 {
        return Some((name.to_string(), ObjectKind::Named));
    }
    if !rest.is_empty() && code_like && !rest.contains(' ') {
        return Some((name.to_string(), ObjectKind::Named));
    }
    None
}

/// Products whose names mix cases as code names do.
const MIXED_CASE_PRODUCTS: &[&str] = &[
    "LaTeX",
    "TeX",
    "BibTeX",
    "XeLaTeX",
    "LuaLaTeX",
    "pdfLaTeX",
    "ConTeXt",
    "JavaScript",
    "TypeScript",
    "PostgreSQL",
    "MySQL",
    "SQLite",
    "GitHub",
    "GitLab",
    "macOS",
    "iOS",
    "PyPI",
    "NumPy",
    "SciPy",
    "OpenSSL",
    "WebAssembly",
    "PowerShell",
    "OpenAPI",
    "GraphQL",
    "MongoDB",
    "DocBook",
    "AsciiDoc",
    "MathJax",
    "YouTube",
    "WordPress",
    "OAuth",
    "WebSocket",
];

/// Whether a parenthesised tail holds only parameters: each comma-separated
/// part one token (with `*`, `=default`, `/`, `[`).
fn parameters_only(tail: &str) -> bool {
    let Some(inside) = tail.strip_prefix('(').and_then(|t| t.split(')').next()) else { return false };
    // "(boolean)", "(integer)": a type gloss on a setting, not a parameter.
    const TYPE_WORDS: &[&str] =
        &["boolean", "bool", "integer", "int", "string", "str", "float", "list", "dict", "enum", "number", "text"];
    if TYPE_WORDS.contains(&inside.trim().to_lowercase().as_str()) {
        return false;
    }
    inside.trim().is_empty()
        || inside.split(',').all(|part| {
            let part = part.trim();
            !part.is_empty() && part.split_whitespace().count() == 1
                || part.split_once('=').is_some_and(|(name, _)| name.split_whitespace().count() == 1)
        })
}

/// Where an object is documented, as its question names it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Context {
    /// An enclosing class: "`LogoutView.next_page`".
    Owner(String),
    /// The command a manual page documents: "the `-q` option of sphinx-build".
    Command(String),
    /// The document or section: "in Docutils Configuration".
    Topic(String),
    /// The function whose arguments are listed: "the `login_url` argument
    /// of `logout_then_login()`".
    Function(String),
}

/// The headings above the block at `index`, nearest first: body headings
/// before it at a shallower level, then the chunk's section path.
fn ancestors(chunk: &Chunk, index: usize) -> Vec<String> {
    let level = chunk.blocks.get(index).filter(|b| b.kind == BlockKind::Heading).map_or(u8::MAX, |b| b.level);
    let mut out = Vec::new();
    let mut ceiling = level;
    for block in chunk.blocks[..index.min(chunk.blocks.len())].iter().rev() {
        if block.kind == BlockKind::Heading && block.level < ceiling && block.span.start >= chunk.body_start {
            ceiling = block.level;
            if let Some(text) = heading_text(chunk, block) {
                out.push(text);
            }
        }
    }
    out.extend(chunk.section_path.iter().rev().cloned());
    out
}

/// The context an object's question names, or None when the chunk says
/// nothing about where the object lives (then the question would be bare).
fn object_context(chunk: &Chunk, index: usize, kind: ObjectKind) -> Option<Context> {
    let ancestors = ancestors(chunk, index);
    for ancestor in &ancestors {
        let trimmed = ancestor.trim();
        if let Some(class) = trimmed.strip_prefix("class ").or_else(|| trimmed.strip_prefix("exception ")) {
            let name: String = class.chars().take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.')).collect();
            if !name.is_empty() {
                return Some(Context::Owner(name.rsplit('.').next().unwrap_or(&name).to_string()));
            }
        }
    }
    // "sphinx.ext.autosummary – Generate autodoc summaries": the name before the dash.
    let title = chunk.section_path.first().map(|t| {
        let t = [" – ", " — ", " - "].iter().fold(t.as_str(), |t, dash| t.split(dash).next().unwrap_or(t));
        t.trim().trim_end_matches("(1)").trim().to_string()
    })?;
    // "sphinx-build", "git-rebase", "sphinx.ext.autodoc".
    let command_like = !title.is_empty()
        && !title.contains(' ')
        && title.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if command_like {
        // A record's slug ("sect.shell-environment") names no command of
        // which `sect.shell` is a part.
        let object = chunk.blocks.get(index).and_then(|b| heading_text(chunk, b)).unwrap_or_default();
        if !object.is_empty() && title.starts_with(object.trim()) && object.trim() != title {
            return None;
        }
        return Some(Context::Command(title));
    }
    let _ = kind;
    let usable = |heading: &str| {
        let words = heading.split_whitespace().count();
        (1..=6).contains(&words)
            && object_name(heading).is_none()
            && !GENERIC_HEADINGS.contains(&heading.to_lowercase().as_str())
            && !heading.contains(['[', ']', '(', ':'])
            // "sphinx.ext.autodoc – Include documentation from docstrings" is a
            // page title and its tagline, not a place to name.
            && !heading.contains(['–', '—'])
            && !prose::has_markup_residue(heading)
    };
    if usable(&title) {
        return Some(Context::Topic(title));
    }
    ancestors.into_iter().find(|a| usable(a)).map(Context::Topic)
}

/// The question about an object, naming where it lives.
fn object_question(name: &str, kind: ObjectKind, context: &Context, pick: usize) -> String {
    let code = format!("`{name}`");
    match (kind, context, pick % 2) {
        (ObjectKind::Option, Context::Command(command), 0) => format!("What does the {code} option of {command} do?"),
        (ObjectKind::Option, Context::Command(command), _) => format!("What is the {code} option of {command} for?"),
        (ObjectKind::Option, Context::Owner(owner), _) => format!("What does the {code} option of `{owner}` do?"),
        (ObjectKind::Option, Context::Topic(topic), _) => format!("In {topic}, what does the {code} option do?"),
        (_, Context::Function(function), 0) => format!("What is the {code} argument of `{function}` for?"),
        (_, Context::Function(function), _) => format!("What does the {code} argument of `{function}` do?"),
        // The class itself ("class JsonResponse" inside its own section) or an
        // already qualified name needs no owner prefix.
        (_, Context::Owner(owner), 0) if name.trim_end_matches("()") == owner || name.contains('.') => {
            format!("What does {code} do?")
        }
        (_, Context::Owner(owner), _) if name.trim_end_matches("()") == owner || name.contains('.') => {
            format!("What is {code} for?")
        }
        (_, Context::Owner(owner), 0) => format!("What does `{owner}.{name}` do?"),
        (_, Context::Owner(owner), _) => format!("What is `{owner}.{name}` for?"),
        (_, Context::Command(command), 0) => format!("What does {code} do in {command}?"),
        (_, Context::Command(command), _) => format!("What is {code} for in {command}?"),
        // A qualified name ("HttpRequest.body") already says where it lives.
        (_, Context::Topic(_), 0) if name.contains(['.', ':']) => format!("What does {code} do?"),
        (_, Context::Topic(_), _) if name.contains(['.', ':']) => format!("What is {code} for?"),
        (ObjectKind::Callable, Context::Topic(topic), 0) => format!("In {topic}, what does {code} do?"),
        (ObjectKind::Callable, Context::Topic(topic), _) => format!("In {topic}, what is {code} used for?"),
        (_, Context::Topic(topic), 0) => format!("In {topic}, what does {code} do?"),
        (_, Context::Topic(topic), _) => format!("In {topic}, what is {code} for?"),
    }
}

/// The task an object's pair teaches: what a callable or option does is a
/// fact about its behaviour (`factual-qa`); what a setting, attribute or
/// variable is for is answered by a definition of it ("A list of paths
/// that ..."), so `definition-qa`.
fn object_task(kind: ObjectKind) -> TaskType {
    match kind {
        ObjectKind::Callable | ObjectKind::Option => TaskType::FactualQa,
        ObjectKind::Named => TaskType::DefinitionQa,
    }
}

/// Whether a description's first sentence describes its object: it may open
/// with a verb ("Return the ...") or a noun phrase ("The URL to ..."), not
/// with a gerund subject or a subordinate clause about something else.
fn describes_object(answer: &str) -> bool {
    let lower = answer.to_lowercase();
    let first = lower.split_whitespace().next().unwrap_or("");
    // "When DEBUG = False, Django doesn't work without ...", "Many sections
    // include ...": a scene or a generalisation before the object is named.
    let subordinate = [
        "although", "because", "since", "while", "unlike", "as", "in", "for", "due", "with", "when", "once", "after",
        "before", "unless", "many", "some", "most", "there", "by", "on",
    ];
    // "If true, ..." describes a setting; "If a custom subclass ..." is
    // about something else, and "X is not a subclass" says what it is not.
    let other_condition =
        ["if a ", "if an ", "if the ", "if you ", "if your ", "the default", "default:", "defaults to"]
            .iter()
            .any(|s| lower.starts_with(s));
    let first_clause = lower.split([',', ';', '.']).next().unwrap_or("");
    let negated =
        [" is not ", " are not ", " does not ", " isn't ", " doesn't "].iter().any(|n| first_clause.contains(n));
    !first.ends_with("ing") && !subordinate.contains(&first) && !other_condition && !negated
}

/// Whether a setting's or an attribute's description says something about
/// it, rather than opening on a value ("2 (for `<h2>`, cf. ...)", "'py'")
/// or giving its own name back ("The value of root_doc, for usage with
/// pathto()."). A noun phrase is a description ("A string representing
/// the scheme of the request"), so most pass.
fn states_a_role(answer: &str, name: &str) -> bool {
    let first = brightrun_types::sentences(answer).first().map_or(answer, |(_, sentence)| *sentence).trim_start();
    if first.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '"' | '“' | '\'' | '(')) {
        return false;
    }
    let bare = name.trim_end_matches("()").rsplit(['.', ':']).next().unwrap_or(name);
    // "To specify names to enable ...": a purpose with no sentence after it.
    if first.starts_with("To ") && !first.contains(", ") {
        return false;
    }
    // "`autodoc` supports ...", "The `linkcheck` builder may issue ...": the
    // sentence is about other code, not the setting asked about.
    let opening = first.strip_prefix("The ").unwrap_or(first);
    if let Some(code) = opening.strip_prefix('`').and_then(|rest| rest.split('`').next()) {
        let code = code.trim_end_matches("()");
        if code != bare && !code.ends_with(&format!(".{bare}")) {
            return false;
        }
    }
    let lower = first.to_lowercase().replace('`', "");
    let circular = ["the value of ", "the value for ", "value of "]
        .iter()
        .any(|opening| lower.strip_prefix(opening).is_some_and(|rest| rest.starts_with(&bare.to_lowercase())));
    !circular
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectKind {
    Callable,
    Option,
    Named,
}

/// "What does `os.path.join()` do?" answered by the lead of its description.
pub(crate) fn object_descriptions(chunk: &Chunk, phrase: &Phrasing) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (index, block) in body_blocks(chunk) {
        if block.kind != BlockKind::Heading {
            continue;
        }
        let Some(heading) = heading_text(chunk, block) else { continue };
        let Some((name, kind)) = object_name(&heading) else { continue };
        let Some(next) = chunk.blocks.get(index + 1) else { continue };
        if next.kind != BlockKind::Paragraph {
            continue;
        }
        // The description's first sentence is about the named object, so it
        // may open with a verb ("Return the ...") or "If true, ...".
        let Some((span, answer)) = leading_sentences(chunk, next, false) else { continue };
        // "Django includes a number of `HttpResponse` subclasses ...": the
        // product is the sentence's subject, and the object only its topic.
        let about_the_product =
            chunk.subject.as_deref().is_some_and(|subject| answer.starts_with(&format!("{subject} ")));
        if prose::starts_unresolved(&answer)
            || prose::leans_on_context(&answer)
            || !describes_object(&answer)
            || about_the_product
            || (kind == ObjectKind::Named && !states_a_role(&answer, &name))
        {
            continue;
        }
        let Some(context) = object_context(chunk, index, kind) else { continue };
        let pick = phrase.pick(TaskType::FactualQa, &name, 2);
        let question = object_question(&name, kind, &context, pick);
        out.push(Candidate::single(object_task(kind), question, answer, vec![span]));
    }
    out
}

/// The section's lead answering its heading made a question: a heading that
/// is a question, a task ("Creating indexes" → "How do I create
/// indexes?"), or a topic ("Proxy models" → "What are proxy models?") when
/// the lead's first sentence names that topic.
pub(crate) fn section_leads(chunk: &Chunk, phrase: &Phrasing) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (index, block) in body_blocks(chunk) {
        if block.kind != BlockKind::Heading {
            continue;
        }
        let Some(heading) = heading_text(chunk, block) else { continue };
        if object_name(&heading).is_some() || prose::has_markup_residue(&heading) {
            continue;
        }
        // A section under "Compatibility" or "Notes" qualifies its parent;
        // its lead is no overview of its own heading.
        const QUALIFYING: &[&str] = &["compatibility", "history", "notes", "release notes", "changes", "see also"];
        if ancestors(chunk, index).iter().any(|a| QUALIFYING.contains(&a.trim().to_lowercase().as_str())) {
            continue;
        }
        let Some((span, answer)) = lead_after(chunk, index) else { continue };
        let has_subject = chunk.subject.is_some();
        let Some((question, task)) = heading_question(&heading, &answer, phrase, has_subject) else { continue };
        out.push(Candidate::single(task, question, answer, vec![span]));
    }
    out
}

/// The question a heading asks of its section's lead, if it asks one.
/// `has_subject`: the question will name the document's subject, so a
/// one-word topic ("Models") is specific ("What is a model in Django?").
fn heading_question(heading: &str, lead: &str, phrase: &Phrasing, has_subject: bool) -> Option<(String, TaskType)> {
    let words: Vec<&str> = heading.split_whitespace().collect();
    if words.is_empty() || words.len() > 12 || GENERIC_HEADINGS.contains(&heading.to_lowercase().as_str()) {
        return None;
    }
    if heading.ends_with('?') {
        // "How can I indicate the document title? Subtitle?": two questions.
        if heading.matches('?').count() > 1 {
            return None;
        }
        let well_formed =
            words.len() >= 3 && heading.starts_with(char::is_uppercase) && !prose::starts_unresolved(heading);
        return well_formed.then(|| (heading.to_string(), TaskType::FaqAnswer));
    }
    // An ASCII prefix check, so the rest is sliced from the heading itself.
    let how_to = heading.get(..7).is_some_and(|prefix| prefix.eq_ignore_ascii_case("how to "));
    if let Some(rest) = heading.get(7..).filter(|_| how_to) {
        return Some((format!("How do I {}?", first_person(rest)), TaskType::ProcedureInstruction));
    }
    let first = words[0].to_lowercase();
    if words.iter().any(|w| matches!(*w, "and" | "or" | "&" | "vs" | "vs.")) {
        return None;
    }
    // "Update your po files": an imperative heading is the task itself (not
    // an acronym such as "GET").
    let capitalised_word = words[0].chars().skip(1).all(|c| c.is_lowercase());
    let imperative = GERUNDS.iter().find(|(_, base)| *base == first && capitalised_word).map(|(gerund, _)| *gerund);
    let gerund = GERUNDS.iter().find(|(gerund, _)| *gerund == first).map(|(gerund, _)| *gerund).or(imperative);
    if let Some((_, base)) = gerund.and_then(|g| GERUNDS.iter().find(|(gerund, _)| *gerund == g)) {
        // "Use of WAL Without Shared-Memory" is a noun phrase, not a task.
        let preposition =
            words.get(1).is_some_and(|w| ["of", "for", "in", "with", "by"].contains(&w.to_lowercase().as_str()));
        if words.len() < 2 || preposition || vague_goal(&words[1..]) {
            return None;
        }
        let rest = lower_first(&words[1..].join(" "));
        // The lead must say how: name the action or address the reader.
        let lead_lower = lead.to_lowercase();
        // "While Django includes ...", "Before sending ...": the lead sets a
        // scene or a caveat before it says how, if it ever does.
        let opener = lead_lower.split_whitespace().next().unwrap_or("");
        if ["while", "although", "though", "sometimes", "before", "after", "if", "when", "as"].contains(&opener) {
            return None;
        }
        let says_how = lead_lower.split(|c: char| !c.is_alphanumeric()).any(|word| inflects(word, base));
        // And it must instruct: "Sending emails with Git is a two-part
        // process" names the action but tells the reader nothing to do.
        if !says_how || !brightrun_types::sentences(lead).iter().any(|(_, sentence)| instructs(sentence)) {
            return None;
        }
        let pick = phrase.pick(TaskType::ProcedureInstruction, heading, 2);
        let question = match pick {
            0 => format!("How do I {base} {}?", first_person(&rest)),
            _ => format!("How can I {base} {}?", first_person(&rest)),
        };
        return Some((question, TaskType::ProcedureInstruction));
    }
    // Another "-ing" opening is a task the list does not know: no topic.
    if first.ends_with("ing") || heading.contains(['—', '–', '[', '(', ':', '/']) {
        return None;
    }
    // A topic: the lead's first sentence must name it (its last word, the
    // head noun, singular or plural), or the lead is about something else.
    let topic = lower_first(heading.trim_start_matches("The ").trim_start_matches("the "));
    let head = topic.split_whitespace().next_back()?.to_lowercase();
    let head_stem = head.trim_end_matches('s');
    let first_sentence = brightrun_types::sentences(lead).first().map(|(_, s)| s.to_lowercase()).unwrap_or_default();
    if head_stem.len() < 3 || !first_sentence.contains(head_stem) {
        return None;
    }
    // One plain word ("Locks") is a subject only if it is a name or acronym.
    // An all-capitals word ("MAKE", "DATABASES") names a variable or
    // setting, which an overview question misframes.
    let all_caps = heading.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase);
    if all_caps {
        return None;
    }
    let specific =
        topic.split_whitespace().count() >= 2 || heading.chars().skip(1).any(char::is_uppercase) || has_subject;
    if !specific || words.iter().any(|w| w.ends_with(',') || *w == "and" || *w == "vs" || *w == "vs.") {
        return None;
    }
    let plural = head.ends_with('s') && !head.ends_with("ss") && !head.ends_with("us") && !head.ends_with("is");
    // "What is X?" only when the lead defines X ("X is a ..."); otherwise an
    // overview, and only of a lead of two sentences or more.
    let opening = first_sentence.trim_start_matches("the ").trim_start_matches("a ").trim_start_matches("an ");
    let topic_lower = topic.to_lowercase();
    let topic_stem = topic_lower.trim_end_matches('s');
    // It defines the topic when it says what the topic is: "X is a ...",
    // "X are the ...", "X refers to ..." (not "X are useful when ...").
    let after_topic = opening.strip_prefix(topic_stem).map(|rest| rest.trim_start_matches('s').trim_start());
    let defines = after_topic.is_some_and(|rest| {
        ["is a ", "is an ", "is the ", "is one ", "are a ", "are an ", "are the ", "are one ", "refers to ", "means "]
            .iter()
            .any(|start| rest.starts_with(start))
    });
    // An overview's lead must be about the topic from its first words, not
    // reach it late ("You can't modify ... an already migrated custom field").
    let early: String = opening.split_whitespace().take(10).collect::<Vec<_>>().join(" ");
    if !defines && !early.contains(topic_stem) {
        return None;
    }
    let possessive = topic.contains("'s") || topic.contains("’s");
    let named = if plural || possessive || topic.starts_with(char::is_uppercase) {
        topic.clone()
    } else {
        with_article(&topic)
    };
    // A lead that does not define its topic is no overview of it: judged
    // rounds 1-3 kept none of 10 such "Give me an overview of X" pairs (the
    // lead was a caveat, a use case or the first of several points).
    if !defines {
        return None;
    }
    let question = if plural { format!("What are {topic}?") } else { format!("What is {named}?") };
    Some((question, TaskType::SectionSummary))
}

/// Whether `word` is the base form of a verb the generator knows (from the
/// task headings and instructions it reads): "write", "create", "use".
pub(crate) fn is_verb_base(word: &str) -> bool {
    GERUNDS.iter().any(|(_, base)| *base == word) || INSTRUCTION_VERBS.contains(&word)
}

/// Whether `word` (any case) is the "-ing" form of such a verb: "Using",
/// "working", "running"; not "String".
pub(crate) fn is_gerund(word: &str) -> bool {
    let lower = word.to_lowercase();
    let Some(stem) = lower.strip_suffix("ing") else { return false };
    // "running" → "run": a doubled last letter undone (by chars, so a
    // multi-byte letter is never cut).
    let mut letters = stem.chars().rev();
    let undoubled = match (letters.next(), letters.next()) {
        (Some(last), Some(before)) if last == before && stem.chars().count() > 2 => {
            Some(&stem[..stem.len() - last.len_utf8()])
        }
        _ => None,
    };
    GERUNDS.iter().any(|(gerund, _)| *gerund == lower)
        || is_verb_base(stem)
        || is_verb_base(&format!("{stem}e"))
        || undoubled.is_some_and(is_verb_base)
}

/// Whether `word` is `base` or one of its regular inflections ("create",
/// "creates", "created", "creating"; "run", "running"; "set", "sets").
fn inflects(word: &str, base: &str) -> bool {
    if word == base {
        return true;
    }
    let stem = base.strip_suffix('e').unwrap_or(base);
    let doubled = base.chars().next_back().map(|c| format!("{base}{c}")).unwrap_or_default();
    let stem_y = base.strip_suffix('y').map(|s| format!("{s}i"));
    ["s", "es", "d", "ed", "ing"].iter().any(|suffix| {
        word == format!("{base}{suffix}")
            || word == format!("{stem}{suffix}")
            || word == format!("{doubled}{suffix}")
            || stem_y.as_ref().is_some_and(|s| word == format!("{s}{suffix}"))
    })
}

/// Nouns that name nothing in particular as the object of a task ("reduce
/// the overhead", "install dependencies", "clean things up").
/// One to three words of a noun phrase, with no function word or pronoun
/// after an article ("theme", "a search index"; not "Regardless of whether
/// it"), so the subject alone makes it specific.
fn plain_noun_phrase(term: &str) -> bool {
    const FUNCTION: &[&str] = &[
        "of",
        "whether",
        "it",
        "its",
        "that",
        "this",
        "these",
        "those",
        "which",
        "who",
        "what",
        "when",
        "where",
        "if",
        "or",
        "and",
        "but",
        "to",
        "in",
        "on",
        "for",
        "with",
        "by",
        "as",
        "is",
        "are",
        "be",
        "not",
        "regardless",
        "you",
        "your",
        "we",
        "they",
        "there",
    ];
    let words: Vec<String> = term.split_whitespace().map(str::to_lowercase).collect();
    let body = match words.first().map(String::as_str) {
        Some("a" | "an" | "the") => &words[1..],
        _ => &words[..],
    };
    (1..=3).contains(&body.len())
        && body.iter().all(|w| w.chars().all(|c| c.is_alphabetic() || c == '-') && !FUNCTION.contains(&w.as_str()))
}

/// Head nouns of phrases that name a kind of thing in general, not a term
/// a document defines ("acceptable values", "the default", "other options").
const GENERIC_TERM_HEADS: &[&str] = &[
    "value",
    "option",
    "setting",
    "default",
    "argument",
    "parameter",
    "result",
    "example",
    "way",
    "thing",
    "case",
    "step",
    "part",
    "item",
    "one",
    "kind",
    "type",
    "detail",
    "note",
    "reason",
];

const GENERIC_OBJECTS: &[&str] = &[
    "overhead",
    "problem",
    "problems",
    "issue",
    "issues",
    "dependencies",
    "changes",
    "results",
    "data",
    "file",
    "files",
    "value",
    "values",
    "output",
    "behavior",
    "behaviour",
    "process",
    "error",
    "errors",
    "things",
    "thing",
    "information",
    "details",
    "settings",
    "options",
    "contents",
    "content",
    "work",
    "system",
    "code",
    "documentation",
    "performance",
    "space",
    "time",
    "way",
    "ones",
    "one",
    "stuff",
    "up",
    "it",
    "them",
    "more",
    "something",
];

/// Whether a task's object words name nothing specific: the last is a
/// generic noun, or any is "things"/"stuff", with no code or name among them.
fn vague_goal(words: &[&str]) -> bool {
    let clean = |w: &&str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let named = words.iter().any(|w| is_code_token(w) || w.chars().next().is_some_and(char::is_uppercase));
    let last = words.last().map(clean).unwrap_or_default();
    let filler = words.iter().map(clean).any(|w| ["things", "thing", "stuff", "something"].contains(&w.as_str()));
    !named && (GENERIC_OBJECTS.contains(&last.as_str()) || filler)
}

/// "the X" for a common-noun phrase, the phrase itself for names.
fn with_article(topic: &str) -> String {
    if topic.starts_with(char::is_uppercase) || topic.starts_with('`') {
        topic.to_string()
    } else {
        format!("the {topic}")
    }
}

/// Second person to first ("your project" → "my project"), for a question
/// the user asks about themself.
fn first_person(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let (core, tail) = word.split_at(word.trim_end_matches(|c: char| !c.is_alphanumeric()).len());
            let swapped = match core {
                "your" => "my",
                "Your" => "My",
                "you" => "I",
                "yourself" => "myself",
                "yours" => "mine",
                other => other,
            };
            format!("{swapped}{tail}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// "How do I X?" from sentences that state a purpose and the way to it:
/// "To X, do Y.", "If you want to X, Y.", "You can X by Y-ing.", "Use Z to
/// X.", answered by the
/// sentence, with the code block it introduces when it ends in a colon.
pub(crate) fn purposes(chunk: &Chunk, phrase: &Phrasing) -> Vec<Candidate> {
    let mut out = Vec::new();
    let blocks: Vec<(usize, &Block)> = body_blocks(chunk).collect();
    for (position, (_, block)) in blocks.iter().enumerate() {
        if !matches!(block.kind, BlockKind::Paragraph | BlockKind::ListItem) {
            continue;
        }
        let sentences = block_sentences(chunk, block);
        for (offset, (span, sentence)) in sentences.iter().enumerate() {
            let Some(goal) = purpose_of(sentence) else { continue };
            let is_last = offset + 1 == sentences.len();
            let code = blocks.get(position + 1).map(|(_, b)| *b).filter(|b| b.kind == BlockKind::Code);
            let (answer, spans) = if sentence.ends_with(':') {
                // "To create an environment, run:" needs the code that follows.
                let Some(code) = code.filter(|_| is_last) else { continue };
                let Some(code_text) = chunk.text_at(code.span) else { continue };
                if code_text.lines().count() > MAX_CODE_LINES || code_text.contains("```") {
                    continue;
                }
                let language = code.language.as_deref().unwrap_or("");
                (format!("{sentence}\n\n```{language}\n{code_text}\n```"), vec![*span, code.span])
            } else {
                if !prose::stands_alone(sentence) && !opens_with_purpose(sentence) {
                    continue;
                }
                if prose::points_elsewhere(sentence)
                    || prose::ends_mid_clause(sentence)
                    || prose::has_markup_residue(sentence)
                    || prose::leans_on_context(sentence)
                {
                    continue;
                }
                (sentence.to_string(), vec![*span])
            };
            if prose::points_elsewhere(&answer) || prose::has_markup_residue(&answer) {
                continue;
            }
            let pick = phrase.pick(TaskType::ProcedureInstruction, &goal, 3);
            let question = match pick {
                0 => format!("How do I {goal}?"),
                1 => format!("How can I {goal}?"),
                _ => format!("What should I do to {goal}?"),
            };
            out.push(Candidate::single(TaskType::ProcedureInstruction, question, answer, spans));
        }
    }
    out
}

/// Verbs an instruction opens with ("run the command", "pass it ...").
const INSTRUCTION_VERBS: &[&str] = &[
    "add",
    "append",
    "apply",
    "call",
    "change",
    "check",
    "choose",
    "click",
    "configure",
    "copy",
    "create",
    "define",
    "delete",
    "disable",
    "edit",
    "enable",
    "enter",
    "execute",
    "give",
    "go",
    "include",
    "install",
    "invoke",
    "keep",
    "list",
    "look",
    "make",
    "mark",
    "merge",
    "move",
    "open",
    "pass",
    "place",
    "prefix",
    "press",
    "provide",
    "put",
    "read",
    "rebase",
    "register",
    "remove",
    "rename",
    "replace",
    "restart",
    "run",
    "select",
    "send",
    "set",
    "specify",
    "start",
    "stop",
    "subclass",
    "supply",
    "switch",
    "type",
    "update",
    "upgrade",
    "use",
    "write",
    "override",
    "wrap",
    "import",
    "export",
    "commit",
    "push",
    "pull",
    "fetch",
    "build",
    "compile",
    "load",
    "save",
    "invoke",
];

/// Whether `text` is an instruction: an imperative verb first, or "you can",
/// "you need to", "you must", "you should", "you have to" (what the reader does).
fn is_instruction(text: &str) -> bool {
    let lower = text.trim_start().to_lowercase();
    let lower = lower.strip_prefix("simply ").or_else(|| lower.strip_prefix("just ")).unwrap_or(&lower);
    let first = lower.split_whitespace().next().unwrap_or("");
    INSTRUCTION_VERBS.contains(&first)
        || [
            "you can ",
            "you need to ",
            "you must ",
            "you should ",
            "you have to ",
            "you'll need to ",
            "you will need to ",
        ]
        .iter()
        .any(|start| lower.starts_with(start))
}

/// Whether any sentence of `text` tells the reader what to do ([`instructs`]).
pub(crate) fn instructs_somewhere(text: &str) -> bool {
    brightrun_types::sentences(text).iter().any(|(_, sentence)| instructs(sentence))
}

/// Whether a sentence tells the reader what to do: an instruction, a
/// purpose clause ("To X, ..."), or an instruction after a condition ("If
/// you want to change the IP, pass it with the port").
fn instructs(sentence: &str) -> bool {
    is_instruction(sentence)
        || opens_with_purpose(sentence)
        || sentence.split(", ").skip(1).any(|clause| is_instruction(clause) && !clause.starts_with("you can "))
}

/// Whether a sentence opens with its purpose clause ("To X, ...").
fn opens_with_purpose(sentence: &str) -> bool {
    purpose_of(sentence).is_some()
}

/// The goal a sentence states, in the first person: "To change the
/// server's port, pass it ..." → "change the server's port".
fn purpose_of(sentence: &str) -> Option<String> {
    let (goal, rest) = if let Some(rest) = sentence.strip_prefix("To ") {
        rest.split_once(", ")?
    } else if let Some(rest) = sentence.strip_prefix("You can ") {
        // "You can X by Y-ing ..." says how; "You can X." alone does not.
        let (goal, way) = rest.split_once(" by ")?;
        if !way.split_whitespace().next().is_some_and(|w| w.ends_with("ing")) || goal.contains(',') {
            return None;
        }
        (goal, way)
    } else if let Some(rest) = sentence.strip_prefix("Use ") {
        // "Use `git stash` to record ..." names the tool, then the goal.
        let (tool, goal) = rest.split_once(" to ")?;
        let names_code = tool.split_whitespace().any(is_code_token);
        if tool.split_whitespace().count() > 5 || tool.contains([',', '"']) || tool.contains(" or ") || !names_code {
            return None;
        }
        (goal.trim_end_matches('.'), tool)
    } else {
        let lower = sentence.to_lowercase();
        let prefix = ["if you want to ", "if you need to ", "if you'd like to ", "if you wish to ", "in order to "]
            .into_iter()
            .find(|p| lower.starts_with(p))?;
        sentence.get(prefix.len()..)?.split_once(", ")?
    };
    let goal = goal.strip_prefix("be able to ").unwrap_or(goal);
    let goal_words: Vec<&str> = goal.split_whitespace().collect();
    // "To X, run:" introduces code; otherwise the way to X must be said.
    let introduces_code = rest.ends_with(':');
    if !(2..=14).contains(&goal_words.len()) || (!introduces_code && rest.split_whitespace().count() < 2) {
        return None;
    }
    // The way must be an instruction ("run ...", "you can ...", "use ..."),
    // not a statement about what happens ("a warning is inserted instead").
    // ("You can X by Y-ing" and "Use Z to X" say what to do by their form.)
    let instructs_by_form = !sentence.starts_with("To ")
        && !sentence.to_lowercase().starts_with("if ")
        && !sentence.to_lowercase().starts_with("in order to ");
    if !introduces_code && !instructs_by_form && !is_instruction(rest) {
        return None;
    }
    // "To X, which ..." is a clipped fragment, not a purpose and a way.
    let rest_opener = rest.split_whitespace().next().unwrap_or("").to_lowercase();
    if ["which", "that", "who", "whose", "where", "when", "and", "or", "but", "as", "so"]
        .contains(&rest_opener.as_str())
    {
        return None;
    }
    // A goal whose object is a bare generic noun ("reduce the overhead",
    // "install dependencies") leans on what came before; and one that names
    // no code or name at all ("ensure consistent highlighting") leaves the
    // reader asking "in what?", unless the answer shows the code.
    let specific = goal_words.iter().any(|w| is_code_token(w) || w.chars().next().is_some_and(char::is_uppercase));
    if vague_goal(&goal_words) || (!specific && !introduces_code) {
        return None;
    }
    // The goal must name what it acts on: "To do this" or "To use it" does not.
    const VAGUE: &[&str] = &["this", "that", "it", "them", "these", "those", "so", "such", "above", "following"];
    if goal_words
        .iter()
        .any(|w| VAGUE.contains(&w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase().as_str()))
    {
        return None;
    }
    let first = goal_words[0];
    let adverb =
        first.ends_with("ly") || ["instead", "also", "just", "only", "then", "still", "even", "first"].contains(&first);
    if adverb || !first.chars().all(|c| c.is_ascii_lowercase()) || first.ends_with("ing") || first.ends_with("ed") {
        return None;
    }
    if prose::unbalanced(goal) || goal.contains(['"', ':', ';']) || prose::has_markup_residue(goal) {
        return None;
    }
    Some(first_person(goal))
}

/// "What is a proxy model?" from a defining sentence whose subject is the
/// term ("A proxy model is ...", "`numfig` is ..."), when the term is
/// specific: a phrase, a name, code, or the section's own subject.
pub(crate) fn definitions(
    chunk: &Chunk,
    analysis: &Analysis,
    phrase: &Phrasing,
    in_body: impl Fn(&Span) -> bool,
) -> Vec<Candidate> {
    let section = phrase.section.to_lowercase();
    let mut out = Vec::new();
    for definition in analysis.definitions.iter().filter(|d| in_body(&d.span)) {
        let Some(sentence) = chunk.text_at(definition.span) else { continue };
        let term = definition.term.trim();
        let Some(article) = subject_article(sentence, term) else { continue };
        // "The mandatory argument is ..." points back at what it belongs to;
        // only a named term ("The Falcot Corp") stands alone after "The".
        let named_term =
            term.split_whitespace().any(|w| is_code_token(w) || w.chars().next().is_some_and(char::is_uppercase));
        if article == "the" && !named_term {
            continue;
        }
        const NOT_A_TERM: &[&str] = &[
            "since", "if", "when", "for", "in", "on", "at", "by", "with", "as", "while", "after", "before", "although",
        ];
        let term_opener = term.split_whitespace().next().unwrap_or("").to_lowercase();
        if NOT_A_TERM.contains(&term_opener.as_str()) || term.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let after = sentence[sentence.find(term).map_or(0, |at| at + term.len())..].trim_start();
        let plural = after.starts_with("are ");
        if !(after.starts_with("is ") || plural || after.starts_with("refers to ") || after.starts_with("means ")) {
            continue;
        }
        let meaning = after.split_once(' ').map_or("", |(_, rest)| rest);
        let defines = ["a ", "an ", "the ", "one of ", "used to ", "used for ", "a way "]
            .iter()
            .any(|start| meaning.starts_with(start))
            || after.starts_with("refers to ")
            || after.starts_with("means ");
        // "... is a good place to go next" rates the term, it does not define it.
        // So does "is a regular client application (albeit a particularly
        // clever one)", "is a vast project", "is a useful tool": the judges
        // found none of them says what the thing does.
        let evaluative = [
            "a good ",
            "a great ",
            "a nice ",
            "the best ",
            "a better ",
            "an easy ",
            "the easiest ",
            "a regular ",
            "a vast ",
            "a useful ",
            "a powerful ",
            "a simple ",
            "a handy ",
            "a popular ",
            "a very ",
            "an important ",
            "a small ",
            "a big ",
            "a large ",
        ]
        .iter()
        .any(|start| meaning.starts_with(start));
        // "The use of backticks ... is a bit awkward": a property of using it.
        let property_of = ["use of ", "purpose of ", "point of ", "idea of ", "goal of "]
            .iter()
            .any(|start| term.to_lowercase().trim_start_matches("the ").starts_with(start));
        // "request is an optional HttpRequest which is passed on the
        // authenticate() method": a one-word lower-case term described as an
        // argument is a parameter, and means nothing without its function.
        let parameter = !term.contains(' ')
            && term.chars().all(|c| c.is_lowercase() || c == '_')
            && ["optional ", "required ", "argument", "parameter", "keyword "]
                .iter()
                .any(|word| meaning.split([',', ';', '.']).next().unwrap_or("").contains(word));
        if property_of || parameter {
            continue;
        }
        if !defines || evaluative || term.split_whitespace().next().is_some_and(|w| w.to_lowercase().ends_with("ing")) {
            continue;
        }
        let specific = term.contains(' ')
            || term.chars().skip(1).any(char::is_uppercase)
            || term.contains(['_', '.', '-', '`'])
            || section.contains(&term.to_lowercase())
            || (chunk.subject.is_some() && plain_noun_phrase(term));
        // "Regardless of whether it is ...": a clause, not a term.
        const CLAUSE_WORDS: &[&str] = &[
            "whether",
            "regardless",
            "it",
            "its",
            "they",
            "you",
            "we",
            "if",
            "when",
            "which",
            "that",
            "this",
            "these",
            "those",
            "there",
            "what",
            "who",
            "how",
            "why",
        ];
        if term.split_whitespace().any(|w| CLAUSE_WORDS.contains(&w.to_lowercase().as_str())) {
            continue;
        }
        // "Acceptable values are ...": a generic head noun names no term.
        let head = term.split_whitespace().next_back().unwrap_or("").to_lowercase();
        let generic_head = GENERIC_TERM_HEADS.contains(&head.trim_end_matches('s'))
            && !term.contains(['`', '_', '.'])
            && !term.chars().skip(1).any(char::is_uppercase);
        if generic_head {
            continue;
        }
        if !specific || term.split_whitespace().count() > 6 || !prose::stands_alone(sentence) {
            continue;
        }
        if sentence.split_whitespace().count() < 10 || sentence.split_whitespace().count() > 70 {
            continue;
        }
        // A term opening its sentence is capitalised by position only,
        // unless the chunk writes it so mid-sentence too ("the Falcot Corp").
        let proper = chunk.text.contains(&format!(" {term}")) || term.chars().skip(1).any(char::is_uppercase);
        let term_as_written = if article.is_empty() && !proper { lower_first(term) } else { term.to_string() };
        // "the user_dic option": a term ending in a kind noun needs its article.
        const KIND_NOUNS: &[&str] = &[
            "option",
            "setting",
            "parameter",
            "argument",
            "attribute",
            "function",
            "method",
            "class",
            "variable",
            "value",
            "field",
            "file",
            "directory",
            "command",
            "flag",
            "module",
            "key",
            "directive",
            "role",
            "clause",
        ];
        let kind_noun = term.split_whitespace().next_back().is_some_and(|w| KIND_NOUNS.contains(&w));
        let article =
            if article.is_empty() && kind_noun && term.split_whitespace().count() >= 2 { "the" } else { article };
        let term_in_question =
            if article.is_empty() { term_as_written.clone() } else { format!("{article} {term_as_written}") };
        let named = &term_in_question;
        let pick = phrase.pick(TaskType::DefinitionQa, term, 2);
        let means = after.starts_with("refers to ") || after.starts_with("means ");
        // "Define X." read as unnatural to both judges of round 5; a plural
        // or a second phrasing asks what the term means.
        let question = match (pick, plural) {
            _ if means => format!("What does \"{term_as_written}\" mean?"),
            (0, false) => format!("What is {named}?"),
            (0, true) => format!("What are {named}?"),
            // A name or code ("Jinja", "pg_dump") is asked what it is.
            (_, false)
                if term.chars().next().is_some_and(char::is_lowercase) && !term.contains(['`', '_', '.', '-']) =>
            {
                format!("What does {named} mean?")
            }
            (_, false) => format!("What is {named}?"),
            (_, true) => format!("What are {named}?"),
        };
        // "docutils is a text processing system": a name in lower case,
        // defined as a kind of software, is a product of its own; it is
        // asked what it is, and not placed inside the document's subject.
        const SOFTWARE: &[&str] = &[
            "system",
            "tool",
            "library",
            "package",
            "program",
            "framework",
            "application",
            "utility",
            "toolkit",
            "engine",
            "server",
            "client",
        ];
        let head = meaning.split([',', ';', '.', '(']).next().unwrap_or("");
        let head = head.split(" for ").next().unwrap_or(head);
        let product = article.is_empty()
            && !term.contains(' ')
            && term.chars().all(|c| c.is_ascii_lowercase())
            && !plural
            && (meaning.starts_with("a ") || meaning.starts_with("an "))
            && head.split_whitespace().next_back().is_some_and(|w| SOFTWARE.contains(&w));
        let question = if product { format!("What is {term}?") } else { question };
        let mut candidate = Candidate::single(TaskType::DefinitionQa, question, String::new(), vec![definition.span]);
        candidate.names_product = product;
        out.push(candidate);
    }
    out
}

/// The article before `term` when the sentence opens with it ("A", "An",
/// "The", or "" when it opens with the term itself); None when the term is
/// not the sentence's subject.
fn subject_article<'s>(sentence: &'s str, term: &str) -> Option<&'s str> {
    let sentence = sentence.trim_start_matches('`');
    if sentence.starts_with(term) || sentence.to_lowercase().starts_with(&term.to_lowercase()) {
        return Some("");
    }
    for article in ["A ", "An ", "The "] {
        if let Some(rest) = sentence.strip_prefix(article)
            && rest.to_lowercase().starts_with(&term.to_lowercase())
        {
            let article = article.trim();
            return Some(if article == "The" {
                "the"
            } else if article == "An" {
                "an"
            } else {
                "a"
            });
        }
    }
    None
}

/// "Why must X be Y?" from "X must be Y because Z.": the premise's subject
/// is named (not a pronoun), comes first, and an auxiliary follows it, so
/// the question is the premise with subject and auxiliary inverted.
pub(crate) fn reasons(
    chunk: &Chunk,
    analysis: &Analysis,
    phrase: &Phrasing,
    in_body: impl Fn(&Span) -> bool,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for reasoning in analysis.reasoning.iter().filter(|r| in_body(&r.span) && r.kind == ReasoningKind::Cause) {
        // "not involved in protecting the database from corruption due to
        // crashes": "due to" qualifies the noun before it as often as it
        // gives the premise's cause; the question would ask the wrong why.
        if matches!(reasoning.marker.to_lowercase().as_str(), "due to" | "owing to") {
            continue;
        }
        let Some(sentence) = chunk.text_at(reasoning.span) else { continue };
        if !prose::stands_alone(sentence) || !sentence.starts_with(reasoning.premise.trim()) {
            continue;
        }
        let premise = reasoning.premise.trim().trim_end_matches(',').trim();
        let Some(question) = why_question(premise) else { continue };
        if reasoning.explanation.split_whitespace().count() < 4 {
            continue;
        }
        let _ = phrase;
        out.push(Candidate::single(TaskType::ReasoningWhy, question, String::new(), vec![reasoning.span]));
    }
    out
}

/// "X must be Y" → "Why must X be Y?"; None unless a named subject of one to
/// six words is followed by an auxiliary.
fn why_question(premise: &str) -> Option<String> {
    if premise.contains([',', ';', ':', '(', '"']) || premise.contains(" and ") || prose::starts_unresolved(premise) {
        return None;
    }
    let words: Vec<&str> = premise.split_whitespace().collect();
    let aux_at = words.iter().position(|w| AUXILIARIES.contains(&w.to_lowercase().as_str()))?;
    if !(1..=6).contains(&aux_at) || words.len() < aux_at + 3 {
        return None;
    }
    let subject_words = &words[..aux_at];
    // "VACUUM normally only scans pages that have been modified": an
    // auxiliary after a relative pronoun or an adverb belongs to a clause
    // inside the predicate, not to the subject.
    let inner_clause = subject_words.iter().any(|w| {
        let w = w.to_lowercase();
        ["that", "which", "who", "whom", "whose", "where", "only"].contains(&w.as_str()) || w.ends_with("ly")
    });
    if inner_clause {
        return None;
    }
    // A subject opening with a subordinator or verb is no subject.
    let opener = subject_words[0].to_lowercase();
    if opener.ends_with("ly")
        || ["sometimes", "often", "always", "never", "now", "then", "here", "note"].contains(&opener.as_str())
    {
        return None;
    }
    if ["if", "when", "while", "once", "after", "before", "since", "as", "in", "on", "for", "by", "with", "you", "i"]
        .contains(&opener.as_str())
    {
        return None;
    }
    // "also", "too", "either": the premise continues an earlier point.
    let continues = words.iter().any(|w| {
        ["also", "too", "either", "even", "still", "again", "other", "another", "likewise"]
            .contains(&w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase().as_str())
    });
    if continues {
        return None;
    }
    let aux = words[aux_at].to_lowercase();
    let rest = words[aux_at + 1..].join(" ");
    // "A final point is that ...": a copula before a clause inverts into
    // nonsense, and so does "has to" ("Why has the checkpoint to stop?").
    if rest.starts_with("that ") || rest.starts_with("to ") {
        return None;
    }
    let subject = lower_first(&subject_words.join(" "));
    let (aux, rest) = match aux.as_str() {
        "cannot" => ("can't".to_string(), rest),
        _ => (aux, rest),
    };
    let rest = rest.trim_end_matches(['.', '!']);
    Some(format!("Why {aux} {subject} {rest}?"))
}

/// Verbs that state what a named piece of code does, with their base form
/// for the question ("`git stash list` shows ..." → "What does `git stash
/// list` show?").
const CODE_VERBS: &[(&str, &str)] = &[
    ("accepts", "accept"),
    ("adds", "add"),
    ("builds", "build"),
    ("calls", "call"),
    ("checks", "check"),
    ("contains", "contain"),
    ("controls", "control"),
    ("converts", "convert"),
    ("creates", "create"),
    ("defines", "define"),
    ("deletes", "delete"),
    ("describes", "describe"),
    ("determines", "determine"),
    ("disables", "disable"),
    ("displays", "display"),
    ("enables", "enable"),
    ("generates", "generate"),
    ("holds", "hold"),
    ("includes", "include"),
    ("lists", "list"),
    ("prevents", "prevent"),
    ("prints", "print"),
    ("provides", "provide"),
    ("raises", "raise"),
    ("reads", "read"),
    ("removes", "remove"),
    ("requires", "require"),
    ("returns", "return"),
    ("runs", "run"),
    ("saves", "save"),
    ("sends", "send"),
    ("sets", "set"),
    ("shows", "show"),
    ("specifies", "specify"),
    ("starts", "start"),
    ("stores", "store"),
    ("supports", "support"),
    ("takes", "take"),
    ("writes", "write"),
];

/// Whether a word is written as code: in backticks, a call, an option, a
/// dotted or snake_case name, or camelCase.
fn is_code_token(word: &str) -> bool {
    let core = word.trim_matches(|c: char| matches!(c, ',' | ';' | '"' | '\'' | '“' | '”'));
    // "2.0" is a version, not code.
    if !core.chars().any(char::is_alphabetic) {
        return false;
    }
    let inner = core.get(1..core.len().saturating_sub(1)).unwrap_or("");
    core.starts_with('`')
        || core.ends_with("()")
        || (core.starts_with("--") && core.len() > 3)
        || (inner.contains(['_', '.']) && !inner.contains(".."))
        || core.chars().zip(core.chars().skip(1)).any(|(a, b)| a.is_lowercase() && b.is_uppercase())
}

/// "What does `X` return?" from a sentence whose subject names code and
/// whose verb says what it does; answered by the sentence.
pub(crate) fn code_facts(chunk: &Chunk, analysis: &Analysis, in_body: impl Fn(&Span) -> bool) -> Vec<Candidate> {
    let mut out = Vec::new();
    for claim in analysis.claims.iter().filter(|c| in_body(&c.span)) {
        let Some(sentence) = chunk.text_at(claim.span) else { continue };
        if !prose::stands_alone(sentence) || sentence.split_whitespace().count() < MIN_ANSWER_WORDS {
            continue;
        }
        let words: Vec<&str> = sentence.split_whitespace().collect();
        let Some(verb_at) = words.iter().take(8).position(|w| CODE_VERBS.iter().any(|(v, _)| v == w)) else {
            continue;
        };
        let subject = &words[..verb_at];
        let opener = subject.first().map(|w| w.to_lowercase()).unwrap_or_default();
        // "Note that the `INSERT` command supports ...": a framing clause is
        // no part of the subject.
        let clause_inside = subject.iter().any(|w| {
            let bare = w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
            w.ends_with([':', ';'])
                || AUXILIARIES.contains(&bare.as_str())
                || bare.ends_with("ly")
                || [
                    "note", "that", "also", "only", "just", "then", "now", "so", "thus", "however", "instead", "still",
                    "further", "rather", "even",
                ]
                .contains(&bare.as_str())
        });
        let named_subject = !subject.is_empty()
            && !clause_inside
            && subject.len() <= 6
            && subject.iter().any(|w| is_code_token(w))
            && !subject.iter().any(|w| w.ends_with(',') || w.contains(['(', ')']) && !w.ends_with("()"))
            && !["if", "when", "while", "once", "after", "before", "since", "as", "in", "on", "for", "by", "with"]
                .contains(&opener.as_str());
        if !named_subject {
            continue;
        }
        let Some((_, base)) = CODE_VERBS.iter().find(|(v, _)| *v == words[verb_at]) else { continue };
        // "`PAPER=a4` sets it to ...": what "it" is, the reader cannot tell.
        let pronoun_object = words[verb_at + 1..].iter().take(2).any(|w| {
            ["it", "them", "they", "this", "that", "these", "those"]
                .contains(&w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase().as_str())
        });
        if pronoun_object {
            continue;
        }
        let subject_text = lower_first(&subject.join(" "));
        out.push(Candidate::single(
            TaskType::FactualQa,
            format!("What does {subject_text} {base}?"),
            String::new(),
            vec![claim.span],
        ));
    }
    out
}

/// "What does the `--keep-index` option do?" from a labelled list entry
/// ("--keep-index, --no-keep-index: Keep the index ..." or
/// "`html_static_path`: A list of paths ..."), answered by its description.
pub(crate) fn labelled_items(chunk: &Chunk, phrase: &Phrasing) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (index, block) in body_blocks(chunk) {
        if block.kind != BlockKind::ListItem {
            continue;
        }
        let Some(text) = chunk.text_at(block.span) else { continue };
        let Some((label, description)) = text.split_once(": ") else { continue };
        let first_label = label.split(", ").next().unwrap_or(label).trim().trim_matches('`');
        let Some((name, kind)) = object_name(first_label) else { continue };
        // A plain word or a capitalised name ("MathJax") labels a value of
        // a setting as often as a setting: only code-like labels are objects.
        // (Plain words written as code, "`next`", "`site`", label a view's
        // context in one list and another view's in the next: ambiguous.)
        let code_like = kind != ObjectKind::Named || name.contains(['_', '.']);
        if label.split_whitespace().count() > 6 || !code_like {
            continue;
        }
        let Some(offset) = text.len().checked_sub(description.len()) else { continue };
        let start = block.span.start as usize + offset;
        let description_span = Span::new(start, start + description.len());
        let sentences = brightrun_types::sentences(description);
        let mut end = 0;
        let mut words = 0;
        for (at, sentence) in sentences.iter().take(LEAD_SENTENCES) {
            let count = sentence.split_whitespace().count();
            let clean = !prose::points_elsewhere(sentence)
                && !prose::ends_mid_clause(sentence)
                && !prose::has_markup_residue(sentence)
                && !prose::is_changelog_note(sentence);
            if !clean || words + count > MAX_ANSWER_WORDS {
                break;
            }
            words += count;
            end = at + sentence.len();
        }
        if words < 6 || end == 0 {
            continue;
        }
        let span = Span::new(description_span.start as usize, description_span.start as usize + end);
        let Some(answer) = chunk.text_at(span) else { continue };
        if prose::starts_unresolved(answer)
            || prose::leans_on_context(answer)
            || !describes_object(answer)
            || (kind == ObjectKind::Named && !states_a_role(answer, &name))
        {
            continue;
        }
        let owner = owner_before(chunk, index);
        if owner.is_none() && kind == ObjectKind::Named && owner_cut_off(chunk, index) {
            continue;
        }
        let Some(context) = owner.or_else(|| object_context(chunk, index, kind)) else {
            continue;
        };
        let pick = phrase.pick(TaskType::FactualQa, &name, 2);
        let question = object_question(&name, kind, &context, pick);
        out.push(Candidate::single(object_task(kind), question, answer.to_string(), vec![span]));
    }
    out
}

/// Whether the list holding item `index` belongs to an owner this chunk
/// does not show: the list is labelled as a class's or a function's
/// ("Attributes:", "Parameters:") with no class line before it, or it runs
/// back to the chunk's first block, so its owner was in the chunk before
/// (`token_generator` under which of five views?).
fn owner_cut_off(chunk: &Chunk, index: usize) -> bool {
    let mut first = index.min(chunk.blocks.len());
    while first > 0 && chunk.blocks[first - 1].kind == BlockKind::ListItem {
        first -= 1;
    }
    let Some(before) = first.checked_sub(1).and_then(|at| chunk.blocks.get(at)) else { return true };
    if before.kind != BlockKind::Paragraph {
        return false;
    }
    let label =
        chunk.text_at(before.span).unwrap_or("").trim().trim_matches('*').trim_end_matches(':').trim_matches('*');
    ["attributes", "arguments", "parameters", "keyword arguments", "methods"].contains(&label.to_lowercase().as_str())
}

/// The class whose attribute list an item is in, when a signature line
/// ("class LogoutView", as pandoc writes a Sphinx signature into Markdown)
/// opens the paragraphs before it: `template_name` is a different thing
/// under each view.
fn owner_before(chunk: &Chunk, index: usize) -> Option<Context> {
    for block in chunk.blocks[..index.min(chunk.blocks.len())].iter().rev().take(40) {
        if block.kind == BlockKind::Heading {
            return None;
        }
        if block.kind != BlockKind::Paragraph {
            continue;
        }
        let text = chunk.text_at(block.span)?.trim_start();
        // pandoc's DOCX of a Sphinx page keeps the permalink and source link.
        // Markdown keeps the name as inline code: "class `PasswordResetView`".
        let unquoted = text.lines().next().unwrap_or("").replace('`', "");
        let line = unquoted.trim_end().trim_end_matches('¶').trim_end_matches("[source]");
        if let Some(rest) = line.strip_prefix("class ").or_else(|| line.strip_prefix("exception ")) {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.')).collect();
            let name = name.rsplit('.').next().unwrap_or(&name).to_string();
            if name.chars().next().is_some_and(char::is_uppercase) {
                return Some(Context::Owner(name));
            }
            continue;
        }
        // "logout_then_login(request, login_url=None)": the arguments listed
        // after it are that function's.
        if let Some((callable, ObjectKind::Callable)) = object_name(line).filter(|_| line.ends_with(')')) {
            return Some(Context::Function(callable));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_says_what_its_object_does_not_only_its_value() {
        for (answer, name) in [
            ("A list of paths that contain custom static files.", "html_static_path"),
            ("A string representing the scheme of the request (`http` or `https` usually).", "HttpRequest.scheme"),
            ("The author name(s) of the document.", "author"),
            ("user_dic option is the user dictionary file path for Janome.", "user_dic"),
            ("`html_static_path` holds a list of paths.", "html_static_path"),
            ("To enable it, set it to `True`.", "keep_going"),
        ] {
            assert!(states_a_role(answer, name), "{answer}");
        }
        for (answer, name) in [
            ("2 (for \"<h2>\", cf. the HTML Standard)", "initial_header_level"),
            ("The value of root_doc, for usage with pathto().", "root_doc"),
            ("To specify names to enable gettext extracting and translation applying.", "gettext_additional_targets"),
            ("`autodoc` supports to suppress warning messages via `suppress_warnings`.", "suppress_warnings"),
            ("The `linkcheck` builder may issue a large number of requests.", "linkcheck_rate_limit_timeout"),
        ] {
            assert!(!states_a_role(answer, name), "{answer}");
        }
    }

    #[test]
    fn signatures_name_objects_and_glosses_do_not() {
        assert_eq!(object_name("os.path.join(path, *paths)"), Some(("os.path.join()".into(), ObjectKind::Callable)));
        assert_eq!(object_name("class Model(**kwargs)"), Some(("Model()".into(), ObjectKind::Callable)));
        assert_eq!(object_name("--keep-index"), Some(("--keep-index".into(), ObjectKind::Option)));
        assert_eq!(object_name("html_static_path"), Some(("html_static_path".into(), ObjectKind::Named)));
        assert_eq!(object_name("path() argument: route"), None, "a heading about an argument");
        assert_eq!(object_name("sect.shell-environment"), None, "a slug");
        assert_eq!(object_name("user_catalog_table (boolean)"), Some(("user_catalog_table".into(), ObjectKind::Named)));
        assert_eq!(object_name("pagewidth (CSS length)"), None);
        for heading in ["DESCRIPTION", "Using the cache", "Proxy models", "NOTES"] {
            assert_eq!(object_name(heading), None, "{heading}");
        }
    }

    #[test]
    fn only_a_plain_noun_phrase_is_specific_by_its_subject_alone() {
        for term in ["theme", "a search index", "Models"] {
            assert!(plain_noun_phrase(term), "{term}");
        }
        for term in ["Regardless of whether it", "what you need", "one of the four"] {
            assert!(!plain_noun_phrase(term), "{term}");
        }
    }

    #[test]
    fn inflections_are_matched_as_words() {
        for (word, base) in [("created", "create"), ("running", "run"), ("sets", "set"), ("queried", "query")] {
            assert!(inflects(word, base), "{word} {base}");
        }
        assert!(!inflects("user", "use"));
        assert!(!inflects("settings", "set"));
    }

    #[test]
    fn purposes_need_a_specific_goal_and_a_way() {
        assert_eq!(
            purpose_of("To change the port of `runserver`, pass it as a command-line argument.").as_deref(),
            Some("change the port of `runserver`")
        );
        assert_eq!(
            purpose_of("To create an environment in env, run:").as_deref(),
            Some("create an environment in env")
        );
        assert_eq!(
            purpose_of("You can stop a Django migration from running by setting atomic to False.").as_deref(),
            Some("stop a Django migration from running")
        );
        for sentence in [
            "To prevent long processing times, a warning is inserted instead.",
            "If you want to ensure consistent highlighting, you should fix your version of Pygments.",
            "To do this, run the command.",
            "To reduce the overhead, use a queue.",
            "To update the visibility map, which speeds up scans.",
            "To clean things up, rebase the topic.",
        ] {
            assert_eq!(purpose_of(sentence), None, "{sentence}");
        }
    }

    #[test]
    fn why_questions_invert_a_named_subject() {
        assert_eq!(
            why_question("A field name cannot be a Python reserved word").as_deref(),
            Some("Why can't a field name be a Python reserved word?")
        );
        for premise in [
            "It must be restarted",
            "Sometimes the thing cannot be amended",
            "GET would also be unsuitable for a password form",
            "Note that attributes will not be documented",
            "VACUUM normally only scans pages that have been modified",
            "The checkpoint has to stop at that point",
        ] {
            assert_eq!(why_question(premise), None, "{premise}");
        }
    }
}
