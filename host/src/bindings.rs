//! Host-side bindings generated from `wit/`. Private to the crate: the rest
//! of the host uses the re-exported record types and the [`crate::stages`]
//! API, never the generated world structs.
#![allow(missing_docs)]

/// The shared `types` interface, generated once and reused by every world.
pub(crate) mod shared {
    wasmtime::component::bindgen!({
        world: "shared-types",
        path: "../wit",
        // Stage results are cached as JSON (see crate::cache).
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}

macro_rules! stage_world {
    ($module:ident, $world:literal) => {
        pub(crate) mod $module {
            wasmtime::component::bindgen!({
                world: $world,
                path: "../wit",
                with: { "brightrun:pipeline/types": crate::bindings::shared::brightrun::pipeline::types },
            });
        }
    };
}

stage_world!(ingest, "ingest-component");
stage_world!(segment, "segment-component");
stage_world!(analyze, "analyze-component");
stage_world!(generate, "generate-component");
stage_world!(diversify, "diversify-component");
stage_world!(validate_export, "validate-export-component");

pub use shared::brightrun::pipeline::types;
