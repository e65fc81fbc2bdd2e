//! Semantic near-duplicates: two pairs are duplicates when their questions
//! *and* their answers are close in meaning (cosine of the static embedding
//! at or above the threshold), however differently they are worded, and
//! they state the same numbers. Both halves, because the same question asked
//! of two documents with different answers is two facts, not one; the
//! numbers, because an embedding places "port 8080" next to "port 9090".
//!
//! Candidates come from random-hyperplane LSH (Charikar 2002) over each
//! pair's question and answer vectors summed (so pairs asking a similar
//! question of different texts do not crowd out the real matches):
//! `BANDS` bands of `BITS` sign bits, each band's key also holding a hash
//! of the pair's numbers, so pairs that state different numbers never
//! meet. Two vectors at cosine 0.9 (25.8°) agree on a bit
//! with probability 1 − θ/π ≈ 0.856, so they share a band with probability
//! 1 − (1 − 0.856^10)^16 ≈ 0.98 (0.999 at cosine 0.95); at cosine 0.5 that
//! falls to 0.017 per band. 160 planes rather than 24 × 12 = 288 for the same
//! recall at 0.9: the projections are most of the hashing cost, and a few
//! more candidates cost two 128-byte dot products each. The first pair of a
//! group is kept, as in the other passes.

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::embedding::{StaticModel, cosine};
use crate::multimap::MultiMap;
use crate::store::Records;

/// LSH bands over the question vectors.
pub const BANDS: usize = 16;
/// Sign bits per band.
pub const BITS: usize = 10;
/// Most members a bucket holds. Where many pairs say nearly the same thing
/// without being duplicates (one paragraph under twelve product names), a
/// bucket would otherwise grow with the corpus and every new pair would be
/// compared with all of it: on the generated 100 MB corpus that made the
/// pass quadratic. A pair left out of a full bucket is still found through
/// its other bands' buckets, unless all of them are full.
pub const MAX_BUCKET: usize = 256;
/// Most candidates compared exactly per pair: those sharing the most bands.
/// A pair at cosine 0.9 shares about 3.4 of the 16 bands, one at 0.5 about
/// 0.3, so the true matches rank first.
pub const MAX_CANDIDATES: usize = 64;

/// The vectors of one pair, and the numbers it states.
pub struct PairVectors {
    /// Question and answer together (their normalised sum): what the LSH
    /// keys hash, so the candidates are pairs close on both halves rather
    /// than every pair asking a similar question of another text.
    pub combined: Vec<f32>,
    /// The question vector (the user turns joined, for a conversation) and
    /// the answer vector (the answers joined), quantised (see [`Fingerprint`]).
    codes: Vec<i8>,
    meta: Meta,
}

/// What a fingerprint holds beside its codes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Meta {
    /// The squared lengths of the question's codes and of the answer's.
    norms: [u32; 2],
    /// A hash of the digit runs in the question and the answer, sorted and
    /// deduplicated: pairs that state different numbers are not duplicates
    /// (an embedding places "port 8080" next to "port 9090"). It is also
    /// part of every LSH key, so such pairs never meet as candidates. 64
    /// bits: two different sets of numbers share a hash with odds of 2^-64.
    numbers_key: u64,
    /// Whether the answer negates an odd number of times: "WAL works over a
    /// network filesystem" and "WAL does not work over a network filesystem"
    /// score 0.995, so the embedding alone would call them one fact.
    negated: bool,
}

/// What the semantic pass compares and keeps of a pair: its question and
/// answer vectors as signed bytes (each vector scaled so its largest
/// component is ±127), their squared lengths, and its [`Meta`]. 280 bytes
/// at 128 dimensions, where two `f32` vectors took 1 KB: the deduper keeps
/// one per pair, and at 1 GB of documents those were its largest part.
/// Rounding moves a cosine by about 0.002 (measured on the labelled set);
/// both sides of every comparison are quantised, so a decision does not
/// depend on which pair came first, and identical vectors score exactly 1.
#[derive(Debug, Clone, Copy)]
pub struct Fingerprint<'a> {
    /// The question's codes, then the answer's.
    codes: &'a [i8],
    meta: Meta,
}

impl PairVectors {
    /// Embeds a pair's question and answer.
    pub fn of(model: &StaticModel, question: &str, answer: &str) -> Self {
        let mut numbers: Vec<&str> = question
            .split(|c: char| !c.is_ascii_digit())
            .chain(answer.split(|c: char| !c.is_ascii_digit()))
            .filter(|run| !run.is_empty())
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        let numbers_key = xxh3_64(numbers.join(" ").as_bytes());
        let negated = negations(answer) % 2 == 1;
        let (question, answer) = (model.embed(question), model.embed(answer));
        let mut combined: Vec<f32> = question.iter().zip(&answer).map(|(q, a)| q + a).collect();
        let norm = combined.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            combined.iter_mut().for_each(|v| *v /= norm);
        }
        let mut codes = Vec::with_capacity(question.len() * 2);
        let norms = [quantise(&question, &mut codes), quantise(&answer, &mut codes)];
        PairVectors { combined, codes, meta: Meta { norms, numbers_key, negated } }
    }

    /// What the deduper keeps of these vectors.
    pub fn fingerprint(&self) -> Fingerprint<'_> {
        Fingerprint { codes: &self.codes, meta: self.meta }
    }

    /// The similarity of two pairs' fingerprints (see [`Fingerprint::similarity`]).
    pub fn similarity(&self, other: &PairVectors) -> f32 {
        self.fingerprint().similarity(&other.fingerprint())
    }
}

/// Appends `vector`'s codes, the largest magnitude scaled to ±127, and
/// returns their squared length. All zeros (no known token) stays all zeros.
fn quantise(vector: &[f32], codes: &mut Vec<i8>) -> u32 {
    let largest = vector.iter().fold(0.0f32, |largest, v| largest.max(v.abs()));
    let start = codes.len();
    codes.extend(
        vector.iter().map(|v| if largest > 0.0 { (v * 127.0 / largest).round().clamp(-127.0, 127.0) as i8 } else { 0 }),
    );
    codes[start..].iter().map(|code| i32::from(*code).unsigned_abs().pow(2)).sum()
}

impl Fingerprint<'_> {
    /// The smaller of the question and answer cosines (the pair is as close
    /// to another as its less similar half); 0 when they state different
    /// numbers or one answer negates where the other does not.
    pub fn similarity(&self, other: &Fingerprint<'_>) -> f32 {
        if self.meta.numbers_key != other.meta.numbers_key || self.meta.negated != other.meta.negated {
            return 0.0;
        }
        let dims = self.codes.len() / 2;
        let (question, answer) = self.codes.split_at(dims);
        let (other_question, other_answer) = other.codes.split_at(dims.min(other.codes.len()));
        // In f64, the square root of a perfect square is exact: a vector
        // against itself gives 1.0, not one ulp short of a threshold of 1.
        let cosine = |left: &[i8], right: &[i8], half: usize| {
            let dot: i32 = left.iter().zip(right).map(|(l, r)| i32::from(*l) * i32::from(*r)).sum();
            let lengths = f64::from(self.meta.norms[half]) * f64::from(other.meta.norms[half]);
            if lengths > 0.0 { (f64::from(dot) / lengths.sqrt()) as f32 } else { 0.0 }
        };
        cosine(question, other_question, 0).min(cosine(answer, other_answer, 1))
    }
}

/// The fingerprints of the pairs the semantic pass kept, by member index.
pub struct Fingerprints {
    codes: Records<i8>,
    meta: Records<Meta>,
}

impl Fingerprints {
    /// An empty store for vectors of `dims` dimensions.
    pub fn new(dims: usize) -> Self {
        Fingerprints { codes: Records::new(dims * 2), meta: Records::new(1) }
    }

    /// Appends `fingerprint` as the next member.
    pub fn push(&mut self, fingerprint: Fingerprint<'_>) {
        if self.codes.push(fingerprint.codes) {
            self.meta.push(&[fingerprint.meta]);
        }
    }

    /// Member `index`'s fingerprint.
    pub fn get(&self, index: usize) -> Option<Fingerprint<'_>> {
        let meta = *self.meta.get(index)?.first()?;
        Some(Fingerprint { codes: self.codes.get(index)?, meta })
    }
}

/// Negation words in `text`: a closed list, and any word ending in "n't".
fn negations(text: &str) -> usize {
    const NEGATIONS: [&str; 9] = ["not", "no", "never", "cannot", "none", "nothing", "neither", "nor", "without"];
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|word| {
            let word = word.to_lowercase().replace('\u{2019}', "'");
            NEGATIONS.contains(&word.as_str()) || word.ends_with("n't")
        })
        .count()
}

/// An LSH key: a band's sign bits, the band and the pair's numbers, hashed.
pub type BandKey = u64;

/// The random hyperplanes that turn a pair's vectors into band keys.
pub struct Hyperplanes {
    /// `BANDS × BITS` hyperplane normals of `dims` floats each, end to end.
    planes: Vec<f32>,
    dims: usize,
}

impl Hyperplanes {
    /// Hyperplanes for vectors of `dims` dimensions, from a fixed seed, so
    /// runs and workers agree. Their components are
    /// standard normal (Box–Muller over two hashes), so a plane's direction
    /// is uniform on the sphere, as the 1 − θ/π agreement needs.
    pub fn new(dims: usize) -> Self {
        let unit = |h: u64| ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let planes = (0..BANDS * BITS * dims)
            .map(|at| {
                let (u1, u2) = (
                    unit(xxh3_64_with_seed(&(at as u64).to_le_bytes(), 1)),
                    unit(xxh3_64_with_seed(&(at as u64).to_le_bytes(), 2)),
                );
                ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
            })
            .collect();
        Hyperplanes { planes, dims }
    }

    /// The band keys of a pair: the sign bits of its combined (question +
    /// answer) vector per band, with the band and the pair's numbers mixed in.
    pub fn keys(&self, pair: &PairVectors) -> Vec<BandKey> {
        let mut planes = self.planes.chunks_exact(self.dims.max(1));
        (0..BANDS)
            .map(|band| {
                let bits = (0..BITS).zip(planes.by_ref()).fold(0u64, |bits, (bit, plane)| {
                    if cosine(plane, &pair.combined) >= 0.0 { bits | 1 << bit } else { bits }
                });
                xxh3_64_with_seed(&(bits | (band as u64) << 32).to_le_bytes(), pair.meta.numbers_key)
            })
            .collect()
    }
}

/// Pairs by their band keys: where LSH candidates come from.
#[derive(Default)]
pub struct Buckets {
    members: MultiMap,
}

impl Buckets {
    /// Members sharing a band with `keys`: the [`MAX_CANDIDATES`] sharing
    /// the most bands (the count of shared bands grows with similarity, so
    /// these are the likeliest matches), returned in insertion order so the
    /// first kept pair of a group is found first.
    pub fn candidates(&self, keys: &[BandKey]) -> Vec<usize> {
        let mut members: Vec<usize> =
            keys.iter().flat_map(|key| self.members.get(*key)).map(|member| member as usize).collect();
        members.sort_unstable();
        let mut shared: Vec<(usize, usize)> = Vec::new();
        for member in members {
            match shared.last_mut() {
                Some((last, count)) if *last == member => *count += 1,
                _ => shared.push((member, 1)),
            }
        }
        if shared.len() > MAX_CANDIDATES {
            shared.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            shared.truncate(MAX_CANDIDATES);
            shared.sort_unstable();
        }
        shared.into_iter().map(|(member, _)| member).collect()
    }

    /// Adds member `index` under `keys`; a bucket already holding
    /// [`MAX_BUCKET`] members takes no more.
    pub fn insert(&mut self, index: usize, keys: &[BandKey]) {
        let Ok(index) = u32::try_from(index) else { return };
        for key in keys {
            self.members.insert(*key, index, MAX_BUCKET);
        }
    }
}

/// Another member and its similarity.
pub type Neighbour = (u32, f32);

/// A pair's nearest other pairs, closest first.
pub type Neighbours = Vec<Neighbour>;

/// Most neighbours remembered per pair. Balance scores a pair by its nearest
/// neighbour still kept; one whose sixteen nearest have all left counts as
/// having none, which only makes it likelier to stay.
pub const MAX_NEIGHBOURS: usize = 16;

/// Member `member`'s nearest other members among its LSH candidates,
/// closest first (those at similarity 0, such as pairs stating other
/// numbers, left out): what of it is said elsewhere in the set. Balance
/// drops the pair with the closest living neighbour first.
///
/// `buckets` hold every member under its band keys, `keys` (as
/// [`Hyperplanes::keys`] gave them in the dedup pass: the projections are
/// not worth doing twice). A member without keys or a fingerprint has no
/// neighbours.
pub fn neighbours(
    fingerprints: &Fingerprints,
    buckets: &Buckets,
    keys: &Records<BandKey>,
    member: usize,
) -> Neighbours {
    let (Some(member_keys), Some(fingerprint)) = (keys.get(member), fingerprints.get(member)) else {
        return Vec::new();
    };
    let mut near: Neighbours = buckets
        .candidates(member_keys)
        .into_iter()
        .filter(|other| *other != member)
        .filter_map(|other| Some((u32::try_from(other).ok()?, fingerprint.similarity(&fingerprints.get(other)?))))
        .filter(|(_, similarity)| *similarity > 0.0)
        .collect();
    near.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    near.truncate(MAX_NEIGHBOURS);
    near
}
