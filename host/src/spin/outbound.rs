//! `allowed_outbound_hosts`: the rules, and the outgoing-request hook that
//! enforces them. A request to a host no rule allows fails with
//! `HTTP-request-denied` before any connection is made, as under Spin.
//! Allowed requests, `http://` or `https://`, go out through
//! [`crate::outgoing::send`].

use wasmtime_wasi_http::{Error as HttpError, WasiBody, WasiHttpHooks};

/// One `scheme://host[:port]` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    scheme: String,
    host: HostPattern,
    ports: Ports,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`: any subdomain.
    Suffix(String),
    Exact(String),
    /// `self`: the app itself.
    SelfApp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ports {
    Any,
    Range(u16, u16),
}

impl HostRule {
    /// Parses a rule; the error says what a rule looks like.
    pub fn parse(rule: &str) -> Result<HostRule, String> {
        let shape = || format!("{rule:?} is not a `scheme://host[:port]` rule (like \"https://api.example.com\")");
        if rule.contains("{{") {
            return Err(format!("{rule:?}: templated hosts are not supported by brightrun spin-up"));
        }
        let (scheme, rest) = rule.split_once("://").ok_or_else(shape)?;
        let scheme_ok = scheme == "*" || (!scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_lowercase()));
        if !scheme_ok || rest.is_empty() || rest.contains('/') && !rest.ends_with('/') {
            return Err(shape());
        }
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => (host, Some(port)),
            _ => (rest, None),
        };
        let host = match host {
            "*" => HostPattern::Any,
            "self" | "self.alt" => HostPattern::SelfApp,
            _ if host.starts_with("*.") && host.len() > 2 => HostPattern::Suffix(host[1..].to_ascii_lowercase()),
            _ if !host.is_empty()
                && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':')) =>
            {
                HostPattern::Exact(host.to_ascii_lowercase())
            }
            _ => return Err(shape()),
        };
        let ports = match port {
            None => match scheme {
                "http" => Ports::Range(80, 80),
                "https" => Ports::Range(443, 443),
                _ => return Err(format!("{rule:?}: give a port for scheme {scheme:?}")),
            },
            Some("*") => Ports::Any,
            Some(port) => {
                let (low, high) = port.split_once('-').unwrap_or((port, port));
                match (low.parse::<u16>(), high.parse::<u16>()) {
                    (Ok(low), Ok(high)) if low <= high => Ports::Range(low, high),
                    _ => return Err(format!("{rule:?}: {port:?} is not a port, a range like 8000-8010, or *")),
                }
            }
        };
        Ok(HostRule { scheme: scheme.to_string(), host, ports })
    }

    /// Whether the rule allows `scheme://host:port`.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme == "*" || self.scheme == scheme;
        let host = host.to_ascii_lowercase();
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Suffix(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Exact(exact) => *exact == host,
            HostPattern::SelfApp => false,
        };
        let port_ok = match self.ports {
            Ports::Any => true,
            Ports::Range(low, high) => (low..=high).contains(&port),
        };
        scheme_ok && host_ok && port_ok
    }
}

/// The outgoing-request hook for one component instance.
pub struct OutboundHooks {
    /// The component's rules.
    pub rules: std::sync::Arc<Vec<HostRule>>,
    /// The component, for error messages.
    pub component: String,
}

impl OutboundHooks {
    fn allowed(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https");
        let Some(host) = uri.host() else { return false };
        let port = uri.port_u16().unwrap_or(if scheme == "http" { 80 } else { 443 });
        self.rules.iter().any(|rule| rule.allows(scheme, host, port))
    }
}

use crate::outgoing::SendFuture;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        _response_errors: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        if !self.allowed(request.uri()) {
            eprintln!(
                "brightrun spin-up: component {:?} was refused {} (not in its allowed_outbound_hosts)",
                self.component,
                request.uri()
            );
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        Box::new(crate::outgoing::send(request, options))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> HostRule {
        HostRule::parse(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn rules_match_scheme_host_and_port() {
        assert!(rule("https://api.example.com").allows("https", "api.example.com", 443));
        assert!(!rule("https://api.example.com").allows("http", "api.example.com", 80));
        assert!(!rule("https://api.example.com").allows("https", "api.example.com", 8443));
        assert!(rule("http://127.0.0.1:*").allows("http", "127.0.0.1", 40123));
        assert!(rule("http://localhost:8000-8010").allows("http", "localhost", 8005));
        assert!(!rule("http://localhost:8000-8010").allows("http", "localhost", 8011));
        assert!(rule("https://*.example.com").allows("https", "a.example.com", 443));
        assert!(!rule("https://*.example.com").allows("https", "example.org", 443));
        assert!(rule("*://*:*").allows("http", "anything", 1));
        assert!(!rule("http://self").allows("http", "self", 80));
    }

    #[test]
    fn malformed_rules_are_refused() {
        for bad in ["example.com", "https://", "http://host:port", "http://a b", "redis://cache", "http://{{ host }}"] {
            assert!(HostRule::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
