//! Spin's `fermyon:spin/key-value@2.0.0` and `variables@2.0.0`, implemented
//! for `brightrun spin-up` over SQLite (Spin's default) or Redis, with the
//! labels and the runtime-config file Spin reads.
//!
//! A component opens only the labels its manifest lists (`access-denied`
//! otherwise); a label must be defined (by the runtime config, or
//! `default`, which is SQLite in the state folder) or the app does not start.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use wasmtime::component::{HasData, Resource, ResourceTable};

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        world: "spin-host",
        path: "wit/spin",
    });
}

use bindings::fermyon::spin::key_value::{self, Error as KvError, Store as GuestStore};
use bindings::fermyon::spin::variables::{self, Error as VariableError};

/// A backing store, shared by every request.
pub trait Backend: Send + Sync {
    /// The value, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Sets it.
    fn set(&self, key: &str, value: &[u8]) -> Result<()>;
    /// Removes it.
    fn delete(&self, key: &str) -> Result<()>;
    /// Whether it exists.
    fn exists(&self, key: &str) -> Result<bool>;
    /// Every key.
    fn keys(&self) -> Result<Vec<String>>;
    /// What it is, for the start-up banner.
    fn describe(&self) -> String;
}

/// Spin's SQLite store: one table, rows keyed by (store label, key), in
/// `<state dir>/sqlite_key_value.db` unless the runtime config names a path.
pub struct SqliteBackend {
    connection: Mutex<rusqlite::Connection>,
    label: String,
    path: PathBuf,
}

impl SqliteBackend {
    /// Opens (creating) the database at `path` for store `label`.
    pub fn open(path: &Path, label: &str) -> Result<SqliteBackend> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        let connection = rusqlite::Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key));",
        )?;
        Ok(SqliteBackend { connection: Mutex::new(connection), label: label.to_string(), path: path.to_path_buf() })
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Backend for SqliteBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        use rusqlite::OptionalExtension;
        let connection = self.connection();
        let mut statement =
            connection.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?;
        Ok(statement.query_row((&self.label, key), |row| row.get(0)).optional()?)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(
            "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
        )?;
        statement.execute((&self.label, key, value))?;
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<()> {
        let connection = self.connection();
        connection.execute("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2", (&self.label, key))?;
        Ok(())
    }
    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }
    fn keys(&self) -> Result<Vec<String>> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1")?;
        let keys = statement.query_map([&self.label], |row| row.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(keys)
    }
    fn describe(&self) -> String {
        format!("sqlite {}", self.path.display())
    }
}

/// A store in Redis (Spin's `type = "redis"`): keys as they are, one
/// connection per call from a small pool.
pub struct RedisBackend {
    client: redis::Client,
    url: String,
    idle: Mutex<Vec<redis::Connection>>,
}

impl RedisBackend {
    /// Connects to `url` (checked at start, so a wrong URL fails there).
    pub fn open(url: &str) -> Result<RedisBackend> {
        let client = redis::Client::open(url).with_context(|| format!("{url} is not a Redis URL"))?;
        let connection = client.get_connection().with_context(|| format!("connecting to {url}"))?;
        Ok(RedisBackend { client, url: url.to_string(), idle: Mutex::new(vec![connection]) })
    }

    fn with<T>(&self, call: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>) -> Result<T> {
        let pooled = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let mut connection = match pooled {
            Some(connection) => connection,
            None => self.client.get_connection().with_context(|| format!("connecting to {}", self.url))?,
        };
        let result = call(&mut connection);
        if result.is_ok() {
            self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(connection);
        }
        Ok(result?)
    }
}

impl Backend for RedisBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.with(|c| redis::cmd("GET").arg(key).query(c))
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.with(|c| redis::cmd("SET").arg(key).arg(value).query(c))
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.with(|c| redis::cmd("DEL").arg(key).query(c))
    }
    fn exists(&self, key: &str) -> Result<bool> {
        self.with(|c| redis::cmd("EXISTS").arg(key).query(c))
    }
    fn keys(&self) -> Result<Vec<String>> {
        // SCAN, not KEYS: it does not block a shared Redis.
        self.with(|c| {
            let mut keys = Vec::new();
            let mut cursor: u64 = 0;
            loop {
                let (next, batch): (u64, Vec<String>) =
                    redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(1000).query(c)?;
                keys.extend(batch);
                if next == 0 {
                    return Ok(keys);
                }
                cursor = next;
            }
        })
    }
    fn describe(&self) -> String {
        format!("redis {}", self.url)
    }
}

/// Spin's runtime-config file, the part that defines key-value stores.
#[derive(Debug, Default, Deserialize)]
pub struct RuntimeConfig {
    /// Stores by label.
    #[serde(default)]
    pub key_value_store: BTreeMap<String, StoreConfig>,
    /// Other sections Spin reads (variables providers, sqlite, llm…): not used here.
    #[serde(flatten)]
    pub other: BTreeMap<String, toml::Value>,
}

/// `[key_value_store.<label>]`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StoreConfig {
    /// SQLite (`type = "spin"`), at `path` or in the state folder.
    Spin {
        /// The database file.
        #[serde(default)]
        path: Option<PathBuf>,
    },
    /// Redis at `url`.
    Redis {
        /// `redis://host:port[/db]`.
        url: String,
    },
}

impl RuntimeConfig {
    /// Reads a runtime-config file.
    pub fn load(path: &Path) -> Result<RuntimeConfig> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{}: not a valid runtime config", path.display()))
    }
}

/// Every store the app's components may open, by label.
pub struct Stores {
    backends: BTreeMap<String, Arc<dyn Backend>>,
}

impl Stores {
    /// Opens the stores `labels` name: from `config`, else `default` as
    /// SQLite in `state_dir`; an undefined label is an error.
    pub fn open(labels: &[String], config: &RuntimeConfig, state_dir: &Path, base: &Path) -> Result<Stores> {
        let mut backends: BTreeMap<String, Arc<dyn Backend>> = BTreeMap::new();
        for label in labels {
            if backends.contains_key(label) {
                continue;
            }
            let backend: Arc<dyn Backend> = match config.key_value_store.get(label) {
                Some(StoreConfig::Redis { url }) => Arc::new(RedisBackend::open(url)?),
                Some(StoreConfig::Spin { path: Some(path) }) => Arc::new(SqliteBackend::open(&base.join(path), label)?),
                Some(StoreConfig::Spin { path: None }) | None
                    if label == "default" || config.key_value_store.contains_key(label) =>
                {
                    Arc::new(SqliteBackend::open(&state_dir.join("sqlite_key_value.db"), label)?)
                }
                _ => bail!(
                    "the key-value store {label:?} is not defined: define it in a runtime config file \
                     ([key_value_store.{label}]) or use \"default\""
                ),
            };
            backends.insert(label.clone(), backend);
        }
        Ok(Stores { backends })
    }

    /// The backend of `label`.
    pub fn get(&self, label: &str) -> Option<Arc<dyn Backend>> {
        self.backends.get(label).cloned()
    }

    /// `label: backend` lines for the start-up banner.
    pub fn describe(&self) -> Vec<String> {
        self.backends.iter().map(|(label, backend)| format!("{label}: {}", backend.describe())).collect()
    }
}

/// An open store, as the guest's `store` resource.
pub struct OpenStore {
    backend: Arc<dyn Backend>,
}

/// What a request's component may reach through Spin's interfaces.
pub struct SpinCapabilities {
    /// The labels it may open, with their backends.
    pub stores: BTreeMap<String, Arc<dyn Backend>>,
    /// Its variables, resolved at start.
    pub variables: Arc<BTreeMap<String, String>>,
}

/// The view the generated host traits are implemented on.
pub struct SpinView<'a> {
    /// What the component may reach.
    pub capabilities: &'a SpinCapabilities,
    /// The store's resource table.
    pub table: &'a mut ResourceTable,
}

/// [`HasData`] for linking the Spin interfaces.
pub struct SpinInterfaces;

impl HasData for SpinInterfaces {
    type Data<'a> = SpinView<'a>;
}

fn other(error: anyhow::Error) -> KvError {
    KvError::Other(format!("{error:#}"))
}

impl SpinView<'_> {
    /// The backend behind a guest's store handle (the table holds an
    /// [`OpenStore`] under the handle's index).
    fn backend(&self, store: &Resource<GuestStore>) -> Result<Arc<dyn Backend>, KvError> {
        let open: Resource<OpenStore> = Resource::new_borrow(store.rep());
        self.table.get(&open).map(|open| open.backend.clone()).map_err(|e| KvError::Other(e.to_string()))
    }
}

impl key_value::Host for SpinView<'_> {}

impl key_value::HostStore for SpinView<'_> {
    fn open(&mut self, label: String) -> Result<Resource<GuestStore>, KvError> {
        let Some(backend) = self.capabilities.stores.get(&label).cloned() else {
            return Err(KvError::AccessDenied);
        };
        let open = self.table.push(OpenStore { backend }).map_err(|_| KvError::StoreTableFull)?;
        Ok(Resource::new_own(open.rep()))
    }
    fn get(&mut self, store: Resource<GuestStore>, key: String) -> Result<Option<Vec<u8>>, KvError> {
        self.backend(&store)?.get(&key).map_err(other)
    }
    fn set(&mut self, store: Resource<GuestStore>, key: String, value: Vec<u8>) -> Result<(), KvError> {
        self.backend(&store)?.set(&key, &value).map_err(other)
    }
    fn delete(&mut self, store: Resource<GuestStore>, key: String) -> Result<(), KvError> {
        self.backend(&store)?.delete(&key).map_err(other)
    }
    fn exists(&mut self, store: Resource<GuestStore>, key: String) -> Result<bool, KvError> {
        self.backend(&store)?.exists(&key).map_err(other)
    }
    fn get_keys(&mut self, store: Resource<GuestStore>) -> Result<Vec<String>, KvError> {
        self.backend(&store)?.keys().map_err(other)
    }
    fn drop(&mut self, store: Resource<GuestStore>) -> wasmtime::Result<()> {
        let open: Resource<OpenStore> = Resource::new_own(store.rep());
        self.table.delete(open)?;
        Ok(())
    }
}

impl variables::Host for SpinView<'_> {
    fn get(&mut self, name: String) -> Result<String, VariableError> {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(VariableError::InvalidName(name));
        }
        self.capabilities.variables.get(&name).cloned().ok_or(VariableError::Undefined(name))
    }
}
