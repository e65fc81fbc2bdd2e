//! Pairs on disk between the per-document stages and the global ones, so
//! host memory does not grow with the corpus: each window's pairs are
//! appended as JSON lines to an unlinked temporary file, and the global
//! passes read them back in batches of bounded size.
//!
//! JSON lines because the cache keys hash the same JSON: a batch's key is
//! computed from the bytes read, without serialising the pairs again.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::types;

/// Pairs written so far, in the order they will be read.
pub(crate) struct Spill {
    writer: BufWriter<File>,
    pairs: usize,
}

impl Spill {
    /// A spill file in `dir` (the output folder: the user chose that disk
    /// for the dataset). Unlinked at once, so nothing is left after a crash.
    pub(crate) fn new(dir: &Path) -> Result<Spill> {
        let file = tempfile::tempfile_in(dir)
            .with_context(|| format!("creating a temporary file for the pairs in {}", dir.display()))?;
        Ok(Spill { writer: BufWriter::with_capacity(1 << 20, file), pairs: 0 })
    }

    /// Appends `pair`.
    pub(crate) fn push(&mut self, pair: &types::Pair) -> Result<()> {
        serde_json::to_writer(&mut self.writer, pair).context("writing a pair to the spill file")?;
        self.writer.write_all(b"\n").context("writing a pair to the spill file")?;
        self.pairs += 1;
        Ok(())
    }

    /// How many pairs were written.
    pub(crate) fn len(&self) -> usize {
        self.pairs
    }

    /// A reader from the first pair; the spill can be read again afterwards.
    pub(crate) fn reader(&mut self) -> Result<SpillReader> {
        self.writer.flush().context("writing the spill file")?;
        let mut file = self.writer.get_ref().try_clone().context("reopening the spill file")?;
        file.seek(SeekFrom::Start(0)).context("rewinding the spill file")?;
        Ok(SpillReader { reader: BufReader::with_capacity(1 << 20, file), line: Vec::new(), index: 0 })
    }
}

/// Reads a spill back, pair by pair or in batches.
pub(crate) struct SpillReader {
    reader: BufReader<File>,
    line: Vec<u8>,
    /// The index of the next pair.
    index: usize,
}

/// Consecutive pairs with the JSON they were read from.
#[derive(Default)]
pub(crate) struct Batch {
    /// The pairs' JSON lines, concatenated: what the batch's cache key hashes.
    pub(crate) json: Vec<u8>,
    pub(crate) pairs: Vec<types::Pair>,
}

impl SpillReader {
    /// The next pair with its index and JSON line (newline included), or `None` at the end.
    pub(crate) fn next_pair(&mut self) -> Result<Option<(usize, types::Pair, &[u8])>> {
        self.line.clear();
        let read = self.reader.read_until(b'\n', &mut self.line).context("reading the spill file")?;
        if read == 0 {
            return Ok(None);
        }
        let pair: types::Pair = serde_json::from_slice(&self.line)
            .with_context(|| format!("reading pair {} back from the spill file", self.index))?;
        let index = self.index;
        self.index += 1;
        Ok(Some((index, pair, &self.line)))
    }

    /// The next pairs whose JSON adds up to about `max_bytes` (at least one
    /// pair), for which `keep(index, pair)` holds; `None` at the end.
    pub(crate) fn next_batch(
        &mut self,
        max_bytes: usize,
        mut keep: impl FnMut(usize, &types::Pair) -> bool,
    ) -> Result<Option<Batch>> {
        let mut batch = Batch::default();
        while batch.json.len() < max_bytes {
            let Some((index, pair, json)) = self.next_pair()? else { break };
            if keep(index, &pair) {
                batch.json.extend_from_slice(json);
                batch.pairs.push(pair);
            }
        }
        Ok((!batch.pairs.is_empty()).then_some(batch))
    }
}
