//! The latest blind-judging figure for the offline generator, as measured
//! by the protocol in the project's JUDGING.md: two independent reviewers
//! judge the same random sample of exported pairs from real documentation
//! nobody on the project wrote, and the figure is the share both keep.
//!
//! It describes the generator, not any one dataset: a run's report shows it
//! beside what that run's own checks measured, labelled as such, so the
//! headline is never a lexical score that calls every extracted sentence
//! "faithful". Update it (with its round) only from a judging round.

use crate::DropReason;

/// One judging round's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JudgedEstimate {
    /// Share of sampled pairs kept by both judges.
    pub kept_by_both: f32,
    /// Its 95 % Wilson interval.
    pub interval: (f32, f32),
    /// Pairs judged.
    pub sample: u32,
    /// The sample's seed.
    pub seed: &'static str,
    /// The commit whose pairs were judged.
    pub commit: &'static str,
    /// When.
    pub date: &'static str,
    /// What was judged.
    pub corpus: &'static str,
}

impl JudgedEstimate {
    /// One line for the CLI, the card and the HTML report.
    pub fn line(&self) -> String {
        format!(
            "{:.0} % of pairs kept by both of two blind reviewers (95 % interval {:.0}–{:.0} %, {} pairs, seed {}, \
             commit {}, {}) on {}; an estimate for the generator, not a measurement of this dataset",
            self.kept_by_both * 100.0,
            self.interval.0 * 100.0,
            self.interval.1 * 100.0,
            self.sample,
            self.seed,
            self.commit,
            self.date,
            self.corpus
        )
    }
}

/// The latest round for the offline generator (README, "Pair quality").
pub const LATEST: Option<JudgedEstimate> = Some(JudgedEstimate {
    kept_by_both: 0.88,
    interval: (0.80, 0.93),
    sample: 100,
    seed: "r14-31859",
    commit: "17712e2",
    date: "2026-12-08",
    corpus: "real documentation nobody on the project wrote (the 4.48 MB dev corpus)",
});

/// Drop reasons of the reviewer's checks (see [`crate::prose`]), as opposed
/// to structure, fidelity and deduplication.
pub const REVIEW_REASONS: &[DropReason] = &[
    DropReason::LeftoverMarkup,
    DropReason::UnresolvedReference,
    DropReason::PointsElsewhere,
    DropReason::IncompleteAnswer,
    DropReason::FragmentQuestion,
    DropReason::QuestionRepeatsAnswer,
    DropReason::TrivialAnswer,
    DropReason::ChangelogNote,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_judged_line_names_its_round_and_says_what_it_estimates() {
        let estimate = JudgedEstimate {
            kept_by_both: 0.74,
            interval: (0.65, 0.82),
            sample: 100,
            seed: "s1",
            commit: "abc1234",
            date: "2026-12-04",
            corpus: "the dev corpus",
        };
        let line = estimate.line();
        for part in ["74 %", "65–82 %", "100 pairs", "seed s1", "commit abc1234", "2026-12-04", "not a measurement"] {
            assert!(line.contains(part), "{part} missing from {line}");
        }
        assert!(
            LATEST.is_none_or(
                |latest| latest.interval.0 <= latest.kept_by_both && latest.kept_by_both <= latest.interval.1
            )
        );
    }
}
