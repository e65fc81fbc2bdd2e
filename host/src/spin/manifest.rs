//! `spin.toml` (manifest version 2), read with the field rules Spin documents
//! (<https://spinframework.dev/manifest-reference>): unknown fields are
//! errors, ids are kebab-case, variable names lower snake case, routes
//! start with `/` and may end in `/...`, outbound hosts are
//! `scheme://host[:port]`. What `brightrun spin-up` does not implement
//! (files, SQLite databases, AI models, registry dependencies) is refused by
//! name rather than ignored, so an app that needs it fails at start.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A manifest that cannot be served, naming the file and the field.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ManifestError {
    /// The manifest.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A parsed and checked `spin.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Must be 2.
    pub spin_manifest_version: u32,
    /// Name, version, description.
    pub application: Application,
    /// Application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    /// Triggers by type; only `http` is served.
    #[serde(default)]
    pub trigger: BTreeMap<String, Vec<Trigger>>,
    /// Components by id.
    #[serde(default)]
    pub component: BTreeMap<String, Component>,
}

/// `[application]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The app's name.
    pub name: String,
    /// Its version.
    #[serde(default)]
    pub version: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Who wrote it.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Settings per trigger type, such as `[application.trigger.http] base = "/"`.
    #[serde(default)]
    pub trigger: BTreeMap<String, toml::Table>,
}

/// An application variable: a default, or required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Used when no provider sets it.
    #[serde(default)]
    pub default: Option<String>,
    /// Whether a provider must set it.
    #[serde(default)]
    pub required: bool,
    /// Whether it is a secret (never logged).
    #[serde(default)]
    pub secret: bool,
}

/// A route: a path pattern, or `{ private = true }` (reachable only from the app).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Route {
    /// `/path`, `/path/...`, `/items/:id`.
    Path(String),
    /// Not reachable over the network.
    Private {
        /// Must be true.
        private: bool,
    },
}

/// A trigger entry (`[[trigger.http]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Optional id.
    #[serde(default)]
    pub id: Option<String>,
    /// The component it runs, by id.
    pub component: String,
    /// For HTTP: the route.
    #[serde(default)]
    pub route: Option<Route>,
    /// For HTTP: `{ type = "spin" }` (the default) or `wagi` (not served here).
    #[serde(default)]
    pub executor: Option<toml::Table>,
}

/// `[component.<id>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// The Wasm file, relative to the manifest.
    pub source: Source,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Component variables: templates over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Environment variables the component sees.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Files mounted into the component (not served by brightrun spin-up).
    #[serde(default)]
    pub files: Vec<toml::Value>,
    /// Patterns left out of `files`.
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Hosts it may reach: `scheme://host[:port]`.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Key-value store labels it may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// SQLite databases (not served by brightrun spin-up).
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// AI models (not served by brightrun spin-up).
    #[serde(default)]
    pub ai_models: Vec<String>,
    /// How `spin build` builds it.
    #[serde(default)]
    pub build: Option<Build>,
    /// Tool-specific settings, ignored.
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
    /// Whether dependencies get this component's capabilities (refused here: they get none).
    #[serde(default)]
    pub dependencies_inherit_configuration: bool,
    /// Components that export interfaces this one imports.
    #[serde(default)]
    pub dependencies: BTreeMap<String, Dependency>,
}

/// A component's Wasm: a local path (a URL with a digest is not fetched here).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Source {
    /// A file relative to the manifest.
    Path(String),
    /// A remote file.
    Remote {
        /// Where.
        url: String,
        /// Its `sha256:` digest.
        digest: String,
    },
}

/// `[component.<id>.build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// A command or several, run by a shell.
    pub command: Commands,
    /// Where to run it, relative to the manifest.
    #[serde(default)]
    pub workdir: Option<String>,
    /// Files `spin watch` watches.
    #[serde(default)]
    pub watch: Vec<String>,
}

/// One command or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Commands {
    /// One.
    One(String),
    /// Several, run in order.
    Many(Vec<String>),
}

impl Commands {
    /// The commands in order.
    pub fn list(&self) -> Vec<&str> {
        match self {
            Commands::One(command) => vec![command.as_str()],
            Commands::Many(commands) => commands.iter().map(String::as_str).collect(),
        }
    }
}

/// A dependency: a registry version, or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Dependency {
    /// `"^1.0"`: from a registry (not fetched here).
    Version(String),
    /// `{ path = "…", export = "…" }` and the registry/URL forms.
    Table(DependencyTable),
}

/// The table form of a dependency.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencyTable {
    /// A local component file.
    #[serde(default)]
    pub path: Option<String>,
    /// A remote one.
    #[serde(default)]
    pub url: Option<String>,
    /// The remote one's digest.
    #[serde(default)]
    pub digest: Option<String>,
    /// A registry version.
    #[serde(default)]
    pub version: Option<String>,
    /// The registry.
    #[serde(default)]
    pub registry: Option<String>,
    /// The registry package.
    #[serde(default)]
    pub package: Option<String>,
    /// The export to use when it differs from the import's name.
    #[serde(default)]
    pub export: Option<String>,
}

/// One HTTP route to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// The pattern as written, base included (`/...`, `/api/:id`).
    pub pattern: String,
    /// The component id.
    pub component: String,
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let error = |message: String| ManifestError { path: path.display().to_string(), message };
        let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read it: {e}")))?;
        Manifest::parse(&text).map_err(error)
    }

    /// Parses and checks manifest text; the error says which field is wrong.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), String> {
        if self.spin_manifest_version != 2 {
            return Err(format!("spin_manifest_version must be 2, not {}", self.spin_manifest_version));
        }
        if self.application.name.trim().is_empty() {
            return Err("application.name must not be empty".into());
        }
        for (name, variable) in &self.variables {
            check_snake_id(name).map_err(|e| format!("variables.{name}: {e}"))?;
            if variable.required && variable.default.is_some() {
                return Err(format!("variables.{name}: a variable is either required or has a default, not both"));
            }
            if !variable.required && variable.default.is_none() {
                return Err(format!("variables.{name}: give it a default or mark it required = true"));
            }
        }
        for (id, component) in &self.component {
            check_kebab_id(id).map_err(|e| format!("component.{id}: {e}"))?;
            self.check_component(id, component)?;
        }
        for (kind, triggers) in &self.trigger {
            if kind != "http" {
                return Err(format!("trigger.{kind}: brightrun spin-up serves HTTP triggers only"));
            }
            for (index, trigger) in triggers.iter().enumerate() {
                let at = format!("trigger.http[{index}]");
                if !self.component.contains_key(&trigger.component) {
                    return Err(format!("{at}.component: no component {:?} in the manifest", trigger.component));
                }
                match &trigger.route {
                    None => return Err(format!("{at}: an HTTP trigger needs a route")),
                    Some(Route::Private { private: true }) => {}
                    Some(Route::Private { private: false }) => {
                        return Err(format!("{at}.route: give a path, or {{ private = true }}"));
                    }
                    Some(Route::Path(route)) => check_route(route).map_err(|e| format!("{at}.route: {e}"))?,
                }
                if let Some(executor) = &trigger.executor {
                    let kind = executor.get("type").and_then(toml::Value::as_str).unwrap_or("");
                    if kind != "spin" {
                        return Err(format!("{at}.executor: only {{ type = \"spin\" }} is served, not {kind:?}"));
                    }
                }
            }
        }
        let routes = self.http_routes();
        for (index, route) in routes.iter().enumerate() {
            if routes[..index].iter().any(|other| other.pattern == route.pattern) {
                return Err(format!("trigger.http: the route {:?} appears twice", route.pattern));
            }
        }
        Ok(())
    }

    fn check_component(&self, id: &str, component: &Component) -> Result<(), String> {
        let at = format!("component.{id}");
        if let Source::Remote { url, .. } = &component.source {
            return Err(format!("{at}.source: remote sources ({url}) are not fetched by brightrun spin-up"));
        }
        for (field, set) in [
            ("files", !component.files.is_empty()),
            ("sqlite_databases", !component.sqlite_databases.is_empty()),
            ("ai_models", !component.ai_models.is_empty()),
            ("dependencies_inherit_configuration", component.dependencies_inherit_configuration),
        ] {
            if set {
                return Err(format!("{at}.{field}: not supported by brightrun spin-up"));
            }
        }
        for name in component.variables.keys() {
            check_snake_id(name).map_err(|e| format!("{at}.variables.{name}: {e}"))?;
        }
        for (name, template) in &component.variables {
            for reference in template_references(template).map_err(|e| format!("{at}.variables.{name}: {e}"))? {
                if !self.variables.contains_key(&reference) {
                    return Err(format!("{at}.variables.{name}: no application variable {reference:?}"));
                }
            }
        }
        for label in &component.key_value_stores {
            let ok = !label.is_empty()
                && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !ok {
                return Err(format!("{at}.key_value_stores: {label:?} is not a store label"));
            }
        }
        for host in &component.allowed_outbound_hosts {
            super::outbound::HostRule::parse(host).map_err(|e| format!("{at}.allowed_outbound_hosts: {e}"))?;
        }
        for (name, dependency) in &component.dependencies {
            check_dependency_name(name).map_err(|e| format!("{at}.dependencies.{name:?}: {e}"))?;
            match dependency {
                Dependency::Table(DependencyTable { path: Some(_), url: None, version: None, .. }) => {}
                _ => {
                    return Err(format!(
                        "{at}.dependencies.{name:?}: brightrun spin-up links local components only ({{ path = \"…\" }})"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The HTTP routes with their components, base path applied.
    pub fn http_routes(&self) -> Vec<HttpRoute> {
        let base = self
            .application
            .trigger
            .get("http")
            .and_then(|table| table.get("base"))
            .and_then(toml::Value::as_str)
            .unwrap_or("/")
            .trim_end_matches('/')
            .to_string();
        self.trigger
            .get("http")
            .into_iter()
            .flatten()
            .filter_map(|trigger| match &trigger.route {
                Some(Route::Path(route)) => {
                    Some(HttpRoute { pattern: format!("{base}{route}"), component: trigger.component.clone() })
                }
                _ => None,
            })
            .collect()
    }

    /// The files and commands `spin build` runs, with their working folders.
    pub fn build_commands(&self, manifest_dir: &Path) -> Vec<(String, PathBuf, String)> {
        let mut commands = Vec::new();
        for (id, component) in &self.component {
            let Some(build) = &component.build else { continue };
            let dir = build.workdir.as_deref().map_or(manifest_dir.to_path_buf(), |w| manifest_dir.join(w));
            for command in build.command.list() {
                commands.push((id.clone(), dir.clone(), command.to_string()));
            }
        }
        commands
    }
}

/// `kebab-case`: lower-case words of letters and digits joined by '-', each starting with a letter.
fn check_kebab_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.split('-').all(|word| {
            word.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if ok { Ok(()) } else { Err(format!("{id:?} is not a kebab-case id (like \"my-component\")")) }
}

/// `lower_snake_case`: lower-case words joined by '_', starting with a letter.
fn check_snake_id(name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_');
    if ok { Ok(()) } else { Err(format!("{name:?} is not a lower_snake_case name")) }
}

/// `/`, `/path`, `/path/...`, `/items/:id`; `...` only as the last segment.
fn check_route(route: &str) -> Result<(), String> {
    if !route.starts_with('/') {
        return Err(format!("{route:?} must start with '/'"));
    }
    let segments: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    for (index, segment) in segments.iter().enumerate() {
        if *segment == "..." && index + 1 != segments.len() {
            return Err(format!("{route:?}: '...' may only end a route"));
        }
        if segment.contains("...") && *segment != "..." {
            return Err(format!("{route:?}: '...' must be a whole segment"));
        }
        if segment.is_empty() && index + 1 != segments.len() {
            return Err(format!("{route:?}: empty segment"));
        }
    }
    Ok(())
}

/// `namespace:package/interface@version` or `namespace:package@version`.
fn check_dependency_name(name: &str) -> Result<(), String> {
    let (package, _version) = name.split_once('@').unwrap_or((name, ""));
    let (namespace, rest) = package.split_once(':').ok_or("not a `namespace:package[/interface][@version]` name")?;
    let (package, interface) = rest.split_once('/').map_or((rest, None), |(p, i)| (p, Some(i)));
    for part in [Some(namespace), Some(package), interface].into_iter().flatten() {
        check_kebab_id(part)?;
    }
    Ok(())
}

/// The variable names a template refers to (`"{{ name }}"`, text around allowed).
pub fn template_references(template: &str) -> Result<Vec<String>, String> {
    let mut references = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| format!("{template:?}: '{{{{' without '}}}}'"))?;
        let name = after[..end].trim();
        check_snake_id(name)?;
        references.push(name.to_string());
        rest = &after[end + 2..];
    }
    Ok(references)
}

/// `template` with each `{{ name }}` replaced by `value(name)`.
pub fn expand_template(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| format!("{template:?}: '{{{{' without '}}}}'"))?;
        let name = after[..end].trim();
        out.push_str(&value(name).ok_or_else(|| format!("variable {name:?} has no value"))?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
spin_manifest_version = 2
[application]
name = "demo"
[[trigger.http]]
route = "/..."
component = "api"
[component.api]
source = "api.wasm"
"#;

    fn problem(text: &str) -> String {
        match Manifest::parse(text) {
            Ok(_) => String::new(),
            Err(error) => error,
        }
    }

    #[test]
    fn the_repositorys_spin_toml_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spin.toml");
        let manifest = Manifest::load(&path).map_err(|e| e.to_string());
        assert!(manifest.is_ok(), "{manifest:?}");
        let manifest = manifest.unwrap_or_else(|_| unreachable!());
        assert_eq!(manifest.http_routes().len(), 1);
        let component = &manifest.component["brightrun"];
        assert_eq!(component.key_value_stores, vec!["default".to_string()]);
        assert!(component.allowed_outbound_hosts.is_empty(), "the app reaches no host");
        assert_eq!(component.dependencies.len(), 6, "one dependency per stage interface");
    }

    #[test]
    fn field_rules_name_the_field() {
        assert_eq!(problem(MINIMAL), "");
        let cases = [
            (MINIMAL.replace("= 2", "= 1"), "spin_manifest_version must be 2"),
            (MINIMAL.replace("source =", "sorce ="), "unknown field `sorce`"),
            (MINIMAL.replace("component.api]", "component.My_Api]"), "not a kebab-case id"),
            (MINIMAL.replace("\"/...\"", "\"api/...\""), "must start with '/'"),
            (MINIMAL.replace("\"/...\"", "\"/.../x\""), "'...' may only end a route"),
            (MINIMAL.replace("component = \"api\"", "component = \"web\""), "no component \"web\""),
            (format!("{MINIMAL}allowed_outbound_hosts = [\"example.com\"]\n"), "scheme://host"),
            (format!("{MINIMAL}key_value_stores = [\"Bad Label\"]\n"), "not a store label"),
            (format!("{MINIMAL}files = [\"static/**\"]\n"), "files: not supported"),
            (format!("{MINIMAL}variables = {{ budget = \"{{{{ missing }}}}\" }}\n"), "no application variable"),
            (format!("{MINIMAL}[component.api.dependencies]\n\"a:b/c@1.0.0\" = \"^1.0\"\n"), "local components only"),
            (format!("{MINIMAL}[variables]\nx = {{ required = true, default = \"1\" }}\n"), "not both"),
        ];
        for (text, expected) in cases {
            let found = problem(&text);
            assert!(found.contains(expected), "expected {expected:?} in {found:?}");
        }
    }

    #[test]
    fn templates_expand_from_variables() {
        let value = |name: &str| (name == "budget").then(|| "250".to_string());
        assert_eq!(expand_template("{{ budget }}", value).as_deref(), Ok("250"));
        assert_eq!(expand_template("ms={{budget}};", value).as_deref(), Ok("ms=250;"));
        assert!(expand_template("{{ other }}", value).is_err());
        assert_eq!(template_references("a {{ x }} b {{ y_2 }}"), Ok(vec!["x".to_string(), "y_2".to_string()]));
    }
}
