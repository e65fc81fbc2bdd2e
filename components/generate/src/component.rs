//! The wit-bindgen layer: WIT in, domain types through the logic, WIT out.
#![allow(missing_docs, unsafe_code)]

use brightrun_types::wit::types;

mod bindings {
    wit_bindgen::generate!({
        world: "generate-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.10.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::generate::Guest;

struct Generate;

impl Guest for Generate {
    fn generate(
        chunk: types::Chunk,
        analysis: types::Analysis,
        config: types::GenerateConfig,
    ) -> Result<Vec<types::Pair>, types::StageError> {
        crate::generate(&chunk.into(), &analysis.into(), &config.into())
            .map(|pairs| pairs.into_iter().map(Into::into).collect())
            .map_err(Into::into)
    }
}

bindings::export!(Generate with_types_in bindings);
