//! The WIT package is the contract: its version is pinned to its content,
//! and every embedded component exports its interface at that version.

use brightrun_host::WIT_PACKAGE;
use brightrun_host::components::Stage;

use crate::support::workspace;

#[test]
fn a_change_to_the_wit_package_comes_with_a_version_bump() {
    let wit = std::fs::read_to_string(workspace().join("wit/pipeline.wit")).expect("wit/pipeline.wit");
    let declared = wit
        .lines()
        .find_map(|line| line.strip_prefix("package ").and_then(|rest| rest.strip_suffix(';')))
        .expect("a package line");
    assert_eq!(declared, WIT_PACKAGE, "host/src/lib.rs WIT_PACKAGE must match wit/pipeline.wit");
    let lock = std::fs::read_to_string(workspace().join("wit/pipeline.lock")).expect("wit/pipeline.lock");
    let digest = blake3::hash(wit.as_bytes()).to_hex().to_string();
    let expected = format!("{declared} {digest}");
    assert_eq!(
        lock.trim(),
        expected,
        "wit/pipeline.wit changed: bump the package version if a record or function changed \
         (host and components must be rebuilt together), then write \"{expected}\" to wit/pipeline.lock"
    );
}

#[test]
fn every_embedded_component_exports_its_interface_at_the_package_version() {
    let engine = wasmtime::Engine::default();
    let version = WIT_PACKAGE.rsplit_once('@').map(|(_, v)| v).expect("versioned package");
    for stage in Stage::ALL {
        let component = wasmtime::component::Component::new(&engine, stage.embedded()).expect("compiles");
        let exports: Vec<String> =
            component.component_type().exports(&engine).map(|(name, _)| name.to_string()).collect();
        let mut expected = vec![format!("brightrun:pipeline/{}@{version}", stage.as_str())];
        // The global stages also serve their work over a stream of batches.
        let stream = match stage {
            Stage::Diversify => Some("diversify-stream"),
            Stage::ValidateExport => Some("validate-stream"),
            _ => None,
        };
        expected.extend(stream.map(|name| format!("brightrun:pipeline/{name}@{version}")));
        assert_eq!(exports, expected, "{stage}");
        let imports: Vec<String> =
            component.component_type().imports(&engine).map(|(name, _)| name.to_string()).collect();
        for import in &imports {
            assert!(
                !import.starts_with("wasi:sockets") && !import.starts_with("wasi:http"),
                "{stage} imports {import}: stage components get no network"
            );
        }
    }
}
