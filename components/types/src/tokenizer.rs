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
    pub fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }
}
