//! The wit-bindgen layer: WIT in, domain types through the logic, WIT out.
#![allow(missing_docs, unsafe_code)]

use std::cell::RefCell;

use brightrun_types::wit::types;

mod bindings {
    wit_bindgen::generate!({
        world: "diversify-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.10.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::diversify::Guest;
use bindings::exports::brightrun::pipeline::diversify_stream;

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

impl diversify_stream::Guest for Diversify {
    type Deduper = Deduper;
}

/// The deduper resource: WIT methods take `&self`, so the state sits in a `RefCell`.
struct Deduper(RefCell<crate::Deduper>);

impl diversify_stream::GuestDeduper for Deduper {
    fn open(config: types::DiversifyConfig) -> Result<diversify_stream::Deduper, types::StageError> {
        let deduper = crate::Deduper::new(&config.into()).map_err(types::StageError::from)?;
        Ok(diversify_stream::Deduper::new(Deduper(RefCell::new(deduper))))
    }

    fn add(&self, pairs: Vec<types::Pair>) -> Result<Vec<Option<types::DroppedPair>>, types::StageError> {
        let pairs: Vec<brightrun_types::Pair> = pairs.into_iter().map(Into::into).collect();
        let decisions = self.0.borrow_mut().add(&pairs).map_err(types::StageError::from)?;
        Ok(decisions.into_iter().map(|decision| decision.map(Into::into)).collect())
    }

    fn finish(&self) -> Vec<types::DroppedPair> {
        self.0.borrow().finish().into_iter().map(Into::into).collect()
    }
}

bindings::export!(Diversify with_types_in bindings);
