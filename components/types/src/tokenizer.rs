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

/// A loaded BPE tokenizer. Loading deserialises the 100k-entry vocabulary
/// and compiles the pre-tokeniser, so load it once per invocation and reuse it.
pub struct Tokenizer {
    bpe: &'static bpe_openai::Tokenizer,
}

impl Tokenizer {
    /// The name reports and dataset cards give the tokenizer.
    pub const NAME: &'static str = "cl100k_base";

    /// Loads `cl100k_base` (once per process or instance).
    pub fn cl100k() -> Self {
        Tokenizer { bpe: bpe_openai::cl100k_base() }
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
                total += self.bpe.count(&text[pending..run_start]);
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
        total + self.bpe.count(&text[pending.min(text.len())..])
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
}
