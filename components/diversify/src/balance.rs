//! Balance: no task type, content type or difficulty may hold more than its
//! configured share of the kept pairs. Where one does, pairs leave it one at
//! a time, always the one closest in meaning to a pair still kept (the
//! static embedding's similarity to its nearest kept neighbour, see
//! [`crate::semantic::neighbours`]), and the scores are brought up to date
//! after every drop: once one of two paraphrases is gone, the other is no
//! longer redundant and stays. This is maximal marginal relevance run
//! backwards (Carbonell & Goldstein, 1998, select the item least similar to
//! what is already chosen; here the item most similar to what remains
//! leaves), with every pair equally relevant. Ties go by a hash of the id,
//! so no document is favoured by its position.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use brightrun_types::{ContentType, Difficulty, DiversifyConfig, DropReason, DroppedPair, Pair, TaskType};
use xxhash_rust::xxh3::xxh3_64;

use crate::semantic::{Neighbour, Neighbours};

/// Default caps: no task above 60 % of the dataset, no difficulty above
/// 70 %, and no cap on content type. Content type is a property of the
/// user's documents, not of the generator: a team's documentation is mostly
/// one kind of writing ("conceptual"), and a 60 % cap dropped 163 of 657
/// distinct, keepable pairs of the dev corpus. `--max-content-share` still
/// sets one. The task cap was 40 % while templates
/// made every task from any sentence; answer-first generation makes most
/// pairs of a reference page "What does `X` do?" questions, each about a
/// different object, and a 40 % cap dropped half of them (235 of 797 pairs
/// on the dev corpus) without making the rest more varied.
pub const DEFAULT_MAX_TASK_SHARE: f32 = 0.6;
/// See [`DEFAULT_MAX_TASK_SHARE`].
pub const DEFAULT_MAX_CONTENT_SHARE: f32 = 1.0;
/// See [`DEFAULT_MAX_TASK_SHARE`].
pub const DEFAULT_MAX_DIFFICULTY_SHARE: f32 = 0.7;

/// Fewer kept pairs than this are not balanced: dropping from a handful of
/// pairs costs more than a skewed share does.
pub const MIN_PAIRS_TO_BALANCE: usize = 100;

/// What a pair is counted as in one dimension: its task, content type or difficulty.
type Category<T> = fn(&T) -> &'static str;

/// What balance needs of a kept pair: its id and its three categories.
pub trait Balanced {
    /// The pair's id.
    fn id(&self) -> &str;
    /// Its task.
    fn task(&self) -> TaskType;
    /// Its content type.
    fn content_type(&self) -> ContentType;
    /// Its difficulty.
    fn difficulty(&self) -> Difficulty;
    /// The id, given up for the drop record.
    fn into_id(self) -> String;
}

impl Balanced for Pair {
    fn id(&self) -> &str {
        &self.id
    }
    fn task(&self) -> TaskType {
        self.task
    }
    fn content_type(&self) -> ContentType {
        self.content_type
    }
    fn difficulty(&self) -> Difficulty {
        self.difficulty
    }
    fn into_id(self) -> String {
        self.id
    }
}

/// A kept pair as the streaming deduper remembers it: no text, only its
/// place among the deduper's ids and what balance counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member {
    /// Its index among the pairs that passed the near pass (where its id is).
    pub near: u32,
    /// Its task.
    pub task: TaskType,
    /// Its content type.
    pub content_type: ContentType,
    /// Its difficulty.
    pub difficulty: Difficulty,
}

impl Member {
    /// What balance needs of `pair`, whose id is the deduper's `near`-th.
    pub fn of(pair: &Pair, near: u32) -> Member {
        Member { near, task: pair.task, content_type: pair.content_type, difficulty: pair.difficulty }
    }
}

/// A [`Member`] with its id, for one balance run.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    /// The pair's id.
    pub id: &'a str,
    /// The rest of what balance needs.
    pub member: Member,
}

impl Balanced for Named<'_> {
    fn id(&self) -> &str {
        self.id
    }
    fn task(&self) -> TaskType {
        self.member.task
    }
    fn content_type(&self) -> ContentType {
        self.member.content_type
    }
    fn difficulty(&self) -> Difficulty {
        self.member.difficulty
    }
    fn into_id(self) -> String {
        self.id.to_string()
    }
}

/// Whether every cap is in (0, 1].
pub fn caps_valid(config: &DiversifyConfig) -> bool {
    [config.max_task_share, config.max_content_share, config.max_difficulty_share]
        .iter()
        .all(|cap| *cap > 0.0 && *cap <= 1.0)
}

/// Each pair's neighbours, found when first asked for: balance needs them
/// only for the pairs of an over-represented category, and finding them is
/// most of its cost.
struct Neighbourhood<F> {
    find: F,
    /// `None` until asked for; boxed, so a list costs 16 bytes beside its entries.
    lists: Vec<Option<Box<[Neighbour]>>>,
}

impl<F: FnMut(usize) -> Neighbours> Neighbourhood<F> {
    /// How close pair `index` is to the nearest pair still alive: its first
    /// living neighbour's similarity (neighbours are sorted closest first),
    /// 0 when none is left.
    fn redundancy(&mut self, alive: &[bool], index: usize) -> f32 {
        let Some(slot) = self.lists.get_mut(index) else { return 0.0 };
        let list = slot.get_or_insert_with(|| (self.find)(index).into_boxed_slice());
        list.iter()
            .find(|(other, _)| alive.get(*other as usize).copied().unwrap_or(false))
            .map_or(0.0, |(_, similarity)| similarity.max(0.0))
    }
}

/// Drops pairs of each over-represented category until every category is
/// within its cap, the most redundant first, re-scored after each drop (see
/// the module docs). `neighbours(i)` gives `kept[i]`'s nearest other pairs
/// with their similarity, closest first; it is called at most once a pair,
/// and only for pairs of a category over its cap.
pub fn balance<T: Balanced>(
    kept: Vec<T>,
    neighbours: impl FnMut(usize) -> Neighbours,
    config: &DiversifyConfig,
) -> (Vec<T>, Vec<DroppedPair>) {
    if kept.len() < MIN_PAIRS_TO_BALANCE {
        return (kept, Vec::new());
    }
    let mut neighbourhood = Neighbourhood { find: neighbours, lists: Vec::new() };
    let dimensions: [(f32, Category<T>); 3] = [
        (config.max_task_share, |p| p.task().as_str()),
        (config.max_content_share, |p| p.content_type().as_str()),
        (config.max_difficulty_share, |p| p.difficulty().as_str()),
    ];
    let mut alive = vec![true; kept.len()];
    let mut alive_count = kept.len();
    // Dropping for one dimension can push another over its cap again; a few
    // passes settle it (each pass only removes pairs, so it ends).
    for _ in 0..4 {
        let mut changed = false;
        for (cap, key) in dimensions {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for (index, pair) in kept.iter().enumerate() {
                if alive[index] {
                    *counts.entry(key(pair)).or_default() += 1;
                }
            }
            // A cap below an even split cannot be met: hold it at the even split.
            let cap = f64::from(cap).max(1.0 / counts.len().max(1) as f64);
            if cap >= 1.0 {
                continue;
            }
            for (category, count) in counts {
                let allowed = cap * alive_count as f64;
                if count as f64 <= allowed {
                    continue;
                }
                // Removing x of them: (count − x) ≤ cap · (n − x).
                let excess = ((count as f64 - allowed) / (1.0 - cap)).ceil() as usize;
                if neighbourhood.lists.is_empty() {
                    neighbourhood.lists = vec![None; kept.len()];
                }
                // A max-heap of (redundancy, tie-break, index). Redundancy only
                // falls as pairs leave, so a popped score is an upper bound:
                // if it is still current the pair is the most redundant,
                // otherwise it goes back with its new score.
                let mut heap: BinaryHeap<(u32, Reverse<u64>, usize)> = (0..kept.len())
                    .filter(|i| alive[*i] && key(&kept[*i]) == category)
                    .map(|i| {
                        let score = neighbourhood.redundancy(&alive, i).to_bits();
                        (score, Reverse(xxh3_64(kept[i].id().as_bytes())), i)
                    })
                    .collect();
                let mut removed = 0;
                while removed < excess {
                    let Some((score, tie, index)) = heap.pop() else { break };
                    let current = neighbourhood.redundancy(&alive, index).to_bits();
                    if current < score {
                        heap.push((current, tie, index));
                        continue;
                    }
                    alive[index] = false;
                    alive_count -= 1;
                    removed += 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut out = Vec::with_capacity(alive_count);
    let mut dropped = Vec::new();
    for (pair, keep) in kept.into_iter().zip(alive) {
        if keep {
            out.push(pair);
        } else {
            dropped.push(DroppedPair { id: pair.into_id(), reason: DropReason::OverRepresented, duplicate_of: None });
        }
    }
    (out, dropped)
}
