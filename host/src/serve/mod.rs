//! `brightrun serve`: background jobs over HTTP on the same runtime (engine,
//! components, stage cache, worker pool) as `brightrun run`.
//!
//! Jobs are kept in `jobs.sqlite3` in the data folder with their inputs and
//! outputs under `jobs/<id>/`; see [`jobs`] for their life and [`api`] for
//! the routes.

pub mod api;
pub mod jobs;
pub mod telemetry;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::pipeline::{RunOptions, Runtime};
use api::{AppState, UploadLimits};
use jobs::JobManager;
use telemetry::ServerMetrics;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (port 0 picks a free port).
    pub addr: SocketAddr,
    /// Where jobs, their files and `jobs.sqlite3` live.
    pub data_dir: PathBuf,
    /// Folders jobs may name instead of uploading (canonicalised at start).
    pub allowed_roots: Vec<PathBuf>,
    /// Jobs run at once.
    pub concurrent_jobs: usize,
    /// Jobs that may wait; one more gets 429.
    pub queue_capacity: usize,
    /// Upload limits.
    pub limits: UploadLimits,
}

/// Starts the runtime and the job workers, then serves until Ctrl-C or
/// SIGTERM. Prints `listening on http://ADDR` on stdout once it accepts
/// connections (tests and scripts read the port from it).
pub fn serve(options: ServeOptions, mut base: RunOptions) -> Result<()> {
    base.memory_cache_bytes = crate::cache::SERVER_MEMORY_BUDGET;
    let metrics = Arc::new(ServerMetrics::default());
    let observer_metrics = Arc::clone(&metrics);
    let observer: crate::metrics::MetricsObserver = Arc::new(move |call| observer_metrics.observe(call));
    let runtime = Arc::new(Runtime::new(&base, Some(observer)).map_err(|error| anyhow::anyhow!("{error:#}"))?);
    let report_metrics = Arc::clone(&metrics);
    let manager = JobManager::start(
        &options.data_dir,
        base,
        runtime,
        options.concurrent_jobs,
        options.queue_capacity,
        Box::new(move |report| report_metrics.record_cache(report)),
    )?;
    let mut allowed_roots = Vec::new();
    for root in &options.allowed_roots {
        let canonical =
            std::fs::canonicalize(root).with_context(|| format!("--allow-root {}: cannot resolve", root.display()))?;
        allowed_roots.push(canonical);
    }
    let state = AppState { manager, metrics, limits: options.limits, allowed_roots };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("brightrun-http")
        .enable_all()
        .build()
        .context("starting the HTTP runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .with_context(|| format!("listening on {}", options.addr))?;
        let addr = listener.local_addr()?;
        println!("listening on http://{addr}");
        use std::io::Write;
        std::io::stdout().flush()?;
        let server = axum::serve(listener, api::router(state));
        // Open event streams never end on their own, so a graceful shutdown
        // would wait forever: on a signal the server stops at once, and jobs in
        // flight are marked interrupted at the next start.
        tokio::select! {
            served = server => served.context("serving HTTP"),
            () = shutdown_signal() => Ok(()),
        }
    })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
