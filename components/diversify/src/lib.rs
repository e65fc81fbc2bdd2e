//! brightrun's diversify stage: removes exact, near and semantic duplicates,
//! then balances what is left.
//!
//! Four passes, each dropping with a named reason ([`DropReason`]); the
//! first three keep the first pair of every group, so the result does not
//! depend on anything but input order:
//!
//! 1. **Exact**: the question and answer, lower-cased with punctuation and
//!    runs of whitespace removed, hashed with xxh3-64.
//! 2. **Near** (lexical): MinHash signatures over word shingles of question +
//!    answer, bucketed by LSH bands; a pair whose estimated Jaccard similarity
//!    to a kept pair in a shared bucket reaches the threshold is dropped.
//! 3. **Semantic**: a static sentence embedding computed in the component
//!    ([`embedding`]); a pair whose question and answer are both as close in
//!    meaning as the threshold to a kept pair's is dropped; see [`semantic`].
//! 4. **Balance**: no task, content type or difficulty above its share of
//!    the kept pairs; the semantically most redundant go first; see [`balance`].
//!
//! Defaults ([`DEFAULT_CONFIG`]) follow datatrove's MinHash deduplication
//! (`datatrove/pipeline/dedup/minhash.py`: 14 buckets × 8 hashes), with
//! 3-word shingles instead of 5 because training pairs are a few sentences,
//! not web pages. With b = 14 bands of r = 8 rows, the LSH S-curve
//! `1 − (1 − s^r)^b` passes 0.5 at s ≈ (1/b)^(1/r) ≈ 0.72; candidates are
//! then checked against the threshold 0.7 on the full signature.

pub mod balance;
#[cfg(target_arch = "wasm32")]
mod component;
pub mod embedding;
pub mod semantic;

use std::collections::HashMap;
use std::collections::HashSet;

use brightrun_types::{DiversifyConfig, DiversifyResult, DropReason, DroppedPair, Pair, Result, StageError};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// The defaults the host uses unless told otherwise (see the module docs).
pub const DEFAULT_CONFIG: DiversifyConfig = DiversifyConfig {
    shingle_words: 3,
    bands: 14,
    rows: 8,
    threshold: 0.7,
    max_task_share: balance::DEFAULT_MAX_TASK_SHARE,
    max_content_share: balance::DEFAULT_MAX_CONTENT_SHARE,
    max_difficulty_share: balance::DEFAULT_MAX_DIFFICULTY_SHARE,
    semantic_threshold: brightrun_types::job::DEFAULT_SEMANTIC_THRESHOLD,
};

/// Largest signature accepted (bands × rows), to bound memory per pair.
const MAX_HASHES: u32 = 1024;

/// The hash family that stands in for random permutations: multiply-shift,
/// `h(x) = (a·x + b) >> 32` over 64-bit words with `a` odd (Dietzfelbinger et
/// al. 1997), which is 2-universal for 32-bit outputs. datasketch uses
/// `(a·x + b) mod (2^61 − 1)`, but that needs 128-bit products, which
/// WebAssembly emulates slowly; 32-bit minima are plenty at these signature sizes.
fn permute(a: u64, b: u64, x: u64) -> u32 {
    (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32
}

/// Drops exact, near and semantic duplicates from `pairs`, then balances
/// what is left (see the crate docs for the passes).
///
/// `Err` is `InvalidConfig` when a config value is out of range: zero
/// shingle size, bands or rows, more than 1024 hashes, or a threshold or
/// share outside (0, 1]; `Corrupt` when the embedding table compiled into
/// the crate does not load (a broken build, not bad input).
pub fn diversify(pairs: Vec<Pair>, config: &DiversifyConfig) -> Result<DiversifyResult> {
    let hashes = config.bands.saturating_mul(config.rows);
    if config.shingle_words == 0
        || hashes == 0
        || hashes > MAX_HASHES
        || !(config.threshold > 0.0 && config.threshold <= 1.0)
        || !(config.semantic_threshold > 0.0 && config.semantic_threshold <= 1.0)
        || !balance::caps_valid(config)
    {
        return Err(StageError::InvalidConfig {
            document: "diversify".to_string(),
            detail: format!(
                "shingle-words {}, bands {}, rows {}, threshold {}, semantic threshold {}, shares {}/{}/{}: need shingle-words > 0, 0 < bands × rows <= {MAX_HASHES}, 0 < each threshold <= 1, 0 < each share <= 1",
                config.shingle_words,
                config.bands,
                config.rows,
                config.threshold,
                config.semantic_threshold,
                config.max_task_share,
                config.max_content_share,
                config.max_difficulty_share
            ),
        });
    }
    let permutations = permutations(hashes as usize);
    let mut result = DiversifyResult::default();
    let mut exact_seen: HashMap<u64, String> = HashMap::new();
    let mut buckets: HashMap<(u32, u64), Vec<usize>> = HashMap::new();
    let mut kept_signatures: Vec<Vec<u32>> = Vec::new();

    for pair in pairs {
        let text = format!("{}\n{}", pair.question(), pair.answer());
        let normalised = normalise(&text);
        let exact_key = xxh3_64(normalised.as_bytes());
        if let Some(first) = exact_seen.get(&exact_key) {
            result.dropped.push(DroppedPair {
                id: pair.id,
                reason: DropReason::ExactDuplicate,
                duplicate_of: Some(first.clone()),
            });
            continue;
        }
        let signature = signature(&normalised, config.shingle_words as usize, &permutations);
        let band_keys: Vec<(u32, u64)> = signature
            .chunks(config.rows as usize)
            .enumerate()
            .map(|(band, rows)| {
                let bytes: Vec<u8> = rows.iter().flat_map(|value| value.to_le_bytes()).collect();
                (band as u32, xxh3_64(&bytes))
            })
            .collect();
        let mut candidates: HashSet<usize> = HashSet::new();
        for key in &band_keys {
            if let Some(members) = buckets.get(key) {
                candidates.extend(members.iter().copied());
            }
        }
        let mut candidates: Vec<usize> = candidates.into_iter().collect();
        candidates.sort_unstable();
        let duplicate =
            candidates.into_iter().find(|kept| similarity(&signature, &kept_signatures[*kept]) >= config.threshold);
        if let Some(kept) = duplicate {
            result.dropped.push(DroppedPair {
                id: pair.id,
                reason: DropReason::NearDuplicate,
                duplicate_of: Some(result.kept[kept].id.clone()),
            });
            continue;
        }
        let index = result.kept.len();
        for key in band_keys {
            buckets.entry(key).or_default().push(index);
        }
        exact_seen.insert(exact_key, pair.id.clone());
        kept_signatures.push(signature);
        result.kept.push(pair);
    }
    let model = embedding::StaticModel::embedded().map_err(|error| StageError::Corrupt {
        document: "diversify".to_string(),
        detail: format!("the embedded embedding model: {}", error.0),
    })?;
    let (kept, vectors, keys, dropped) =
        semantic_pass(std::mem::take(&mut result.kept), &model, config.semantic_threshold);
    result.dropped.extend(dropped);
    let (kept, dropped) = balance::balance(kept, || semantic::neighbours(&vectors, &keys), config);
    result.kept = kept;
    result.dropped.extend(dropped);
    Ok(result)
}

/// What the semantic pass kept (pairs, their vectors and band keys, index
/// for index) and dropped.
type SemanticPass = (Vec<Pair>, Vec<semantic::PairVectors>, Vec<Vec<semantic::BandKey>>, Vec<DroppedPair>);

/// Drops pairs whose question and answer both reach `threshold` against a
/// kept pair's; returns the kept pairs with their vectors and keys, and the drops.
fn semantic_pass(pairs: Vec<Pair>, model: &embedding::StaticModel, threshold: f32) -> SemanticPass {
    let hyperplanes = semantic::Hyperplanes::new(model.dims());
    let mut buckets = semantic::Buckets::default();
    let (mut kept, mut vectors, mut kept_keys, mut dropped) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for pair in pairs {
        let pair_vectors = semantic::PairVectors::of(model, &pair.questions(), &pair.answer());
        let keys = hyperplanes.keys(&pair_vectors);
        let duplicate = buckets
            .candidates(&keys)
            .into_iter()
            .find(|candidate| pair_vectors.similarity(&vectors[*candidate]) >= threshold);
        if let Some(first) = duplicate {
            let first: &Pair = &kept[first];
            dropped.push(DroppedPair {
                id: pair.id,
                reason: DropReason::SemanticDuplicate,
                duplicate_of: Some(first.id.clone()),
            });
            continue;
        }
        buckets.insert(kept.len(), keys.clone());
        kept_keys.push(keys);
        vectors.push(pair_vectors);
        kept.push(pair);
    }
    (kept, vectors, kept_keys, dropped)
}

/// Lower-case words joined by single spaces; punctuation dropped.
pub fn normalise(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `(a, b)` coefficients of the hash family, fixed by a seed so signatures
/// are comparable across runs and workers.
fn permutations(count: usize) -> Vec<(u64, u64)> {
    (0..count as u64)
        .map(|index| {
            let a = xxh3_64_with_seed(b"brightrun-minhash-a", index) | 1;
            let b = xxh3_64_with_seed(b"brightrun-minhash-b", index);
            (a, b)
        })
        .collect()
}

/// The MinHash signature of `normalised`'s `shingle_words`-word shingles
/// (the whole text when it has fewer words).
pub fn signature_of(normalised: &str, shingle_words: usize, hashes: usize) -> Vec<u32> {
    signature(normalised, shingle_words, &permutations(hashes))
}

fn signature(normalised: &str, shingle_words: usize, permutations: &[(u64, u64)]) -> Vec<u32> {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    let shingles: Vec<u64> = if words.len() <= shingle_words {
        vec![xxh3_64(normalised.as_bytes())]
    } else {
        words.windows(shingle_words).map(|window| xxh3_64(window.join(" ").as_bytes())).collect()
    };
    let mut signature = vec![u32::MAX; permutations.len()];
    for x in shingles {
        for (slot, (a, b)) in signature.iter_mut().zip(permutations) {
            *slot = (*slot).min(permute(*a, *b, x));
        }
    }
    signature
}

/// Estimated Jaccard similarity: the share of equal signature positions.
pub fn similarity(left: &[u32], right: &[u32]) -> f32 {
    let equal = left.iter().zip(right).filter(|(l, r)| l == r).count();
    equal as f32 / left.len().max(1) as f32
}

#[cfg(test)]
mod tests;
