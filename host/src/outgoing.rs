//! Sending a component's outgoing request once a hook has allowed it: one
//! client for every hook (Spin's `allowed_outbound_hosts`, the LLM endpoint).
//! wasmtime-wasi-http's `default_send_request` does the work: plain or TLS
//! with the webpki roots (rustls, ring), honouring the guest's connect,
//! first-byte and between-bytes timeouts.

use wasmtime_wasi_http::{Error as HttpError, WasiBody};

/// The future a send hook returns.
pub(crate) type SendFuture = Box<
    dyn Future<
            Output = Result<
                (http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>),
                HttpError,
            >,
        > + Send,
>;

/// Sends an allowed request.
pub(crate) async fn send(
    request: http::Request<WasiBody>,
    options: Option<wasmtime_wasi_http::RequestOptions>,
) -> Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>), HttpError> {
    use http_body_util::BodyExt;
    let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
    Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn Future<Output = _> + Send>))
}
