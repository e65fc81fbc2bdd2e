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
//! 4. **Repeated question**: a pair of the same task asking the same
//!    question body about the same subject as a kept pair
//!    ([`brightrun_types::question`]) is dropped, whatever its answer: a
//!    template asked of one sentence twice teaches the model nothing twice.
//!    It runs here rather than after validation so that balance counts the
//!    pairs that will be exported: on the generated 100 MB corpus these drops
//!    (12.5 % of the pairs) came after balance and
//!    lifted multi-turn pairs from under their 40 % cap to 44 % of the dataset.
//! 5. **Balance**: no task, content type or difficulty above its share of
//!    the kept pairs; the semantically most redundant go first; see [`balance`].
//!
//! The first four passes decide each pair against the pairs kept before
//! it, so they run over a stream: a [`Deduper`] takes the pairs in batches
//! and remembers only fingerprints of the kept ones (their ids once, hashes,
//! MinHash signatures, quantised embedding vectors and categories, in
//! [`multimap`] buckets and [`store`] chunks), and balances them when asked.
//! [`diversify`] is a deduper over one batch.
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
pub mod multimap;
pub mod semantic;
pub mod store;

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
/// what is left (see the crate docs for the passes): a [`Deduper`] over one batch.
///
/// `Err` is `InvalidConfig` when a config value is out of range: zero
/// shingle size, bands or rows, more than 1024 hashes, or a threshold or
/// share outside (0, 1]; `Corrupt` when the embedding table compiled into
/// the crate does not load (a broken build, not bad input).
pub fn diversify(pairs: Vec<Pair>, config: &DiversifyConfig) -> Result<DiversifyResult> {
    let mut deduper = Deduper::new(config)?;
    let decisions = deduper.add(&pairs)?;
    let mut result = DiversifyResult::default();
    let mut kept = Vec::new();
    for (pair, decision) in pairs.into_iter().zip(decisions) {
        match decision {
            Some(dropped) => result.dropped.push(dropped),
            None => kept.push(pair),
        }
    }
    let balanced: HashSet<String> = deduper.finish().into_iter().map(|d| d.id).collect();
    for pair in kept {
        if balanced.contains(&pair.id) {
            result.dropped.push(DroppedPair { id: pair.id, reason: DropReason::OverRepresented, duplicate_of: None });
        } else {
            result.kept.push(pair);
        }
    }
    Ok(result)
}

/// `InvalidConfig` unless every setting is in range (see [`diversify`]).
pub fn check_config(config: &DiversifyConfig) -> Result<()> {
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
    Ok(())
}

/// Dedup over a stream of batches: each pair is decided against every pair
/// kept before it, in this batch or an earlier one, so batching does not
/// change a decision. It remembers fingerprints of the kept pairs (hashes,
/// MinHash signatures, embedding vectors, categories), never their text.
///
/// What it keeps of a pair is about 1.2 KB: on the generated 100 MB corpus
/// its linear memory peaked at 129.5 MiB for 89 288 pairs past the near
/// pass (267 MiB before these measures), about 25 MB of it the embedding
/// table. The largest parts are the band entries of both LSH tables (8
/// bytes each, 30 a pair, at a load of 44–88 %), the semantic fingerprint
/// (280 bytes), the MinHash signature (2 bytes a hash: the low 16 bits of
/// each minimum, as b-bit MinHash does (Li & König 2010); two unequal
/// minima then agree by chance once in 65 536, which moves an estimated
/// similarity by under 0.002) and the semantic band keys (128 bytes).
pub struct Deduper {
    config: DiversifyConfig,
    permutations: Vec<(u64, u64)>,
    /// Ids of the pairs that passed the near pass, in order: the one copy
    /// every other structure points into.
    ids: store::Strings,
    /// Exact keys of those pairs, to the first one's index in `ids`.
    exact_seen: HashMap<u64, u32>,
    /// LSH buckets of MinHash bands (band and rows hashed together), to indexes into `ids`.
    buckets: multimap::MultiMap,
    /// Their signatures, 16 bits a hash.
    signatures: store::Records<u16>,
    /// Loaded at the first pair: an empty run never pays for the table.
    semantic: Option<SemanticPass>,
    /// Question keys of the kept pairs, to the first asker's index in `ids`.
    asked: HashMap<u128, u32>,
}

/// The semantic pass's model and what it keeps of each pair that passed
/// every pass (a member): its fingerprint, band keys and categories.
struct SemanticPass {
    model: embedding::StaticModel,
    hyperplanes: semantic::Hyperplanes,
    buckets: semantic::Buckets,
    fingerprints: semantic::Fingerprints,
    keys: store::Records<semantic::BandKey>,
    members: store::Records<balance::Member>,
    /// A hash of the inline code each member's question names (0: none).
    subjects: store::Records<u64>,
}

/// A hash of the inline code spans (`` `os.path.join()` ``) in a pair's
/// questions, 0 when there are none. The static embedding does not see
/// identifiers (they are out of its vocabulary), so "What does
/// `HttpRequest.GET` do?" and "What does `HttpRequest.COOKIES` do?" embed
/// alike; two questions naming different code are never the same question.
fn code_subject(pair: &Pair) -> u64 {
    let questions = pair.questions();
    let spans: Vec<&str> = questions.split('`').skip(1).step_by(2).collect();
    if spans.is_empty() {
        return 0;
    }
    xxhash_rust::xxh3::xxh3_64(spans.join("\u{1f}").as_bytes()).max(1)
}

impl Deduper {
    /// A deduper for `config`; `InvalidConfig` as [`diversify`] gives it.
    pub fn new(config: &DiversifyConfig) -> Result<Deduper> {
        check_config(config)?;
        let hashes = config.bands.saturating_mul(config.rows) as usize;
        Ok(Deduper {
            config: *config,
            permutations: permutations(hashes),
            ids: store::Strings::default(),
            exact_seen: HashMap::new(),
            buckets: multimap::MultiMap::default(),
            signatures: store::Records::new(hashes),
            semantic: None,
            asked: HashMap::new(),
        })
    }

    /// Decides each of `pairs` in order: `None` keeps it (for now: [`Deduper::finish`]
    /// may still drop it to balance), `Some` says why it left. `Corrupt` when
    /// the embedded table does not load.
    pub fn add(&mut self, pairs: &[Pair]) -> Result<Vec<Option<DroppedPair>>> {
        if !pairs.is_empty() && self.semantic.is_none() {
            let model = embedding::StaticModel::embedded().map_err(|error| StageError::Corrupt {
                document: "diversify".to_string(),
                detail: format!("the embedded embedding model: {}", error.0),
            })?;
            self.semantic = Some(SemanticPass {
                hyperplanes: semantic::Hyperplanes::new(model.dims()),
                buckets: semantic::Buckets::default(),
                fingerprints: semantic::Fingerprints::new(model.dims()),
                keys: store::Records::new(semantic::BANDS),
                members: store::Records::new(1),
                subjects: store::Records::new(1),
                model,
            });
        }
        Ok(pairs.iter().map(|pair| self.decide(pair)).collect())
    }

    /// The exact, near, semantic and repeated-question passes for one pair.
    fn decide(&mut self, pair: &Pair) -> Option<DroppedPair> {
        let text = format!("{}\n{}", pair.question(), pair.answer());
        let normalised = normalise(&text);
        let exact_key = xxh3_64(normalised.as_bytes());
        let dropped = |ids: &store::Strings, reason, first: u32| {
            Some(DroppedPair { id: pair.id.clone(), reason, duplicate_of: Some(ids.get(first as usize).to_string()) })
        };
        if let Some(first) = self.exact_seen.get(&exact_key) {
            return dropped(&self.ids, DropReason::ExactDuplicate, *first);
        }
        let rows = self.config.rows as usize;
        let signature = signature(&normalised, self.config.shingle_words as usize, &self.permutations);
        let mut bytes = Vec::with_capacity(rows * 4);
        let band_keys: Vec<u64> = signature
            .chunks(rows)
            .enumerate()
            .map(|(band, rows)| {
                bytes.clear();
                bytes.extend(rows.iter().flat_map(|value| value.to_le_bytes()));
                xxh3_64_with_seed(&bytes, band as u64)
            })
            .collect();
        let short: Vec<u16> = signature.iter().map(|value| *value as u16).collect();
        let mut candidates: Vec<u32> = band_keys.iter().flat_map(|key| self.buckets.get(*key)).collect();
        candidates.sort_unstable();
        candidates.dedup();
        let near = candidates.into_iter().find(|kept| {
            self.signatures
                .get(*kept as usize)
                .is_some_and(|kept_signature| similarity(&short, kept_signature) >= self.config.threshold)
        });
        if let Some(first) = near {
            return dropped(&self.ids, DropReason::NearDuplicate, first);
        }
        let Ok(index) = u32::try_from(self.ids.len()) else {
            // Four billion distinct pairs: past what the index addresses, keep without remembering.
            return None;
        };
        if !self.ids.push(&pair.id) {
            return None;
        }
        for key in band_keys {
            self.buckets.insert(key, index, usize::MAX);
        }
        self.exact_seen.insert(exact_key, index);
        self.signatures.push(&short);

        // `add` loads the model before deciding any pair.
        let semantic = self.semantic.as_mut()?;
        let pair_vectors = semantic::PairVectors::of(&semantic.model, &pair.questions(), &pair.answer());
        let fingerprint = pair_vectors.fingerprint();
        let keys = semantic.hyperplanes.keys(&pair_vectors);
        let threshold = self.config.semantic_threshold;
        let subject = code_subject(pair);
        let other_code = |candidate: usize| {
            let kept = semantic.subjects.get(candidate).and_then(|s| s.first().copied()).unwrap_or(0);
            subject != 0 && kept != 0 && kept != subject
        };
        let first = semantic.buckets.candidates(&keys).into_iter().find(|candidate| {
            !other_code(*candidate)
                && semantic.fingerprints.get(*candidate).is_some_and(|kept| fingerprint.similarity(&kept) >= threshold)
        });
        if let Some(first) = first.and_then(|member| semantic.members.get(member)?.first().copied()) {
            return dropped(&self.ids, DropReason::SemanticDuplicate, first.near);
        }
        let question = brightrun_types::question::question_key(pair);
        if let Some(first) = self.asked.get(&question) {
            return dropped(&self.ids, DropReason::RepeatedQuestion, *first);
        }
        self.asked.insert(question, index);
        semantic.buckets.insert(semantic.members.len(), &keys);
        semantic.keys.push(&keys);
        semantic.fingerprints.push(fingerprint);
        semantic.members.push(&[balance::Member::of(pair, index)]);
        semantic.subjects.push(&[subject]);
        None
    }

    /// Balances the pairs kept so far (see [`balance`]) and returns those
    /// dropped as over-represented. It changes nothing: asking again gives the same.
    pub fn finish(&self) -> Vec<DroppedPair> {
        let Some(semantic) = &self.semantic else { return Vec::new() };
        let members: Vec<balance::Named<'_>> = (0..semantic.members.len())
            .filter_map(|at| semantic.members.get(at)?.first().copied())
            .map(|member| balance::Named { id: self.ids.get(member.near as usize), member })
            .collect();
        let neighbours =
            |member| semantic::neighbours(&semantic.fingerprints, &semantic.buckets, &semantic.keys, member);
        balance::balance(members, neighbours, &self.config).1
    }
}

/// Lower-case words joined by single spaces; punctuation dropped.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        // Every pair passes through here: lowercasing ASCII in place skips a
        // String per word. Other words take `str::to_lowercase`, which knows
        // context rules (a final sigma) that a char-by-char mapping does not.
        if word.is_ascii() {
            let start = out.len();
            out.push_str(word);
            out[start..].make_ascii_lowercase();
        } else {
            out.push_str(&word.to_lowercase());
        }
    }
    out
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
    // Word start and end offsets: a shingle is the text from its first word's
    // start to its last word's end, which is its words joined by one space
    // when `normalised` has single spaces (what `normalise` writes).
    let words: Vec<(usize, usize)> = normalised
        .split(' ')
        .scan(0, |offset, word| {
            let start = *offset;
            *offset += word.len() + 1;
            Some((start, start + word.len()))
        })
        .filter(|(start, end)| start < end)
        .collect();
    let single_spaced = words.windows(2).all(|pair| pair[1].0 == pair[0].1 + 1);
    let shingles: Vec<u64> = if words.len() <= shingle_words {
        vec![xxh3_64(normalised.as_bytes())]
    } else if single_spaced {
        words
            .windows(shingle_words)
            .map(|window| xxh3_64(&normalised.as_bytes()[window[0].0..window[window.len() - 1].1]))
            .collect()
    } else {
        let words: Vec<&str> = words.iter().map(|(start, end)| &normalised[*start..*end]).collect();
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
pub fn similarity<T: PartialEq>(left: &[T], right: &[T]) -> f32 {
    let equal = left.iter().zip(right).filter(|(l, r)| l == r).count();
    equal as f32 / left.len().max(1) as f32
}

#[cfg(test)]
mod tests;
