//! The wit-bindgen layer: WIT in, domain types through the logic, WIT out.
#![allow(missing_docs, unsafe_code)]

use std::cell::RefCell;

use brightrun_types::tokenizer::Tokenizer;
use brightrun_types::wit::types;

mod bindings {
    wit_bindgen::generate!({
        world: "validate-export-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.10.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::validate_export::Guest;
use bindings::exports::brightrun::pipeline::validate_stream;

struct ValidateExport;

impl Guest for ValidateExport {
    fn validate_export(
        pairs: Vec<types::Pair>,
        config: types::ExportConfig,
    ) -> Result<types::ExportResult, types::StageError> {
        let pairs = pairs.into_iter().map(Into::into).collect();
        crate::validate_export(pairs, &config.into(), &Tokenizer::cl100k()).map(Into::into).map_err(Into::into)
    }
}

impl validate_stream::Guest for ValidateExport {
    type Exporter = Exporter;

    fn validate(pairs: Vec<types::Pair>, config: types::ExportConfig) -> Result<types::Validated, types::StageError> {
        let pairs = pairs.into_iter().map(Into::into).collect();
        crate::validate(pairs, &config.into(), &Tokenizer::cl100k()).map(Into::into).map_err(Into::into)
    }
}

/// The exporter resource: WIT methods take `&self`, so the state sits in a `RefCell`.
struct Exporter(RefCell<crate::Exporter>);

impl validate_stream::GuestExporter for Exporter {
    fn open(config: types::ExportConfig) -> Result<validate_stream::Exporter, types::StageError> {
        let exporter = crate::Exporter::new(&config.into()).map_err(types::StageError::from)?;
        Ok(validate_stream::Exporter::new(Exporter(RefCell::new(exporter))))
    }

    fn add(&self, batch: types::Validated) -> types::ExportPart {
        self.0.borrow_mut().add(batch.into()).into()
    }

    fn finish(&self) -> types::ExportResult {
        self.0.borrow().finish().into()
    }
}

bindings::export!(ValidateExport with_types_in bindings);
