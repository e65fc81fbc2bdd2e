//! Component dependencies (`[component.<id>.dependencies]`): the interfaces
//! a component imports, served by the components that export them.
//!
//! Spin composes such components into one before running them. Here each
//! imported function is defined in the importer's linker as a host function
//! that forwards its arguments, as component values, to a fresh instance of
//! the dependency in a store of its own. The importer sees the same thing
//! (its import is the dependency's export, and a trap in the dependency traps
//! the call); the dependency, as under Spin without
//! `dependencies_inherit_configuration`, gets no capability: no key-value
//! store, no network, no files, no environment.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The store of one dependency call: WASI with nothing granted.
pub struct DependencyState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for DependencyState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// A dependency ready to instantiate, and the functions of the interface it serves.
pub struct Dependency {
    /// The import it satisfies, e.g. `brightrun:pipeline/ingest@0.10.0`.
    pub import: String,
    pre: InstancePre<DependencyState>,
    functions: Vec<(String, ComponentExportIndex)>,
}

/// Limits of one dependency call.
#[derive(Debug, Clone, Copy)]
pub struct CallLimits {
    /// Most linear memory, in bytes.
    pub memory_bytes: usize,
    /// Epoch ticks before the call is interrupted.
    pub deadline_ticks: u64,
}

impl Dependency {
    /// Prepares `component` to serve `import` (exported under `export`, by
    /// default the same name).
    pub fn new(engine: &Engine, import: &str, export: Option<&str>, component: &Component) -> Result<Dependency> {
        let export = export.unwrap_or(import);
        let mut linker: Linker<DependencyState> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        let pre = linker
            .instantiate_pre(component)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("the dependency for {import} imports something no dependency is given"))?;
        let instance_ty =
            component.component_type().exports(engine).find(|(name, _)| *name == export).map(|(_, item)| item.ty);
        let Some(ComponentItem::ComponentInstance(instance_ty)) = instance_ty else {
            bail!("the dependency for {import} does not export the interface {export:?}");
        };
        let interface = component
            .get_export_index(None, export)
            .with_context(|| format!("the dependency for {import} does not export {export:?}"))?;
        let mut functions = Vec::new();
        for (name, item) in instance_ty.exports(engine) {
            if let ComponentItem::ComponentFunc(_) = item.ty {
                let index = component
                    .get_export_index(Some(&interface), name)
                    .with_context(|| format!("{export} has no function {name}"))?;
                functions.push((name.to_string(), index));
            }
        }
        Ok(Dependency { import: import.to_string(), pre, functions })
    }

    /// Defines the interface in `linker`: each function calls a fresh instance.
    pub fn link<T: 'static>(self: &Arc<Self>, linker: &mut Linker<T>, limits: CallLimits) -> Result<()> {
        let mut instance = linker.instance(&self.import)?;
        for (name, index) in &self.functions {
            let dependency = Arc::clone(self);
            let index = *index;
            let label = format!("{}#{name}", self.import);
            instance.func_new_async(name, move |_caller, _ty, params, results| {
                let dependency = Arc::clone(&dependency);
                let label = label.clone();
                Box::new(async move {
                    let engine = dependency.pre.engine().clone();
                    let limits_builder = StoreLimitsBuilder::new().memory_size(limits.memory_bytes).build();
                    let state = DependencyState {
                        wasi: WasiCtx::builder().inherit_stderr().build(),
                        table: ResourceTable::new(),
                        limits: limits_builder,
                    };
                    let mut store = Store::new(&engine, state);
                    store.limiter(|state| &mut state.limits);
                    store.set_epoch_deadline(limits.deadline_ticks);
                    store.set_hostcall_fuel(limits.memory_bytes);
                    store.epoch_deadline_trap();
                    let instance = dependency.pre.instantiate_async(&mut store).await?;
                    let Some(func) = instance.get_func(&mut store, index) else {
                        return Err(wasmtime::Error::msg(format!("{label} is not a function of its dependency")));
                    };
                    // A trap in the dependency traps the importer's call, as
                    // it does in the composition Spin makes.
                    func.call_async(&mut store, params, results)
                        .await
                        .map_err(|e| e.context(format!("calling {label}")))?;
                    Ok(())
                })
            })?;
        }
        Ok(())
    }
}
