//! Calling the stage components: one pre-instantiated component per stage,
//! a `Store` per call with fuel, an epoch deadline and a memory limit, and
//! every call measured. The per-file and per-chunk stages (ingest, analyze,
//! generate) are called tens or hundreds of thousands of times on a large
//! corpus, so their instances are kept and reused ([`Idle`]); the batched
//! calls (segment, validate) get a fresh instance each.
//!
//! A call returns `Ok(value)`, or a [`StageFailure`] that says whether the
//! guest returned a typed error or was stopped (fuel, deadline, memory, trap).
//! Either way the host and the other calls carry on.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use wasmtime::component::{Linker, ResourceAny, ResourceTable};
use wasmtime::{Engine, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::{analyze, diversify, generate, ingest, segment, types, validate_export};
use crate::components::Stage;
use crate::engine::{CompileSource, EpochTicker, INSTANCES_PER_WORKER, Limits, build_engine, load_component};
use crate::llm::{LlmAccess, LlmHooks};
use crate::metrics::{InvocationMetrics, MetricsSink};

/// The option that raises `stage`'s memory limit: the deduper has its own.
fn memory_option(stage: Stage) -> &'static str {
    if stage == Stage::Diversify { "--dedup-memory-limit-mib" } else { "--memory-limit-mib" }
}

/// Why a stage call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StageFailure {
    /// The guest returned a typed error (see `wit/` for the cases).
    #[error("{document}: {problem}: {detail}")]
    Guest {
        /// The WIT error case, e.g. `invalid-encoding`.
        problem: String,
        /// The document (or pair) the guest named.
        document: String,
        /// The guest's explanation.
        detail: String,
    },
    /// The call used up its fuel: the guest was computing for too long.
    #[error(
        "{stage} ran out of fuel ({fuel} units); --fuel raises the base budget (each call gets it plus 60 000 units per input byte)"
    )]
    OutOfFuel {
        /// The stage.
        stage: Stage,
        /// The budget it had.
        fuel: u64,
    },
    /// The call passed its wall-clock deadline.
    #[error("{stage} timed out after {millis} ms; --timeout-secs raises the limit")]
    Timeout {
        /// The stage.
        stage: Stage,
        /// The deadline, in milliseconds.
        millis: u64,
    },
    /// The guest tried to grow its memory past the limit.
    #[error("{stage} exceeded the memory limit of {limit_mib} MiB; {} raises it", memory_option(*.stage))]
    OutOfMemory {
        /// The stage.
        stage: Stage,
        /// The limit.
        limit_mib: usize,
    },
    /// The guest trapped (a panic in Rust guests is a trap).
    #[error("{stage} trapped: {message}")]
    Trap {
        /// The stage.
        stage: Stage,
        /// wasmtime's description.
        message: String,
    },
    /// The host could not run the call (instantiation failed, say).
    #[error("{stage} could not be run: {message}")]
    Host {
        /// The stage.
        stage: Stage,
        /// What went wrong.
        message: String,
    },
}

impl StageFailure {
    /// A short name for the kind of failure, used in reports.
    pub fn kind(&self) -> &str {
        match self {
            StageFailure::Guest { problem, .. } => problem,
            StageFailure::OutOfFuel { .. } => "out-of-fuel",
            StageFailure::Timeout { .. } => "timeout",
            StageFailure::OutOfMemory { .. } => "out-of-memory",
            StageFailure::Trap { .. } => "trap",
            StageFailure::Host { .. } => "host",
        }
    }
}

/// The ingest component's own defaults (`brightrun_types`), so the host and
/// the stage logic cannot drift apart.
impl Default for types::IngestConfig {
    fn default() -> Self {
        let defaults = brightrun_types::IngestConfig::default();
        types::IngestConfig {
            text_fields: defaults.text_fields,
            title_fields: defaults.title_fields,
            max_inflated_bytes: defaults.max_inflated_bytes,
        }
    }
}

/// The message of a Rust panic in a guest's stderr ("thread '…' panicked at
/// FILE:LINE:COL:\nMESSAGE"), without the backtrace note.
fn panic_message(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let (_, after) = text.rsplit_once("panicked at ")?;
    let message: Vec<&str> =
        after.lines().filter(|line| !line.starts_with("note: ") && !line.trim().is_empty()).take(4).collect();
    Some(message.join(" ").chars().take(500).collect())
}

/// The one place WIT errors become host errors; exhaustive.
fn guest_failure(error: types::StageError) -> StageFailure {
    let (problem, detail) = match error {
        types::StageError::EmptyInput(p) => ("empty-input", p),
        types::StageError::InvalidEncoding(p) => ("invalid-encoding", p),
        types::StageError::UnsupportedFormat(p) => ("unsupported-format", p),
        types::StageError::TooLarge(p) => ("too-large", p),
        types::StageError::NoContent(p) => ("no-content", p),
        types::StageError::InvalidConfig(p) => ("invalid-config", p),
        types::StageError::Corrupt(p) => ("corrupt", p),
        types::StageError::Encrypted(p) => ("encrypted", p),
        types::StageError::NoTextLayer(p) => ("no-text-layer", p),
        types::StageError::LimitExceeded(p) => ("limit-exceeded", p),
        types::StageError::ServiceFailed(p) => ("service-failed", p),
    };
    StageFailure::Guest { problem: problem.to_string(), document: detail.document, detail: detail.detail }
}

/// Records the peak linear memory and refuses growth past the limit.
struct MemoryLimiter {
    limit: usize,
    peak: usize,
    refused: bool,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// What a store holds: WASI with no capabilities, outgoing HTTP hooks that
/// allow nothing (the LLM endpoint in the LLM generate component's store;
/// no other component is even linked to `wasi:http`), and the memory limiter.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    http: WasiHttpCtx,
    hooks: LlmHooks,
    limiter: MemoryLimiter,
    /// The guest's stderr, where a Rust panic writes its message before the
    /// trap; the message is quoted in [`StageFailure::Trap`].
    stderr: MemoryOutputPipe,
}

/// Most guest stderr kept per call: enough for a panic message.
const STDERR_BYTES: usize = 64 << 10;

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// How each stage's component was obtained at start-up.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentInfo {
    /// The stage.
    pub stage: Stage,
    /// Size of the component in bytes.
    pub bytes: usize,
    /// BLAKE3 of the component, first 16 hex digits.
    pub digest: String,
    /// Compiled now or loaded from the cache.
    pub source: CompileSource,
    /// Time to compile or load, in milliseconds.
    pub load_ms: f64,
    /// Whether it replaced the embedded component (`--stage-component`).
    pub overridden: bool,
}

/// The loaded stage components, ready to call from any thread. Cloning is
/// cheap: clones share the engine and components ([`Stages::with_metrics`]
/// gives one that records into its own sink).
#[derive(Clone)]
pub struct Stages {
    loaded: Arc<Loaded>,
    metrics: Arc<MetricsSink>,
}

/// The engine and the pre-instantiated components.
struct Loaded {
    engine: Engine,
    limits: Limits,
    ingest: ingest::IngestComponentPre<HostState>,
    segment: segment::SegmentComponentPre<HostState>,
    analyze: analyze::AnalyzeComponentPre<HostState>,
    generate: generate::GenerateComponentPre<HostState>,
    diversify: diversify::DiversifyComponentPre<HostState>,
    validate_export: validate_export::ValidateExportComponentPre<HostState>,
    components: Vec<ComponentInfo>,
    /// The LLM endpoint, when generate is the LLM component.
    llm: Option<LlmAccess>,
    /// Ingest, analyze and generate instances between calls.
    idle: Idle,
    _ticker: EpochTicker,
}

/// Instances of the per-file and per-chunk stages kept between calls.
/// Instantiating, then resetting the instance's memory when it is dropped,
/// cost 15–25 % of an ingest, analyze or generate call (each takes well under
/// a millisecond), and these stages are pure functions of their arguments
/// (`wit/` says so: a host may call one instance many times). An instance that
/// trapped, wrote to stderr, grew past [`REUSE_MEMORY_BYTES`] or served
/// [`REUSE_CALLS`] calls is dropped.
struct Idle {
    ingest: Mutex<Vec<Warm<ingest::IngestComponent>>>,
    analyze: Mutex<Vec<Warm<analyze::AnalyzeComponent>>>,
    generate: Mutex<Vec<Warm<generate::GenerateComponent>>>,
    /// Most idle instances kept per stage: one per worker that may call it.
    per_stage: usize,
}

/// An instantiated component with its store, between calls.
struct Warm<I> {
    store: Store<HostState>,
    instance: I,
    calls: u32,
}

/// Calls one instance serves before it is replaced, so whatever an allocator
/// fragments or a guest leaks stays bounded.
const REUSE_CALLS: u32 = 1024;

/// Linear memory past which an instance is not reused: analyze and generate
/// need about 1 MiB and ingest a few MiB for a typical file, and memory a
/// guest grew never shrinks back.
const REUSE_MEMORY_BYTES: usize = 16 << 20;

impl Stages {
    /// Builds the engine and loads every stage: the embedded component, or
    /// the file `overrides` names for it. Compiled artifacts are cached in
    /// `cache_dir` when given. `Err` when a component does not compile or does
    /// not export its stage's interface.
    pub fn new(limits: Limits, cache_dir: Option<&Path>, overrides: &BTreeMap<Stage, Vec<u8>>) -> Result<Self> {
        Self::new_with_llm(limits, cache_dir, overrides, None)
    }

    /// As [`Stages::new`]; with `llm`, generate is the LLM generate component
    /// (unless overridden), linked to `wasi:http` and allowed that endpoint.
    pub fn new_with_llm(
        limits: Limits,
        cache_dir: Option<&Path>,
        overrides: &BTreeMap<Stage, Vec<u8>>,
        llm: Option<LlmAccess>,
    ) -> Result<Self> {
        Self::load(limits, cache_dir, overrides, llm, &|_| {})
    }

    /// As [`Stages::new_with_llm`]; `compiling` is told of each stage whose
    /// component has to be compiled (no artifact in `cache_dir`) just before
    /// it is, since that takes seconds and a silent first run looks hung.
    pub fn load(
        limits: Limits,
        cache_dir: Option<&Path>,
        overrides: &BTreeMap<Stage, Vec<u8>>,
        llm: Option<LlmAccess>,
        compiling: &dyn Fn(Stage),
    ) -> Result<Self> {
        let engine = build_engine(&limits)?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from).context("linking WASI")?;
        let mut http_linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut http_linker).map_err(anyhow::Error::from).context("linking WASI")?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut http_linker)
            .map_err(anyhow::Error::from)
            .context("linking wasi:http")?;
        let mut components = Vec::new();
        let mut load = |stage: Stage| -> Result<wasmtime::component::InstancePre<HostState>> {
            let overridden = overrides.get(&stage);
            let with_llm = stage == Stage::Generate && llm.is_some();
            let embedded = if with_llm { crate::components::GENERATE_LLM } else { stage.embedded() };
            let bytes = overridden.map_or(embedded, Vec::as_slice);
            if crate::engine::needs_compiling(&engine, stage.as_str(), bytes, cache_dir) {
                compiling(stage);
            }
            let started = Instant::now();
            let (component, source) = load_component(&engine, stage.as_str(), bytes, cache_dir)?;
            components.push(ComponentInfo {
                stage,
                bytes: bytes.len(),
                digest: blake3::hash(bytes).to_hex()[..16].to_string(),
                source,
                load_ms: started.elapsed().as_secs_f64() * 1000.0,
                overridden: overridden.is_some(),
            });
            let linker = if with_llm { &http_linker } else { &linker };
            linker
                .instantiate_pre(&component)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("linking the {stage} component"))
        };
        let ingest = ingest::IngestComponentPre::new(load(Stage::Ingest)?)
            .map_err(anyhow::Error::from)
            .context("ingest component")?;
        let segment = segment::SegmentComponentPre::new(load(Stage::Segment)?)
            .map_err(anyhow::Error::from)
            .context("segment component")?;
        let analyze = analyze::AnalyzeComponentPre::new(load(Stage::Analyze)?)
            .map_err(anyhow::Error::from)
            .context("analyze component")?;
        let generate = generate::GenerateComponentPre::new(load(Stage::Generate)?)
            .map_err(anyhow::Error::from)
            .context("generate component")?;
        let diversify = diversify::DiversifyComponentPre::new(load(Stage::Diversify)?)
            .map_err(anyhow::Error::from)
            .context("diversify component")?;
        let validate_export = validate_export::ValidateExportComponentPre::new(load(Stage::ValidateExport)?)
            .map_err(anyhow::Error::from)
            .context("validate-export component")?;
        let ticker = EpochTicker::start(&engine);
        let idle = Idle {
            ingest: Mutex::new(Vec::new()),
            analyze: Mutex::new(Vec::new()),
            generate: Mutex::new(Vec::new()),
            per_stage: (limits.max_instances as usize / INSTANCES_PER_WORKER).max(1),
        };
        let loaded = Loaded {
            engine,
            limits,
            ingest,
            segment,
            analyze,
            generate,
            diversify,
            validate_export,
            components,
            llm,
            idle,
            _ticker: ticker,
        };
        Ok(Stages { loaded: Arc::new(loaded), metrics: Arc::new(MetricsSink::default()) })
    }

    /// The same components, recording their calls into `metrics`.
    pub fn with_metrics(&self, metrics: Arc<MetricsSink>) -> Stages {
        Stages { loaded: Arc::clone(&self.loaded), metrics }
    }

    /// Every call's metrics so far.
    pub fn metrics(&self) -> &MetricsSink {
        &self.metrics
    }

    /// How each component was loaded.
    pub fn components(&self) -> &[ComponentInfo] {
        &self.loaded.components
    }

    /// The digest of the component serving `stage` (part of every cache key).
    pub fn digest(&self, stage: Stage) -> &str {
        self.loaded.components.iter().find(|c| c.stage == stage).map_or("", |c| c.digest.as_str())
    }

    fn store(&self, stage: Stage, input_bytes: usize) -> Result<Store<HostState>, wasmtime::Error> {
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .stderr(stderr.clone())
            .build();
        let llm = self.loaded.llm.as_ref().filter(|_| stage == Stage::Generate);
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            hooks: LlmHooks { access: llm.cloned() },
            limiter: MemoryLimiter { limit: self.loaded.limits.memory_for(stage), peak: 0, refused: false },
            stderr,
        };
        let mut store = Store::new(&self.loaded.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_fuel(self.loaded.limits.fuel_for(input_bytes))?;
        store.set_epoch_deadline(self.deadline_ticks(stage));
        // Results a guest hands back (diversify's kept pairs) can pass
        // wasmtime's 128 MiB default; the guest cannot hold more than its
        // memory limit, which bounds what the host takes instead.
        store.set_hostcall_fuel(self.loaded.limits.memory_bytes);
        Ok(store)
    }

    /// The epoch deadline of a `stage` call. Waiting on the endpoint counts
    /// against it: an LLM call gets room for every attempt and backoff.
    fn deadline_ticks(&self, stage: Stage) -> u64 {
        match self.loaded.llm.as_ref().filter(|_| stage == Stage::Generate) {
            Some(access) => self.loaded.limits.deadline_ticks().max(access.call_budget_ticks()),
            None => self.loaded.limits.deadline_ticks(),
        }
    }

    /// Runs one call, classifies its failure and records its metrics. With
    /// `idle`, the call takes an idle instance from it when there is one and
    /// puts the instance back if it may serve again (see [`Idle`]); without,
    /// it runs in a fresh instance that is dropped after it.
    fn invoke<I, T>(
        &self,
        stage: Stage,
        idle: Option<&Mutex<Vec<Warm<I>>>>,
        bytes_in: usize,
        instantiate: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<I>,
        call: impl FnOnce(&I, &mut Store<HostState>) -> wasmtime::Result<Result<T, types::StageError>>,
        bytes_out: impl FnOnce(&T) -> usize,
    ) -> Result<T, StageFailure> {
        let started = Instant::now();
        let fuel = self.loaded.limits.fuel_for(bytes_in);
        let taken = idle.and_then(|idle| idle.lock().unwrap_or_else(PoisonError::into_inner).pop());
        let (mut warm, instantiate_time) = match taken {
            Some(mut warm) => {
                if let Err(error) = warm.store.set_fuel(fuel) {
                    return Err(StageFailure::Host { stage, message: format!("{error:#}") });
                }
                warm.store.set_epoch_deadline(self.deadline_ticks(stage));
                warm.store.data_mut().limiter.refused = false;
                (warm, Duration::ZERO)
            }
            None => {
                let mut store = match self.store(stage, bytes_in) {
                    Ok(store) => store,
                    Err(error) => return Err(StageFailure::Host { stage, message: format!("{error:#}") }),
                };
                match instantiate(&mut store) {
                    Ok(instance) => (Warm { store, instance, calls: 0 }, started.elapsed()),
                    Err(error) => {
                        let call = Call { stage, started, instantiate: started.elapsed(), fuel, bytes_in };
                        return self.settle(call, &store, Err(error), bytes_out);
                    }
                }
            }
        };
        let result = call(&warm.instance, &mut warm.store);
        let trapped = result.is_err();
        let settled = Call { stage, started, instantiate: instantiate_time, fuel, bytes_in };
        let outcome = self.settle(settled, &warm.store, result, bytes_out);
        warm.calls += 1;
        if let Some(idle) = idle
            && !trapped
            && warm.calls < REUSE_CALLS
            && warm.store.data().limiter.peak <= REUSE_MEMORY_BYTES
            && warm.store.data().stderr.contents().is_empty()
        {
            let mut idle = idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.loaded.idle.per_stage {
                idle.push(warm);
            }
        }
        outcome
    }

    /// Classifies a finished call's outcome and records its metrics.
    fn settle<T>(
        &self,
        call: Call,
        store: &Store<HostState>,
        result: wasmtime::Result<Result<T, types::StageError>>,
        bytes_out: impl FnOnce(&T) -> usize,
    ) -> Result<T, StageFailure> {
        let Call { stage, started, instantiate, fuel, bytes_in } = call;
        let consumed = fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        let limiter = &store.data().limiter;
        let (peak_memory, refused) = (limiter.peak, limiter.refused);
        let (result, out) = match result {
            Ok(Ok(value)) => {
                let out = bytes_out(&value);
                (Ok(value), out)
            }
            Ok(Err(error)) => (Err(guest_failure(error)), 0),
            Err(error) => {
                let panic = panic_message(&store.data().stderr.contents());
                (Err(self.classify_trap(stage, fuel, refused, &error, panic)), 0)
            }
        };
        self.metrics.record(InvocationMetrics {
            stage,
            wall: started.elapsed(),
            instantiate,
            fuel: consumed,
            peak_memory,
            bytes_in,
            bytes_out: out,
            ok: result.is_ok(),
        });
        result
    }

    /// Instantiates `stage` in a store kept for a series of calls on the
    /// resource `open` returns (the streaming interfaces).
    fn open_session<I>(
        &self,
        stage: Stage,
        instantiate: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<I>,
        open: impl FnOnce(&I, &mut Store<HostState>) -> wasmtime::Result<Result<ResourceAny, types::StageError>>,
    ) -> Result<Session<I>, StageFailure> {
        let started = Instant::now();
        let fuel = self.loaded.limits.fuel_for(0);
        let mut store = match self.store(stage, 0) {
            Ok(store) => store,
            Err(error) => return Err(StageFailure::Host { stage, message: format!("{error:#}") }),
        };
        let (instance, instantiate_time, result) = match instantiate(&mut store) {
            Ok(instance) => {
                let instantiate_time = started.elapsed();
                let result = open(&instance, &mut store);
                (Some(instance), instantiate_time, result)
            }
            Err(error) => (None, started.elapsed(), Err(error)),
        };
        let call = Call { stage, started, instantiate: instantiate_time, fuel, bytes_in: 0 };
        let handle = self.settle(call, &store, result, |_| 0)?;
        let Some(instance) = instance else {
            return Err(StageFailure::Host { stage, message: "opened without an instance".to_string() });
        };
        Ok(Session { stages: self.clone(), stage, store, instance, handle, bytes_added: 0, broken: None })
    }

    /// Opens a deduper: diversify over a stream of batches.
    pub fn deduper(&self, config: types::DiversifyConfig) -> Result<Deduper, StageFailure> {
        self.open_session(
            Stage::Diversify,
            |store| self.loaded.diversify.instantiate(store),
            |instance, store| instance.brightrun_pipeline_diversify_stream().deduper().call_open(store, config),
        )
        .map(Deduper)
    }

    /// Opens an exporter: validate-export's second half over a stream of validated batches.
    pub fn exporter(&self, config: &types::ExportConfig) -> Result<Exporter, StageFailure> {
        self.open_session(
            Stage::ValidateExport,
            |store| self.loaded.validate_export.instantiate(store),
            |instance, store| instance.brightrun_pipeline_validate_stream().exporter().call_open(store, config),
        )
        .map(Exporter)
    }

    /// Validates one batch of pairs (validate-export's first half); batches
    /// need nothing of each other, so they run in parallel.
    pub fn validate(
        &self,
        pairs: &[types::Pair],
        config: &types::ExportConfig,
    ) -> Result<types::Validated, StageFailure> {
        self.invoke(
            Stage::ValidateExport,
            None,
            pairs.iter().map(pair_bytes).sum(),
            |store| self.loaded.validate_export.instantiate(store),
            |instance, store| instance.brightrun_pipeline_validate_stream().call_validate(store, pairs, config),
            |validated| validated.passed.iter().map(|v| pair_bytes(&v.pair)).sum(),
        )
    }

    fn classify_trap(
        &self,
        stage: Stage,
        fuel: u64,
        memory_refused: bool,
        error: &wasmtime::Error,
        panic: Option<String>,
    ) -> StageFailure {
        match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => StageFailure::OutOfFuel { stage, fuel },
            Some(Trap::Interrupt) => {
                StageFailure::Timeout { stage, millis: self.loaded.limits.timeout.as_millis() as u64 }
            }
            // A Rust guest whose allocation is refused aborts, which wasmtime reports as
            // `unreachable`; the limiter tells us why.
            _ if memory_refused => {
                StageFailure::OutOfMemory { stage, limit_mib: self.loaded.limits.memory_for(stage) >> 20 }
            }
            Some(trap) => match panic {
                Some(panic) => {
                    StageFailure::Trap { stage, message: format!("{trap}: the component panicked: {panic}") }
                }
                None => StageFailure::Trap { stage, message: trap.to_string() },
            },
            None => StageFailure::Host { stage, message: format!("{error:#}") },
        }
    }

    /// Decodes a file's bytes into documents (one per JSON record).
    pub fn ingest(
        &self,
        name: &str,
        media_type: Option<&str>,
        bytes: &[u8],
        config: &types::IngestConfig,
    ) -> Result<types::Ingested, StageFailure> {
        self.invoke(
            Stage::Ingest,
            Some(&self.loaded.idle.ingest),
            bytes.len(),
            |store| self.loaded.ingest.instantiate(store),
            |instance, store| instance.brightrun_pipeline_ingest().call_ingest(store, name, media_type, bytes, config),
            |ingested| ingested.documents.iter().map(|document| document.text.len()).sum(),
        )
    }

    /// Cuts a batch of documents into chunks in one call: `Ok` holds one
    /// result per document; `Err` means the whole call failed (a trap, fuel).
    pub fn segment(
        &self,
        documents: &[types::Document],
        config: types::SegmentConfig,
    ) -> Result<Vec<Result<Vec<types::Chunk>, StageFailure>>, StageFailure> {
        let results = self.invoke(
            Stage::Segment,
            None,
            documents.iter().map(|d| d.text.len()).sum(),
            |store| self.loaded.segment.instantiate(store),
            |instance, store| instance.brightrun_pipeline_segment().call_segment(store, documents, config).map(Ok),
            |results: &Vec<Result<Vec<types::Chunk>, types::StageError>>| {
                results.iter().flatten().flatten().map(|c| c.text.len()).sum()
            },
        )?;
        Ok(results.into_iter().map(|result| result.map_err(guest_failure)).collect())
    }

    /// Analyses one chunk.
    pub fn analyze(&self, chunk: &types::Chunk) -> Result<types::Analysis, StageFailure> {
        self.invoke(
            Stage::Analyze,
            Some(&self.loaded.idle.analyze),
            chunk.text.len(),
            |store| self.loaded.analyze.instantiate(store),
            |instance, store| instance.brightrun_pipeline_analyze().call_analyze(store, chunk),
            analysis_bytes,
        )
    }

    /// Generates pairs from one analysed chunk.
    pub fn generate(
        &self,
        chunk: &types::Chunk,
        analysis: &types::Analysis,
        config: &types::GenerateConfig,
    ) -> Result<Vec<types::Pair>, StageFailure> {
        self.invoke(
            Stage::Generate,
            Some(&self.loaded.idle.generate),
            chunk.text.len() + analysis_bytes(analysis),
            |store| self.loaded.generate.instantiate(store),
            |instance, store| instance.brightrun_pipeline_generate().call_generate(store, chunk, analysis, config),
            |pairs| pairs.iter().map(pair_bytes).sum(),
        )
    }

    /// Removes duplicate pairs.
    pub fn diversify(
        &self,
        pairs: &[types::Pair],
        config: types::DiversifyConfig,
    ) -> Result<types::DiversifyResult, StageFailure> {
        self.invoke(
            Stage::Diversify,
            None,
            pairs.iter().map(pair_bytes).sum(),
            |store| self.loaded.diversify.instantiate(store),
            |instance, store| instance.brightrun_pipeline_diversify().call_diversify(store, pairs, config),
            |result| result.kept.iter().map(pair_bytes).sum(),
        )
    }

    /// Validates pairs and renders the export files.
    pub fn validate_export(
        &self,
        pairs: &[types::Pair],
        config: &types::ExportConfig,
    ) -> Result<types::ExportResult, StageFailure> {
        self.invoke(
            Stage::ValidateExport,
            None,
            pairs.iter().map(pair_bytes).sum(),
            |store| self.loaded.validate_export.instantiate(store),
            |instance, store| instance.brightrun_pipeline_validate_export().call_validate_export(store, pairs, config),
            |result| result.files.iter().map(|f| f.contents.len()).sum(),
        )
    }
}

fn analysis_bytes(analysis: &types::Analysis) -> usize {
    analysis.definitions.iter().map(|d| d.term.len() + d.meaning.len()).sum::<usize>()
        + analysis.claims.iter().map(|c| c.text.len()).sum::<usize>()
        + analysis.reasoning.iter().map(|r| r.premise.len() + r.explanation.len()).sum::<usize>()
        + analysis.faq.iter().map(|f| f.question.len() + f.answer.len()).sum::<usize>()
        + analysis.procedures.iter().flat_map(|p| &p.steps).map(|s| s.text.len()).sum::<usize>()
        + analysis.concepts.iter().map(|c| c.term.len()).sum::<usize>()
}

fn pair_bytes(pair: &types::Pair) -> usize {
    pair.turns.iter().map(|t| t.content.len()).sum::<usize>()
        + pair.evidence.iter().map(|e| e.text.len()).sum::<usize>()
}

/// What [`Stages::settle`] needs to know of a call.
struct Call {
    stage: Stage,
    started: Instant,
    instantiate: Duration,
    fuel: u64,
    bytes_in: usize,
}

/// One component instance kept for a series of calls on one resource: a
/// store whose fuel and deadline are renewed per call, each call measured.
/// A trap leaves the instance unusable, so every later call fails with it.
pub struct Session<I> {
    stages: Stages,
    stage: Stage,
    store: Store<HostState>,
    instance: I,
    handle: ResourceAny,
    /// Payload bytes passed in so far: the budget of calls that work over all of it.
    bytes_added: usize,
    broken: Option<StageFailure>,
}

impl<I> Session<I> {
    fn call<T>(
        &mut self,
        bytes_in: usize,
        call: impl FnOnce(&I, &mut Store<HostState>, ResourceAny) -> wasmtime::Result<Result<T, types::StageError>>,
        bytes_out: impl FnOnce(&T) -> usize,
    ) -> Result<T, StageFailure> {
        if let Some(failure) = &self.broken {
            return Err(failure.clone());
        }
        let started = Instant::now();
        let limits = self.stages.loaded.limits;
        let fuel = limits.fuel_for(bytes_in);
        let prepared = self.store.set_fuel(fuel);
        if let Err(error) = prepared {
            return Err(StageFailure::Host { stage: self.stage, message: format!("{error:#}") });
        }
        self.store.set_epoch_deadline(limits.deadline_ticks());
        self.store.data_mut().limiter.refused = false;
        let result = call(&self.instance, &mut self.store, self.handle);
        let trapped = result.is_err();
        let settled = Call { stage: self.stage, started, instantiate: Duration::ZERO, fuel, bytes_in };
        let result = self.stages.settle(settled, &self.store, result, bytes_out);
        if let (true, Err(failure)) = (trapped, &result) {
            self.broken = Some(failure.clone());
        }
        result
    }
}

/// A deduper in the diversify component (see `diversify-stream` in `wit/`).
pub struct Deduper(Session<diversify::DiversifyComponent>);

impl Deduper {
    /// Decides each pair against every pair kept before it: `None` keeps it.
    pub fn add(&mut self, pairs: &[types::Pair]) -> Result<Vec<Option<types::DroppedPair>>, StageFailure> {
        let bytes = pairs.iter().map(pair_bytes).sum();
        self.0.bytes_added += bytes;
        self.0.call(
            bytes,
            |instance, store, handle| {
                instance.brightrun_pipeline_diversify_stream().deduper().call_add(store, handle, pairs)
            },
            Vec::len,
        )
    }

    /// The pairs balance drops as over-represented; its budget is that of every pair added.
    pub fn finish(&mut self) -> Result<Vec<types::DroppedPair>, StageFailure> {
        let bytes = self.0.bytes_added;
        self.0.call(
            bytes,
            |instance, store, handle| {
                instance.brightrun_pipeline_diversify_stream().deduper().call_finish(store, handle).map(Ok)
            },
            Vec::len,
        )
    }
}

/// An exporter in the validate-export component (see `validate-stream` in `wit/`).
pub struct Exporter(Session<validate_export::ValidateExportComponent>);

impl Exporter {
    /// Drops repeated questions from the next validated batch and renders the rest.
    pub fn add(&mut self, batch: &types::Validated) -> Result<types::ExportPart, StageFailure> {
        let bytes = batch.passed.iter().map(|v| pair_bytes(&v.pair)).sum();
        self.0.bytes_added += bytes;
        self.0.call(
            bytes,
            |instance, store, handle| {
                instance.brightrun_pipeline_validate_stream().exporter().call_add(store, handle, batch).map(Ok)
            },
            |part| part.files.iter().map(|f| f.contents.len()).sum(),
        )
    }

    /// The closing parts and the quality figures.
    pub fn finish(&mut self) -> Result<types::ExportResult, StageFailure> {
        self.0.call(
            0,
            |instance, store, handle| {
                instance.brightrun_pipeline_validate_stream().exporter().call_finish(store, handle).map(Ok)
            },
            |result| result.files.iter().map(|f| f.contents.len()).sum(),
        )
    }
}
