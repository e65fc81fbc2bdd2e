//! Token counting with a real BPE vocabulary, inside the component.
//!
//! brightrun sizes chunks and checks sequence lengths in tokens of OpenAI's
//! `cl100k_base` encoding, which tiktoken-rs bundles (no download at run
//! time). It is a byte-level BPE like the LLaMA 3, Qwen and Mistral
//! tokenizers, so its counts are within a few percent of theirs on English
//! prose; budgets leave that margin.

use tiktoken_rs::CoreBPE;

/// A loaded BPE tokenizer. Loading parses the 100k-entry vocabulary, so load
/// it once per invocation and reuse it.
pub struct Tokenizer {
    bpe: CoreBPE,
}

impl Tokenizer {
    /// The name reports and dataset cards give the tokenizer.
    pub const NAME: &'static str = "cl100k_base";

    /// Loads `cl100k_base`. `Err` carries tiktoken's message; it only happens
    /// if the bundled vocabulary is corrupt.
    pub fn cl100k() -> Result<Self, String> {
        tiktoken_rs::cl100k_base().map(|bpe| Tokenizer { bpe }).map_err(|error| error.to_string())
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
                total += self.bpe.encode_ordinary(&text[pending..run_start]).len();
                let mut slice_start = run_start;
                while slice_start < index {
                    let mut slice_end = (slice_start + LONG_RUN).min(index);
                    while !text.is_char_boundary(slice_end) {
                        slice_end += 1;
                    }
                    total += self.bpe.encode_ordinary(&text[slice_start..slice_end]).len();
                    slice_start = slice_end;
                }
                pending = index;
            }
            run_start = index + 1;
        }
        total + self.bpe.encode_ordinary(&text[pending.min(text.len())..]).len()
    }
}

/// Longest whitespace-free run counted in one piece (see [`Tokenizer::count`]).
pub const LONG_RUN: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_plain_bpe_on_text_and_stay_an_upper_bound_on_long_runs() {
        let tokenizer = Tokenizer::cl100k().expect("bundled vocabulary");
        let prose = "The queue drains at one hundred messages per second. Écrire «vite»!\n\tDone.";
        assert_eq!(tokenizer.count(prose), tokenizer.bpe.encode_ordinary(prose).len());
        let long = format!("start {} middle {}é end", "ab".repeat(3000), "x".repeat(5000));
        let exact = tokenizer.bpe.encode_ordinary(&long).len();
        let counted = tokenizer.count(&long);
        assert!(counted >= exact && counted <= exact + 16, "{counted} vs {exact}");
        // A 4 MB word is counted in well under a second (exact BPE would take minutes).
        assert!(tokenizer.count(&"a".repeat(4 << 20)) > 0);
    }
}
