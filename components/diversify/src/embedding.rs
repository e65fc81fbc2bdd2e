//! A static sentence embedding that runs inside the component: the
//! model2vec-format table in `embedding/` (distilled from
//! sentence-transformers/all-MiniLM-L6-v2 by `embedding/distill.py`, with
//! the frequent words weighted down), the teacher's WordPiece tokenizer,
//! and a text's vector as the normalised mean of its tokens' rows.
//!
//! Semantic, not lexical: "How long are backups kept?" and "For how many days
//! are backups retained?" score 0.93, while "How long are audit logs kept?"
//! scores 0.58 against the first (see the tests). It is a bag of token
//! vectors, so word order is not seen: "X causes Y" and "Y causes X" match.
//!
//! The tokenizer is written here, not taken from a crate: the `tokenizers`
//! crate brings regex engines and rayon into the component for what BERT's
//! uncased normalisation and greedy WordPiece need — about sixty lines.

use std::collections::HashMap;

use half::f16;
use unicode_normalization::UnicodeNormalization;

const TABLE: &[u8] = include_bytes!("../embedding/model.safetensors");
const TOKENIZER: &str = include_str!("../embedding/tokenizer.json");

/// Longest word WordPiece splits; longer ones are one unknown token, as in BERT.
const MAX_WORD_CHARS: usize = 100;

/// The part of `tokenizer.json` the model needs.
#[derive(serde::Deserialize)]
struct TokenizerFile {
    model: WordPieceModel,
}

#[derive(serde::Deserialize)]
struct WordPieceModel {
    vocab: HashMap<String, u32>,
}

/// The embedding table and its vocabulary.
pub struct StaticModel {
    /// Row-major `[vocabulary, dims]` values, widened from the file's
    /// float16 once at load (15.6 MB): summing rows is then plain f32 adds,
    /// where converting each value as it is read took most of the time.
    table: Vec<f32>,
    dims: usize,
    vocabulary: HashMap<String, u32>,
}

/// Why the embedded model could not be read (a build that shipped a broken table).
#[derive(Debug)]
pub struct ModelError(pub String);

impl StaticModel {
    /// The model compiled into the component.
    pub fn embedded() -> Result<StaticModel, ModelError> {
        let tensors = safetensors::SafeTensors::deserialize(TABLE).map_err(|e| ModelError(format!("table: {e}")))?;
        let embeddings = tensors.tensor("embeddings").map_err(|e| ModelError(format!("table: {e}")))?;
        let (rows, dims) = match (embeddings.dtype(), embeddings.shape()) {
            (safetensors::Dtype::F16, [rows, dims]) => (*rows, *dims),
            (dtype, shape) => {
                return Err(ModelError(format!("table: expected F16 [rows, dims], found {dtype:?} {shape:?}")));
            }
        };
        // Only the vocabulary is read: parsing straight into it skips the
        // JSON tree of the whole file (a third of the load time in the component).
        let tokenizer: TokenizerFile =
            serde_json::from_str(TOKENIZER).map_err(|e| ModelError(format!("tokenizer: {e}")))?;
        let mut vocabulary = tokenizer.model.vocab;
        vocabulary.retain(|_, id| (*id as usize) < rows);
        // Every float16 bit pattern's value, looked up instead of converted
        // one by one (software conversion on wasm32).
        let widened: Vec<f32> = (0..=u16::MAX).map(|bits| f16::from_bits(bits).to_f32()).collect();
        let table = embeddings
            .data()
            .chunks_exact(2)
            .map(|bytes| widened[usize::from(u16::from_le_bytes([bytes[0], bytes[1]]))])
            .collect();
        Ok(StaticModel { table, dims, vocabulary })
    }

    /// Dimensions of a vector.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The unit-length mean of `text`'s token rows; all zeros when no token
    /// is known (or every known one weighs nothing).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut sum = vec![0.0f32; self.dims];
        let mut count = 0usize;
        for_each_word(text, &mut |word| {
            for id in self.word_pieces(word) {
                let row = &self.table[id as usize * self.dims..(id as usize + 1) * self.dims];
                for (slot, value) in sum.iter_mut().zip(row) {
                    *slot += value;
                }
                count += 1;
            }
        });
        let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt();
        if count == 0 || norm == 0.0 {
            return vec![0.0; self.dims];
        }
        sum.iter_mut().for_each(|v| *v /= norm);
        sum
    }

    /// Greedy longest-match-first WordPiece, `##` marking a continuation;
    /// a word with an unmatchable part contributes nothing (BERT's `[UNK]`,
    /// whose row is zero).
    fn word_pieces(&self, word: &str) -> Vec<u32> {
        if word.chars().count() > MAX_WORD_CHARS {
            return Vec::new();
        }
        let mut pieces = Vec::new();
        let mut piece = String::with_capacity(word.len() + 2);
        let mut start = 0;
        while start < word.len() {
            let mut end = word.len();
            let found = loop {
                if end <= start {
                    break None;
                }
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.push_str(&word[start..end]);
                if let Some(id) = self.vocabulary.get(piece.as_str()) {
                    break Some(*id);
                }
                end = word[..end].char_indices().next_back().map_or(start, |(at, _)| at);
            };
            match found {
                Some(id) => pieces.push(id),
                None => return Vec::new(),
            }
            start = end;
        }
        pieces
    }
}

/// BERT's uncased pre-tokenisation: lower case, accents stripped (NFD minus
/// combining marks), control characters dropped, split on whitespace, and
/// every punctuation mark and CJK ideograph its own word. ASCII text skips
/// the normalisation (it cannot change it), which is most of the cost.
fn for_each_word(text: &str, visit: &mut dyn FnMut(&str)) {
    if text.is_ascii() {
        split_words(text.chars().map(|c| c.to_ascii_lowercase()), visit);
    } else {
        split_words(text.nfd().flat_map(char::to_lowercase), visit);
    }
}

fn split_words(chars: impl Iterator<Item = char>, visit: &mut dyn FnMut(&str)) {
    let mut current = String::new();
    let mut single = [0u8; 4];
    for c in chars {
        if unicode_normalization::char::is_combining_mark(c) || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        if c.is_whitespace() || is_punctuation(c) || is_cjk(c) {
            if !current.is_empty() {
                visit(&current);
                current.clear();
            }
            if !c.is_whitespace() {
                visit(c.encode_utf8(&mut single));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        visit(&current);
    }
}

/// ASCII symbols count as punctuation in BERT; beyond ASCII, anything that
/// is neither alphanumeric nor whitespace stands in for Unicode's P classes.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// Cosine similarity of two unit vectors.
pub fn cosine(left: &[f32], right: &[f32]) -> f32 {
    left.iter().zip(right).map(|(l, r)| l * r).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> StaticModel {
        StaticModel::embedded().expect("the embedded model loads")
    }

    #[test]
    fn tokenizes_as_bert_uncased_does() {
        let model = model();
        let words = |text: &str| {
            let mut words = Vec::new();
            for_each_word(text, &mut |word| words.push(word.to_string()));
            words
        };
        assert_eq!(words("Café-owners' ÜBER   plans!"), ["cafe", "-", "owners", "'", "uber", "plans", "!"]);
        assert_eq!(words("Plain ASCII, tabs\tand CAPS."), ["plain", "ascii", ",", "tabs", "and", "caps", "."]);
        let pieces: Vec<&str> = model
            .word_pieces("unaffable")
            .iter()
            .map(|id| model.vocabulary.iter().find(|(_, v)| *v == id).map_or("?", |(k, _)| k.as_str()))
            .collect();
        assert_eq!(pieces, ["una", "##ffa", "##ble"]);
        assert!(model.word_pieces(&"x".repeat(101)).is_empty());
    }

    #[test]
    fn paraphrases_score_high_and_other_subjects_low() {
        let model = model();
        let similarity = |a: &str, b: &str| cosine(&model.embed(a), &model.embed(b));
        let paraphrases = [
            ("How long are backups kept?", "For how many days are backups retained?"),
            ("How do I rotate the API key?", "What are the steps to rotate an API key?"),
            ("Why are restores slow?", "What makes restoring slow?"),
        ];
        let different = [
            ("How long are backups kept?", "How long are audit logs kept?"),
            ("What is a snapshot?", "What is a volume?"),
            ("How do I rotate the API key?", "How do I restart the worker?"),
        ];
        for (a, b) in paraphrases {
            assert!(similarity(a, b) > 0.85, "{a} / {b}: {}", similarity(a, b));
        }
        for (a, b) in different {
            assert!(similarity(a, b) < 0.7, "{a} / {b}: {}", similarity(a, b));
        }
        let v = model.embed("a text");
        assert!((cosine(&v, &v) - 1.0).abs() < 1e-4);
        assert!(model.embed("").iter().all(|x| *x == 0.0));
    }
}
