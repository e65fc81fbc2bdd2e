//! The wasmtime engine every stage runs on, its limits, and the on-disk cache
//! of compiled components.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch ticker advances the engine's epoch.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Instance slots in the pool per worker thread: up to four calls in flight
/// (ingest and segment for one window while another is analysed, validate
/// beside the deduper and exporter sessions) and an idle ingest, analyze and
/// generate instance kept for reuse (see `stages::Idle`).
pub const INSTANCES_PER_WORKER: usize = 7;

/// Bytes of each pooled memory and table reset in place when an instance is
/// dropped, instead of handed back to the kernel with `madvise`. Every
/// analyze and generate call is a fresh instance; profiling a 10 MB run showed
/// ~8 % of all CPU in the TLB shootdowns those `madvise` calls cause.
const KEEP_RESIDENT: usize = 2 << 20;

/// Per-invocation limits. Each is a safety net: hitting one fails that one
/// invocation with a typed error and the run goes on.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Limits {
    /// Most bytes of linear memory one invocation may grow to.
    pub memory_bytes: usize,
    /// The same for the deduper, which keeps fingerprints of every pair it
    /// keeps and so outgrows every other stage on a large corpus (about
    /// 514 MiB on 1 GB of input, where no other stage passed 40 MiB): it
    /// gets its own limit, so raising it does not let every call grow.
    pub dedup_memory_bytes: usize,
    /// Fuel (roughly, WebAssembly instructions) for an invocation on an empty input.
    pub fuel_base: u64,
    /// Extra fuel per byte of input, so large documents get a proportional
    /// budget. 60 000: PDF ingest is the costliest work per byte (its streams
    /// inflate several times over); measured 14 700 units a byte on a 680 KiB
    /// LaTeX manual and 27 400 on a 45-page, 500 KB one, which failed at the
    /// old 20 000. Twice the worst seen still stops a guest that loops, and
    /// the wall-clock limit stops it sooner.
    pub fuel_per_input_byte: u64,
    /// Wall-clock limit of one invocation.
    pub timeout: Duration,
    /// Concurrent invocations the instance pool holds.
    pub max_instances: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 1 << 30,
            dedup_memory_bytes: 1 << 30,
            fuel_base: 2_000_000_000,
            fuel_per_input_byte: 60_000,
            timeout: Duration::from_secs(120),
            max_instances: 64,
        }
    }
}

impl Limits {
    /// The memory limit of one invocation of `stage`.
    pub fn memory_for(&self, stage: crate::components::Stage) -> usize {
        match stage {
            crate::components::Stage::Diversify => self.dedup_memory_bytes,
            _ => self.memory_bytes,
        }
    }

    /// The fuel budget for an invocation whose input is `input_bytes` long.
    pub fn fuel_for(&self, input_bytes: usize) -> u64 {
        self.fuel_base.saturating_add(self.fuel_per_input_byte.saturating_mul(input_bytes as u64))
    }

    /// The epoch deadline, in ticks, for the timeout.
    pub fn deadline_ticks(&self) -> u64 {
        (self.timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
}

/// Builds the engine: Cranelift, fuel metering, epoch interruption, and the
/// pooling allocator sized for `limits.max_instances` concurrent instances
/// whose memories may grow to `limits.memory_bytes`.
pub fn build_engine(limits: &Limits) -> Result<Engine> {
    let mut config = Config::new();
    config.consume_fuel(true);
    config.epoch_interruption(true);
    let instances = limits.max_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances * 8)
        .total_memories(instances * 2)
        .total_tables(instances * 8)
        .max_memory_size(limits.memory_bytes.max(limits.dedup_memory_bytes))
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(anyhow::Error::from).context("creating the wasmtime engine")
}

/// A thread that advances the engine's epoch every [`EPOCH_TICK`] until
/// dropped, so epoch deadlines measure wall-clock time.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts ticking `engine`.
    pub fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.clone();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("brightrun-epoch".to_string())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .ok();
        EpochTicker { stop, thread }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The default directory for compiled components: `$BRIGHTRUN_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/brightrun`, else `~/.cache/brightrun`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BRIGHTRUN_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("brightrun"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache").join("brightrun"))
}

/// Where a compiled component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompileSource {
    /// Compiled now (and written to the cache when there is one).
    Compiled,
    /// Loaded from the on-disk cache.
    Cached,
}

/// Compiles `bytes`, or loads the artifact a previous run left in
/// `cache_dir`. The file name holds a digest of the component and of the
/// engine's compatibility hash, so a changed component or wasmtime version
/// never loads a stale artifact; an artifact that fails to load is replaced.
pub fn load_component(
    engine: &Engine,
    name: &str,
    bytes: &[u8],
    cache_dir: Option<&Path>,
) -> Result<(Component, CompileSource)> {
    let Some(path) = artifact_path(engine, name, bytes, cache_dir) else {
        let component = Component::new(engine, bytes)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("compiling the {name} component"))?;
        return Ok((component, CompileSource::Compiled));
    };
    if path.exists() {
        // SAFETY: the file was written by `Component::serialize` of this
        // host (its name carries the component digest and the engine's
        // compatibility hash), in a cache directory the user owns.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        if let Ok(component) = loaded {
            return Ok((component, CompileSource::Cached));
        }
    }
    let component = Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling the {name} component"))?;
    if let Ok(serialized) = component.serialize() {
        // A cache that cannot be written only costs a recompile next time.
        let _ = write_atomically(&path, &serialized);
    }
    Ok((component, CompileSource::Compiled))
}

/// Where [`load_component`] keeps the compiled `bytes` in `cache_dir`.
fn artifact_path(engine: &Engine, name: &str, bytes: &[u8], cache_dir: Option<&Path>) -> Option<PathBuf> {
    let dir = cache_dir?;
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut engine_hash);
    let digest = blake3::hash(bytes).to_hex();
    Some(dir.join("components").join(format!("{name}-{}-{:016x}.cwasm", &digest[..16], engine_hash.finish())))
}

/// Whether [`load_component`] will compile `bytes` (seconds of CPU) rather
/// than load an artifact a previous run left, so a caller can say so first.
pub fn needs_compiling(engine: &Engine, name: &str, bytes: &[u8], cache_dir: Option<&Path>) -> bool {
    artifact_path(engine, name, bytes, cache_dir).is_none_or(|path| !path.exists())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        std::process::id(),
        path.file_name().and_then(|n| n.to_str()).unwrap_or("artifact")
    ));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}
