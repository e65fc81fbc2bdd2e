//! The wit-bindgen layer: WIT in, domain types through the logic, WIT out.
#![allow(missing_docs, unsafe_code)]

use brightrun_types::wit::types;

mod bindings {
    wit_bindgen::generate!({
        world: "analyze-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.10.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::analyze::Guest;

struct Hostile;

impl Guest for Hostile {
    fn analyze(chunk: types::Chunk) -> Result<types::Analysis, types::StageError> {
        crate::analyze(&chunk.into()).map(Into::into).map_err(Into::into)
    }
}

bindings::export!(Hostile with_types_in bindings);
