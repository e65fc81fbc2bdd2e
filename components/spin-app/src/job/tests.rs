#![allow(clippy::unwrap_used, clippy::panic)]

use std::cell::Cell;
use std::time::Duration;

use super::*;
use crate::kv::MemoryStore;
use crate::native::NativeStages;

fn corpus(names: &[&str]) -> Vec<Upload> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/corpus");
    names
        .iter()
        .map(|name| Upload {
            name: name.to_string(),
            media_type: None,
            bytes: std::fs::read(format!("{dir}/{name}")).unwrap(),
        })
        .collect()
}

/// Steps `id` until it finishes; returns the job and the number of steps.
fn drive(kv: &dyn KeyValue, stages: &dyn StageCalls, id: &str, limits: StepLimits) -> Job {
    for _ in 0..10_000 {
        let job = step(kv, stages, id, limits).unwrap();
        if job.status.is_terminal() {
            return job;
        }
    }
    panic!("job {id} did not finish in 10 000 steps");
}

fn dataset(kv: &dyn KeyValue, id: &str) -> Vec<(String, Vec<u8>)> {
    files(kv, id)
        .unwrap()
        .into_iter()
        .filter(|f| f.name != "report.json")
        .map(|f| {
            let contents = file(kv, id, &f.name).unwrap().unwrap();
            (f.name, contents)
        })
        .collect()
}

#[test]
fn one_unit_per_step_gives_the_dataset_one_long_step_gives() {
    let stages = NativeStages::new();
    let uploads = corpus(&["sqlite-faq.md", "incident-runbook.md"]);

    let whole = MemoryStore::default();
    let job = create(&whole, uploads.clone(), JobConfig::default()).unwrap();
    let finished = drive(
        &whole,
        &stages,
        &job.id,
        StepLimits { budget: Duration::from_secs(3600), lease_margin: Duration::from_secs(60) },
    );
    assert_eq!(finished.status, JobStatus::Succeeded, "{:?}", finished.errors);
    assert_eq!(finished.steps, 1);

    let stepped = MemoryStore::default();
    let job = create(&stepped, uploads, JobConfig::default()).unwrap();
    let finished_in_steps = drive(&stepped, &stages, &job.id, StepLimits::ONE_UNIT);
    assert_eq!(finished_in_steps.status, JobStatus::Succeeded);
    // ingest + segment per file, one per chunk, diversify, export, and the end of the file list.
    let units = 2 * 2 + finished_in_steps.counts.chunks as u32 + 3;
    assert_eq!(finished_in_steps.steps, units);
    assert_eq!(finished_in_steps.counts, finished.counts);
    assert!(finished.counts.pairs_exported > 5, "{:?}", finished.counts);
    assert_eq!(finished_in_steps.progress, 100);

    let names: Vec<String> = dataset(&whole, &finished.id).into_iter().map(|(name, _)| name).collect();
    assert!(names.contains(&"alpaca.json".to_string()) && names.contains(&"dataset_info.json".to_string()));
    assert_eq!(dataset(&whole, &finished.id), dataset(&stepped, &finished_in_steps.id));
}

/// A store whose writes start failing, as they would for an instance killed
/// mid-request (or one a trap ended): after `allowed` more writes, or once
/// `dead` is set.
struct DyingStore<'a> {
    inner: &'a MemoryStore,
    allowed: Cell<usize>,
    dead: Option<&'a Cell<bool>>,
}

impl<'a> DyingStore<'a> {
    fn after_writes(inner: &'a MemoryStore, allowed: usize) -> Self {
        DyingStore { inner, allowed: Cell::new(allowed), dead: None }
    }

    fn when(inner: &'a MemoryStore, dead: &'a Cell<bool>) -> Self {
        DyingStore { inner, allowed: Cell::new(usize::MAX), dead: Some(dead) }
    }
}

impl KeyValue for DyingStore<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        if self.allowed.get() == 0 || self.dead.is_some_and(Cell::get) {
            return Err(StoreError("the instance died".into()));
        }
        self.allowed.set(self.allowed.get() - 1);
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
    fn keys(&self) -> Result<Vec<String>, StoreError> {
        self.inner.keys()
    }
}

#[test]
fn steps_that_die_part_way_lose_no_work_and_the_job_still_finishes() {
    let stages = NativeStages::new();
    let uploads = corpus(&["sqlite-wal.md"]);
    let reference = MemoryStore::default();
    let job = create(&reference, uploads.clone(), JobConfig::default()).unwrap();
    let expected = drive(
        &reference,
        &stages,
        &job.id,
        StepLimits { budget: Duration::from_secs(3600), lease_margin: Duration::from_secs(60) },
    );

    let kv = MemoryStore::default();
    let job = create(&kv, uploads, JobConfig::default()).unwrap();
    // Every other step dies after a few writes, part way through a unit
    // (two deaths in a row on one unit would count as a crashing input);
    // the lease a dead step leaves is cleared here as its expiry would.
    let mut deaths = 0;
    for attempt in 0..10_000 {
        let allowed = if attempt % 2 == 0 { 6 } else { usize::MAX };
        let dying = DyingStore::after_writes(&kv, allowed);
        match step(&dying, &stages, &job.id, StepLimits::ONE_UNIT) {
            Ok(job) if job.status.is_terminal() => break,
            Ok(_) => {}
            Err(_) => {
                deaths += 1;
                kv.delete(&lease_key(&job.id)).unwrap();
            }
        }
    }
    let finished = get(&kv, &job.id).unwrap();
    assert!(deaths > 5, "the steps should have died part way ({deaths})");
    assert_eq!(finished.status, JobStatus::Succeeded, "{:?}", finished.errors);
    assert_eq!(finished.counts, expected.counts);
    assert_eq!(dataset(&kv, &job.id), dataset(&reference, &expected.id));
}

#[test]
fn a_held_lease_keeps_a_second_request_from_stepping() {
    let stages = NativeStages::new();
    let kv = MemoryStore::default();
    let job = create(&kv, corpus(&["sqlite-faq.md"]), JobConfig::default()).unwrap();
    kv::set_json(&kv, &lease_key(&job.id), &(now_millis() + 60_000)).unwrap();
    let after = step(&kv, &stages, &job.id, StepLimits::ONE_UNIT).unwrap();
    assert_eq!((after.status, after.steps), (JobStatus::Queued, 0));
    // An expired lease does not hold the job.
    kv::set_json(&kv, &lease_key(&job.id), &(now_millis() - 1)).unwrap();
    assert_eq!(step(&kv, &stages, &job.id, StepLimits::ONE_UNIT).unwrap().steps, 1);
}

/// Stages whose analyze takes the request down (here: the store write after
/// it fails, as a trap would end the request) on one chunk.
struct TrapsOnChunk<'a> {
    stages: &'a NativeStages,
    chunk: u32,
    store_dies: &'a Cell<bool>,
}

impl StageCalls for TrapsOnChunk<'_> {
    fn ingest(
        &self,
        name: &str,
        media: Option<&str>,
        bytes: &[u8],
        config: &brightrun_types::IngestConfig,
    ) -> Result<Ingested, StageError> {
        self.stages.ingest(name, media, bytes, config)
    }
    fn segment(
        &self,
        documents: &[brightrun_types::Document],
        config: &brightrun_types::SegmentConfig,
    ) -> Vec<Result<Vec<Chunk>, StageError>> {
        self.stages.segment(documents, config)
    }
    fn analyze(&self, chunk: &Chunk) -> Result<brightrun_types::Analysis, StageError> {
        if chunk.index == self.chunk {
            self.store_dies.set(true);
        }
        self.stages.analyze(chunk)
    }
    fn generate(
        &self,
        chunk: &Chunk,
        analysis: &brightrun_types::Analysis,
        config: &brightrun_types::GenerateConfig,
    ) -> Result<Vec<Pair>, StageError> {
        self.stages.generate(chunk, analysis, config)
    }
    fn diversify(
        &self,
        pairs: &[Pair],
        config: &brightrun_types::DiversifyConfig,
    ) -> Result<DiversifyResult, StageError> {
        self.stages.diversify(pairs, config)
    }
    fn validate_export(
        &self,
        pairs: &[Pair],
        config: &brightrun_types::ExportConfig,
    ) -> Result<ExportResult, StageError> {
        self.stages.validate_export(pairs, config)
    }
}

#[test]
fn a_chunk_that_keeps_taking_the_request_down_fails_alone() {
    let native = NativeStages::new();
    let kv = MemoryStore::default();
    let job = create(&kv, corpus(&["sqlite-faq.md"]), JobConfig::default()).unwrap();
    let dead = Cell::new(false);
    let stages = TrapsOnChunk { stages: &native, chunk: 1, store_dies: &dead };
    let mut failed_steps = 0;
    let finished = loop {
        dead.set(false);
        let store = DyingStore::when(&kv, &dead);
        match step(&store, &stages, &job.id, StepLimits::ONE_UNIT) {
            Ok(job) if job.status.is_terminal() => break job,
            Ok(_) => {}
            Err(_) => {
                failed_steps += 1;
                assert!(failed_steps <= MAX_ATTEMPTS as usize, "the chunk was tried more than {MAX_ATTEMPTS} times");
                kv.delete(&lease_key(&job.id)).unwrap();
            }
        }
    };
    assert_eq!(failed_steps, MAX_ATTEMPTS as usize);
    assert_eq!(finished.status, JobStatus::Succeeded);
    assert_eq!(finished.errors.len(), 1, "{:?}", finished.errors);
    assert!(finished.errors[0].contains("chunk 1: analyze: limit-exceeded"), "{:?}", finished.errors);
    assert!(finished.counts.pairs_exported > 0);
}

#[test]
fn a_document_that_fails_to_ingest_is_reported_and_the_others_finish() {
    let stages = NativeStages::new();
    let kv = MemoryStore::default();
    let mut uploads = corpus(&["sqlite-faq.md"]);
    uploads.push(Upload { name: "broken.pdf".into(), media_type: None, bytes: b"%PDF-1.7\n1 0 obj <<".to_vec() });
    let job = create(&kv, uploads, JobConfig::default()).unwrap();
    let finished = drive(&kv, &stages, &job.id, StepLimits::ONE_UNIT);
    assert_eq!(finished.status, JobStatus::Succeeded);
    assert_eq!((finished.counts.documents, finished.counts.documents_failed), (2, 1));
    assert!(finished.errors.iter().any(|e| e.starts_with("broken.pdf: ingest: corrupt")), "{:?}", finished.errors);
    let report: serde_json::Value =
        serde_json::from_slice(&file(&kv, &job.id, "report.json").unwrap().unwrap()).unwrap();
    assert_eq!(report["documents"][0]["name"], "broken.pdf");
    assert_eq!(report["documents"][0]["status"], "failed");
}

#[test]
fn a_cancelled_job_takes_no_more_steps() {
    let stages = NativeStages::new();
    let kv = MemoryStore::default();
    let job = create(&kv, corpus(&["sqlite-faq.md"]), JobConfig::default()).unwrap();
    step(&kv, &stages, &job.id, StepLimits::ONE_UNIT).unwrap();
    assert_eq!(cancel(&kv, &job.id).unwrap().status, JobStatus::Cancelled);
    let after = step(&kv, &stages, &job.id, StepLimits::ONE_UNIT).unwrap();
    assert_eq!((after.status, after.steps), (JobStatus::Cancelled, 1));
    assert!(files(&kv, &job.id).unwrap().is_empty());
    assert!(matches!(get(&kv, "0000000000000000"), Err(JobError::NotFound(_))));
}
