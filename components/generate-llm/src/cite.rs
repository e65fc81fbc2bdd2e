//! Finding a model's quotes in the chunk. Models copy text loosely (line
//! breaks become spaces, quotes get curly, a trailing full stop goes
//! missing), so a quote is matched exactly first, then on a normalised form:
//! whitespace runs as one space, case folded, typographic quotes and dashes
//! as ASCII. The span returned always covers the chunk's own text, so the
//! evidence is what the document says, not what the model wrote.

use brightrun_types::{Chunk, Span};

/// Quotes shorter than this (in normalised characters) are too vague to cite.
pub const MIN_QUOTE_CHARS: usize = 12;

/// The document span of `quote` inside `chunk`, if the chunk contains it.
pub fn locate(chunk: &Chunk, quote: &str) -> Option<Span> {
    let quote = quote.trim().trim_matches(|c| matches!(c, '"' | '\u{201c}' | '\u{201d}' | '\u{2026}')).trim();
    let quote = quote.strip_suffix("...").unwrap_or(quote).trim_end();
    let (folded_quote, _) = fold(quote);
    if folded_quote.chars().count() < MIN_QUOTE_CHARS {
        return None;
    }
    let base = chunk.span.start as usize;
    if let Some(at) = chunk.text.find(quote) {
        return Some(Span::new(base + at, base + at + quote.len()));
    }
    let (folded_text, offsets) = fold(&chunk.text);
    let at = folded_text.find(&folded_quote)?;
    // `offsets[i]` is the byte offset in the chunk text of folded byte `i`'s
    // character; the end is the end of the last matched character.
    let start = offsets[at];
    let last = offsets[at + folded_quote.len() - 1];
    let end = last + chunk.text[last..].chars().next().map_or(0, char::len_utf8);
    Some(Span::new(base + start, base + end))
}

/// The normalised form of `text` and, for each of its bytes, the byte offset
/// in `text` of the character it came from.
fn fold(text: &str) -> (String, Vec<usize>) {
    let mut folded = String::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len());
    let mut pending_space: Option<usize> = None;
    for (at, c) in text.char_indices() {
        if c.is_whitespace() {
            pending_space.get_or_insert(at);
            continue;
        }
        if let Some(space_at) = pending_space.take()
            && !folded.is_empty()
        {
            folded.push(' ');
            offsets.push(space_at);
        }
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{2032}' => '\'',
            '\u{201c}' | '\u{201d}' | '\u{2033}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            _ => c,
        };
        for lower in c.to_lowercase() {
            let before = folded.len();
            folded.push(lower);
            offsets.extend(std::iter::repeat_n(at, folded.len() - before));
        }
    }
    (folded, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(text: &str) -> Chunk {
        Chunk {
            document: "guide.md".into(),
            index: 0,
            section_path: Vec::new(),
            subject: None,
            span: Span::new(100, 100 + text.len()),
            body_start: 100,
            text: text.into(),
            token_count: 0,
            blocks: Vec::new(),
        }
    }

    #[test]
    fn finds_exact_and_loosely_copied_quotes_and_returns_the_documents_text() {
        let c = chunk("Backups run nightly at 02:00.\nThe retention period is\n30 days for “daily” snapshots.");
        let span = locate(&c, "Backups run nightly at 02:00.").expect("exact");
        assert_eq!(c.text_at(span), Some("Backups run nightly at 02:00."));
        let span = locate(&c, "the retention period is 30 days for \"daily\" snapshots").expect("folded");
        assert_eq!(c.text_at(span), Some("The retention period is\n30 days for “daily” snapshots"));
        let span = locate(&c, "\"Backups run nightly at 02:00...\"").expect("ellipsis and quotes");
        assert_eq!(c.text_at(span), Some("Backups run nightly at 02:00"));
    }

    #[test]
    fn refuses_invented_and_vague_quotes() {
        let c = chunk("Backups run nightly at 02:00.");
        assert_eq!(locate(&c, "Backups run hourly at 02:00."), None);
        assert_eq!(locate(&c, "Backups"), None);
        assert_eq!(locate(&c, ""), None);
    }
}
