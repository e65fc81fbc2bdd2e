//! LSH buckets that cost a few bytes per entry.
//!
//! Most band keys of a deduplicated set are held by one pair, so a
//! `HashMap<key, Vec<index>>` pays a vector (24 bytes and an allocation)
//! per key for a single 4-byte entry: about 70 bytes a key, two kilobytes
//! per pair across its 30 band keys. Here every entry is a (tag, member)
//! slot of an open-addressing table (linear probing, no deletions), and a
//! bucket is the entries with its key along the probe sequence.
//!
//! Two things keep it small on a large corpus. An entry stores 32 bits of
//! its key (the tag, which also picks its slot), not 64: with the shard's
//! six top bits, two keys meet only when 38 bits agree, and a stray member
//! found that way is only an extra candidate, which the caller checks on the
//! signature or vectors anyway. And the table is [`SHARDS`] tables picked by the key's top
//! bits, each growing on its own: growing copies one shard, not the whole
//! table, so the peak holds 1/64th extra rather than one and a half times
//! the table (a component's memory never shrinks back from a peak).
//! 8 bytes an entry at a load of 44–88 %.

/// An empty slot's member.
const EMPTY: u32 = u32::MAX;

/// How many tables the keys are spread over (by their top bits).
pub const SHARDS: usize = 64;

/// Buckets of `u32` members under `u64` keys (which should be hashes: the
/// low 32 bits are the tag and pick the slot, the top six the shard).
#[derive(Debug)]
pub struct MultiMap {
    shards: Vec<Shard>,
}

impl Default for MultiMap {
    fn default() -> Self {
        MultiMap { shards: (0..SHARDS).map(|_| Shard::default()).collect() }
    }
}

#[derive(Debug, Default)]
struct Shard {
    tags: Vec<u32>,
    members: Vec<u32>,
    len: usize,
}

/// The shard and tag of `key`.
fn split(key: u64) -> (usize, u32) {
    ((key >> (64 - SHARDS.trailing_zeros())) as usize, key as u32)
}

impl MultiMap {
    /// Adds `member` under `key` unless its bucket already holds `cap`
    /// members; returns whether it was added. `u32::MAX` is not a member.
    pub fn insert(&mut self, key: u64, member: u32, cap: usize) -> bool {
        let (shard, tag) = split(key);
        match self.shards.get_mut(shard) {
            Some(shard) if member != EMPTY => shard.insert(tag, member, cap),
            _ => false,
        }
    }

    /// The members under `key`, in no particular order.
    pub fn get(&self, key: u64) -> impl Iterator<Item = u32> + '_ {
        let (shard, tag) = split(key);
        let shard = self.shards.get(shard);
        let mask = shard.map_or(0, |shard| shard.members.len().wrapping_sub(1));
        let mut slot = shard.filter(|shard| !shard.members.is_empty()).map(|_| tag as usize & mask);
        std::iter::from_fn(move || {
            let shard = shard?;
            loop {
                let at = slot?;
                let member = *shard.members.get(at)?;
                if member == EMPTY {
                    slot = None;
                    return None;
                }
                slot = Some((at + 1) & mask);
                if shard.tags.get(at) == Some(&tag) {
                    return Some(member);
                }
            }
        })
    }

    /// Slots across the shards, filled or not.
    pub fn slots(&self) -> usize {
        self.shards.iter().map(|shard| shard.members.len()).sum()
    }
}

impl Shard {
    fn insert(&mut self, tag: u32, member: u32, cap: usize) -> bool {
        if (self.len + 1) * 8 > self.members.len() * 7 {
            self.grow();
        }
        let mask = self.members.len() - 1;
        let mut slot = tag as usize & mask;
        let mut count = 0;
        while self.members[slot] != EMPTY {
            if self.tags[slot] == tag {
                count += 1;
                if count >= cap {
                    return false;
                }
            }
            slot = (slot + 1) & mask;
        }
        self.tags[slot] = tag;
        self.members[slot] = member;
        self.len += 1;
        true
    }

    /// Twice the slots (16 at first), every entry placed again.
    fn grow(&mut self) {
        let slots = (self.members.len() * 2).max(16);
        let tags = std::mem::replace(&mut self.tags, vec![0; slots]);
        let members = std::mem::replace(&mut self.members, vec![EMPTY; slots]);
        let mask = slots - 1;
        for (tag, member) in tags.into_iter().zip(members).filter(|(_, member)| *member != EMPTY) {
            let mut slot = tag as usize & mask;
            while self.members[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            self.tags[slot] = tag;
            self.members[slot] = member;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(map: &MultiMap, key: u64) -> Vec<u32> {
        let mut members: Vec<u32> = map.get(key).collect();
        members.sort_unstable();
        members
    }

    #[test]
    fn keeps_members_per_key_up_to_the_cap() {
        let mut map = MultiMap::default();
        assert_eq!(map.get(7).count(), 0, "an empty map has no slots");
        assert!(map.insert(7, 1, 2));
        assert!(map.insert(9, 5, 2));
        assert!(map.insert(7, 3, 2));
        assert!(!map.insert(7, 4, 2), "the bucket is full");
        assert_eq!(sorted(&map, 7), [1, 3]);
        assert_eq!(sorted(&map, 9), [5]);
        assert_eq!(map.get(8).count(), 0);
    }

    #[test]
    fn finds_every_member_after_growing_with_colliding_slots() {
        let mut map = MultiMap::default();
        // Keys that share their low 20 bits (and so their slot) and their
        // shard land in one run of slots; their tags differ above bit 20.
        let key = |n: u64| (n << 20) | 5;
        for member in 0..1000u32 {
            assert!(map.insert(key(u64::from(member % 10)), member, usize::MAX));
        }
        for n in 0..10u64 {
            let expected: Vec<u32> = (0..1000).filter(|m| u64::from(m % 10) == n).collect();
            assert_eq!(sorted(&map, key(n)), expected);
        }
        assert!(map.slots() >= 1000 * 8 / 7);
    }
}
