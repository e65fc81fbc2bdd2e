//! The wit-bindgen layer: WIT in, domain types through the logic, WIT out.
#![allow(missing_docs, unsafe_code)]

use brightrun_types::tokenizer::Tokenizer;
use brightrun_types::wit::types;

mod bindings {
    wit_bindgen::generate!({
        world: "segment-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.10.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::segment::Guest;

struct Segment;

impl Guest for Segment {
    fn segment(
        docs: Vec<types::Document>,
        config: types::SegmentConfig,
    ) -> Vec<Result<Vec<types::Chunk>, types::StageError>> {
        let tokenizer = Tokenizer::cl100k();
        let config = config.into();
        docs.into_iter()
            .map(|doc| {
                let document: brightrun_types::Document = doc.into();
                crate::segment(&document, &config, &tokenizer)
                    .map(|chunks| chunks.into_iter().map(Into::into).collect())
                    .map_err(Into::into)
            })
            .collect()
    }

    fn count_tokens(text: String) -> u32 {
        u32::try_from(Tokenizer::cl100k().count(&text)).unwrap_or(u32::MAX)
    }
}

bindings::export!(Segment with_types_in bindings);
