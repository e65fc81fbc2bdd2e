//! Small text utilities: words with offsets, sentences, stopwords, syllables.

/// A word and its byte offset in the text it was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    /// Offset of the first byte.
    pub offset: usize,
    /// The word as written.
    pub text: &'a str,
}

/// Words of `text`: runs of alphanumerics, with inner `-`, `_`, `'` and `.`
/// kept (so "on-call", "max_tokens", "don't" and "v1.2" are one word).
pub fn words(text: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let bytes = text.as_bytes();
    for (index, ch) in text.char_indices() {
        let joiner = matches!(ch, '-' | '_' | '\'' | '.' | '’');
        let continues = ch.is_alphanumeric()
            || (joiner
                && start.is_some()
                && text[index + ch.len_utf8()..].chars().next().is_some_and(char::is_alphanumeric));
        match (start, continues) {
            (None, true) if ch.is_alphanumeric() => start = Some(index),
            (Some(begin), false) => {
                words.push(Word { offset: begin, text: &text[begin..index] });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(begin) = start {
        words.push(Word { offset: begin, text: &text[begin..bytes.len()] });
    }
    words
}

pub use brightrun_types::sentences;

/// Common English function words, which are never concepts on their own.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "either",
    "else",
    "etc",
    "even",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "least",
    "less",
    "let",
    "like",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "need",
    "needs",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "per",
    "rather",
    "same",
    "see",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "thus",
    "to",
    "too",
    "two",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "use",
    "used",
    "uses",
    "using",
    "very",
    "via",
    "was",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
    "therefore",
    "since",
    "unless",
    "although",
    "though",
    "whereas",
    "new",
    "make",
    "makes",
    "made",
    "way",
    "ways",
    "many",
    "first",
    "second",
    "next",
    "last",
    "another",
    "three",
    "always",
    "never",
    "still",
    "already",
    "instead",
    "e.g",
    "i.e",
    "don't",
    "doesn't",
    "isn't",
    "it's",
];

/// True for a function word (case-insensitive).
pub fn is_stopword(word: &str) -> bool {
    let lower = word.to_lowercase();
    STOPWORDS.contains(&lower.as_str())
}

/// Estimated syllables: groups of vowels, a silent final "e" dropped, at least one.
pub fn syllables(word: &str) -> usize {
    let lower = word.to_lowercase();
    let mut count = 0;
    let mut previous_vowel = false;
    for ch in lower.chars() {
        let vowel = matches!(ch, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if vowel && !previous_vowel {
            count += 1;
        }
        previous_vowel = vowel;
    }
    if lower.ends_with('e') && !lower.ends_with("le") && count > 1 {
        count -= 1;
    }
    count.max(1)
}

/// `text` without trailing sentence punctuation and spaces.
pub fn trim_end_punctuation(text: &str) -> &str {
    text.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '.' | '!' | ';' | ':' | ','))
}
