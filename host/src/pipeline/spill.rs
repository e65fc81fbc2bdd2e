//! Pairs on disk between the per-document stages and the global ones, so
//! host memory does not grow with the corpus: each window's pairs are
//! appended as JSON lines to an unlinked temporary file, cut into batches of
//! bounded size for the global stages, and read back from the file when a
//! stage must see them again.
//!
//! JSON lines because the cache keys hash the same JSON: a batch's key is
//! computed from the bytes written, without serialising the pairs again.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use anyhow::{Context, Result};

use crate::types;

/// Pairs written so far, in the order they will be read.
pub(crate) struct Spill {
    writer: BufWriter<File>,
    /// A handle for readers: they read with their own offsets (`pread`), so
    /// they never move the writer's.
    file: File,
    line: Vec<u8>,
    pairs: usize,
}

impl Spill {
    /// A spill file in `dir` (the output folder: the user chose that disk
    /// for the dataset). Unlinked at once, so nothing is left after a crash.
    pub(crate) fn new(dir: &Path) -> Result<Spill> {
        let file = tempfile::tempfile_in(dir)
            .with_context(|| format!("creating a temporary file for the pairs in {}", dir.display()))?;
        let readers = file.try_clone().context("opening the spill file for reading")?;
        Ok(Spill { writer: BufWriter::with_capacity(1 << 20, file), file: readers, line: Vec::new(), pairs: 0 })
    }

    /// Appends `pair`; returns its JSON line (newline included).
    pub(crate) fn push(&mut self, pair: &types::Pair) -> Result<&[u8]> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, pair).context("serialising a pair for the spill file")?;
        self.line.push(b'\n');
        self.writer.write_all(&self.line).context("writing a pair to the spill file")?;
        self.pairs += 1;
        Ok(&self.line)
    }

    /// Makes every pair pushed so far readable.
    pub(crate) fn flush(&mut self) -> Result<()> {
        self.writer.flush().context("writing the spill file")
    }

    /// How many pairs were written.
    pub(crate) fn len(&self) -> usize {
        self.pairs
    }

    /// Where readers read from; see [`SpillSource::reader`].
    pub(crate) fn source(&self) -> Result<SpillSource> {
        Ok(SpillSource { file: self.file.try_clone().context("opening the spill file for reading")? })
    }
}

/// Opens readers of a spill, from any thread.
pub(crate) struct SpillSource {
    file: File,
}

impl SpillSource {
    /// A reader from the first pair. Only pairs written before the last
    /// [`Spill::flush`] are there to read.
    pub(crate) fn reader(&self) -> Result<SpillReader> {
        let file = self.file.try_clone().context("opening the spill file for reading")?;
        let positional = Positional { file, offset: 0 };
        Ok(SpillReader { reader: BufReader::with_capacity(1 << 20, positional), line: Vec::new(), index: 0 })
    }
}

/// A file read with `pread` from its own offset.
struct Positional {
    file: File,
    offset: u64,
}

impl Read for Positional {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.file.read_at(buf, self.offset)?;
        self.offset += read as u64;
        Ok(read)
    }
}

/// Reads a spill back, pair by pair or in batches.
pub(crate) struct SpillReader {
    reader: BufReader<Positional>,
    line: Vec<u8>,
    /// The index of the next pair.
    index: usize,
}

/// Consecutive pairs with the JSON they were written as.
#[derive(Default)]
pub(crate) struct Batch {
    /// The pairs' JSON lines, concatenated: what the batch's cache key hashes.
    pub(crate) json: Vec<u8>,
    pub(crate) pairs: Vec<types::Pair>,
}

impl Batch {
    /// Adds a pair and its JSON line.
    pub(crate) fn push(&mut self, pair: types::Pair, json: &[u8]) {
        self.json.extend_from_slice(json);
        self.pairs.push(pair);
    }
}

/// Cuts a stream of pairs into batches of about `max_bytes` of JSON.
pub(crate) struct Batcher {
    max_bytes: usize,
    batch: Batch,
}

impl Batcher {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Batcher { max_bytes: max_bytes.max(1), batch: Batch::default() }
    }

    /// Adds a pair; returns the batch it completes, if it does.
    pub(crate) fn push(&mut self, pair: types::Pair, json: &[u8]) -> Option<Batch> {
        self.batch.push(pair, json);
        (self.batch.json.len() >= self.max_bytes).then(|| std::mem::take(&mut self.batch))
    }

    /// The last, partial batch, if any pair is left.
    pub(crate) fn finish(self) -> Option<Batch> {
        (!self.batch.pairs.is_empty()).then_some(self.batch)
    }
}

impl SpillReader {
    /// The next batch, cut as a [`Batcher`] of `max_bytes` cuts the pairs
    /// whose index `keep` holds for (the others are skipped unparsed);
    /// `None` at the end. With `limit`, no pair at or past that index is read.
    pub(crate) fn next_batch(
        &mut self,
        max_bytes: usize,
        limit: Option<usize>,
        keep: impl Fn(usize) -> bool,
    ) -> Result<Option<Batch>> {
        let mut batch = Batch::default();
        while batch.json.len() < max_bytes.max(1) {
            if limit.is_some_and(|limit| self.index >= limit) {
                break;
            }
            self.line.clear();
            let read = self.reader.read_until(b'\n', &mut self.line).context("reading the spill file")?;
            if read == 0 {
                break;
            }
            let index = self.index;
            self.index += 1;
            if !keep(index) {
                continue;
            }
            let pair: types::Pair = serde_json::from_slice(&self.line)
                .with_context(|| format!("reading pair {index} back from the spill file"))?;
            batch.push(pair, &self.line);
        }
        Ok((!batch.pairs.is_empty()).then_some(batch))
    }
}
