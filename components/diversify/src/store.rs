//! Append-only storage for the deduper's fingerprints, grown in fixed
//! chunks.
//!
//! A `Vec` that doubles holds up to twice what it needs, and while it moves
//! to its new buffer it holds the old one as well. A component's linear
//! memory never shrinks, so that high-water mark stays for the rest of the
//! run. On the 1 GB corpus the deduper's largest vectors reach hundreds of
//! megabytes, and doubling them set most of its peak. Chunks of about
//! [`CHUNK_BYTES`] waste at most one chunk per store and never copy.

/// About how many bytes a chunk holds.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Fixed-width records of `T` (`width` values each), end to end in chunks.
#[derive(Debug)]
pub struct Records<T> {
    width: usize,
    /// Records per chunk: at least one, however wide.
    per_chunk: usize,
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy> Records<T> {
    /// An empty store of records `width` values wide (at least one).
    pub fn new(width: usize) -> Self {
        let width = width.max(1);
        let per_chunk = (CHUNK_BYTES / (width * std::mem::size_of::<T>().max(1))).max(1);
        Records { width, per_chunk, chunks: Vec::new(), len: 0 }
    }

    /// Appends one record; `false` (and nothing stored) when `record` is
    /// not `width` values long.
    pub fn push(&mut self, record: &[T]) -> bool {
        if record.len() != self.width {
            return false;
        }
        let full = self.chunks.last().is_none_or(|chunk| chunk.len() == self.per_chunk * self.width);
        if full {
            self.chunks.push(Vec::with_capacity(self.per_chunk * self.width));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.extend_from_slice(record);
            self.len += 1;
        }
        true
    }

    /// Record `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&[T]> {
        let chunk = self.chunks.get(index / self.per_chunk)?;
        let start = (index % self.per_chunk) * self.width;
        chunk.get(start..start + self.width)
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Strings, appended and read back by index: the bytes in chunks, and
/// where each string lies. A `Vec<String>` costs 24 bytes and an allocation
/// for each of the deduper's 16-character pair ids.
#[derive(Debug)]
pub struct Strings {
    text: Vec<String>,
    /// (chunk, start, end) of each string.
    spans: Records<(u32, u32, u32)>,
}

impl Default for Strings {
    fn default() -> Self {
        Strings { text: Vec::new(), spans: Records::new(1) }
    }
}

impl Strings {
    /// Appends `value`; `false` when the store is past what a `u32` addresses.
    pub fn push(&mut self, value: &str) -> bool {
        let fits = self.text.last().is_some_and(|chunk| chunk.capacity() - chunk.len() >= value.len());
        if !fits {
            self.text.push(String::with_capacity(CHUNK_BYTES.max(value.len())));
        }
        let chunk_index = self.text.len() - 1;
        let Some(chunk) = self.text.last_mut() else { return false };
        let (Ok(chunk_index), Ok(start), Ok(end)) =
            (u32::try_from(chunk_index), u32::try_from(chunk.len()), u32::try_from(chunk.len() + value.len()))
        else {
            return false;
        };
        chunk.push_str(value);
        self.spans.push(&[(chunk_index, start, end)])
    }

    /// String `index`; empty when there is none.
    pub fn get(&self, index: usize) -> &str {
        self.spans
            .get(index)
            .and_then(|span| span.first())
            .and_then(|(chunk, start, end)| self.text.get(*chunk as usize)?.get(*start as usize..*end as usize))
            .unwrap_or("")
    }

    /// How many strings there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_cross_chunks_and_refuse_the_wrong_width() {
        let width = 300_000;
        let mut records: Records<u32> = Records::new(width);
        for value in 0..5u32 {
            assert!(records.push(&vec![value; width]));
        }
        assert!(!records.push(&[1, 2, 3]), "the wrong width is refused");
        assert_eq!(records.len(), 5);
        assert!(records.chunks.len() >= 5, "one 1.2 MB record a chunk");
        for value in 0..5u32 {
            let record = records.get(value as usize).expect("stored");
            assert!(record.len() == width && record.iter().all(|v| *v == value));
        }
        assert!(records.get(5).is_none());

        let mut small: Records<u16> = Records::new(3);
        for value in 0..u16::MAX {
            small.push(&[value, value, value]);
        }
        assert_eq!(small.get(65_000), Some(&[65_000u16, 65_000, 65_000][..]));
        assert!(small.chunks.iter().all(|chunk| chunk.capacity() * 2 <= CHUNK_BYTES));
    }

    #[test]
    fn strings_come_back_by_index_across_chunks() {
        let mut strings = Strings::default();
        let long = "x".repeat(CHUNK_BYTES + 10);
        let values: Vec<String> = (0..200_000).map(|n| format!("{n:016x}")).collect();
        for (n, value) in values.iter().enumerate() {
            assert!(strings.push(value));
            if n == 1000 {
                assert!(strings.push(&long));
            }
        }
        assert_eq!(strings.len(), values.len() + 1);
        assert_eq!(strings.get(0), values[0]);
        assert_eq!(strings.get(1001), long);
        assert_eq!(strings.get(200_000), values[199_999]);
        assert_eq!(strings.get(200_001), "");
        assert!(strings.text.len() >= 3, "the long one and the rest in more than one chunk");
    }
}
