//! The output folder is never left damaged: a run writes into a staging
//! folder beside `--out` and moves its files into place only when it
//! exported pairs, so a run that fails, is cancelled or exports nothing
//! leaves the previous dataset as it was.
//!
//! Files are moved one by one (each `rename` is atomic) rather than the
//! folder swapped, because `--out` may hold files that are not ours (`--out .`
//! is allowed): only the names the run wrote are replaced.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

/// Files that mark a folder as a brightrun output: walking inputs skips
/// such a folder, so a run never reads its own dataset, card or report.
const MARKERS: [&str; 2] = ["report.json", "dataset_info.json"];

/// Whether `dir` holds a brightrun run's output.
pub(crate) fn is_output_folder(dir: &Path) -> bool {
    MARKERS.iter().all(|name| dir.join(name).is_file())
}

/// What became of the run's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// They are in `--out`.
    Written,
    /// The run exported nothing and `--out` held a dataset: that one is kept
    /// as it was, and this run's report is in the folder named.
    PreviousKept(PathBuf),
}

/// A hidden folder beside `--out` that a run writes into; removed on drop
/// unless its files were placed.
pub(crate) struct Staging {
    dir: PathBuf,
    out: PathBuf,
}

impl Staging {
    /// Makes the staging folder for `out` (and `out`'s parent, if missing).
    pub(crate) fn new(out: &Path) -> anyhow::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = out.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let parent = match out.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!(".{name}.brightrun-staging-{}-{unique}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        std::fs::create_dir(&dir).with_context(|| format!("creating the staging folder {}", dir.display()))?;
        Ok(Staging { dir, out: out.to_path_buf() })
    }

    /// Where the run writes.
    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }

    /// Moves the run's files into `--out` when it `exported` pairs or `--out`
    /// holds no earlier dataset; else keeps the earlier one and moves this
    /// run's files to `<out>.failed` (replacing an older failed run's).
    pub(crate) fn place(self, exported: bool) -> anyhow::Result<Placement> {
        if !exported && is_output_folder(&self.out) {
            let failed = failed_folder(&self.out);
            if failed.exists() {
                std::fs::remove_dir_all(&failed).with_context(|| format!("clearing {}", failed.display()))?;
            }
            std::fs::rename(&self.dir, &failed)
                .with_context(|| format!("moving the report to {}", failed.display()))?;
            return Ok(Placement::PreviousKept(failed));
        }
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating the output folder {}", self.out.display()))?;
        let mut names: Vec<_> = std::fs::read_dir(&self.dir)
            .with_context(|| format!("listing {}", self.dir.display()))?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("listing {}", self.dir.display()))?;
        // report.json last: a folder with the new report holds the new dataset.
        names.sort_by_key(|name| (name == "report.json", name.clone()));
        for name in names {
            let target = self.out.join(&name);
            std::fs::rename(self.dir.join(&name), &target)
                .with_context(|| format!("moving {} into place", target.display()))?;
        }
        Ok(Placement::Written)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Gone already when placed; a failed or cancelled run's files go.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `<out>.failed`, beside `--out`.
pub fn failed_folder(out: &Path) -> PathBuf {
    let mut name = out.file_name().map_or_else(|| "out".into(), std::ffi::OsStr::to_os_string);
    name.push(".failed");
    out.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_dataset(dir: &Path, marker: &str) {
        std::fs::create_dir_all(dir).unwrap();
        for name in ["report.json", "dataset_info.json", "alpaca.json"] {
            std::fs::write(dir.join(name), marker).unwrap();
        }
    }

    #[test]
    fn a_run_that_exported_replaces_only_its_own_files() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        write_dataset(&out, "old");
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let staging = Staging::new(&out).unwrap();
        write_dataset(staging.path(), "new");
        let staged = staging.path().to_path_buf();
        assert_eq!(staging.place(true).unwrap(), Placement::Written);
        assert_eq!(std::fs::read_to_string(out.join("alpaca.json")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        assert!(!staged.exists());
    }

    #[test]
    fn a_run_that_exported_nothing_keeps_the_previous_dataset() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        write_dataset(&out, "old");
        let staging = Staging::new(&out).unwrap();
        write_dataset(staging.path(), "empty");
        let placement = staging.place(false).unwrap();
        assert_eq!(placement, Placement::PreviousKept(temp.path().join("out.failed")));
        assert_eq!(std::fs::read_to_string(out.join("alpaca.json")).unwrap(), "old");
        assert_eq!(std::fs::read_to_string(temp.path().join("out.failed/report.json")).unwrap(), "empty");
    }

    #[test]
    fn a_dropped_staging_folder_leaves_nothing() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        let staging = Staging::new(&out).unwrap();
        let staged = staging.path().to_path_buf();
        std::fs::write(staged.join("alpaca.json"), "partial").unwrap();
        drop(staging);
        assert!(!staged.exists() && !out.exists());
    }
}
