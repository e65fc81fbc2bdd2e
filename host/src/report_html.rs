//! `report.html`: the run's quality report as one self-contained page (no
//! scripts, fonts or images from elsewhere; plots are inline SVG), for a
//! person to open from the output folder.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::RunReport;

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Series colours: generated (or p50), exported (or p95).
const COLOURS: [&str; 2] = ["#9db7e8", "#2f6fdb"];

/// A horizontal bar chart: one row per label, one bar per series.
fn bar_chart(id: &str, title: &str, series: &[&str], rows: &[(String, Vec<f64>)]) -> String {
    let (width, left, bar) = (460.0, 170.0, 12.0);
    let row_height = bar * series.len().max(1) as f64 + 8.0;
    let top = if series.len() > 1 { 20.0 } else { 4.0 };
    let height = top + row_height * rows.len().max(1) as f64 + 4.0;
    let max = rows.iter().flat_map(|(_, values)| values.iter().copied()).fold(1.0_f64, f64::max);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<figure data-chart="{id}"><figcaption>{}</figcaption><svg viewBox="0 0 {width} {height}" width="{width}" role="img" aria-label="{}">"#,
        escape(title),
        escape(title)
    );
    if series.len() > 1 {
        for (index, name) in series.iter().enumerate() {
            let x = left + index as f64 * 110.0;
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="4" width="10" height="10" fill="{}"/><text x="{}" y="13">{}</text>"#,
                COLOURS[index % 2],
                x + 14.0,
                escape(name)
            );
        }
    }
    for (row, (label, values)) in rows.iter().enumerate() {
        let y = top + row as f64 * row_height;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + row_height / 2.0 + 2.0,
            escape(label)
        );
        for (index, value) in values.iter().enumerate() {
            let w = (width - left - 60.0) * value / max;
            let by = y + 2.0 + index as f64 * bar;
            let shown = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") };
            let _ = write!(
                svg,
                r#"<rect class="value" x="{left}" y="{by}" width="{w:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{}">{shown}</text>"#,
                bar - 2.0,
                COLOURS[index % 2],
                left + w + 4.0,
                by + bar - 3.0
            );
        }
    }
    svg.push_str("</svg></figure>");
    svg
}

/// Rows of a before/after chart over the union of both maps' keys.
fn before_after(before: &BTreeMap<String, usize>, after: &BTreeMap<String, u32>) -> Vec<(String, Vec<f64>)> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| {
            let generated = before.get(key).copied().unwrap_or(0) as f64;
            let exported = after.get(key).copied().unwrap_or(0) as f64;
            (key.clone(), vec![generated, exported])
        })
        .collect()
}

/// The page.
pub fn render(report: &RunReport) -> String {
    let counts = &report.counts;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>brightrun quality report</h1><p class=muted>{} input(s), brightrun {}, {:.2} s (start-up {:.2} s, pipeline {:.2} s)</p>",
        report.inputs.len(),
        escape(&report.version),
        report.startup_s + report.elapsed_s,
        report.startup_s,
        report.elapsed_s
    );
    let mut stats = vec![
        ("documents", format!("{} ({} failed)", counts.documents, counts.documents_failed)),
        ("chunks", format!("{} ({} failed)", counts.chunks, counts.chunks_failed)),
        ("pairs generated", counts.pairs_generated.to_string()),
        ("pairs exported", counts.pairs_exported.to_string()),
    ];
    if let Some(quality) = &report.quality {
        stats.push(("passed validate's checks", format!("{} of {}", quality.pairs_exported, quality.pairs_checked)));
        stats.push(("mean fidelity (grounding)", format!("{:.3}", quality.mean_fidelity)));
        stats.push(("mean tokens", format!("{:.0}", quality.mean_tokens)));
        stats.push(("repaired", quality.repaired.to_string()));
        stats.push(("question bodies", quality.question_templates.to_string()));
        stats.push(("question distinct-2", format!("{:.2}", quality.question_distinct_bigrams)));
    }
    body.push_str("<div class=stats>");
    for (label, value) in stats {
        let _ = write!(body, "<div><b>{}</b>{}</div>", escape(&value), escape(label));
    }
    body.push_str("</div>");
    let judged = brightrun_types::judged::LATEST
        .map_or_else(|| "no blind-judging round is on record for this generator".to_string(), |j| j.line());
    let _ = write!(body, "<p><b>Judged:</b> {}</p>", escape(&judged));

    if !counts.dropped.is_empty() {
        body.push_str("<h2>Dropped</h2><table><tr><th>reason</th><th>pairs</th></tr>");
        for (reason, n) in &counts.dropped {
            let _ = write!(body, "<tr><td>{}</td><td>{n}</td></tr>", escape(reason));
        }
        body.push_str("</table>");
    }

    if let Some(quality) = report.quality.as_ref().filter(|q| !q.drop_examples.is_empty()) {
        body.push_str(
            "<h2>Examples of drops</h2><table><tr><th>reason</th><th>fidelity</th><th>question</th><th>answer</th></tr>",
        );
        for example in &quality.drop_examples {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>",
                escape(&example.reason),
                example.fidelity,
                escape(&example.question),
                escape(&example.answer)
            );
        }
        body.push_str("</table>");
    }

    body.push_str("<h2>Distributions: generated and exported</h2><div class=charts>");
    let series = ["generated", "exported"];
    if let Some(quality) = &report.quality {
        let generated = &report.generated;
        body.push_str(&bar_chart("tasks", "Task types", &series, &before_after(&generated.tasks, &quality.tasks)));
        body.push_str(&bar_chart(
            "content",
            "Content types",
            &series,
            &before_after(&generated.content_types, &quality.content_types),
        ));
        body.push_str(&bar_chart(
            "difficulty",
            "Difficulty",
            &series,
            &before_after(&generated.difficulties, &quality.difficulties),
        ));
        let buckets = quality.fidelity_histogram.len().max(1) as f64;
        let histogram: Vec<(String, Vec<f64>)> = quality
            .fidelity_histogram
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("{:.1}–{:.1}", i as f64 / buckets, (i + 1) as f64 / buckets), vec![f64::from(*n)]))
            .collect();
        body.push_str(&bar_chart("fidelity", "Fidelity of checked pairs", &["pairs"], &histogram));
    }
    let timings: Vec<(String, Vec<f64>)> =
        report.stages.iter().map(|s| (s.stage.as_str().to_string(), vec![s.p50_ms, s.p95_ms])).collect();
    body.push_str(&bar_chart("stages", "Stage time per call (ms)", &["p50", "p95"], &timings));
    body.push_str("</div>");

    body.push_str("<h2>Profile</h2><ul>");
    if let Some(stage) = report.profile.bottleneck {
        let _ = write!(
            body,
            "<li>bottleneck: {} ({:.0} % of stage time)</li>",
            stage.as_str(),
            report.profile.bottleneck_share * 100.0
        );
    }
    let _ = write!(body, "<li>cache hit rate: {:.0} %</li>", report.profile.cache_hit_rate * 100.0);
    for line in report.profile.recommendations.iter().chain(&report.profile.alerts) {
        let _ = write!(body, "<li>{}</li>", escape(line));
    }
    body.push_str("</ul>");

    if !report.errors.is_empty() {
        body.push_str("<h2>Errors</h2><ul>");
        for error in report.errors.iter().take(200) {
            let _ = write!(body, "<li>{}</li>", escape(&error.message));
        }
        body.push_str("</ul>");
    }

    format!(
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\"><title>brightrun report</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;color:#1d2430;margin:24px;max-width:1000px}\
h1{font-size:20px;margin:0}h2{font-size:16px;margin:22px 0 8px}.muted{color:#5f6b7a}\
.stats{display:flex;flex-wrap:wrap;gap:22px;margin:12px 0}.stats b{display:block;font-size:18px}\
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(470px,1fr));gap:12px;align-items:start}\
figure{margin:0;border:1px solid #d9dee5;border-radius:6px;padding:8px}figcaption{font-weight:600;margin-bottom:4px}\
svg text{font:11px system-ui,sans-serif;fill:#1d2430}table{border-collapse:collapse}\
td,th{border-bottom:1px solid #d9dee5;padding:4px 10px;text-align:left}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_document_text() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn draws_one_bar_per_series_and_row() {
        let rows = vec![("easy".to_string(), vec![3.0, 2.0]), ("hard".to_string(), vec![5.0, 0.0])];
        let svg = bar_chart("difficulty", "Difficulty", &["generated", "exported"], &rows);
        assert_eq!(svg.matches("class=\"value\"").count(), 4);
        assert!(svg.contains(">easy<") && svg.contains(">5<"));
    }
}
