//! The wit-bindgen layer: WIT in, domain types through the logic, WIT out.
#![allow(missing_docs, unsafe_code)]

use brightrun_types::wit::types;

mod bindings {
    wit_bindgen::generate!({
        world: "ingest-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.10.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::ingest::Guest;

struct Ingest;

impl Guest for Ingest {
    fn ingest(
        name: String,
        media_type: Option<String>,
        bytes: Vec<u8>,
        config: types::IngestConfig,
    ) -> Result<types::Ingested, types::StageError> {
        let config = config.into();
        crate::ingest(&name, media_type.as_deref(), &bytes, &config).map(Into::into).map_err(Into::into)
    }
}

bindings::export!(Ingest with_types_in bindings);
