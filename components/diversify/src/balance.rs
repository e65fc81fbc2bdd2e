//! Balance: no task type, content type or difficulty may hold more than its
//! configured share of the kept pairs. Where one does, the pairs dropped from
//! it are the most redundant ones: those closest in meaning to another kept
//! pair (the static embedding's similarity to the nearest neighbour, see
//! [`crate::semantic::redundancy`]), ties broken by a hash of the id so no
//! document is favoured by its position.

use std::collections::BTreeMap;

use brightrun_types::{DiversifyConfig, DropReason, DroppedPair, Pair};
use xxhash_rust::xxh3::xxh3_64;

/// Default caps: no task above 40 % of the dataset, no content type above
/// 60 %, no difficulty above 70 %.
pub const DEFAULT_MAX_TASK_SHARE: f32 = 0.4;
/// See [`DEFAULT_MAX_TASK_SHARE`].
pub const DEFAULT_MAX_CONTENT_SHARE: f32 = 0.6;
/// See [`DEFAULT_MAX_TASK_SHARE`].
pub const DEFAULT_MAX_DIFFICULTY_SHARE: f32 = 0.7;

/// Fewer kept pairs than this are not balanced: dropping from a handful of
/// pairs costs more than a skewed share does.
pub const MIN_PAIRS_TO_BALANCE: usize = 100;

/// What a pair is counted as in one dimension: its task, content type or difficulty.
type Category = fn(&Pair) -> &'static str;

/// Whether every cap is in (0, 1].
pub fn caps_valid(config: &DiversifyConfig) -> bool {
    [config.max_task_share, config.max_content_share, config.max_difficulty_share]
        .iter()
        .all(|cap| *cap > 0.0 && *cap <= 1.0)
}

/// Drops the most redundant pairs of each over-represented category until
/// every category is within its cap. `redundancy[i]` is how close `kept[i]`
/// is to its nearest other pair.
pub fn balance(kept: Vec<Pair>, redundancy: &[f32], config: &DiversifyConfig) -> (Vec<Pair>, Vec<DroppedPair>) {
    if kept.len() < MIN_PAIRS_TO_BALANCE {
        return (kept, Vec::new());
    }
    let dimensions: [(f32, Category); 3] = [
        (config.max_task_share, |p| p.task.as_str()),
        (config.max_content_share, |p| p.content_type.as_str()),
        (config.max_difficulty_share, |p| p.difficulty.as_str()),
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
                let mut members: Vec<usize> =
                    (0..kept.len()).filter(|i| alive[*i] && key(&kept[*i]) == category).collect();
                members.sort_by(|a, b| {
                    let redundancy = |i: usize| redundancy.get(i).copied().unwrap_or(0.0);
                    redundancy(*b)
                        .total_cmp(&redundancy(*a))
                        .then_with(|| xxh3_64(kept[*a].id.as_bytes()).cmp(&xxh3_64(kept[*b].id.as_bytes())))
                });
                for index in members.into_iter().take(excess) {
                    alive[index] = false;
                    alive_count -= 1;
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
            dropped.push(DroppedPair { id: pair.id, reason: DropReason::OverRepresented, duplicate_of: None });
        }
    }
    (out, dropped)
}
