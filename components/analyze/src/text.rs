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
pub(crate) static STOPWORDS: WordSet = phf::phf_set! {
    "a", "about", "above", "after", "again", "against", "all", "already", "also", "although", "always", "am", "an",
    "and", "another", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "cannot", "could", "did", "do", "does", "doesn't", "doing", "don't", "done", "down",
    "during", "e.g", "each", "either", "else", "etc", "even", "every", "few", "first", "for", "from", "further",
    "get", "gets", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "however", "i",
    "i.e", "if", "in", "instead", "into", "is", "isn't", "it", "it's", "its", "itself", "just", "last", "least",
    "less", "let", "like", "made", "make", "makes", "many", "may", "me", "might", "more", "most", "much", "must",
    "my", "need", "needs", "never", "new", "next", "no", "nor", "not", "now", "of", "off", "often", "on", "once",
    "one", "only", "or", "other", "our", "ours", "out", "over", "own", "per", "rather", "same", "second", "see",
    "she", "should", "since", "so", "some", "still", "such", "than", "that", "the", "their", "them", "then",
    "there", "therefore", "these", "they", "this", "those", "though", "three", "through", "thus", "to", "too",
    "two", "under", "unless", "until", "up", "upon", "us", "use", "used", "uses", "using", "very", "via", "was",
    "way", "ways", "we", "well", "were", "what", "when", "where", "whereas", "whether", "which", "while", "who",
    "whom", "why", "will", "with", "within", "without", "would", "yet", "you", "your", "yours",
};

/// True for a function word (case-insensitive).
pub fn is_stopword(word: &str) -> bool {
    lowercase_in(&STOPWORDS, word)
}

/// A set of lowercase words, hashed at compile time: looking a word up costs
/// one hash and one comparison, and a component instance (one per call)
/// builds nothing first.
pub type WordSet = phf::Set<&'static str>;

/// True when `word` lowercased is in `set`. ASCII words, nearly all of them,
/// are lowercased on the stack: this runs for every word of every chunk, and
/// allocating a lowercase copy, then scanning a list, was a fifth of analyze.
pub fn lowercase_in(set: &WordSet, word: &str) -> bool {
    if !word.is_ascii() {
        return set.contains(word.to_lowercase().as_str());
    }
    let mut buffer = [0u8; LONGEST_LISTED_WORD];
    let Some(lower) = buffer.get_mut(..word.len()) else { return false };
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    // ASCII lowercased is still ASCII, so this never fails.
    std::str::from_utf8(lower).is_ok_and(|lower| set.contains(lower))
}

/// Longer than every word in the sets given to [`lowercase_in`] (the crate's
/// tests check it), so a longer word is in none of them.
pub const LONGEST_LISTED_WORD: usize = 24;

/// Estimated syllables: groups of vowels, a silent final "e" dropped, at least one.
pub fn syllables(word: &str) -> usize {
    if word.is_ascii() {
        return syllables_of(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    }
    syllables_of(word.to_lowercase().chars())
}

/// [`syllables`] over the characters of a lowercase word.
fn syllables_of(lower: impl DoubleEndedIterator<Item = char> + Clone) -> usize {
    let mut count = 0;
    let mut previous_vowel = false;
    for ch in lower.clone() {
        let vowel = matches!(ch, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if vowel && !previous_vowel {
            count += 1;
        }
        previous_vowel = vowel;
    }
    let mut from_end = lower.rev();
    let silent_e = from_end.next() == Some('e') && from_end.next() != Some('l');
    if silent_e && count > 1 {
        count -= 1;
    }
    count.max(1)
}

/// `text` without trailing sentence punctuation and spaces.
pub fn trim_end_punctuation(text: &str) -> &str {
    text.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '.' | '!' | ';' | ':' | ','))
}
