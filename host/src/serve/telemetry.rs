//! The server's `/metrics`: per-stage invocation counts, latency, fuel and
//! memory from every component call, cache lookups from every finished job,
//! and job and queue gauges read at scrape time. OpenMetrics text, which
//! Prometheus scrapes as is.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::jobs::{JobManager, JobStatus};
use crate::metrics::InvocationMetrics;
use crate::report::RunReport;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabel {
    stage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageOutcome {
    stage: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLookup {
    layer: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

type HistogramFamily = Family<StageLabel, Histogram, fn() -> Histogram>;

fn seconds_histogram() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

fn bytes_histogram() -> Histogram {
    // 1 MiB to 2 GiB.
    Histogram::new(exponential_buckets(1_048_576.0, 2.0, 12))
}

/// Counters that outlive runs.
pub struct ServerMetrics {
    registry: Registry,
    invocations: Family<StageOutcome, Counter>,
    duration: HistogramFamily,
    instantiate: HistogramFamily,
    memory: HistogramFamily,
    fuel: Family<StageLabel, Counter>,
    cache: Family<CacheLookup, Counter>,
    jobs: Family<StatusLabel, Gauge>,
    queue_depth: Gauge,
}

impl Default for ServerMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("brightrun");
        let invocations = Family::<StageOutcome, Counter>::default();
        registry.register(
            "stage_invocations",
            "Component calls by stage and outcome (ok or error)",
            invocations.clone(),
        );
        let duration = HistogramFamily::new_with_constructor(seconds_histogram);
        registry.register("stage_duration_seconds", "Wall-clock time of a component call", duration.clone());
        let instantiate = HistogramFamily::new_with_constructor(seconds_histogram);
        registry.register(
            "stage_instantiate_seconds",
            "Time a call spent creating its store and instance",
            instantiate.clone(),
        );
        let memory = HistogramFamily::new_with_constructor(bytes_histogram);
        registry.register("stage_peak_memory_bytes", "Largest linear memory a call reached", memory.clone());
        let fuel = Family::<StageLabel, Counter>::default();
        registry.register("stage_fuel", "Fuel consumed (about one unit per Wasm instruction)", fuel.clone());
        let cache = Family::<CacheLookup, Counter>::default();
        registry.register("cache_lookups", "Stage-cache lookups of finished jobs by layer and result", cache.clone());
        let jobs = Family::<StatusLabel, Gauge>::default();
        registry.register("jobs", "Jobs by status", jobs.clone());
        let queue_depth = Gauge::default();
        registry.register("queue_depth", "Jobs waiting for a worker", queue_depth.clone());
        ServerMetrics { registry, invocations, duration, instantiate, memory, fuel, cache, jobs, queue_depth }
    }
}

impl ServerMetrics {
    /// Counts one component call.
    pub fn observe(&self, call: &InvocationMetrics) {
        let stage = call.stage.as_str().to_string();
        let outcome = if call.ok { "ok" } else { "error" }.to_string();
        self.invocations.get_or_create(&StageOutcome { stage: stage.clone(), outcome }).inc();
        let label = StageLabel { stage };
        self.duration.get_or_create(&label).observe(call.wall.as_secs_f64());
        self.instantiate.get_or_create(&label).observe(call.instantiate.as_secs_f64());
        self.memory.get_or_create(&label).observe(call.peak_memory as f64);
        self.fuel.get_or_create(&label).inc_by(call.fuel);
    }

    /// Adds a finished run's cache lookups.
    pub fn record_cache(&self, report: &RunReport) {
        for layer in &report.cache.stages {
            let counts = [("memory-hit", layer.memory_hits), ("store-hit", layer.store_hits), ("miss", layer.misses)];
            for (result, count) in counts {
                let labels = CacheLookup { layer: layer.layer.clone(), result: result.to_string() };
                self.cache.get_or_create(&labels).inc_by(count);
            }
        }
    }

    /// The exposition, with job gauges read from `manager` now.
    pub fn render(&self, manager: &JobManager) -> Result<String, std::fmt::Error> {
        for status in JobStatus::ALL {
            let count = manager.count(status) as i64;
            self.jobs.get_or_create(&StatusLabel { status: status.as_str().to_string() }).set(count);
        }
        self.queue_depth.set(manager.count(JobStatus::Queued) as i64);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
