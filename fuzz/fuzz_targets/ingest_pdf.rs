//! Fuzzes ingest's PDF decoder (lopdf + pdf-extract + layout): any bytes named `report.pdf` must give
//! documents with valid spans or a typed error, never a panic, hang or OOM.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A small inflation cap keeps libFuzzer's RSS limit for real bugs.
    let config = brightrun_types::IngestConfig { max_inflated_bytes: 16 << 20, ..Default::default() };
    if let Ok(ingested) = brightrun_ingest::ingest("report.pdf", None, data, &config) {
        for document in &ingested.documents {
            for block in &document.blocks {
                assert!(block.span.slice(&document.text).is_some(), "span outside the text: {block:?}");
            }
        }
    }
});
