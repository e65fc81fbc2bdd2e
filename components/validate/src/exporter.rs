//! The export half of validate-export, one validated batch at a time: the
//! repeated-question check (check 6), the files in parts, and the quality
//! figures, with memory bounded by hashes and counters rather than pairs.

use std::collections::HashSet;

use brightrun_types::{
    ContentType, Difficulty, DropExample, DropReason, DroppedPair, ExportConfig, ExportPart, ExportResult, Quality,
    Result, TaskType, Validated,
};

use crate::variety::{VarietyCounter, question_key};
use crate::{DROP_EXAMPLES_PER_REASON, drop_example, export};

/// Export state across batches. Batches must come in the order of the
/// pairs: "first of each question" depends on it.
#[derive(Debug)]
pub struct Exporter {
    config: ExportConfig,
    /// Hashes of the question keys exported so far.
    asked: HashSet<u128>,
    variety: VarietyCounter,
    /// Whether a row has been written (the JSON arrays are open).
    opened: bool,
    pairs_in: u64,
    pairs_out: u64,
    faithful: u64,
    histogram: Vec<u32>,
    fidelity_sum: f64,
    tokens_sum: f64,
    max_tokens: u32,
    repaired: u32,
    tasks: Vec<u32>,
    content_types: Vec<u32>,
    difficulties: Vec<u32>,
    examples: Vec<DropExample>,
}

impl Exporter {
    /// An exporter for `config`; `InvalidConfig` as [`crate::check_config`] gives it.
    pub fn new(config: &ExportConfig) -> Result<Exporter> {
        crate::check_config(config)?;
        Ok(Exporter {
            config: config.clone(),
            asked: HashSet::new(),
            variety: VarietyCounter::default(),
            opened: false,
            pairs_in: 0,
            pairs_out: 0,
            faithful: 0,
            histogram: vec![0; 10],
            fidelity_sum: 0.0,
            tokens_sum: 0.0,
            max_tokens: 0,
            repaired: 0,
            tasks: vec![0; TaskType::ALL.len()],
            content_types: vec![0; ContentType::ALL.len()],
            difficulties: vec![0; Difficulty::ALL.len()],
            examples: Vec::new(),
        })
    }

    /// Takes the next validated batch: drops the questions already exported
    /// and returns the rows of the rest, and the batch's drops.
    pub fn add(&mut self, batch: Validated) -> ExportPart {
        self.pairs_in += u64::from(batch.pairs_in);
        self.faithful += u64::from(batch.faithful);
        for (total, count) in self.histogram.iter_mut().zip(&batch.fidelity_histogram) {
            *total = total.saturating_add(*count);
        }
        for example in batch.drop_examples {
            self.note_example(example);
        }
        let mut dropped = batch.dropped;
        let mut accepted = Vec::with_capacity(batch.passed.len());
        for validated in batch.passed {
            if !self.asked.insert(question_key(&validated.pair)) {
                let reason = DropReason::RepeatedQuestion;
                self.note_example(drop_example(&validated.pair, reason, validated.fidelity));
                dropped.push(DroppedPair { id: validated.pair.id, reason, duplicate_of: None });
                continue;
            }
            let pair = &validated.pair;
            self.pairs_out += 1;
            self.fidelity_sum += f64::from(validated.fidelity);
            self.tokens_sum += f64::from(validated.tokens);
            self.max_tokens = self.max_tokens.max(validated.tokens);
            self.repaired += u32::from(validated.repaired);
            count_in(&mut self.tasks, TaskType::ALL.iter().position(|t| *t == pair.task));
            count_in(&mut self.content_types, ContentType::ALL.iter().position(|c| *c == pair.content_type));
            count_in(&mut self.difficulties, Difficulty::ALL.iter().position(|d| *d == pair.difficulty));
            self.variety.add(pair);
            accepted.push(validated);
        }
        let files = export::rows(&accepted, self.opened);
        self.opened |= !accepted.is_empty();
        ExportPart { files, dropped }
    }

    /// The closing parts and the quality figures over every batch.
    pub fn finish(&self) -> ExportResult {
        let quality = self.quality();
        let files = export::closing(self.opened, &self.config, &quality);
        ExportResult { files, dropped: Vec::new(), quality }
    }

    /// Keeps `example` if its reason has fewer than [`DROP_EXAMPLES_PER_REASON`].
    fn note_example(&mut self, example: DropExample) {
        if self.examples.iter().filter(|e| e.reason == example.reason).count() < DROP_EXAMPLES_PER_REASON {
            self.examples.push(example);
        }
    }

    fn quality(&self) -> Quality {
        let as_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let out = self.pairs_out;
        let mean = |sum: f64| if out == 0 { 0.0 } else { (sum / out as f64) as f32 };
        // Examples by reason, so the list does not depend on how the pairs were batched.
        let mut drop_examples = self.examples.clone();
        drop_examples.sort_by_key(|e| DropReason::ALL.iter().position(|r| *r == e.reason));
        Quality {
            pairs_in: as_u32(self.pairs_in),
            pairs_out: as_u32(out),
            mean_fidelity: mean(self.fidelity_sum),
            faithful_share: if self.pairs_in == 0 { 0.0 } else { self.faithful as f32 / self.pairs_in as f32 },
            fidelity_histogram: self.histogram.clone(),
            tasks: nonzero(TaskType::ALL, &self.tasks),
            content_types: nonzero(ContentType::ALL, &self.content_types),
            difficulties: nonzero(Difficulty::ALL, &self.difficulties),
            mean_tokens: mean(self.tokens_sum),
            max_tokens: self.max_tokens,
            repaired: self.repaired,
            question_variety: self.variety.figures(),
            drop_examples,
        }
    }
}

fn count_in(counts: &mut [u32], index: Option<usize>) {
    if let Some(count) = index.and_then(|i| counts.get_mut(i)) {
        *count = count.saturating_add(1);
    }
}

/// `(key, count)` for every key with a count, in `keys` order.
fn nonzero<K: Copy>(keys: &[K], counts: &[u32]) -> Vec<(K, u32)> {
    keys.iter().zip(counts).filter(|(_, n)| **n > 0).map(|(k, n)| (*k, *n)).collect()
}
