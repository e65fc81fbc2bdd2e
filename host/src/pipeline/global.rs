//! The global stages over the spilled pairs, in bounded batches:
//!
//! 1. **Dedup**: every pair, in order, through one deduper instance
//!    (`diversify-stream`), which remembers fingerprints of the kept pairs,
//!    not the pairs; then its balance.
//! 2. **Export**: the kept pairs, validated in parallel batches
//!    (`validate-stream.validate`), then through one exporter instance in
//!    order, whose file parts are appended to the output files as they come.
//!
//! Both passes are cached as chains: batch `n`'s result is stored under a
//! key over the settings and batches `0..=n`, since it depends on all of
//! them. A warm run reads the chain; a run that misses after some hits
//! starts the pass again without reading the chain, because the instance
//! must see every batch to hold the right state (validation results, keyed
//! by their own batch, are still read from the cache).

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::spill::{Batch, Spill};
use super::{ExportFormat, Run, drop_reason_name, run_error};
use crate::cache::CacheKey;
use crate::components::Stage;
use crate::report::ErrorReport;
use crate::stages::{Deduper, Exporter, StageFailure};
use crate::types;

/// Pair JSON per batch: large enough that a validate call's tokenizer
/// start-up is a small share of it, small enough that a batch's pairs, in
/// the host and in the component, stay a few MiB.
pub const DEFAULT_PAIR_BATCH_BYTES: usize = 4 << 20;

/// A pass finished, or must start again without reading its chain.
enum Pass<T> {
    Done(T),
    Restart,
}

/// What the dedup pass decided.
pub(crate) struct Deduplicated {
    /// For each spilled pair, in order, whether it is still in.
    pub(crate) kept: Vec<bool>,
    /// Pairs dropped, per reason.
    pub(crate) dropped: BTreeMap<String, usize>,
    /// Why dedup did not run, when it failed: then every pair is kept.
    pub(crate) error: Option<ErrorReport>,
}

/// Runs the dedup pass over `spill` (see the module docs).
pub(crate) fn deduplicate(run: &Run<'_>, spill: &mut Spill) -> Result<Deduplicated> {
    match dedup_pass(run, spill, true)? {
        Pass::Done(done) => Ok(done),
        Pass::Restart => match dedup_pass(run, spill, false)? {
            Pass::Done(done) => Ok(done),
            Pass::Restart => anyhow::bail!("the dedup pass asked to restart while not reading its cache"),
        },
    }
}

fn dedup_pass(run: &Run<'_>, spill: &mut Spill, read_cache: bool) -> Result<Pass<Deduplicated>> {
    let stage = Stage::Diversify;
    let config = run.options.diversify;
    let cache = run.cache;
    let mut chain = CacheKey::new(stage, run.stages.digest(stage), &config, &"deduper")?;
    let mut reader = spill.reader()?;
    let mut deduper: Option<Deduper> = None;
    let mut hits = 0usize;
    let mut kept: Vec<bool> = Vec::with_capacity(spill.len());
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    let mut balance_ids: HashSet<String> = HashSet::new();
    let mut ids: Vec<String> = Vec::new();
    let failure = 'pass: {
        while let Some(batch) = reader.next_batch(run.options.pair_batch_bytes.max(1), |_, _| true)? {
            chain = chain.chained(&batch.json);
            let cached = match (cache, read_cache && deduper.is_none()) {
                (Some(cache), true) => cache.get::<Vec<Option<types::DroppedPair>>>(stage, &chain),
                _ => None,
            };
            let decisions = match cached.filter(|decisions| decisions.len() == batch.pairs.len()) {
                Some(decisions) => {
                    hits += 1;
                    decisions
                }
                None => {
                    if deduper.is_none() {
                        if hits > 0 {
                            return Ok(Pass::Restart);
                        }
                        match run.stages.deduper(config) {
                            Ok(opened) => deduper = Some(opened),
                            Err(failure) => break 'pass Some(failure),
                        }
                    }
                    let Some(open) = deduper.as_mut() else { break 'pass None };
                    match open.add(&batch.pairs) {
                        Ok(decisions) => {
                            if let Some(cache) = cache {
                                cache.store(stage, chain, &decisions);
                            }
                            decisions
                        }
                        Err(failure) => break 'pass Some(failure),
                    }
                }
            };
            for (pair, decision) in batch.pairs.into_iter().zip(decisions) {
                match decision {
                    Some(drop) => {
                        *dropped.entry(drop_reason_name(drop.reason).to_string()).or_default() += 1;
                        kept.push(false);
                    }
                    None => {
                        kept.push(true);
                        ids.push(pair.id);
                    }
                }
            }
        }
        if kept.is_empty() {
            break 'pass None;
        }
        let finish_key = chain.chained(b"finish");
        let cached = match (cache, read_cache && deduper.is_none()) {
            (Some(cache), true) => cache.get::<Vec<types::DroppedPair>>(stage, &finish_key),
            _ => None,
        };
        let balanced = match (cached, deduper.as_mut()) {
            (Some(balanced), _) => balanced,
            (None, None) => return Ok(Pass::Restart),
            (None, Some(open)) => match open.finish() {
                Ok(balanced) => {
                    if let Some(cache) = cache {
                        cache.store(stage, finish_key, &balanced);
                    }
                    balanced
                }
                Err(failure) => break 'pass Some(failure),
            },
        };
        for drop in balanced {
            *dropped.entry(drop_reason_name(drop.reason).to_string()).or_default() += 1;
            balance_ids.insert(drop.id);
        }
        None
    };
    if let Some(failure) = failure {
        // Dedup is an improvement, not a requirement: keep every pair and say so.
        return Ok(Pass::Done(Deduplicated {
            kept: vec![true; spill.len()],
            dropped: BTreeMap::new(),
            error: Some(run_error(Stage::Diversify, failure)),
        }));
    }
    if !balance_ids.is_empty() {
        // Balance names pairs by id; ids of kept pairs are unique per pair.
        let mut next_kept = kept.iter_mut().filter(|k| **k);
        for id in &ids {
            if let Some(slot) = next_kept.next()
                && balance_ids.contains(id)
            {
                *slot = false;
            }
        }
    }
    Ok(Pass::Done(Deduplicated { kept, dropped, error: None }))
}

/// What the export pass wrote.
pub(crate) struct Exported {
    /// Files written, in the order they were first written.
    pub(crate) files: Vec<String>,
    /// Pairs dropped, per reason.
    pub(crate) dropped: BTreeMap<String, usize>,
    /// Quality figures, unless export failed.
    pub(crate) quality: Option<types::Quality>,
    /// Batches that failed validation, and an export that failed.
    pub(crate) errors: Vec<ErrorReport>,
}

/// Runs the export pass over the pairs of `spill` that `kept` keeps (see the module docs).
pub(crate) fn export(
    run: &Run<'_>,
    spill: &mut Spill,
    kept: &[bool],
    config: &types::ExportConfig,
    jobs: usize,
) -> Result<Exported> {
    match export_pass(run, spill, kept, config, jobs, true)? {
        Pass::Done(done) => Ok(done),
        Pass::Restart => match export_pass(run, spill, kept, config, jobs, false)? {
            Pass::Done(done) => Ok(done),
            Pass::Restart => anyhow::bail!("the export pass asked to restart while not reading its cache"),
        },
    }
}

fn export_pass(
    run: &Run<'_>,
    spill: &mut Spill,
    kept: &[bool],
    config: &types::ExportConfig,
    jobs: usize,
    read_cache: bool,
) -> Result<Pass<Exported>> {
    let stage = Stage::ValidateExport;
    let digest = run.stages.digest(stage);
    let cache = run.cache;
    let mut chain = CacheKey::new(stage, digest, config, &"exporter")?;
    let validate_key = CacheKey::new(stage, digest, config, &"validate")?;
    let mut reader = spill.reader()?;
    let mut writer = PartWriter::new(&run.options.out, &run.options.formats);
    let mut exporter: Option<Exporter> = None;
    let mut hits = 0usize;
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    let keep = |index: usize, _: &types::Pair| kept.get(index).copied().unwrap_or(true);
    let failure = 'pass: {
        loop {
            let mut group: Vec<(CacheKey, Batch)> = Vec::new();
            while group.len() < jobs.max(1) {
                let Some(batch) = reader.next_batch(run.options.pair_batch_bytes.max(1), keep)? else { break };
                chain = chain.chained(&batch.json);
                group.push((chain, batch));
            }
            if group.is_empty() {
                break;
            }
            // Parts from the chain while it hits; the rest are validated in parallel.
            let mut first_miss = 0;
            if let (Some(cache), true) = (cache, read_cache && exporter.is_none()) {
                for (key, _) in &group {
                    let Some(part) = cache.get::<types::ExportPart>(stage, key) else { break };
                    writer.append_all(&part.files)?;
                    count_drops(&mut dropped, &part.dropped);
                    hits += 1;
                    first_miss += 1;
                }
            }
            let misses = &group[first_miss..];
            if misses.is_empty() {
                continue;
            }
            if exporter.is_none() {
                if hits > 0 {
                    return Ok(Pass::Restart);
                }
                match run.stages.exporter(config) {
                    Ok(opened) => exporter = Some(opened),
                    Err(failure) => break 'pass Some(failure),
                }
            }
            let validated: Vec<Result<types::Validated, StageFailure>> = misses
                .par_iter()
                .map(|(_, batch)| {
                    let key = validate_key.chained(&batch.json);
                    match cache {
                        Some(cache) => {
                            cache.get_or_compute(stage, Some(key), || run.stages.validate(&batch.pairs, config))
                        }
                        None => run.stages.validate(&batch.pairs, config),
                    }
                })
                .collect();
            let Some(open) = exporter.as_mut() else { break 'pass None };
            for ((key, batch), result) in misses.iter().zip(validated) {
                let validated = match result {
                    Ok(validated) => validated,
                    Err(failure) => {
                        // One batch's pairs are lost; the rest of the dataset is not.
                        let mut error = run_error(stage, failure);
                        error.message = format!("{} ({} pairs not exported)", error.message, batch.pairs.len());
                        errors.push(error);
                        *dropped.entry("validation-failed".to_string()).or_default() += batch.pairs.len();
                        continue;
                    }
                };
                match open.add(&validated) {
                    Ok(part) => {
                        writer.append_all(&part.files)?;
                        count_drops(&mut dropped, &part.dropped);
                        if let Some(cache) = cache {
                            cache.store(stage, *key, &part);
                        }
                    }
                    Err(failure) => break 'pass Some(failure),
                }
            }
        }
        let finish_key = chain.chained(b"finish");
        let cached = match (cache, read_cache && exporter.is_none()) {
            (Some(cache), true) => cache.get::<types::ExportResult>(stage, &finish_key),
            _ => None,
        };
        let result = match cached {
            Some(result) => result,
            None => {
                if exporter.is_none() {
                    if hits > 0 {
                        return Ok(Pass::Restart);
                    }
                    match run.stages.exporter(config) {
                        Ok(opened) => exporter = Some(opened),
                        Err(failure) => break 'pass Some(failure),
                    }
                }
                let Some(open) = exporter.as_mut() else { break 'pass None };
                match open.finish() {
                    Ok(result) => {
                        if let Some(cache) = cache {
                            cache.store(stage, finish_key, &result);
                        }
                        result
                    }
                    Err(failure) => break 'pass Some(failure),
                }
            }
        };
        writer.append_all(&result.files)?;
        let files = writer.finish()?;
        return Ok(Pass::Done(Exported { files, dropped, quality: Some(result.quality), errors }));
    };
    // The exporter failed: a dataset missing its end is worse than none.
    writer.discard();
    if let Some(failure) = failure {
        errors.push(run_error(stage, failure));
    }
    Ok(Pass::Done(Exported { files: Vec::new(), dropped, quality: None, errors }))
}

fn count_drops(dropped: &mut BTreeMap<String, usize>, drops: &[types::DroppedPair]) {
    for drop in drops {
        *dropped.entry(drop_reason_name(drop.reason).to_string()).or_default() += 1;
    }
}

/// Appends export parts to the output files: a file is created (truncated)
/// at its first part; formats not selected are left out.
struct PartWriter<'a> {
    dir: &'a Path,
    formats: &'a [ExportFormat],
    open: Vec<(String, BufWriter<File>)>,
}

impl<'a> PartWriter<'a> {
    fn new(dir: &'a Path, formats: &'a [ExportFormat]) -> Self {
        PartWriter { dir, formats, open: Vec::new() }
    }

    fn append_all(&mut self, files: &[types::ExportFile]) -> Result<()> {
        files.iter().try_for_each(|file| self.append(file))
    }

    fn append(&mut self, file: &types::ExportFile) -> Result<()> {
        let Some(contents) = super::select_file(file, self.formats) else { return Ok(()) };
        let position = match self.open.iter().position(|(name, _)| *name == file.name) {
            Some(position) => position,
            None => {
                let path = safe_path(self.dir, &file.name)?;
                let created = File::create(&path).with_context(|| format!("writing {}", path.display()))?;
                self.open.push((file.name.clone(), BufWriter::with_capacity(1 << 20, created)));
                self.open.len() - 1
            }
        };
        let (name, writer) = &mut self.open[position];
        writer.write_all(contents.as_bytes()).with_context(|| format!("writing {name}"))
    }

    /// Flushes every file; returns their names in the order they were first written.
    fn finish(self) -> Result<Vec<String>> {
        let mut names = Vec::with_capacity(self.open.len());
        for (name, mut writer) in self.open {
            writer.flush().with_context(|| format!("writing {name}"))?;
            names.push(name);
        }
        Ok(names)
    }

    /// Removes every file written.
    fn discard(self) {
        for (name, writer) in self.open {
            drop(writer);
            let _ = std::fs::remove_file(self.dir.join(name));
        }
    }
}

/// `dir/name`, refusing a name that would leave the folder (names come from
/// our own component, but a component can be replaced).
pub(crate) fn safe_path(dir: &Path, name: &str) -> Result<PathBuf> {
    if name.contains(['/', '\\']) || name.starts_with('.') || name.is_empty() {
        anyhow::bail!("refusing to write export file with unsafe name {name:?}");
    }
    Ok(dir.join(name))
}
