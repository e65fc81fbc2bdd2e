//! What one item of a window reads: a whole file, or a part of a large JSON
//! Lines file cut between lines.
//!
//! JSON Lines is how training data and document dumps usually travel, and
//! one such file can hold a whole corpus. Read whole, a 1 GB file would sit in
//! host memory at once and ingest would need its bytes, text and records in
//! one instance (past both the 512 MiB file limit and the memory limit). Its
//! records do not depend on each other, so it is read in parts of about
//! [`JSON_LINES_PART_BYTES`], each cut after a newline, that go through the
//! windows like files. A record keeps the name a whole-file ingest gives it
//! (`file.jsonl#L<line>`): ingest numbers a part's lines from 1, and
//! [`Part::renumber`] adds the lines before the part.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// JSON Lines files larger than this are read in parts of about this size
/// (a part ends at the first newline past it). A window holds about as much.
pub const JSON_LINES_PART_BYTES: u64 = super::WINDOW_BYTES;

/// A file, or the part of one, that goes through the pipeline as one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// The lines read, when the file is read in parts.
    pub part: Option<Part>,
}

/// A run of whole lines of a JSON Lines file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Offset of its first byte.
    pub start: u64,
    /// Offset one past its last byte (just past a newline, or the file's end).
    pub end: u64,
    /// Lines before `start`: its first line is line `lines_before + 1`.
    pub lines_before: u64,
    /// Lines in the part, counted as `str::lines` counts them.
    pub lines: u64,
}

impl Source {
    /// Bytes this source reads.
    pub fn bytes(&self) -> u64 {
        match self.part {
            Some(part) => part.end - part.start,
            None => std::fs::metadata(&self.path).map_or(0, |m| m.len()),
        }
    }

    /// The bytes of the file or part.
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        let Some(part) = self.part else { return std::fs::read(&self.path) };
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(part.start))?;
        let mut bytes = Vec::with_capacity(usize::try_from(part.end - part.start).unwrap_or(0));
        file.take(part.end - part.start).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// The name reports give this item: the file's `name`, with the lines
    /// a part holds.
    pub fn report_name(&self, name: &str) -> String {
        match self.part {
            Some(part) => format!("{name} (lines {}–{})", part.lines_before + 1, part.lines_before + part.lines),
            None => name.to_string(),
        }
    }
}

impl Part {
    /// `record` as a whole-file ingest of `file` names it: ingest numbered
    /// the part's lines from 1 (`file#L3`), and the part starts
    /// `lines_before` lines in. Other names come back unchanged.
    pub fn renumber(&self, file: &str, record: &str) -> String {
        let line =
            record.strip_prefix(file).and_then(|rest| rest.strip_prefix("#L")).and_then(|n| n.parse::<u64>().ok());
        match line {
            Some(line) => format!("{file}#L{}", line + self.lines_before),
            None => record.to_string(),
        }
    }
}

/// The sources of `files`, in order: one per file, except that a JSON Lines
/// file (`.jsonl`, `.ndjson`) over `part_bytes` becomes parts of whole lines.
/// A file that cannot be read stays whole, so reading it reports the error.
pub fn sources(files: &[PathBuf], part_bytes: u64) -> Vec<Source> {
    let mut out = Vec::with_capacity(files.len());
    for path in files {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        let parts = if is_json_lines(path) && size > part_bytes { cut(path, part_bytes).ok() } else { None };
        match parts {
            Some(parts) if parts.len() > 1 => {
                out.extend(parts.into_iter().map(|part| Source { path: path.clone(), part: Some(part) }))
            }
            _ => out.push(Source { path: path.clone(), part: None }),
        }
    }
    out
}

fn is_json_lines(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| extension.eq_ignore_ascii_case("jsonl") || extension.eq_ignore_ascii_case("ndjson"))
}

/// Cuts the file at `path` into parts of at least `part_bytes` (the last may
/// be shorter), each ending just past a newline. Reads the file once,
/// streaming. UTF-16 text (a byte-order mark) is not cut: its newline is two
/// bytes, and ingest decodes it whole.
fn cut(path: &Path, part_bytes: u64) -> std::io::Result<Vec<Part>> {
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let head = reader.fill_buf()?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Ok(Vec::new());
    }
    let part_bytes = part_bytes.max(1);
    let mut parts = Vec::new();
    let mut part = Part { start: 0, end: 0, lines_before: 0, lines: 0 };
    let mut last_byte = b'\n';
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            break;
        }
        let length = buffer.len();
        let mut consumed = 0;
        while consumed < length {
            let rest = &buffer[consumed..];
            // Up to the size the part still needs, then on to the next newline.
            let wanted = usize::try_from((part.start + part_bytes).saturating_sub(part.end)).unwrap_or(usize::MAX);
            let (take, closes) = if wanted > 0 {
                (rest.len().min(wanted), false)
            } else {
                match rest.iter().position(|byte| *byte == b'\n') {
                    Some(at) => (at + 1, true),
                    None => (rest.len(), false),
                }
            };
            part.lines += rest[..take].iter().filter(|byte| **byte == b'\n').count() as u64;
            part.end += take as u64;
            consumed += take;
            last_byte = rest[take - 1];
            if closes {
                parts.push(part);
                part = Part { start: part.end, end: part.end, lines_before: part.lines_before + part.lines, lines: 0 };
            }
        }
        reader.consume(length);
    }
    if part.end > part.start {
        // A last line without a newline is a line too.
        part.lines += u64::from(last_byte != b'\n');
        parts.push(part);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join(name);
        std::fs::write(&path, contents).expect("written");
        (dir, path)
    }

    #[test]
    fn cuts_a_large_json_lines_file_after_newlines_and_counts_the_lines_before_each_part() {
        let lines: Vec<String> =
            (1..=200).map(|n| format!("{{\"text\": \"record {n} {}\"}}", "x".repeat(n % 37))).collect();
        let contents = lines.join("\n");
        let (_dir, path) = write("data.jsonl", contents.as_bytes());
        let sources = sources(std::slice::from_ref(&path), 512);
        assert!(sources.len() > 5, "{}", sources.len());
        let mut rebuilt = Vec::new();
        for source in &sources {
            let part = source.part.expect("a part");
            let bytes = source.read().expect("readable");
            assert!(part.end as usize == contents.len() || bytes.ends_with(b"\n"));
            let before = contents.as_bytes()[..part.start as usize].iter().filter(|b| **b == b'\n').count();
            assert_eq!(part.lines_before, before as u64);
            // Ingest numbers the part's lines from 1; renumbered, they are the file's.
            let first = String::from_utf8(bytes.clone()).expect("utf-8").lines().next().map(str::to_string);
            assert_eq!(first.as_deref(), Some(lines[before].as_str()));
            assert_eq!(part.renumber("data.jsonl", "data.jsonl#L1"), format!("data.jsonl#L{}", before + 1));
            rebuilt.extend(bytes);
        }
        assert_eq!(rebuilt, contents.as_bytes());
        let lines_in = |source: &Source| source.part.map_or(0, |p| p.lines);
        assert_eq!(sources[0].report_name("data.jsonl"), format!("data.jsonl (lines 1–{})", lines_in(&sources[0])));
        // The last part has no final newline, and its last line still counts.
        assert_eq!(sources.iter().map(lines_in).sum::<u64>(), 200);
    }

    #[test]
    fn keeps_small_files_other_formats_and_utf16_whole() {
        let big = "{\"text\": \"a line of text\"}\n".repeat(100);
        for (name, contents) in [
            ("small.jsonl", "{\"text\": \"one\"}\n".as_bytes().to_vec()),
            ("big.md", big.clone().into_bytes()),
            ("big.json", big.clone().into_bytes()),
            (
                "utf16.jsonl",
                [&[0xFF, 0xFE][..], &big.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>()].concat(),
            ),
        ] {
            let (_dir, path) = write(name, &contents);
            let sources = sources(std::slice::from_ref(&path), if name == "small.jsonl" { 1 << 20 } else { 64 });
            assert_eq!(sources, vec![Source { path: path.clone(), part: None }], "{name}");
            assert_eq!(sources[0].report_name("x"), "x");
        }
    }

    #[test]
    fn renumbers_only_the_files_own_line_names() {
        let part = Part { start: 10, end: 20, lines_before: 41, lines: 3 };
        assert_eq!(part.renumber("a.jsonl", "a.jsonl#L2"), "a.jsonl#L43");
        assert_eq!(part.renumber("a.jsonl", "a.jsonl"), "a.jsonl");
        assert_eq!(part.renumber("a.jsonl", "b.jsonl#L2"), "b.jsonl#L2");
        assert_eq!(part.renumber("a.jsonl", "a.jsonl#Lx"), "a.jsonl#Lx");
    }
}
