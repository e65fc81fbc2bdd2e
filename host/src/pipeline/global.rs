//! The global stages over the spilled pairs, in bounded batches:
//!
//! 1. **Dedup** runs beside the per-document stages: every batch of pairs,
//!    in order, goes through one deduper instance (`diversify-stream`) as
//!    soon as its window is done; the deduper remembers fingerprints of the
//!    kept pairs, not the pairs. Its balance runs when the last batch is in.
//! 2. **Export**: the kept pairs, read back from the spill, validated in
//!    parallel batches (`validate-stream.validate`), then through one
//!    exporter instance in order, whose file parts are appended to the
//!    output files as they come.
//!
//! Both are cached as chains: batch `n`'s result is stored under a key over
//! the settings and batches `0..=n`, since it depends on all of them. A warm
//! run reads the chain. A run that misses after some hits (an edited
//! document) opens the instance and replays the batches before the miss
//! into it, results unused, since it must have seen them to hold the right
//! state; validation results, keyed by their own batch, come from the cache then.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::spill::{Batch, SpillSource};
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

/// What the dedup pass decided.
pub(crate) struct Deduplicated {
    /// For each spilled pair, in order, whether it is still in.
    pub(crate) kept: Vec<bool>,
    /// Pairs dropped, per reason.
    pub(crate) dropped: BTreeMap<String, usize>,
    /// Why dedup stopped, when it failed: the pairs it had decided keep
    /// their decisions, the later ones are all kept.
    pub(crate) error: Option<ErrorReport>,
}

/// Dedups the batches `batches` brings until it closes (see the module
/// docs); `spill` holds every pair of every batch received, for replays.
pub(crate) fn deduplicate(run: &Run<'_>, batches: Receiver<Batch>, spill: &SpillSource) -> Result<Deduplicated> {
    let stage = Stage::Diversify;
    let config = run.options.diversify;
    let cache = run.cache;
    let mut chain = CacheKey::new(stage, run.stages.digest(stage), &config, &"deduper")?;
    let mut deduper: Option<Deduper> = None;
    let mut kept: Vec<bool> = Vec::new();
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids: Vec<String> = Vec::new();
    let mut failure: Option<StageFailure> = None;
    // The first pair no decision was made for, once dedup failed.
    let mut failed_at: Option<usize> = None;
    for batch in batches {
        if failure.is_some() {
            // Keep draining: the sender must not block on a dead receiver.
            kept.extend(std::iter::repeat_n(true, batch.pairs.len()));
            continue;
        }
        chain = chain.chained(&batch.json);
        let cached = match (cache, deduper.is_none()) {
            (Some(cache), true) => cache
                .get::<Vec<Option<types::DroppedPair>>>(stage, &chain)
                .filter(|decisions| decisions.len() == batch.pairs.len()),
            _ => None,
        };
        let decisions = match cached {
            Some(decisions) => decisions,
            None => match open_deduper(run, &mut deduper, spill, kept.len()).and_then(|open| open.add(&batch.pairs)) {
                Ok(decisions) => {
                    if let Some(cache) = cache {
                        cache.store(stage, chain, &decisions);
                    }
                    decisions
                }
                Err(error) => {
                    failure = Some(error);
                    failed_at = Some(kept.len());
                    kept.extend(std::iter::repeat_n(true, batch.pairs.len()));
                    continue;
                }
            },
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
    if failure.is_none() && !kept.is_empty() {
        let finish_key = chain.chained(b"finish");
        let cached = match (cache, deduper.is_none()) {
            (Some(cache), true) => cache.get::<Vec<types::DroppedPair>>(stage, &finish_key),
            _ => None,
        };
        let balanced = match cached {
            Some(balanced) => Ok(balanced),
            None => open_deduper(run, &mut deduper, spill, kept.len()).and_then(Deduper::finish).inspect(|balanced| {
                if let Some(cache) = cache {
                    cache.store(stage, finish_key, balanced);
                }
            }),
        };
        match balanced {
            Ok(balanced) => {
                let balance_ids: HashSet<String> = balanced.into_iter().map(|drop| drop.id).collect();
                *dropped.entry(drop_reason_name(types::DropReason::OverRepresented).to_string()).or_default() +=
                    balance_ids.len();
                if !balance_ids.is_empty() {
                    // Balance names pairs by id: the kept slots in order are `ids` in order.
                    let kept_slots = kept.iter_mut().filter(|kept| **kept);
                    for (slot, id) in kept_slots.zip(&ids) {
                        if balance_ids.contains(id) {
                            *slot = false;
                        }
                    }
                }
            }
            Err(error) => {
                failure = Some(error);
                failed_at = Some(kept.len());
            }
        }
        dropped.retain(|_, count| *count > 0);
    }
    if let Some(failure) = failure {
        // Dedup is an improvement, not a requirement: the decisions made
        // stand, every later pair is kept without dedup or balance, and the
        // report says from which pair on.
        let note = match failed_at {
            Some(at) if at < kept.len() => {
                format!("{} of {} pairs kept without dedup or balance", kept.len() - at, kept.len())
            }
            _ => "balance not applied".to_string(),
        };
        let mut error = run_error(Stage::Diversify, failure);
        error.message = format!("{} ({note})", error.message);
        return Ok(Deduplicated { kept, dropped, error: Some(error) });
    }
    Ok(Deduplicated { kept, dropped, error: None })
}

/// The deduper, opened on first need: then the `seen` pairs before the
/// current batch, decided from the cache so far, are replayed into it.
fn open_deduper<'d>(
    run: &Run<'_>,
    deduper: &'d mut Option<Deduper>,
    spill: &SpillSource,
    seen: usize,
) -> Result<&'d mut Deduper, StageFailure> {
    if deduper.is_none() {
        let mut opened = run.stages.deduper(run.options.diversify)?;
        let host = |error: anyhow::Error| StageFailure::Host { stage: Stage::Diversify, message: format!("{error:#}") };
        let mut reader = spill.reader().map_err(host)?;
        while let Some(batch) = reader.next_batch(run.options.pair_batch_bytes, Some(seen), |_| true).map_err(host)? {
            opened.add(&batch.pairs)?;
        }
        *deduper = Some(opened);
    }
    deduper.as_mut().ok_or_else(|| StageFailure::Host { stage: Stage::Diversify, message: "no deduper".into() })
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

/// The export pass over the pairs of `spill` that `kept` keeps (see the module docs).
pub(crate) fn export(
    run: &Run<'_>,
    spill: &SpillSource,
    kept: &[bool],
    config: &types::ExportConfig,
    jobs: usize,
) -> Result<Exported> {
    let stage = Stage::ValidateExport;
    let digest = run.stages.digest(stage);
    let cache = run.cache;
    let batch_bytes = run.options.pair_batch_bytes;
    let keep = |index: usize| kept.get(index).copied().unwrap_or(true);
    let mut chain = CacheKey::new(stage, digest, config, &"exporter")?;
    let validating = Validating { run, config, key: CacheKey::new(stage, digest, config, &"validate")? };
    let mut reader = spill.reader()?;
    let mut writer = PartWriter::new(&run.options.out, &run.options.formats);
    let mut exporter: Option<Exporter> = None;
    let mut batches_done = 0usize;
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut next_group = |chain: &mut CacheKey| -> Result<Vec<(CacheKey, Batch)>> {
        let mut group = Vec::new();
        while group.len() < jobs.max(1) {
            let Some(batch) = reader.next_batch(batch_bytes, None, keep)? else { break };
            *chain = chain.chained(&batch.json);
            group.push((*chain, batch));
        }
        Ok(group)
    };
    let failure = 'pass: {
        // Parts from the chain while it hits.
        let mut missed: Vec<(CacheKey, Batch)> = Vec::new();
        while missed.is_empty() {
            let group = next_group(&mut chain)?;
            if group.is_empty() {
                break;
            }
            for (key, batch) in group {
                let part = match (cache, missed.is_empty()) {
                    (Some(cache), true) => cache.get::<types::ExportPart>(stage, &key),
                    _ => None,
                };
                match part {
                    Some(part) => {
                        writer.append_all(&part.files)?;
                        count_drops(&mut dropped, &part.dropped);
                        batches_done += 1;
                    }
                    None => missed.push((key, batch)),
                }
            }
        }
        if !missed.is_empty() {
            let open = match validating.open_replayed(spill, keep, batches_done) {
                Ok(opened) => exporter.insert(opened),
                Err(failure) => break 'pass Some(failure),
            };
            // The rest in groups of `jobs` batches, validated in parallel; a
            // group is validated while the exporter takes the one before it.
            let mut adding = Adding { exporter: open, writer: &mut writer, dropped: &mut dropped, errors: &mut errors };
            let mut current = missed;
            let mut validated: Vec<_> = current.par_iter().map(|(_, batch)| validating.validate(batch)).collect();
            loop {
                let next = next_group(&mut chain)?;
                let (next_validated, added) = rayon::join(
                    || next.par_iter().map(|(_, batch)| validating.validate(batch)).collect::<Vec<_>>(),
                    || adding.add_all(cache, &current, validated),
                );
                if let Err(failure) = added? {
                    break 'pass Some(failure);
                }
                if next.is_empty() {
                    break;
                }
                (current, validated) = (next, next_validated);
            }
        }
        let finish_key = chain.chained(b"finish");
        let cached = match (cache, exporter.is_none()) {
            (Some(cache), true) => cache.get::<types::ExportResult>(stage, &finish_key),
            _ => None,
        };
        let result = match cached {
            Some(result) => result,
            None => {
                if exporter.is_none() {
                    match validating.open_replayed(spill, keep, batches_done) {
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
        return Ok(Exported { files, dropped, quality: Some(result.quality), errors });
    };
    // The exporter failed: a dataset missing its end is worse than none.
    writer.discard();
    if let Some(failure) = failure {
        errors.push(run_error(stage, failure));
    }
    Ok(Exported { files: Vec::new(), dropped, quality: None, errors })
}

/// The exporter and where its parts go, while validated batches are added.
struct Adding<'a, 'w> {
    exporter: &'a mut Exporter,
    writer: &'a mut PartWriter<'w>,
    dropped: &'a mut BTreeMap<String, usize>,
    errors: &'a mut Vec<ErrorReport>,
}

impl Adding<'_, '_> {
    /// Adds each batch of `batches` with its validation in order; a batch
    /// that failed validation is reported and skipped. The outer `Err` is a
    /// file that could not be written; the inner one an exporter that failed.
    fn add_all(
        &mut self,
        cache: Option<&crate::cache::StageCache>,
        batches: &[(CacheKey, Batch)],
        validated: Vec<Result<types::Validated, StageFailure>>,
    ) -> Result<Result<(), StageFailure>> {
        let stage = Stage::ValidateExport;
        for ((key, batch), result) in batches.iter().zip(validated) {
            let validated = match result {
                Ok(validated) => validated,
                Err(failure) => {
                    // One batch's pairs are lost; the rest of the dataset is not.
                    let mut error = run_error(stage, failure);
                    error.message = format!("{} ({} pairs not exported)", error.message, batch.pairs.len());
                    self.errors.push(error);
                    *self.dropped.entry("validation-failed".to_string()).or_default() += batch.pairs.len();
                    continue;
                }
            };
            match self.exporter.add(&validated) {
                Ok(part) => {
                    self.writer.append_all(&part.files)?;
                    count_drops(self.dropped, &part.dropped);
                    if let Some(cache) = cache {
                        cache.store(stage, *key, &part);
                    }
                }
                Err(failure) => return Ok(Err(failure)),
            }
        }
        Ok(Ok(()))
    }
}

/// What validating a batch needs.
struct Validating<'r> {
    run: &'r Run<'r>,
    config: &'r types::ExportConfig,
    /// The start of each batch's validate key (the batch's JSON follows).
    key: CacheKey,
}

impl Validating<'_> {
    /// Validates `batch`, from the cache when it has it.
    fn validate(&self, batch: &Batch) -> Result<types::Validated, StageFailure> {
        let (stages, config) = (self.run.stages, self.config);
        match self.run.cache {
            Some(cache) => cache.get_or_compute(Stage::ValidateExport, Some(self.key.chained(&batch.json)), || {
                stages.validate(&batch.pairs, config)
            }),
            None => stages.validate(&batch.pairs, config),
        }
    }

    /// An exporter that has seen the first `batches` kept batches (their
    /// parts came from the cache and are already written).
    fn open_replayed(
        &self,
        spill: &SpillSource,
        keep: impl Fn(usize) -> bool + Copy,
        batches: usize,
    ) -> Result<Exporter, StageFailure> {
        let stage = Stage::ValidateExport;
        let mut exporter = self.run.stages.exporter(self.config)?;
        let host = |error: anyhow::Error| StageFailure::Host { stage, message: format!("{error:#}") };
        let mut reader = spill.reader().map_err(host)?;
        for _ in 0..batches {
            let Some(batch) = reader.next_batch(self.run.options.pair_batch_bytes, None, keep).map_err(host)? else {
                break;
            };
            // A batch that failed validation before was skipped then too.
            if let Ok(validated) = self.validate(&batch) {
                exporter.add(&validated)?;
            }
        }
        Ok(exporter)
    }
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
