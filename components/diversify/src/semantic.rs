//! Semantic near-duplicates: two pairs are duplicates when their questions
//! *and* their answers are close in meaning (cosine of the static embedding
//! at or above the threshold), however differently they are worded, and
//! they state the same numbers. Both halves, because the same question asked
//! of two documents with different answers is two facts, not one; the
//! numbers, because an embedding places "port 8080" next to "port 9090".
//!
//! Candidates come from random-hyperplane LSH (Charikar 2002) over the
//! question vectors: `BANDS` bands of `BITS` sign bits. Two questions at
//! cosine 0.9 (25.8°) agree on a bit with probability 1 − θ/π ≈ 0.86, so
//! they share a band with probability 1 − (1 − 0.86^12)^24 ≈ 0.98; at cosine
//! 0.5 that falls to 0.008 per band, which keeps the exact checks few. The
//! first pair of a group is kept, as in the other passes.

use std::collections::{HashMap, HashSet};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::embedding::{StaticModel, cosine};

/// LSH bands over the question vectors.
pub const BANDS: usize = 24;
/// Sign bits per band.
pub const BITS: usize = 12;

/// The vectors of one pair, and the numbers it states.
pub struct PairVectors {
    /// The questions (the user turns joined, for a conversation).
    pub question: Vec<f32>,
    /// The answers joined.
    pub answer: Vec<f32>,
    /// Digit runs in the question and the answer, sorted.
    numbers: Vec<String>,
}

impl PairVectors {
    /// Embeds a pair's question and answer.
    pub fn of(model: &StaticModel, question: &str, answer: &str) -> Self {
        let mut numbers: Vec<String> = format!("{question} {answer}")
            .split(|c: char| !c.is_ascii_digit())
            .filter(|run| !run.is_empty())
            .map(str::to_string)
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        PairVectors { question: model.embed(question), answer: model.embed(answer), numbers }
    }

    /// The smaller of the question and answer similarities (the pair is as
    /// close to another as its less similar half); 0 when they state
    /// different numbers.
    pub fn similarity(&self, other: &PairVectors) -> f32 {
        if self.numbers != other.numbers {
            return 0.0;
        }
        cosine(&self.question, &other.question).min(cosine(&self.answer, &other.answer))
    }
}

/// An index of kept pairs by the LSH bands of their question vectors.
pub struct SemanticIndex {
    planes: Vec<Vec<f32>>,
    buckets: HashMap<(u8, u16), Vec<usize>>,
}

impl SemanticIndex {
    /// An empty index for vectors of `dims` dimensions; the hyperplanes come
    /// from a fixed seed, so runs and workers agree.
    pub fn new(dims: usize) -> Self {
        let planes = (0..BANDS * BITS)
            .map(|plane| {
                (0..dims)
                    .map(|dim| {
                        let h = xxh3_64_with_seed(&(dim as u64).to_le_bytes(), plane as u64);
                        // Uniform in [-1, 1): enough for sign-of-projection hashing.
                        (h >> 11) as f32 / (1u64 << 52) as f32 - 1.0
                    })
                    .collect()
            })
            .collect();
        SemanticIndex { planes, buckets: HashMap::new() }
    }

    /// The band keys of `vector`.
    pub fn keys(&self, vector: &[f32]) -> Vec<(u8, u16)> {
        self.planes
            .chunks(BITS)
            .enumerate()
            .map(|(band, planes)| {
                let bits = planes
                    .iter()
                    .enumerate()
                    .fold(0u16, |bits, (bit, plane)| if cosine(plane, vector) >= 0.0 { bits | 1 << bit } else { bits });
                (band as u8, bits)
            })
            .collect()
    }

    /// Members sharing a band with `keys`, in insertion order.
    pub fn candidates(&self, keys: &[(u8, u16)]) -> Vec<usize> {
        let mut seen = HashSet::new();
        let mut out: Vec<usize> = keys
            .iter()
            .flat_map(|key| self.buckets.get(key).into_iter().flatten())
            .copied()
            .filter(|m| seen.insert(*m))
            .collect();
        out.sort_unstable();
        out
    }

    /// Adds member `index` under `keys`.
    pub fn insert(&mut self, index: usize, keys: Vec<(u8, u16)>) {
        for key in keys {
            self.buckets.entry(key).or_default().push(index);
        }
    }
}

/// Each pair's similarity to its nearest other pair among its LSH
/// candidates (0 when it has none): how much of what it says is said
/// elsewhere in the set. Balance drops the highest first.
pub fn redundancy(vectors: &[PairVectors], dims: usize) -> Vec<f32> {
    let mut index = SemanticIndex::new(dims);
    let keys: Vec<Vec<(u8, u16)>> = vectors.iter().map(|v| index.keys(&v.question)).collect();
    for (member, member_keys) in keys.iter().enumerate() {
        index.insert(member, member_keys.clone());
    }
    keys.iter()
        .enumerate()
        .map(|(member, member_keys)| {
            index
                .candidates(member_keys)
                .into_iter()
                .filter(|other| *other != member)
                .map(|other| vectors[member].similarity(&vectors[other]))
                .fold(0.0f32, f32::max)
        })
        .collect()
}
