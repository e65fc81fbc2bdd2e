//! Each stage's native logic on the bundled examples (0.16 MB, 7 documents),
//! every stage fed the previous stage's real output. Throughput is in input
//! bytes of the examples, so the stages compare directly.
//!
//! `cargo bench -p brightrun-benches --bench stages`

use std::hint::black_box;

use brightrun_types::tokenizer::Tokenizer;
use brightrun_types::{ExportConfig, GenerateConfig, SegmentConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/corpus");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).expect("examples").filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read(&p).expect("readable"))).collect()
}

fn stages(c: &mut Criterion) {
    let files = corpus();
    let bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let tokenizer = Tokenizer::cl100k();
    let segment_config = SegmentConfig { max_tokens: 512, overlap_tokens: 64 };
    let generate_config = GenerateConfig { seed: 0, max_pairs_per_chunk: 8, tasks: Vec::new(), llm: None };
    let diversify_config = brightrun_diversify::DEFAULT_CONFIG;
    let export_config = ExportConfig {
        dataset_name: "bench".into(),
        max_sequence_tokens: 2048,
        min_fidelity: 0.8,
        sources: files.iter().map(|(n, _)| n.clone()).collect(),
        language_model: None,
    };

    let config = brightrun_types::IngestConfig::default();
    let documents: Vec<_> = files
        .iter()
        .flat_map(|(name, b)| brightrun_ingest::ingest(name, None, b, &config).expect("ingests").documents)
        .collect();
    let chunks: Vec<_> = documents
        .iter()
        .flat_map(|d| brightrun_segment::segment(d, &segment_config, &tokenizer).expect("segments"))
        .collect();
    let analyses: Vec<_> = chunks.iter().map(|c| brightrun_analyze::analyze(c).expect("analyses")).collect();
    let pairs: Vec<_> = chunks
        .iter()
        .zip(&analyses)
        .flat_map(|(c, a)| brightrun_generate::generate(c, a, &generate_config).expect("generates"))
        .collect();
    let kept = brightrun_diversify::diversify(pairs.clone(), &diversify_config).expect("dedups").kept;

    let mut group = c.benchmark_group("stages");
    group.throughput(Throughput::Bytes(bytes)).sample_size(20);
    group.bench_function("ingest", |b| {
        b.iter(|| files.iter().filter(|(n, bytes)| brightrun_ingest::ingest(n, None, bytes, &config).is_ok()).count())
    });
    group.bench_function("segment", |b| {
        b.iter(|| {
            // A fresh tokenizer per iteration, as each component call has:
            // it remembers pre-token counts, which would otherwise carry over.
            let tokenizer = Tokenizer::cl100k();
            documents.iter().filter(|d| brightrun_segment::segment(d, &segment_config, &tokenizer).is_ok()).count()
        })
    });
    group.bench_function("analyze", |b| {
        b.iter(|| chunks.iter().filter(|c| brightrun_analyze::analyze(c).is_ok()).count())
    });
    group.bench_function("generate", |b| {
        b.iter(|| {
            chunks
                .iter()
                .zip(&analyses)
                .filter(|(c, a)| brightrun_generate::generate(c, a, &generate_config).is_ok())
                .count()
        })
    });
    group.bench_function("diversify", |b| {
        b.iter(|| brightrun_diversify::diversify(pairs.clone(), &diversify_config).is_ok())
    });
    // Diversify's static embedding: loading the table, then every chunk's text embedded.
    group.bench_function("embedding-load", |b| {
        b.iter(|| black_box(brightrun_diversify::embedding::StaticModel::embedded().is_ok()))
    });
    let model = brightrun_diversify::embedding::StaticModel::embedded().expect("the embedded model loads");
    group.bench_function("embedding", |b| b.iter(|| chunks.iter().map(|c| model.embed(&c.text)[0]).sum::<f32>()));
    group.bench_function("validate-export", |b| {
        b.iter(|| brightrun_validate::validate_export(kept.clone(), &export_config, &Tokenizer::cl100k()).is_ok())
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
