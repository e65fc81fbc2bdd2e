//! `brightrun spin-up`: serves a Spin app (`spin.toml`) the way `spin up`
//! does, for machines without the Spin CLI.
//!
//! It reads the manifest with Spin's field rules, links each HTTP component
//! with WASI, `wasi:http` (outgoing requests checked against the
//! component's `allowed_outbound_hosts`), Spin's key-value and variables
//! interfaces (only the store labels the component lists) and its component
//! dependencies, then serves every route on one listener, a fresh instance
//! per request as Spin does. Only interfaces Spin itself provides are
//! offered, so an app that runs here runs unchanged under `spin up`.

pub mod dependencies;
pub mod key_value;
pub mod manifest;
pub mod outbound;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use hyper::body::Incoming;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use self::dependencies::{CallLimits, Dependency};
use self::key_value::{RuntimeConfig, SpinCapabilities, SpinInterfaces, SpinView, Stores};
use self::manifest::{HttpRoute, Manifest};
use self::outbound::{HostRule, OutboundHooks};
use crate::engine::{EPOCH_TICK, EpochTicker};

/// What `brightrun spin-up` was asked to do.
#[derive(Debug, Clone)]
pub struct SpinUpOptions {
    /// The manifest.
    pub manifest: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Spin's runtime-config file (key-value stores).
    pub runtime_config: Option<PathBuf>,
    /// Where the default SQLite store lives; `<manifest dir>/.spin` by default.
    pub state_dir: Option<PathBuf>,
    /// Run the manifest's build commands first (`spin up --build`).
    pub build: bool,
    /// Most linear memory of one instance.
    pub memory_bytes: usize,
    /// Longest a request may run.
    pub request_timeout: Duration,
    /// Where compiled components are cached.
    pub cache_dir: Option<PathBuf>,
}

/// One HTTP component, ready to instantiate per request.
struct HttpComponent {
    id: String,
    pre: ProxyPre<RequestState>,
    rules: Arc<Vec<HostRule>>,
    capabilities: Arc<SpinCapabilities>,
    environment: Vec<(String, String)>,
}

/// Everything the server shares between requests.
struct App {
    routes: Vec<(HttpRoute, Arc<HttpComponent>)>,
    memory_bytes: usize,
    deadline_ticks: u64,
    _ticker: EpochTicker,
}

/// The store of one request.
struct RequestState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    capabilities: Arc<SpinCapabilities>,
    limits: StoreLimits,
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// Runs the manifest's build commands, each in its folder, like `spin build`.
pub fn build(manifest_path: &Path) -> Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    let dir = manifest_dir(manifest_path);
    for (component, workdir, command) in manifest.build_commands(&dir) {
        eprintln!("Building component {component} with `{command}`");
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(&workdir)
            .status()
            .with_context(|| format!("running the build command of {component}"))?;
        if !status.success() {
            bail!("the build command of component {component} failed ({status}): {command}");
        }
    }
    Ok(())
}

fn manifest_dir(path: &Path) -> PathBuf {
    path.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Loads the app and serves it until the process is stopped. Prints
/// `Serving http://<addr>` once listening (as `spin up` does).
pub fn spin_up(options: &SpinUpOptions) -> Result<()> {
    if options.build {
        build(&options.manifest)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(options))
}

async fn serve(options: &SpinUpOptions) -> Result<()> {
    let manifest = Manifest::load(&options.manifest)?;
    let dir = manifest_dir(&options.manifest);
    let app = Arc::new(load(&manifest, &dir, options)?);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("listening on {}", options.listen))?;
    let address = listener.local_addr()?;
    println!("Serving http://{address}");
    println!("Available Routes:");
    for (route, _) in &app.routes {
        let wildcard = if route.pattern.ends_with("/...") { " (wildcard)" } else { "" };
        println!("  {}: http://{address}{}{wildcard}", route.component, route.pattern.trim_end_matches("/..."));
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    loop {
        let (stream, client) = listener.accept().await?;
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let app = Arc::clone(&app);
                async move { Ok::<_, std::convert::Infallible>(handle(&app, request, client, address).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                eprintln!("brightrun spin-up: connection from {client}: {error}");
            }
        });
    }
}

fn load(manifest: &Manifest, dir: &Path, options: &SpinUpOptions) -> Result<App> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).map_err(anyhow::Error::from).context("creating the wasmtime engine")?;
    let runtime_config = match &options.runtime_config {
        Some(path) => RuntimeConfig::load(path)?,
        None => RuntimeConfig::default(),
    };
    let state_dir = options.state_dir.clone().unwrap_or_else(|| dir.join(".spin"));
    let config_base = options.runtime_config.as_deref().map_or_else(|| dir.to_path_buf(), manifest_dir);
    let variables = resolve_variables(manifest)?;
    let deadline_ticks = (options.request_timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
    let limits = CallLimits { memory_bytes: options.memory_bytes, deadline_ticks };

    let labels: Vec<String> = manifest.component.values().flat_map(|c| c.key_value_stores.iter().cloned()).collect();
    let stores = Stores::open(&labels, &runtime_config, &state_dir, &config_base)?;
    for line in stores.describe() {
        eprintln!("Key-value store {line}");
    }

    let mut components: BTreeMap<String, Arc<HttpComponent>> = BTreeMap::new();
    let mut routes = Vec::new();
    for route in manifest.http_routes() {
        if !components.contains_key(&route.component) {
            let component =
                load_component(&engine, manifest, dir, &route.component, &stores, &variables, limits, options)?;
            components.insert(route.component.clone(), Arc::new(component));
        }
        let component = Arc::clone(&components[&route.component]);
        routes.push((route, component));
    }
    // Exact routes before wildcards; longer wildcards before shorter ones.
    routes.sort_by_key(|(route, _)| {
        let wildcard = route.pattern.ends_with("/...");
        (wildcard, std::cmp::Reverse(route.pattern.len()))
    });
    Ok(App { routes, memory_bytes: options.memory_bytes, deadline_ticks, _ticker: EpochTicker::start(&engine) })
}

/// Application variables: `SPIN_VARIABLE_<NAME>` from the environment (Spin's
/// environment provider), else the default; a required one without a value
/// stops the app from starting.
fn resolve_variables(manifest: &Manifest) -> Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for (name, variable) in &manifest.variables {
        let from_env = std::env::var(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())).ok();
        match from_env.or_else(|| variable.default.clone()) {
            Some(value) => {
                values.insert(name.clone(), value);
            }
            None => {
                bail!("the application variable {name:?} is required: set SPIN_VARIABLE_{}", name.to_ascii_uppercase())
            }
        }
    }
    Ok(values)
}

#[allow(clippy::too_many_arguments)]
fn load_component(
    engine: &Engine,
    manifest: &Manifest,
    dir: &Path,
    id: &str,
    stores: &Stores,
    variables: &BTreeMap<String, String>,
    limits: CallLimits,
    options: &SpinUpOptions,
) -> Result<HttpComponent> {
    let spec = &manifest.component[id];
    let manifest::Source::Path(source) = &spec.source else { bail!("component {id}: only local sources are served") };
    let component = compile(engine, &dir.join(source), options)?;

    let mut linker: Linker<RequestState> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    key_value::bindings::SpinHost::add_to_linker::<RequestState, SpinInterfaces>(&mut linker, |state| SpinView {
        capabilities: &state.capabilities,
        table: &mut state.table,
    })?;
    for (import, dependency) in &spec.dependencies {
        let manifest::Dependency::Table(table) = dependency else { continue };
        let Some(path) = &table.path else { continue };
        let dependency_component = compile(engine, &dir.join(path), options)?;
        let dependency = Dependency::new(engine, import, table.export.as_deref(), &dependency_component)
            .with_context(|| format!("component {id}: dependency {import}"))?;
        Arc::new(dependency).link(&mut linker, limits)?;
    }
    let pre = linker.instantiate_pre(&component).map_err(anyhow::Error::from).with_context(|| {
        format!("component {id} imports something Spin does not provide or its manifest does not grant")
    })?;
    let pre = ProxyPre::new(pre)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("component {id} does not export wasi:http/incoming-handler"))?;

    let mut granted = BTreeMap::new();
    for label in &spec.key_value_stores {
        if let Some(backend) = stores.get(label) {
            granted.insert(label.clone(), backend);
        }
    }
    let mut component_variables = BTreeMap::new();
    for (name, template) in &spec.variables {
        let value = manifest::expand_template(template, |reference| variables.get(reference).cloned())
            .map_err(|e| anyhow::anyhow!("component {id}: variable {name}: {e}"))?;
        component_variables.insert(name.clone(), value);
    }
    let rules = spec.allowed_outbound_hosts.iter().map(|rule| HostRule::parse(rule)).collect::<Result<Vec<_>, _>>();
    let rules = rules.map_err(|e| anyhow::anyhow!("component {id}: {e}"))?;
    Ok(HttpComponent {
        id: id.to_string(),
        pre,
        rules: Arc::new(rules),
        capabilities: Arc::new(SpinCapabilities { stores: granted, variables: Arc::new(component_variables) }),
        environment: spec.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    })
}

fn compile(engine: &Engine, path: &Path, options: &SpinUpOptions) -> Result<Component> {
    let bytes = std::fs::read(path).with_context(|| {
        format!("reading {} (build the app first: `brightrun spin-up --build`, or `spin build`)", path.display())
    })?;
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("component");
    let (component, _) = crate::engine::load_component(engine, name, &bytes, options.cache_dir.as_deref())?;
    Ok(component)
}

/// The route `path` matches, and the path below the route (`spin-path-info`).
fn route<'a>(app: &'a App, path: &str) -> Option<(&'a HttpRoute, &'a Arc<HttpComponent>, String)> {
    app.routes.iter().find_map(|(route, component)| {
        let matched = if let Some(prefix) = route.pattern.strip_suffix("/...") {
            (path == prefix || path.starts_with(&format!("{prefix}/")) || prefix.is_empty())
                .then(|| path[prefix.len()..].to_string())
        } else {
            let pattern: Vec<&str> = route.pattern.split('/').collect();
            let actual: Vec<&str> = path.split('/').collect();
            let same =
                pattern.len() == actual.len() && pattern.iter().zip(&actual).all(|(p, a)| p.starts_with(':') || p == a);
            same.then(String::new)
        };
        matched.map(|info| (route, component, info))
    })
}

type HttpResponse = hyper::Response<HyperOutgoingBody>;

fn plain_response(status: u16, message: &str) -> HttpResponse {
    use http_body_util::BodyExt;
    let body = http_body_util::Full::new(bytes::Bytes::from(format!("{message}\n")))
        .map_err(|never: std::convert::Infallible| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
}

async fn handle(
    app: &App,
    mut request: hyper::Request<Incoming>,
    client: SocketAddr,
    address: SocketAddr,
) -> HttpResponse {
    let path = request.uri().path().to_string();
    let Some((route, component, path_info)) = route(app, &path) else {
        return plain_response(404, "Not Found");
    };
    let full_url = format!("http://{address}{}", request.uri().path_and_query().map_or("/", |p| p.as_str()));
    let matched = route.pattern.clone();
    let headers = request.headers_mut();
    for (name, value) in [
        ("spin-full-url", full_url),
        ("spin-path-info", path_info),
        ("spin-matched-route", matched.clone()),
        ("spin-raw-component-route", matched.clone()),
        ("spin-component-route", matched.trim_end_matches("/...").to_string()),
        ("spin-base-path", "/".to_string()),
        ("spin-client-addr", client.to_string()),
    ] {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if request.uri().authority().is_none()
        && !request.headers().contains_key(hyper::header::HOST)
        && let Ok(value) = hyper::header::HeaderValue::from_str(&address.to_string())
    {
        request.headers_mut().insert(hyper::header::HOST, value);
    }
    match call(app, component, request).await {
        Ok(response) => response,
        Err(error) => {
            eprintln!("brightrun spin-up: component {} failed on {path}: {error:#}", component.id);
            plain_response(500, "Internal Server Error")
        }
    }
}

async fn call(app: &App, component: &Arc<HttpComponent>, request: hyper::Request<Incoming>) -> Result<HttpResponse> {
    let mut wasi = WasiCtx::builder();
    wasi.inherit_stdout().inherit_stderr();
    for (key, value) in &component.environment {
        wasi.env(key, value);
    }
    let state = RequestState {
        wasi: wasi.build(),
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
        hooks: OutboundHooks { rules: Arc::clone(&component.rules), component: component.id.clone() },
        capabilities: Arc::clone(&component.capabilities),
        limits: StoreLimitsBuilder::new().memory_size(app.memory_bytes).build(),
    };
    let mut store = Store::new(component.pre.engine(), state);
    store.limiter(|state| &mut state.limits);
    store.set_epoch_deadline(app.deadline_ticks);
    store.epoch_deadline_trap();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(wasmtime_wasi_http::p2::bindings::http::types::Scheme::Http, request)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    let pre = component.pre.clone();
    // The handler runs in its own task: it may keep streaming the body after
    // the response head is sent.
    let task = tokio::task::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, out).await
    });
    match receiver.await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(code)) => bail!("the component answered with an error: {code:?}"),
        Err(_) => match task.await {
            Ok(Ok(())) => bail!("the component never set a response"),
            Ok(Err(error)) => Err(anyhow::Error::from(error)),
            Err(error) => Err(error.into()),
        },
    }
}
