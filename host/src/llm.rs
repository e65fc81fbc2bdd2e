//! The host's side of the LLM generate component: the one endpoint it may
//! reach, the API key it never sees, and how many requests may be in flight.
//!
//! The component sends through `wasi:http/outgoing-handler`; these hooks
//! refuse anything but the configured scheme, host and port
//! (`HTTP-request-denied`, before connecting), add `Authorization: Bearer
//! <key>` when a key is configured, and hold a permit of a shared semaphore
//! for the request's lifetime, so `--llm-concurrency` bounds the load on the
//! endpoint whatever the number of workers.

use std::sync::Arc;

use anyhow::{Result, bail};
use wasmtime_wasi_http::{Error as HttpError, WasiBody, WasiHttpHooks};

use crate::outgoing::{SendFuture, send};

/// The endpoint the LLM generate component may call.
#[derive(Clone)]
pub struct LlmAccess {
    scheme: String,
    host: String,
    port: u16,
    api_key: Option<String>,
    permits: Arc<tokio::sync::Semaphore>,
    call_budget: std::time::Duration,
}

impl std::fmt::Debug for LlmAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmAccess")
            .field("endpoint", &format_args!("{}://{}:{}", self.scheme, self.host, self.port))
            .field("api_key", &self.api_key.as_ref().map(|_| "(set)"))
            .field("concurrency", &self.permits.available_permits())
            .finish()
    }
}

impl LlmAccess {
    /// Access to the host and port of `base_url` (`http://` or `https://`),
    /// with at most `concurrency` requests at once.
    pub fn new(base_url: &str, api_key: Option<String>, concurrency: usize) -> Result<Self> {
        let uri: http::Uri = base_url.parse().map_err(|e| anyhow::anyhow!("--llm-url {base_url:?}: {e}"))?;
        let scheme = uri.scheme_str().unwrap_or_default().to_string();
        if scheme != "http" && scheme != "https" {
            bail!("--llm-url {base_url:?}: give an http:// or https:// URL, like http://127.0.0.1:11434/v1");
        }
        let Some(host) = uri.host() else { bail!("--llm-url {base_url:?}: no host") };
        let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
        Ok(LlmAccess {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            api_key: api_key.filter(|key| !key.trim().is_empty()),
            permits: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
            call_budget: std::time::Duration::ZERO,
        })
    }

    /// This access with generate calls allowed to run `budget` (all attempts
    /// and waits; see `brightrun_types::LlmConfig::call_budget`) when that is
    /// longer than the stage timeout.
    pub fn with_call_budget(mut self, budget: std::time::Duration) -> Self {
        self.call_budget = budget;
        self
    }

    pub(crate) fn call_budget_ticks(&self) -> u64 {
        (self.call_budget.as_millis() / crate::engine::EPOCH_TICK.as_millis()) as u64
    }

    fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https");
        let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
        scheme == self.scheme
            && uri.host().is_some_and(|host| host.eq_ignore_ascii_case(&self.host))
            && port == self.port
    }
}

/// The outgoing-request hooks of a stage store: the LLM endpoint when this
/// is the LLM generate component's store, nothing otherwise.
#[derive(Default)]
pub(crate) struct LlmHooks {
    pub(crate) access: Option<LlmAccess>,
}

impl WasiHttpHooks for LlmHooks {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        _response_errors: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let Some(access) = self.access.clone().filter(|access| access.allows(request.uri())) else {
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        };
        if let Some(key) = &access.api_key {
            match http::HeaderValue::from_str(&format!("Bearer {key}")) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    request.headers_mut().insert(http::header::AUTHORIZATION, value);
                }
                Err(_) => {
                    return Box::new(async {
                        Err(HttpError::InternalError(Some("the LLM API key is not a valid header value".into())))
                    });
                }
            }
        }
        Box::new(async move {
            let permit = access.permits.acquire_owned().await.map_err(|_| HttpError::InternalError(None))?;
            let (response, io) = send(request, options).await?;
            // The permit lasts until the response body is read to its end.
            let io: Box<dyn Future<Output = Result<(), HttpError>> + Send> = Box::new(async move {
                let done = Box::into_pin(io).await;
                drop(permit);
                done
            });
            Ok((response, io))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_scheme_host_and_port_are_allowed() {
        let access = LlmAccess::new("http://127.0.0.1:8080/v1", None, 2).expect("valid");
        let allows = |uri: &str| access.allows(&uri.parse().expect("uri"));
        assert!(allows("http://127.0.0.1:8080/v1/chat/completions"));
        assert!(!allows("https://127.0.0.1:8080/v1/chat/completions"));
        assert!(!allows("http://127.0.0.1:8081/v1/chat/completions"));
        assert!(!allows("http://example.com:8080/v1/chat/completions"));
        let openai = LlmAccess::new("https://API.openai.com/v1", Some("sk-secret".into()), 1).expect("valid");
        assert!(openai.allows(&"https://api.openai.com/v1/chat/completions".parse().expect("uri")));
        let shown = format!("{openai:?}");
        assert!(shown.contains("(set)") && !shown.contains("sk-secret"), "{shown}");
        for bad in ["ftp://models", "not a url", "/v1"] {
            assert!(LlmAccess::new(bad, None, 1).is_err(), "{bad}");
        }
    }
}
