//! What a strict reviewer checks in a question or an answer before keeping
//! it in a fine-tuning set, shared by generate (which builds pairs only from
//! answer units that pass) and validate (which drops pairs that fail, with a
//! named reason). One implementation, so the two stages never disagree.
//!
//! Blind judging found that lexical fidelity says nothing about what a
//! reviewer keeps: an extracted sentence is always faithful, yet it is
//! thrown away when it opens with "This" (what is "this"?), points at a
//! figure the reader cannot see, stops mid-clause, is a changelog line, or
//! carries markup the decoder missed. Every check here errs towards
//! rejecting: a dataset loses little from a good pair dropped and much from
//! a bad pair kept.

use crate::DropReason;

/// Words that, opening a text, refer back to something the reader of a
/// lone pair has not seen.
const UNRESOLVED_OPENERS: &[&str] = &[
    "this",
    "these",
    "that",
    "those",
    "it",
    "its",
    "it's",
    "they",
    "them",
    "their",
    "such",
    "here",
    "he",
    "she",
    "we",
    "also",
    "however",
    "otherwise",
    "then",
    "thus",
    "therefore",
    "hence",
    "instead",
    "likewise",
    "similarly",
    "moreover",
    "furthermore",
    "additionally",
    "finally",
    "so",
    "but",
    "and",
    "or",
    "nor",
    "both",
    "another",
    "again",
    "alternatively",
    "consequently",
    "still",
    "yet",
    "next",
    "afterwards",
    "meanwhile",
    "besides",
    "accordingly",
    "above",
    "below",
    "now",
    "luckily",
    "fortunately",
    "unfortunately",
    "obviously",
    "conversely",
    "ok",
    "okay",
    "well",
    "first",
    "second",
    "third",
    "lastly",
    "later",
    "earlier",
    "previously",
];

/// Phrases that, opening a text, refer back or ahead.
const UNRESOLVED_OPENING_PHRASES: &[&str] = &[
    "for example",
    "for instance",
    "in this case",
    "in that case",
    "in such cases",
    "in addition",
    "in particular",
    "the following",
    "the above",
    "the latter",
    "the former",
    "the same",
    "the other",
    "the rest",
    "the result",
    "as a result",
    "as mentioned",
    "as shown",
    "as described",
    "as noted",
    "as before",
    "as above",
    "as with",
    "in other words",
    "on the other hand",
    "in contrast",
    "by contrast",
    "at this point",
    "in this example",
    "one such",
    "each of these",
    "all of these",
    "none of these",
    "some of these",
    "one of these",
    "with this",
    "to do this",
    "to do so",
    "in doing so",
    "e.g.",
    "i.e.",
    "note:",
    "see ",
];

/// Phrases anywhere in a text that point at what a lone pair's reader cannot
/// see: other parts of the document, figures, examples, citations.
const POINTERS: &[&str] = &[
    "below",
    "above",
    "the following",
    "as follows",
    "shown",
    "previous section",
    "previous chapter",
    "previous example",
    "preceding",
    "next section",
    "next chapter",
    "next example",
    "next item",
    "take a look at",
    "have a look at",
    "previous item",
    "next one",
    "this section",
    "this chapter",
    "this page",
    "this document",
    "this tutorial",
    "this example",
    "this manual",
    "this guide",
    "this article",
    "this package",
    "this text",
    "this list",
    "this table",
    "this step",
    "this point",
    "this case",
    "this way",
    "the example",
    "the examples",
    "the figure",
    "in the table",
    "the table below",
    "earlier",
    "see",
    "refer to",
    "listed in",
    "described in",
    "discussed in",
    "explained in",
    "covered in",
    "mentioned",
    "here",
    "click",
    "hereafter",
    "aforementioned",
    "later on",
    "skip ahead",
    "jump to",
];

/// Words that name a part of a document when a number follows ("Table 9.50").
const NUMBERED_PARTS: &[&str] =
    &["table", "figure", "fig.", "section", "chapter", "example", "listing", "appendix", "step", "page", "p.", "line"];

/// Words that leave a clause open when a text ends on them.
const OPEN_ENDINGS: &[&str] = &[
    "the", "a", "an", "of", "to", "and", "or", "that", "which", "with", "for", "in", "on", "by", "as", "so", "if",
    "when", "is", "are", "be", "from", "at", "into", "than", "but", "its", "their", "your", "this", "these", "such",
    "whose", "where", "while", "because", "like", "via", "e.g", "i.e", "etc.,",
];

/// Openings of changelog notes ("Changed in version 3.2: ...").
const CHANGELOG_OPENINGS: &[&str] = &[
    "new in version",
    "changed in version",
    "deprecated since version",
    "deprecated in version",
    "deprecated in",
    "added in version",
    "removed in version",
    "version added",
    "version changed",
    "since version",
    "new in ",
    "changed in ",
    "added in ",
    "removed in ",
];

/// The text lower-cased with inline code spans and fenced blocks taken out,
/// so checks on wording never fire on code a pair quotes on purpose.
pub fn prose_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if fenced {
            continue;
        }
        let mut inline = false;
        for c in line.chars() {
            if c == '`' {
                inline = !inline;
                out.push_str(if inline { " CODE" } else { " " });
            } else if !inline {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// `text` without its fenced code blocks.
fn without_fences(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Whether `lower` holds `needle` with a non-alphanumeric character (or
/// nothing) on either side.
fn has_phrase(lower: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(at) = lower.get(from..).and_then(|rest| rest.find(needle)) {
        let start = from + at;
        let end = start + needle.len();
        let before_ok = lower[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let needle_ends_open = needle.ends_with(|c: char| !c.is_alphanumeric());
        let after_ok = needle_ends_open || lower[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// The first word, lower-cased, without surrounding quotes or brackets.
fn first_word(text: &str) -> String {
    let trimmed = text.trim_start_matches(|c: char| !c.is_alphanumeric());
    trimmed
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':' || c == ';')
        .next()
        .unwrap_or("")
        .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '\'')
        .to_lowercase()
}

/// Opens with a word or phrase that refers to what came before ("This",
/// "It", "However", "For example", "The following"): the reader of one pair
/// cannot resolve it.
pub fn starts_unresolved(text: &str) -> bool {
    let lower = text.trim_start().to_lowercase();
    let lower = lower.trim_start_matches(['"', '\'', '(', '*', '-']);
    if UNRESOLVED_OPENING_PHRASES.iter().any(|phrase| lower.starts_with(phrase)) {
        return true;
    }
    UNRESOLVED_OPENERS.contains(&first_word(lower).as_str())
}

/// Points at something outside the pair: "below", "see X", "the example",
/// "Table 9.50", a citation such as "[4]", or "this section".
pub fn points_elsewhere(text: &str) -> bool {
    let lower = prose_of(text).to_lowercase();
    if POINTERS.iter().any(|pointer| has_phrase(&lower, pointer)) {
        return true;
    }
    let words: Vec<&str> = lower.split_whitespace().collect();
    let numbered = words.windows(2).any(|pair| {
        NUMBERED_PARTS.contains(&pair[0])
            && pair[1].trim_end_matches(['.', ',', ')', ';', ':']).chars().next().is_some_and(|c| c.is_ascii_digit())
    });
    numbered || has_citation(&lower)
}

/// "[4]", "[4, p. 12]", "[12]": a reference to a bibliography the pair does not carry.
fn has_citation(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(at, b)| {
        *b == b'['
            && bytes.get(at + 1).is_some_and(u8::is_ascii_digit)
            && bytes[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count() <= 3
            && bytes[at + 1..].iter().find(|c| !c.is_ascii_digit()).is_some_and(|c| *c == b']' || *c == b',')
    })
}

/// Uses "this", "these" or "those" as a pointer inside its first sentence
/// ("If this option is set"): an answer whose subject is not in it.
pub fn leans_on_context(text: &str) -> bool {
    let prose = prose_of(text);
    let first = crate::sentences(&prose).first().map(|(_, s)| s.to_lowercase()).unwrap_or_default();
    ["this", "these", "those", "such", "said", "former", "latter"].iter().any(|w| has_phrase(&first, w))
}

/// Starts in the middle of a sentence: its first word is a plain
/// lower-case word that is not the sentence's subject ("possible, yet not
/// too much, because ..." continued from a column or page before). A name
/// written in lower case opens a sentence that goes on with its verb
/// ("docutils is a text processing system").
pub fn starts_mid_sentence(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let Some(first) = words.next() else { return false };
    let bare = first.trim_end_matches([',', ';', ':', '.']);
    if bare.is_empty() || !bare.chars().all(|c| c.is_ascii_lowercase()) {
        return false;
    }
    let verb = words.next().is_some_and(|second| {
        ["is", "are", "was", "were", "has", "have", "can", "will", "does", "may", "must", "should"].contains(&second)
    });
    bare.len() < first.len() || !verb
}

/// Ends where a clause is still open: on ":" or "," or ";", on a word such as
/// "the" or "so that", without final punctuation, or with brackets, quotes
/// or backticks left open.
pub fn ends_mid_clause(text: &str) -> bool {
    let trimmed = text.trim_end();
    if trimmed.ends_with("```") {
        return false;
    }
    let Some(last) = trimmed.chars().next_back() else { return true };
    if !matches!(last, '.' | '!' | '?' | ')' | '"' | '\'' | '`' | '”' | '’' | ']' | '}' | '*') {
        return true;
    }
    let prose = prose_of(trimmed);
    let last_word = prose
        .split_whitespace()
        .next_back()
        .unwrap_or("")
        .trim_end_matches(['.', '!', '?', ')', '"', '\''])
        .to_lowercase();
    if OPEN_ENDINGS.contains(&last_word.as_str()) {
        return true;
    }
    unbalanced(&prose)
}

/// Brackets, double quotes or inline code left open (a clipped fragment:
/// "Default: `\"." cut inside its code).
pub fn unbalanced(text: &str) -> bool {
    let count = |c: char| text.chars().filter(|x| *x == c).count();
    count('`') % 2 == 1
        || count('(') != count(')')
        || count('[') != count(']')
        || count('{') != count('}')
        || count('"') % 2 == 1
        || count('“') != count('”')
}

/// Ends by announcing what it does not give: "There are two ways to send
/// signals." with the ways left out.
pub fn announces_more(text: &str) -> bool {
    let prose = prose_of(text).to_lowercase();
    let last = crate::sentences(&prose).last().map(|(_, s)| s.to_string()).unwrap_or_default();
    let counts = ["two", "three", "four", "five", "several", "a few", "some", "many", "various", "a number of"];
    let things = ["ways", "options", "methods", "steps", "kinds", "types", "approaches", "cases", "modes", "forms"];
    // "There are several, with various degrees of completeness.": a count
    // without the things counted.
    let vague_count = ["there are several", "there are many", "there are a few", "there are some"]
        .iter()
        .any(|start| last.trim_start().starts_with(start))
        && last.split_whitespace().count() < 12;
    vague_count || counts.iter().any(|count| things.iter().any(|thing| has_phrase(&last, &format!("{count} {thing}"))))
}

/// A changelog line ("Changed in version 3.2: ...", "New in Django 4.1"):
/// true only of one release, so never a stand-alone fact.
pub fn is_changelog_note(text: &str) -> bool {
    let lower = text.trim_start().to_lowercase();
    CHANGELOG_OPENINGS.iter().any(|opening| {
        lower.strip_prefix(opening).is_some_and(|rest| {
            let rest = rest.trim_start().trim_start_matches("version").trim_start();
            let rest = rest.split_whitespace().find(|w| !w.chars().all(char::is_alphabetic));
            rest.is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        })
    })
}

/// Markup a decoder should have removed: reStructuredText roles, directives,
/// targets, substitutions and footnotes; AsciiDoc macros, attributes and
/// delimiters; TeX internals; pilcrows and permalink marks; adornment lines.
/// Inline code spans and fenced blocks are not searched: a pair may quote
/// code on purpose.
pub fn has_markup_residue(text: &str) -> bool {
    let prose = prose_of(text);
    if prose.contains('¶') || prose.contains("[source]") || prose.contains("(ref)") || prose.contains("linkgit:") {
        return true;
    }
    let unfenced = without_fences(text);
    if has_rst_role(&prose) || unfenced.contains("`_") || prose.contains("]_") {
        return true;
    }
    if prose.contains("[[") || prose.contains("]]") || prose.contains("ifdef::") || prose.contains("include::") {
        return true;
    }
    let line_markup = prose.lines().any(|line| {
        let line = line.trim();
        line.starts_with(".. ")
            || line == "::"
            || line.ends_with("::")
            || line == "+"
            || (line.chars().count() >= 4
                && line.chars().next().is_some_and(|c| "=-~^*#+._".contains(c))
                && line.chars().all(|c| line.starts_with(c)))
    });
    line_markup || has_substitution(&prose) || has_tex(&prose) || has_attribute_reference(&prose)
}

/// `:func:` followed by a backtick (a role the decoder left): a colon, a
/// lower-case name (with `:`, `-`, `_`, `+`), a colon, a backtick. The
/// backtick itself became " CODE" in [`prose_of`], so that is what follows.
fn has_rst_role(prose: &str) -> bool {
    let bytes = prose.as_bytes();
    let mut at = 0;
    while let Some(found) = prose.get(at..).and_then(|rest| rest.find(": CODE")) {
        let colon = at + found;
        let name: Vec<u8> = bytes[..colon]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b':' | b'-' | b'_' | b'+'))
            .copied()
            .collect();
        let starts_with_colon = colon > name.len() && bytes[colon - name.len() - 1] == b':';
        if !name.is_empty() && (starts_with_colon || name.contains(&b':')) {
            return true;
        }
        at = colon + 1;
    }
    false
}

/// `|name|` where name is one word: a substitution reference.
fn has_substitution(prose: &str) -> bool {
    prose.split('|').collect::<Vec<_>>().windows(3).any(|parts| {
        let name = parts[1];
        !name.is_empty()
            && name.len() <= 30
            && !name.starts_with(' ')
            && !name.ends_with(' ')
            && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            && parts[0].ends_with(|c: char| c.is_whitespace())
            && parts[2].starts_with(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
    })
}

/// TeX source outside code: a control sequence with `@` (`\rc@newcommand`),
/// a macro parameter (`#1`), a control sequence taking a braced or bracketed
/// argument (`\setlength{`), or four or more control sequences in one text.
fn has_tex(prose: &str) -> bool {
    let mut sequences = 0;
    let chars: Vec<char> = prose.chars().collect();
    for (at, c) in chars.iter().enumerate() {
        if *c == '#'
            && chars.get(at + 1).is_some_and(|d| d.is_ascii_digit())
            && at > 0
            && !chars[at - 1].is_alphanumeric()
        {
            return true;
        }
        if *c != '\\' {
            continue;
        }
        let name: String = chars[at + 1..].iter().take_while(|c| c.is_ascii_alphabetic() || **c == '@').collect();
        if name.is_empty() {
            continue;
        }
        if name.contains('@') || matches!(chars.get(at + 1 + name.len()), Some('{' | '[')) {
            return true;
        }
        sequences += 1;
    }
    sequences >= 4
}

/// `{name}` with a lower-case one-word name (an AsciiDoc attribute such as
/// `{litdd}`), outside code.
fn has_attribute_reference(prose: &str) -> bool {
    prose.split('{').skip(1).any(|rest| {
        rest.split_once('}').is_some_and(|(name, _)| {
            (2..=20).contains(&name.len()) && name.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
        })
    })
}

/// Content words: lower-case words of three or more letters that are not
/// function words.
pub fn content_words(text: &str) -> Vec<String> {
    const FUNCTION_WORDS: &[&str] = &[
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "has", "have", "had", "was", "were",
        "this", "that", "these", "those", "with", "from", "into", "what", "which", "when", "where", "why", "how",
        "who", "does", "did", "its", "your", "there", "their", "then", "than", "them", "they", "will", "would",
        "should", "could", "may", "might", "must", "also", "only", "just", "use", "used", "using", "about", "is",
    ];
    crate::question::words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !FUNCTION_WORDS.contains(&w.as_str()))
        .collect()
}

/// The answer says little the question does not already hold: fewer than
/// three of its content words, or under a fifth of them, are new, and it
/// shows no code.
pub fn repeats_question(question: &str, answer: &str) -> bool {
    // Code the answer shows is what it adds.
    if without_fences(answer).len() < answer.len() {
        return false;
    }
    let asked: std::collections::HashSet<String> = content_words(question).into_iter().collect();
    let said = content_words(&prose_of(answer));
    if said.is_empty() {
        return true;
    }
    let new = said.iter().filter(|w| !asked.contains(*w)).count();
    new < 3 || new * 5 < said.len()
}

/// Too short to teach anything: under five words of prose and no code.
pub fn is_trivial_answer(answer: &str) -> bool {
    !answer.contains("```") && prose_of(answer).split_whitespace().count() < 5
}

/// A word written twice in a row ("or or", "the the"): a typo in the
/// source that a pair would teach. Numbers and code are not checked.
pub fn has_doubled_word(text: &str) -> bool {
    let prose = prose_of(text).to_lowercase();
    let words: Vec<&str> = prose.split_whitespace().collect();
    words.windows(2).any(|pair| {
        pair[0] == pair[1] && pair[0].chars().all(char::is_alphabetic) && !matches!(pair[0], "that" | "had" | "is")
    })
}

/// Everything a reviewer checks in an answer unit that stands alone: no
/// unresolved opening, no pointer elsewhere, no "this X" in its first
/// sentence, complete, no changelog note, no markup.
pub fn stands_alone(text: &str) -> bool {
    !starts_unresolved(text)
        && !points_elsewhere(text)
        && !leans_on_context(text)
        && !ends_mid_clause(text)
        && !is_changelog_note(text)
        && !has_markup_residue(text)
}

/// The reviewer's objection to a question, if any.
pub fn review_question(question: &str) -> Option<DropReason> {
    let prose = prose_of(question);
    if has_markup_residue(question) {
        return Some(DropReason::LeftoverMarkup);
    }
    if starts_unresolved(question) || leans_on_context(question) {
        return Some(DropReason::UnresolvedReference);
    }
    if points_elsewhere(question) {
        return Some(DropReason::PointsElsewhere);
    }
    let ends_well = prose.trim_end().ends_with(['?', '.']) || question.trim_end().ends_with("```");
    if prose.split_whitespace().count() < 3 || !ends_well || unbalanced(&prose) {
        return Some(DropReason::FragmentQuestion);
    }
    None
}

/// The reviewer's objection to an answer to `question`, if any.
pub fn review_answer(question: &str, answer: &str) -> Option<DropReason> {
    if has_markup_residue(answer) {
        return Some(DropReason::LeftoverMarkup);
    }
    if is_changelog_note(answer) {
        return Some(DropReason::ChangelogNote);
    }
    if starts_unresolved(answer) || leans_on_context(answer) {
        return Some(DropReason::UnresolvedReference);
    }
    if points_elsewhere(answer) {
        return Some(DropReason::PointsElsewhere);
    }
    if is_numbered_list(answer) {
        let last = answer.lines().rfind(|line| !line.trim().is_empty()).unwrap_or("");
        if last.trim_end().ends_with([':', ',', ';']) || unbalanced(&prose_of(answer)) {
            return Some(DropReason::IncompleteAnswer);
        }
    } else if ends_mid_clause(answer) || starts_mid_sentence(answer) || announces_more(answer) || code_left_open(answer)
    {
        return Some(DropReason::IncompleteAnswer);
    }
    if is_trivial_answer(answer) {
        return Some(DropReason::TrivialAnswer);
    }
    if repeats_question(question, answer) {
        return Some(DropReason::QuestionRepeatsAnswer);
    }
    None
}

/// Inline code opened and never closed outside fenced blocks ("Default:
/// `\"." cut inside its code): `prose_of` cannot see it, as it takes all
/// after the backtick for code.
fn code_left_open(answer: &str) -> bool {
    without_fences(answer).matches('`').count() % 2 == 1
}

/// Steps as "1. ..." lines: each step is a line, not a sentence.
fn is_numbered_list(answer: &str) -> bool {
    answer.lines().next().is_some_and(|line| line.trim_start().starts_with("1. "))
}

/// Whether one question and its answer pass every check.
pub fn review_exchange(question: &str, answer: &str) -> bool {
    review_question(question).is_none() && review_answer(question, answer).is_none()
}

#[cfg(test)]
#[path = "prose_tests.rs"]
mod tests;
