//! LSH buckets that cost a few bytes per entry.
//!
//! Most band keys of a deduplicated set are held by one pair, so a
//! `HashMap<key, Vec<index>>` pays a vector (24 bytes and an allocation)
//! per key for a single 4-byte entry: about 70 bytes a key, two kilobytes
//! per pair across its 30 band keys. Here every entry is a (key, member)
//! slot of one open-addressing table (linear probing, no deletions), and a
//! bucket is the entries with its key along the probe sequence: 12 bytes an
//! entry at a load of 44–88 %, which is what lets the deduper keep a large
//! corpus's fingerprints within one instance's memory.

/// An empty slot's member.
const EMPTY: u32 = u32::MAX;

/// Buckets of `u32` members under `u64` keys (which should be hashes: the
/// low bits pick the slot).
#[derive(Debug, Default)]
pub struct MultiMap {
    keys: Vec<u64>,
    members: Vec<u32>,
    len: usize,
}

impl MultiMap {
    /// Adds `member` under `key` unless its bucket already holds `cap`
    /// members; returns whether it was added. `u32::MAX` is not a member.
    pub fn insert(&mut self, key: u64, member: u32, cap: usize) -> bool {
        if member == EMPTY {
            return false;
        }
        if (self.len + 1) * 8 > self.members.len() * 7 {
            self.grow();
        }
        let mask = self.members.len() - 1;
        let mut slot = key as usize & mask;
        let mut count = 0;
        while self.members[slot] != EMPTY {
            if self.keys[slot] == key {
                count += 1;
                if count >= cap {
                    return false;
                }
            }
            slot = (slot + 1) & mask;
        }
        self.keys[slot] = key;
        self.members[slot] = member;
        self.len += 1;
        true
    }

    /// The members under `key`, in no particular order.
    pub fn get(&self, key: u64) -> impl Iterator<Item = u32> + '_ {
        let mask = self.members.len().wrapping_sub(1);
        let mut slot = if self.members.is_empty() { None } else { Some(key as usize & mask) };
        std::iter::from_fn(move || {
            loop {
                let at = slot?;
                let member = *self.members.get(at)?;
                if member == EMPTY {
                    slot = None;
                    return None;
                }
                slot = Some((at + 1) & mask);
                if self.keys.get(at) == Some(&key) {
                    return Some(member);
                }
            }
        })
    }

    /// Twice the slots (16 at first), every entry placed again.
    fn grow(&mut self) {
        let slots = (self.members.len() * 2).max(16);
        let keys = std::mem::replace(&mut self.keys, vec![0; slots]);
        let members = std::mem::replace(&mut self.members, vec![EMPTY; slots]);
        let mask = slots - 1;
        for (key, member) in keys.into_iter().zip(members).filter(|(_, member)| *member != EMPTY) {
            let mut slot = key as usize & mask;
            while self.members[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            self.keys[slot] = key;
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
        // Keys that share their low bits land in one run of slots.
        for member in 0..1000u32 {
            assert!(map.insert(u64::from(member % 10) << 32, member, usize::MAX));
        }
        for key in 0..10u64 {
            let expected: Vec<u32> = (0..1000).filter(|m| u64::from(m % 10) == key).collect();
            assert_eq!(sorted(&map, key << 32), expected);
        }
        assert!(map.members.len() >= 1000 * 8 / 7);
    }
}
