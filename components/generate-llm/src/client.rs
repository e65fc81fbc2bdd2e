//! One chat-completions exchange with retries. The transport (wasi:http in
//! the component, a script in tests) only moves bytes; what to retry, how
//! long to wait and when to give up is decided here, so it is tested natively.
//!
//! Retried: 429 and 5xx (waiting what `Retry-After` asks, within a cap),
//! timeouts and dropped connections, and replies whose JSON is unusable
//! (models are sampled; the next answer may parse). Not retried: other 4xx
//! (a wrong key or model name does not fix itself) and a request the host
//! refused to send.

use std::time::Duration;

use crate::reply::{self, DraftPair, ReplyProblem};

/// An HTTP response, as far as the client needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one.
    pub retry_after: Option<u64>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why a request produced no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No response began within the timeout.
    Timeout,
    /// The host refused to send it (not the configured endpoint).
    Denied(String),
    /// Anything else on the way: connection refused or reset, DNS, a body cut short.
    Failed(String),
}

/// Moves one request and waits.
pub trait Transport {
    /// POSTs `body` (JSON) to `url`; a response must begin within `timeout`.
    fn post(&mut self, url: &str, body: &[u8], timeout: Duration) -> Result<HttpReply, TransportError>;
    /// Waits `duration` (backoff between attempts).
    fn sleep(&mut self, duration: Duration);
}

pub use brightrun_types::{LLM_BACKOFF_BASE as BACKOFF_BASE, LLM_BACKOFF_CAP as BACKOFF_CAP};

/// What happened over all attempts; the failure says why the last one failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Attempts made.
    pub attempts: u32,
    /// The examples, or why there are none.
    pub outcome: Result<Vec<DraftPair>, String>,
}

/// Sends `request` until a usable reply arrives or `max_retries` more
/// attempts have failed.
pub fn complete(
    transport: &mut dyn Transport,
    url: &str,
    request: &[u8],
    timeout: Duration,
    max_retries: u32,
) -> Exchange {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (problem, wait) = match transport.post(url, request, timeout) {
            Ok(reply) if (200..300).contains(&reply.status) => {
                match reply::message_content(&reply.body).and_then(|content| reply::draft_pairs(&content)) {
                    Ok(pairs) => return Exchange { attempts, outcome: Ok(pairs) },
                    Err(ReplyProblem(problem)) => (problem, None),
                }
            }
            Ok(reply) if reply.status == 429 || reply.status >= 500 => {
                let problem = format!("HTTP {}: {}", reply.status, reply::excerpt(&reply.body));
                (problem, reply.retry_after.map(Duration::from_secs))
            }
            Ok(reply) => {
                let hint = match reply.status {
                    401 | 403 => " (check the API key: BRIGHTRUN_LLM_API_KEY or --llm-api-key-env)",
                    404 => " (check the base URL and the model name)",
                    _ => "",
                };
                let problem = format!("HTTP {}{hint}: {}", reply.status, reply::excerpt(&reply.body));
                return Exchange { attempts, outcome: Err(problem) };
            }
            Err(TransportError::Denied(why)) => return Exchange { attempts, outcome: Err(why) },
            Err(TransportError::Timeout) => (format!("no response within {} ms", timeout.as_millis()), None),
            Err(TransportError::Failed(why)) => (why, None),
        };
        if attempts > max_retries {
            let tries = if attempts == 1 { "1 attempt".to_string() } else { format!("{attempts} attempts") };
            return Exchange { attempts, outcome: Err(format!("gave up after {tries}; last: {problem}")) };
        }
        let backoff = BACKOFF_BASE.saturating_mul(1 << (attempts - 1).min(16));
        transport.sleep(wait.unwrap_or(backoff).min(BACKOFF_CAP));
    }
}
