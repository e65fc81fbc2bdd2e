//! The wit-bindgen layer: WIT in, domain types through the logic, WIT out.
#![allow(missing_docs, unsafe_code)]

use brightrun_types::tokenizer::Tokenizer;
use brightrun_types::wit::types;

mod bindings {
    wit_bindgen::generate!({
        world: "validate-export-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.7.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::validate_export::Guest;

struct ValidateExport;

impl Guest for ValidateExport {
    fn validate_export(
        pairs: Vec<types::Pair>,
        config: types::ExportConfig,
    ) -> Result<types::ExportResult, types::StageError> {
        let tokenizer = Tokenizer::cl100k().expect("the cl100k vocabulary is compiled into the component and parses");
        let pairs = pairs.into_iter().map(Into::into).collect();
        crate::validate_export(pairs, &config.into(), &tokenizer).map(Into::into).map_err(Into::into)
    }
}

bindings::export!(ValidateExport with_types_in bindings);
