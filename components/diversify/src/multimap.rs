//! LSH buckets that cost a few bytes per entry.
//!
//! Most band keys of a deduplicated set are held by one pair, so a
//! `HashMap<key, Vec<index>>` pays a vector (24 bytes and an allocation)
//! per key for a single 8-byte entry: about 70 bytes a key, over a kilobyte
//! per pair across its 30 band keys. Here a key maps to the last entry of its
//! bucket and entries link back to the one before: 16 bytes of map slot and
//! 8 bytes of link per entry, which is what lets the deduper keep a large
//! corpus's fingerprints within one instance's memory.

use std::collections::HashMap;

/// No earlier entry.
const NONE: u32 = u32::MAX;

/// A bucket's newest entry and its size.
#[derive(Debug, Clone, Copy)]
struct Head {
    last: u32,
    len: u32,
}

/// One member of a bucket, linked to the entry added before it.
#[derive(Debug, Clone, Copy)]
struct Link {
    member: u32,
    previous: u32,
}

/// Buckets of `u32` members under `u64` keys, members newest first.
#[derive(Debug, Default)]
pub struct MultiMap {
    heads: HashMap<u64, Head>,
    links: Vec<Link>,
}

impl MultiMap {
    /// Adds `member` under `key` unless its bucket already holds `cap`
    /// members; returns whether it was added. Past `u32::MAX` entries, no more are.
    pub fn insert(&mut self, key: u64, member: u32, cap: usize) -> bool {
        let Ok(at) = u32::try_from(self.links.len()) else { return false };
        if at == NONE {
            return false;
        }
        let head = self.heads.entry(key).or_insert(Head { last: NONE, len: 0 });
        if head.len as usize >= cap {
            return false;
        }
        self.links.push(Link { member, previous: head.last });
        *head = Head { last: at, len: head.len + 1 };
        true
    }

    /// The members under `key`, newest first.
    pub fn get(&self, key: u64) -> impl Iterator<Item = u32> + '_ {
        let mut next = self.heads.get(&key).map_or(NONE, |head| head.last);
        std::iter::from_fn(move || {
            let link = self.links.get(next as usize)?;
            next = link.previous;
            Some(link.member)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_members_per_key_newest_first_up_to_the_cap() {
        let mut map = MultiMap::default();
        assert!(map.insert(7, 1, 2));
        assert!(map.insert(9, 5, 2));
        assert!(map.insert(7, 3, 2));
        assert!(!map.insert(7, 4, 2), "the bucket is full");
        assert_eq!(map.get(7).collect::<Vec<_>>(), [3, 1]);
        assert_eq!(map.get(9).collect::<Vec<_>>(), [5]);
        assert_eq!(map.get(8).count(), 0);
    }
}
