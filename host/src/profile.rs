//! The report's profile: where the time went, what to change, and which
//! configured thresholds a run crossed. Everything here is derived from the
//! measured per-stage figures, so it is testable without running a pipeline.

use serde::Serialize;

use crate::cache::StageCacheStats;
use crate::components::Stage;
use crate::metrics::StageStats;

/// Limits that, when crossed, raise an alert in the report and on stderr.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct AlertThresholds {
    /// Alert when a stage's p95 latency exceeds this many milliseconds.
    pub stage_p95_ms: Option<f64>,
    /// Alert when any call's peak linear memory exceeds this many MiB.
    pub peak_memory_mib: Option<f64>,
}

/// The profile section of `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// The stage with the most summed wall time, if any stage ran.
    pub bottleneck: Option<Stage>,
    /// Its share of all summed stage time.
    pub bottleneck_share: f64,
    /// Share of all summed stage time spent instantiating components.
    pub instantiate_share: f64,
    /// Share of stage results served from the cache.
    pub cache_hit_rate: f64,
    /// Concrete suggestions, each with the figure that prompted it.
    pub recommendations: Vec<String>,
    /// Thresholds crossed.
    pub alerts: Vec<String>,
    /// Wall time of each phase of the run, in order: the per-document
    /// stages (parallel), then each global stage; their sum is about the run's time.
    pub phases: Vec<PhaseTime>,
}

/// How long one phase of a run took.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseTime {
    /// "documents" (with dedup beside them), "diversify" (what is left of dedup) or "validate-export".
    pub phase: String,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Builds the profile from per-stage figures.
pub fn profile(stages: &[StageStats], cache: &[StageCacheStats], thresholds: &AlertThresholds) -> Profile {
    let total_ms: f64 = stages.iter().map(|s| s.total_ms).sum();
    let bottleneck = stages.iter().max_by(|a, b| a.total_ms.total_cmp(&b.total_ms));
    let instantiate_ms: f64 = stages.iter().map(|s| s.total_ms * s.instantiate_share).sum();
    let hits: u64 = cache.iter().map(|c| c.memory_hits + c.store_hits).sum();
    let lookups: u64 = hits + cache.iter().map(|c| c.misses).sum::<u64>();
    let share = |part: f64| if total_ms > 0.0 { part / total_ms } else { 0.0 };

    let mut recommendations = Vec::new();
    if let Some(stage) = bottleneck.filter(|s| share(s.total_ms) >= 0.3) {
        let advice = match stage.stage {
            Stage::Segment => {
                "BPE tokenisation dominates; segment calls are batched, so more documents per batch or fewer, larger files help"
            }
            Stage::Analyze => "analysis runs once per chunk; a larger --max-tokens makes fewer, larger chunks",
            Stage::Generate => "generation runs once per chunk; a lower --max-pairs-per-chunk makes it cheaper",
            Stage::Diversify => {
                "dedup decides every pair in order on one instance (one core, beside the other stages); a higher --near-duplicate-threshold prunes fewer candidates"
            }
            Stage::ValidateExport => {
                "validation tokenises every kept pair (in parallel batches) and one exporter renders them in order; fewer pairs per chunk shrink both"
            }
            Stage::Ingest => "decoding dominates; check for very large or unusual files in the input",
        };
        recommendations.push(format!(
            "{} takes {:.0} % of stage time ({:.0} ms summed over {} calls): {advice}",
            stage.stage,
            share(stage.total_ms) * 100.0,
            stage.total_ms,
            stage.invocations
        ));
    }
    for stage in stages.iter().filter(|s| s.instantiate_share > 0.2 && s.invocations >= 100) {
        recommendations.push(format!(
            "{} spends {:.0} % of its time instantiating ({} calls, p50 {:.2} ms): its calls are too small to amortise a fresh instance",
            stage.stage,
            stage.instantiate_share * 100.0,
            stage.invocations,
            stage.p50_ms
        ));
    }
    if lookups > 0 && hits == 0 {
        recommendations.push(
            "no stage result came from the cache: a second run over the same inputs and settings will reuse them all"
                .to_string(),
        );
    }

    let mut alerts = Vec::new();
    if let Some(limit) = thresholds.stage_p95_ms {
        for stage in stages.iter().filter(|s| s.p95_ms > limit) {
            alerts.push(format!("{} p95 latency {:.1} ms exceeds the {limit} ms threshold", stage.stage, stage.p95_ms));
        }
    }
    if let Some(limit) = thresholds.peak_memory_mib {
        for stage in stages.iter().filter(|s| s.peak_memory as f64 / (1 << 20) as f64 > limit) {
            alerts.push(format!(
                "{} reached {:.1} MiB of linear memory, over the {limit} MiB threshold",
                stage.stage,
                stage.peak_memory as f64 / (1 << 20) as f64
            ));
        }
    }

    Profile {
        bottleneck: bottleneck.map(|s| s.stage),
        bottleneck_share: bottleneck.map_or(0.0, |s| share(s.total_ms)),
        instantiate_share: share(instantiate_ms),
        cache_hit_rate: if lookups > 0 { hits as f64 / lookups as f64 } else { 0.0 },
        recommendations,
        alerts,
        phases: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(stage: Stage, invocations: usize, total_ms: f64, p95_ms: f64, instantiate_share: f64) -> StageStats {
        StageStats {
            stage,
            invocations,
            failures: 0,
            total_ms,
            p50_ms: p95_ms / 2.0,
            p95_ms,
            max_ms: p95_ms,
            instantiate_share,
            fuel: 0,
            peak_memory: 20 << 20,
            bytes_in: 0,
            bytes_out: 0,
            mb_per_s: 0.0,
        }
    }

    #[test]
    fn names_the_bottleneck_and_what_to_change() {
        let stages = [stats(Stage::Segment, 10, 3500.0, 400.0, 0.01), stats(Stage::Analyze, 6000, 1000.0, 1.0, 0.3)];
        let profile = profile(&stages, &[], &AlertThresholds::default());
        assert_eq!(profile.bottleneck, Some(Stage::Segment));
        assert!((profile.bottleneck_share - 0.7777).abs() < 0.001);
        assert_eq!(profile.recommendations.len(), 2, "{:?}", profile.recommendations);
        assert!(profile.recommendations[0].starts_with("segment takes 78 % of stage time"));
        assert!(profile.recommendations[1].starts_with("analyze spends 30 % of its time instantiating"));
        assert!(profile.alerts.is_empty());
    }

    #[test]
    fn raises_alerts_for_crossed_thresholds() {
        let stages = [stats(Stage::Segment, 10, 3500.0, 400.0, 0.01), stats(Stage::Analyze, 10, 10.0, 1.0, 0.0)];
        let thresholds = AlertThresholds { stage_p95_ms: Some(100.0), peak_memory_mib: Some(16.0) };
        let profile = profile(&stages, &[], &thresholds);
        assert_eq!(
            profile.alerts,
            [
                "segment p95 latency 400.0 ms exceeds the 100 ms threshold",
                "segment reached 20.0 MiB of linear memory, over the 16 MiB threshold",
                "analyze reached 20.0 MiB of linear memory, over the 16 MiB threshold",
            ]
        );
    }

    #[test]
    fn reports_the_cache_hit_rate() {
        let cache = [
            StageCacheStats {
                stage: Some(Stage::Analyze),
                memory_hits: 1,
                store_hits: 2,
                misses: 1,
                ..Default::default()
            },
            StageCacheStats { stage: Some(Stage::Ingest), misses: 4, ..Default::default() },
        ];
        let profile = profile(&[], &cache, &AlertThresholds::default());
        assert!((profile.cache_hit_rate - 3.0 / 8.0).abs() < 1e-9);
        assert_eq!(profile.bottleneck, None);
    }
}
