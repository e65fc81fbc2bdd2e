//! Per-invocation measurements and their per-stage aggregates.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::components::Stage;

/// What one component call cost.
#[derive(Debug, Clone, Serialize)]
pub struct InvocationMetrics {
    /// The stage called.
    pub stage: Stage,
    /// Wall-clock time of the call, instantiation included.
    pub wall: Duration,
    /// Time spent instantiating (store creation and instantiation).
    pub instantiate: Duration,
    /// Fuel consumed (about one unit per WebAssembly instruction).
    pub fuel: u64,
    /// Largest linear memory the instance reached, in bytes.
    pub peak_memory: usize,
    /// Payload bytes passed in (document bytes, chunk text, pair text).
    pub bytes_in: usize,
    /// Payload bytes returned.
    pub bytes_out: usize,
    /// Whether the call returned `Ok`.
    pub ok: bool,
}

impl From<&InvocationMetrics> for crate::types::InvocationMetrics {
    fn from(metrics: &InvocationMetrics) -> Self {
        crate::types::InvocationMetrics {
            stage: metrics.stage.as_str().to_string(),
            wall_nanos: u64::try_from(metrics.wall.as_nanos()).unwrap_or(u64::MAX),
            fuel: metrics.fuel,
            peak_memory: metrics.peak_memory as u64,
            bytes_in: metrics.bytes_in as u64,
            bytes_out: metrics.bytes_out as u64,
            ok: metrics.ok,
        }
    }
}

/// Sees every invocation as it is recorded: the server's Prometheus
/// counters, which outlive any one run.
pub type MetricsObserver = Arc<dyn Fn(&InvocationMetrics) + Send + Sync>;

/// Collects invocation metrics from all worker threads.
#[derive(Default)]
pub struct MetricsSink {
    invocations: Mutex<Vec<InvocationMetrics>>,
    observer: Option<MetricsObserver>,
}

impl std::fmt::Debug for MetricsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSink").field("observed", &self.observer.is_some()).finish_non_exhaustive()
    }
}

impl MetricsSink {
    /// A sink that also passes each invocation to `observer`.
    pub fn observed(observer: Option<MetricsObserver>) -> Self {
        MetricsSink { invocations: Mutex::default(), observer }
    }

    /// Records one invocation.
    pub fn record(&self, metrics: InvocationMetrics) {
        if let Some(observer) = &self.observer {
            observer(&metrics);
        }
        if let Ok(mut invocations) = self.invocations.lock() {
            invocations.push(metrics);
        }
    }

    /// All invocations recorded so far.
    pub fn snapshot(&self) -> Vec<InvocationMetrics> {
        self.invocations.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// Aggregates of one stage over a run.
#[derive(Debug, Clone, Serialize)]
pub struct StageStats {
    /// The stage.
    pub stage: Stage,
    /// Calls made.
    pub invocations: usize,
    /// Calls that returned an error or trapped.
    pub failures: usize,
    /// Sum of wall times, in milliseconds (across threads, so it can exceed the run time).
    pub total_ms: f64,
    /// Median wall time, in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile wall time, in milliseconds.
    pub p95_ms: f64,
    /// Longest wall time, in milliseconds.
    pub max_ms: f64,
    /// Share of wall time spent instantiating.
    pub instantiate_share: f64,
    /// Total fuel consumed.
    pub fuel: u64,
    /// Largest linear memory any call reached, in bytes.
    pub peak_memory: usize,
    /// Payload bytes in.
    pub bytes_in: usize,
    /// Payload bytes out.
    pub bytes_out: usize,
    /// Input throughput over the summed wall time, in MB/s.
    pub mb_per_s: f64,
}

/// The `q`-quantile (0–1) of sorted `values` by the nearest-rank method.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Per-stage aggregates, in pipeline order, for stages that were called.
pub fn aggregate(invocations: &[InvocationMetrics]) -> Vec<StageStats> {
    Stage::ALL
        .iter()
        .filter_map(|stage| {
            let calls: Vec<&InvocationMetrics> = invocations.iter().filter(|m| m.stage == *stage).collect();
            if calls.is_empty() {
                return None;
            }
            let mut times: Vec<f64> = calls.iter().map(|m| m.wall.as_secs_f64() * 1000.0).collect();
            times.sort_by(f64::total_cmp);
            let total_ms: f64 = times.iter().sum();
            let instantiate_ms: f64 = calls.iter().map(|m| m.instantiate.as_secs_f64() * 1000.0).sum();
            let bytes_in: usize = calls.iter().map(|m| m.bytes_in).sum();
            Some(StageStats {
                stage: *stage,
                invocations: calls.len(),
                failures: calls.iter().filter(|m| !m.ok).count(),
                total_ms,
                p50_ms: quantile(&times, 0.50),
                p95_ms: quantile(&times, 0.95),
                max_ms: times.last().copied().unwrap_or(0.0),
                instantiate_share: if total_ms > 0.0 { instantiate_ms / total_ms } else { 0.0 },
                fuel: calls.iter().map(|m| m.fuel).sum(),
                peak_memory: calls.iter().map(|m| m.peak_memory).max().unwrap_or(0),
                bytes_in,
                bytes_out: calls.iter().map(|m| m.bytes_out).sum(),
                mb_per_s: if total_ms > 0.0 { bytes_in as f64 / 1e6 / (total_ms / 1000.0) } else { 0.0 },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_the_wit_record() {
        let metrics = InvocationMetrics {
            stage: Stage::Segment,
            wall: Duration::from_micros(1500),
            instantiate: Duration::from_micros(10),
            fuel: 7,
            peak_memory: 65536,
            bytes_in: 3,
            bytes_out: 4,
            ok: false,
        };
        let record = crate::types::InvocationMetrics::from(&metrics);
        assert_eq!(record.stage, "segment");
        assert_eq!(record.wall_nanos, 1_500_000);
        assert_eq!(
            (record.fuel, record.peak_memory, record.bytes_in, record.bytes_out, record.ok),
            (7, 65536, 3, 4, false)
        );
    }

    #[test]
    fn quantiles_use_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(quantile(&values, 0.5), 10.0);
        assert_eq!(quantile(&values, 0.95), 19.0);
        assert_eq!(quantile(&values, 1.0), 20.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn aggregates_per_stage_in_pipeline_order() {
        let call = |stage, ms, ok| InvocationMetrics {
            stage,
            wall: Duration::from_millis(ms),
            instantiate: Duration::from_millis(1),
            fuel: 10,
            peak_memory: 1 << 20,
            bytes_in: 1_000_000,
            bytes_out: 10,
            ok,
        };
        let stats =
            aggregate(&[call(Stage::Analyze, 4, true), call(Stage::Ingest, 2, false), call(Stage::Analyze, 6, true)]);
        let stages: Vec<Stage> = stats.iter().map(|s| s.stage).collect();
        assert_eq!(stages, [Stage::Ingest, Stage::Analyze]);
        assert_eq!(stats[0].failures, 1);
        assert_eq!(stats[1].invocations, 2);
        assert_eq!(stats[1].fuel, 20);
        assert_eq!(stats[1].max_ms, 6.0);
        assert!((stats[1].mb_per_s - 200.0).abs() < 1e-9);
    }
}
