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
//! more candidates cost two 128-float dot products each. The first pair of a
//! group is kept, as in the other passes.

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::embedding::{StaticModel, cosine};
use crate::multimap::MultiMap;

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
    /// The questions (the user turns joined, for a conversation).
    pub question: Vec<f32>,
    /// The answers joined.
    pub answer: Vec<f32>,
    /// Question and answer together (their normalised sum): what the LSH
    /// keys hash, so the candidates are pairs close on both halves rather
    /// than every pair asking a similar question of another text.
    pub combined: Vec<f32>,
    /// Digit runs in the question and the answer, sorted and deduplicated.
    numbers: Vec<String>,
    /// A hash of `numbers`: part of every LSH key, so pairs that state
    /// different numbers (similarity 0) never meet as candidates.
    numbers_key: u64,
    /// Whether the answer negates an odd number of times: "WAL works over a
    /// network filesystem" and "WAL does not work over a network filesystem"
    /// score 0.995, so the embedding alone would call them one fact.
    negated: bool,
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
        let numbers_key = xxh3_64(numbers.join(" ").as_bytes());
        let negated = negations(answer) % 2 == 1;
        let (question, answer) = (model.embed(question), model.embed(answer));
        let mut combined: Vec<f32> = question.iter().zip(&answer).map(|(q, a)| q + a).collect();
        let norm = combined.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            combined.iter_mut().for_each(|v| *v /= norm);
        }
        PairVectors { question, answer, combined, numbers, numbers_key, negated }
    }

    /// These vectors without the combined one, which only the band keys
    /// use: what the deduper keeps per pair, a third less.
    pub fn without_combined(mut self) -> Self {
        self.combined = Vec::new();
        self
    }

    /// The smaller of the question and answer similarities (the pair is as
    /// close to another as its less similar half); 0 when they state
    /// different numbers or one answer negates where the other does not.
    pub fn similarity(&self, other: &PairVectors) -> f32 {
        if self.numbers_key != other.numbers_key || self.numbers != other.numbers || self.negated != other.negated {
            return 0.0;
        }
        cosine(&self.question, &other.question).min(cosine(&self.answer, &other.answer))
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
                xxh3_64_with_seed(&(bits | (band as u64) << 32).to_le_bytes(), pair.numbers_key)
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

/// A pair's nearest other pairs, `(index, similarity)`, closest first.
pub type Neighbours = Vec<(usize, f32)>;

/// Most neighbours remembered per pair. Balance scores a pair by its nearest
/// neighbour still kept; one whose sixteen nearest have all left counts as
/// having none, which only makes it likelier to stay.
pub const MAX_NEIGHBOURS: usize = 16;

/// Each pair's nearest other pairs among its LSH candidates, closest first
/// (pairs at similarity 0, such as those stating other numbers, left out):
/// what of it is said elsewhere in the set. Balance drops the pair with the
/// closest living neighbour first.
///
/// `keys[i]` are `vectors[i]`'s band keys, as [`Hyperplanes::keys`] gave
/// them in the dedup pass (the projections are not worth doing twice); a
/// pair without keys, or keys without a pair, has no neighbours.
pub fn neighbours(vectors: &[PairVectors], keys: &[Vec<BandKey>]) -> Vec<Neighbours> {
    let mut buckets = Buckets::default();
    let keyed = vectors.len().min(keys.len());
    for (member, member_keys) in keys.iter().take(keyed).enumerate() {
        buckets.insert(member, member_keys);
    }
    vectors
        .iter()
        .enumerate()
        .map(|(member, vector)| {
            let Some(member_keys) = keys.get(member) else { return Vec::new() };
            let mut near: Neighbours = buckets
                .candidates(member_keys)
                .into_iter()
                .filter(|other| *other != member)
                .filter_map(|other| Some((other, vector.similarity(vectors.get(other)?))))
                .filter(|(_, similarity)| *similarity > 0.0)
                .collect();
            near.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            near.truncate(MAX_NEIGHBOURS);
            near
        })
        .collect()
}
