//! The wit-bindgen layer: WIT in, domain types through the logic, WIT out.
#![allow(missing_docs, unsafe_code)]

use brightrun_types::wit::types;

mod bindings {
    wit_bindgen::generate!({
        world: "diversify-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.7.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::diversify::Guest;

struct Diversify;

impl Guest for Diversify {
    fn diversify(
        pairs: Vec<types::Pair>,
        config: types::DiversifyConfig,
    ) -> Result<types::DiversifyResult, types::StageError> {
        let pairs = pairs.into_iter().map(Into::into).collect();
        crate::diversify(pairs, &config.into()).map(Into::into).map_err(Into::into)
    }
}

bindings::export!(Diversify with_types_in bindings);
