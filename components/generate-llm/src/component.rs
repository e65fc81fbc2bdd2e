//! The wit-bindgen layer, and the transport: `wasi:http/outgoing-handler`
//! for requests and `wasi:clocks/monotonic-clock` for backoff. The host
//! decides where requests may go and adds the API key.
#![allow(missing_docs, unsafe_code)]

use std::time::Duration;

use brightrun_types::wit::types;
use wasi::http::outgoing_handler::{self, ErrorCode};
use wasi::http::types::{Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme};
use wasi::io::streams::StreamError;

use crate::{HttpReply, Transport, TransportError};

mod bindings {
    wit_bindgen::generate!({
        world: "generate-component",
        path: "../../wit",
        with: { "brightrun:pipeline/types@0.10.0": brightrun_types::wit::types },
    });
}

use bindings::exports::brightrun::pipeline::generate::Guest;

/// Largest response body read: a chat completion is a few KiB.
const MAX_RESPONSE_BYTES: usize = 16 << 20;

struct Generate;

impl Guest for Generate {
    fn generate(
        chunk: types::Chunk,
        analysis: types::Analysis,
        config: types::GenerateConfig,
    ) -> Result<Vec<types::Pair>, types::StageError> {
        crate::generate(&chunk.into(), &analysis.into(), &config.into(), &mut WasiHttp)
            .map(|pairs| pairs.into_iter().map(Into::into).collect())
            .map_err(Into::into)
    }
}

bindings::export!(Generate with_types_in bindings);

struct WasiHttp;

impl Transport for WasiHttp {
    fn post(&mut self, url: &str, body: &[u8], timeout: Duration) -> Result<HttpReply, TransportError> {
        let failed = |what: &str| TransportError::Failed(format!("{url}: {what}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| failed("not an absolute URL"))?;
        let (authority, path) = rest.find('/').map_or((rest, "/"), |at| (&rest[..at], &rest[at..]));
        let scheme = match scheme {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => Scheme::Other(other.to_string()),
        };
        let headers = Fields::from_list(&[
            ("content-type".to_string(), b"application/json".to_vec()),
            ("accept".to_string(), b"application/json".to_vec()),
            // Sized, not chunked: llama.cpp's server, minimal servers and some
            // proxies cannot read a chunked request body.
            ("content-length".to_string(), body.len().to_string().into_bytes()),
        ])
        .map_err(|e| failed(&format!("headers: {e:?}")))?;
        let request = OutgoingRequest::new(headers);
        let set = |ok: Result<(), ()>, what: &str| ok.map_err(|()| failed(&format!("the host refused the {what}")));
        set(request.set_method(&Method::Post), "method")?;
        set(request.set_scheme(Some(&scheme)), "scheme")?;
        set(request.set_authority(Some(authority)), "authority")?;
        set(request.set_path_with_query(Some(path)), "path")?;
        let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        let options = RequestOptions::new();
        // A host may not support a timeout; the request then runs without it.
        let _ = options.set_connect_timeout(Some(nanos));
        let _ = options.set_first_byte_timeout(Some(nanos));
        let _ = options.set_between_bytes_timeout(Some(nanos));
        let outgoing = request.body().map_err(|()| failed("no request body"))?;
        let pending = outgoing_handler::handle(request, Some(options)).map_err(|e| transport_error(url, e))?;
        {
            let stream = outgoing.write().map_err(|()| failed("no request body stream"))?;
            for piece in body.chunks(4096) {
                stream.blocking_write_and_flush(piece).map_err(|e| failed(&format!("sending the body: {e:?}")))?;
            }
        }
        OutgoingBody::finish(outgoing, None).map_err(|e| transport_error(url, e))?;
        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(error))) => return Err(transport_error(url, error)),
            Some(Err(())) | None => return Err(failed("the response was already taken")),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(&"retry-after".to_string())
            .first()
            .and_then(|value| std::str::from_utf8(value).ok()?.trim().parse().ok());
        let incoming = response.consume().map_err(|()| failed("no response body"))?;
        let body = read_body(&incoming).map_err(|why| failed(&why))?;
        drop(response);
        let _trailers = IncomingBody::finish(incoming);
        Ok(HttpReply { status, retry_after, body })
    }

    fn sleep(&mut self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }
}

fn read_body(incoming: &IncomingBody) -> Result<Vec<u8>, String> {
    let stream = incoming.stream().map_err(|()| "no response body stream".to_string())?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(64 << 10) {
            Ok(bytes) => {
                body.extend_from_slice(&bytes);
                if body.len() > MAX_RESPONSE_BYTES {
                    return Err(format!("the response passed {} MiB", MAX_RESPONSE_BYTES >> 20));
                }
            }
            Err(StreamError::Closed) => return Ok(body),
            Err(StreamError::LastOperationFailed(error)) => {
                return Err(format!("reading the response: {}", error.to_debug_string()));
            }
        }
    }
}

fn transport_error(url: &str, error: ErrorCode) -> TransportError {
    match error {
        ErrorCode::HttpRequestDenied => TransportError::Denied(format!(
            "{url}: the host refused the request (only the configured LLM endpoint may be called)"
        )),
        ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            TransportError::Timeout
        }
        other => TransportError::Failed(format!("{url}: {other:?}")),
    }
}
