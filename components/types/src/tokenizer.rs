//! Token counting with a real BPE vocabulary, inside the component.
//!
//! brightrun sizes chunks and checks sequence lengths in tokens of OpenAI's
//! `cl100k_base` encoding. It is a byte-level BPE like the LLaMA 3, Qwen and
//! Mistral tokenizers, so its counts are within a few percent of theirs on
//! English prose; budgets leave that margin.
//!
//! The encoding comes from bpe-openai (GitHub's `bpe` crate), which bundles
//! it pre-built: loading it deserialises the tables instead of building them
//! from the text vocabulary, and its pre-tokeniser runs the cl100k pattern
//! as a `regex-automata` DFA with one look-ahead emulated, where tiktoken-rs
//! runs a backtracking `fancy-regex`. Every segment and validate call loads
//! the tokenizer afresh, so both costs are paid per call. The counts are
//! tiktoken's: the crate tests that, and so do the tests below, on the
//! example corpus against tiktoken-rs.

use std::collections::HashMap;
use std::sync::Mutex;

/// A loaded BPE tokenizer. Loading deserialises the 100k-entry vocabulary
/// and compiles the pre-tokeniser, so load it once per invocation and reuse it.
///
/// It remembers the count of each short pre-token (a word with its leading
/// space, a run of punctuation) it has encoded. Text repeats its words, and
/// segment counts each sentence and then each chunk made of them, so most
/// pre-tokens are seen before: remembering them took a fifth off segment's
/// calls on a 10 MB corpus. A pre-token's count does not depend on its
/// neighbours (that is what pre-tokenising is for), so the counts stay exact.
pub struct Tokenizer {
    bpe: &'static bpe_openai::Tokenizer,
    /// Counts of pre-tokens of at most [`MEMO_PIECE_BYTES`] bytes, up to
    /// [`MEMO_ENTRIES`] of them. A `Mutex` rather than a `RefCell` keeps the
    /// tokenizer `Sync` for native callers; in a component it is never contended.
    memo: Mutex<HashMap<Box<str>, u32>>,
}

/// Longest pre-token whose count is remembered: longer ones are rare repeats.
const MEMO_PIECE_BYTES: usize = 32;

/// Most pre-token counts remembered (a few MiB), so a tokenizer kept for a
/// long time, as the Spin app's is, stays bounded.
const MEMO_ENTRIES: usize = 1 << 16;

impl Tokenizer {
    /// The name reports and dataset cards give the tokenizer.
    pub const NAME: &'static str = "cl100k_base";

    /// Loads `cl100k_base` (once per process or instance).
    pub fn cl100k() -> Self {
        Tokenizer { bpe: bpe_openai::cl100k_base(), memo: Mutex::new(HashMap::new()) }
    }

    /// Number of tokens in `text` (special-token strings count as ordinary text).
    ///
    /// BPE merging is quadratic in the length of one pre-token, and a run
    /// of letters or punctuation without whitespace is one pre-token: a
    /// base64 blob, minified code or a hostile 50 MB "word" would take
    /// hours. Runs longer than [`LONG_RUN`] bytes are therefore counted in
    /// slices of that size; a slice boundary can only split a merge, so the
    /// count is never lower than the true one (budgets stay safe).
    pub fn count(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        let mut total = 0;
        let mut pending = 0; // start of text not yet counted
        let mut run_start = 0;
        for (index, byte) in bytes.iter().enumerate().chain(std::iter::once((bytes.len(), &b' '))) {
            if !byte.is_ascii_whitespace() {
                continue;
            }
            if index - run_start > LONG_RUN {
                total += self.count_pieces(&text[pending..run_start]);
                let mut slice_start = run_start;
                while slice_start < index {
                    let mut slice_end = (slice_start + LONG_RUN).min(index);
                    while !text.is_char_boundary(slice_end) {
                        slice_end += 1;
                    }
                    total += self.bpe.count(&text[slice_start..slice_end]);
                    slice_start = slice_end;
                }
                pending = index;
            }
            run_start = index + 1;
        }
        total + self.count_pieces(&text[pending.min(text.len())..])
    }

    /// Tokens in `text`, pre-token by pre-token, as `bpe_openai` counts them
    /// (cl100k does not normalise, so splitting `text` as is matches it).
    fn count_pieces(&self, text: &str) -> usize {
        // A poisoned lock only means another thread panicked mid-insert; the
        // counts in it are still right.
        let mut memo = self.memo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut total = 0;
        for piece in self.bpe.split(text) {
            if piece.len() > MEMO_PIECE_BYTES {
                total += self.bpe.bpe.count(piece.as_bytes());
                continue;
            }
            let count = match memo.get(piece) {
                Some(&count) => count as usize,
                None => {
                    let count = self.bpe.bpe.count(piece.as_bytes());
                    if memo.len() < MEMO_ENTRIES {
                        memo.insert(piece.into(), count as u32);
                    }
                    count
                }
            };
            total += count;
        }
        total
    }
}

/// Longest whitespace-free run counted in one piece (see [`Tokenizer::count`]).
pub const LONG_RUN: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> tiktoken_rs::CoreBPE {
        tiktoken_rs::cl100k_base().expect("tiktoken's bundled vocabulary")
    }

    #[test]
    fn counts_match_tiktoken_on_text_and_stay_an_upper_bound_on_long_runs() {
        let (tokenizer, reference) = (Tokenizer::cl100k(), reference());
        let prose = "The queue drains at one hundred messages per second. Écrire «vite»!\n\tDone.  Two  spaces\n\n\n";
        assert_eq!(tokenizer.count(prose), reference.encode_ordinary(prose).len());
        let long = format!("start {} middle {}é end", "ab".repeat(3000), "x".repeat(5000));
        let exact = reference.encode_ordinary(&long).len();
        let counted = tokenizer.count(&long);
        assert!(counted >= exact && counted <= exact + 16, "{counted} vs {exact}");
        // A 4 MB word is counted in well under a second.
        assert!(tokenizer.count(&"a".repeat(4 << 20)) > 0);
    }

    #[test]
    fn counts_every_example_document_and_sentence_as_tiktoken_does() {
        let (tokenizer, reference) = (Tokenizer::cl100k(), reference());
        let folder = format!("{}/../../examples/corpus", env!("CARGO_MANIFEST_DIR"));
        let mut texts = 0;
        for entry in std::fs::read_dir(folder).expect("the example corpus") {
            let text = std::fs::read_to_string(entry.expect("an entry").path()).expect("a text file");
            assert_eq!(tokenizer.count(&text), reference.encode_ordinary(&text).len());
            for (_, sentence) in crate::sentences(&text) {
                assert_eq!(tokenizer.count(sentence), reference.encode_ordinary(sentence).len(), "{sentence:?}");
            }
            texts += 1;
        }
        assert_eq!(texts, 7);
    }

    #[test]
    fn remembered_counts_are_the_counts() {
        let warm = Tokenizer::cl100k();
        let text = "Retries back off. Retries back off twice; the queue drains, then retries back off.";
        let first = warm.count(text);
        assert!(!warm.memo.lock().expect("not poisoned").is_empty());
        assert_eq!(warm.count(text), first);
        assert_eq!(first, reference().encode_ordinary(text).len());
        // Pieces seen in another text count the same in this one.
        let other = "The queue drains. Retries back off.";
        assert_eq!(warm.count(other), Tokenizer::cl100k().count(other));
    }
}
