//! Prints what ingest makes of files: format, title, warnings and every block
//! with its kind, level, page and text. `cargo run -p brightrun-ingest
//! --example dump -- FILE...`
fn main() {
    let config = brightrun_types::IngestConfig::default();
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                println!("error: {path}: {error}");
                continue;
            }
        };
        match brightrun_ingest::ingest(&path, None, &bytes, &config) {
            Ok(ingested) => {
                for warning in &ingested.warnings {
                    println!("warning: {}: {}", warning.document, warning.detail);
                }
                for doc in &ingested.documents {
                    println!("== {} [{}] title={:?} blocks={}", doc.name, doc.format, doc.title, doc.blocks.len());
                    for block in &doc.blocks {
                        let text = block.span.slice(&doc.text).unwrap_or("<bad span>");
                        let short: String = text.chars().take(110).collect();
                        println!(
                            "  {:?} l{} o{:?} p{:?} | {}",
                            block.kind,
                            block.level,
                            block.ordinal,
                            block.page,
                            short.replace('\n', "⏎")
                        );
                    }
                }
            }
            Err(error) => println!("error: {error}"),
        }
    }
}
