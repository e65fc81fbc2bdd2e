//! A Spin HTTP component for tests of `brightrun spin-up`'s capability
//! checks. Each route reaches for one thing and answers `200 ok <detail>`
//! or `403 refused <error>`:
//!
//! - `GET /kv?label=L`: opens key-value store `L`, writes and reads a key.
//! - `GET /fetch?url=U`: a GET to `U` over outbound HTTP.
//! - `GET /var?name=N`: reads variable `N`.

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // the SDK's export macro
mod probe {
    use spin_sdk::http::{IntoResponse, Request, Response};
    use spin_sdk::http_component;

    fn answer(result: Result<String, String>) -> Response {
        match result {
            Ok(detail) => Response::new(200, format!("ok {detail}")),
            Err(error) => Response::new(403, format!("refused {error}")),
        }
    }

    fn param(request: &Request, name: &str) -> String {
        request
            .query()
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.replace("%3A", ":").replace("%2F", "/"))
            .unwrap_or_default()
    }

    #[http_component]
    async fn handle(request: Request) -> anyhow::Result<impl IntoResponse> {
        let path = request.path().to_string();
        let result = match path.as_str() {
            "/kv" => {
                let label = param(&request, "label");
                match spin_sdk::key_value::Store::open(&label) {
                    Ok(store) => store
                        .set("probe", b"written")
                        .and_then(|()| store.get("probe"))
                        .map(|value| String::from_utf8_lossy(&value.unwrap_or_default()).into_owned())
                        .map_err(|e| format!("{e:?}")),
                    Err(error) => Err(format!("{error:?}")),
                }
            }
            "/fetch" => {
                let url = param(&request, "url");
                let outbound = Request::get(url);
                match spin_sdk::http::send::<_, Response>(outbound).await {
                    Ok(response) => Ok(format!("{} {}", response.status(), String::from_utf8_lossy(response.body()))),
                    Err(error) => Err(format!("{error:?}")),
                }
            }
            "/var" => spin_sdk::variables::get(&param(&request, "name")).map_err(|e| format!("{e:?}")),
            _ => return Ok(Response::new(404, "no such probe")),
        };
        Ok(answer(result))
    }
}
