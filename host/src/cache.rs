//! Content-addressed cache of stage results.
//!
//! A result is keyed by BLAKE3 over (stage, the component's digest, the
//! stage's config, the stage's input), so a second run over unchanged inputs
//! does no stage work, an edited document recomputes only its own results,
//! and a rebuilt component or a changed setting invalidates exactly what it
//! affects. On top of the per-stage entries, a whole document's outcome is
//! kept under a key covering every per-document stage, so a warm run looks up
//! one entry per document. Two layers: an in-process LRU bounded in bytes, then a
//! persistent store — SQLite (one file under the cache directory, the
//! default) or Redis (shared by several hosts).
//!
//! Values are postcard (a compact binary serde format) in an envelope: a
//! magic number, a format version and a BLAKE3 checksum of the payload. A
//! warm run is mostly decoding values, and postcard decodes them several
//! times faster than JSON, which stored the exported files' text escaped. An entry that fails any check (truncated,
//! corrupted, written by another program or another version) is counted as
//! corrupt, treated as a miss and overwritten: never trusted.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::components::Stage;

/// First bytes of every cached value.
const MAGIC: &[u8; 4] = b"BRC1";
/// Bumped when the value encoding changes; older entries become misses.
/// 1 was JSON; 2 is postcard.
const FORMAT_VERSION: u32 = 2;
/// Bytes before the payload: magic, version, checksum.
const HEADER_BYTES: usize = 4 + 4 + 32;

/// A cache key: BLAKE3 of what determines a stage's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key for `stage` run by the component with `component_digest` on
    /// `input` with `config`. Both are hashed through their JSON form, which
    /// is stable for the records the WIT package defines.
    pub fn new(stage: Stage, component_digest: &str, config: &impl Serialize, input: &impl Serialize) -> Result<Self> {
        let mut hasher = blake3::Hasher::new();
        hasher.update(stage.as_str().as_bytes());
        hasher.update(&[0]);
        hasher.update(component_digest.as_bytes());
        hasher.update(&[0]);
        // Serialised whole, then hashed: serde_json writes token by token, and
        // many tiny hasher updates cost more than the buffer.
        hasher.update(&serde_json::to_vec(config).context("hashing a stage config")?);
        hasher.update(&[0]);
        hasher.update(&serde_json::to_vec(input).context("hashing a stage input")?);
        Ok(CacheKey(*hasher.finalize().as_bytes()))
    }

    /// The key of a result that depends on this key's and on `bytes`: the
    /// next link of a chain, where a stream's `n`-th result depends on every
    /// batch before it (a deduper's decisions, an exporter's parts).
    pub fn chained(&self, bytes: &[u8]) -> CacheKey {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.0);
        hasher.update(bytes);
        CacheKey(*hasher.finalize().as_bytes())
    }

    /// The key as bytes, for stores.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Wraps `payload` in the envelope.
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER_BYTES + payload.len());
    value.extend_from_slice(MAGIC);
    value.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    value.extend_from_slice(blake3::hash(payload).as_bytes());
    value.extend_from_slice(payload);
    value
}

/// The payload of a sealed value, or `None` when any check fails.
pub fn open(value: &[u8]) -> Option<&[u8]> {
    if value.len() < HEADER_BYTES || &value[..4] != MAGIC {
        return None;
    }
    let version = u32::from_le_bytes(value[4..8].try_into().ok()?);
    let payload = &value[HEADER_BYTES..];
    (version == FORMAT_VERSION && blake3::hash(payload).as_bytes() == &value[8..40]).then_some(payload)
}

/// A persistent key-value store for sealed values.
pub trait KvStore: Send + Sync {
    /// The value under `key`, if any. `Err` for a store that cannot be read
    /// (the cache then treats it as a miss and says so once).
    fn get(&self, key: &CacheKey) -> Result<Option<Vec<u8>>>;
    /// Stores `value` under `key`, replacing any previous value.
    fn put(&self, key: &CacheKey, value: &[u8]) -> Result<()>;
    /// What the report calls the store: `sqlite:<path>` or `redis://…`.
    fn describe(&self) -> String;
    /// Writes anything buffered. Called at the end of a run; a store that
    /// writes through does nothing.
    fn flush(&self) -> Result<()> {
        Ok(())
    }
}

/// Writes buffered before a SQLite transaction commits them together: one
/// transaction per value costs more than the stage work it saves.
const SQLITE_WRITE_BATCH: usize = 512;

/// Milliseconds since the Unix epoch: when an entry was last written or read.
fn use_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Oldest a buffered write gets before the buffer is committed, so a run
/// killed midway (a server restarted with a job in flight) loses about this
/// much finished work, not a whole batch.
const SQLITE_WRITE_AGE: std::time::Duration = std::time::Duration::from_secs(1);

/// Writes waiting for their transaction, and when the first of them came.
type PendingWrites = (Vec<(CacheKey, Vec<u8>)>, Option<std::time::Instant>);

/// SQLite: one table in one file; the embedded default. Writes are buffered
/// and committed in batches of [`SQLITE_WRITE_BATCH`] or every
/// [`SQLITE_WRITE_AGE`] (a crash loses at most that, which the next run
/// recomputes).
pub struct SqliteStore {
    connection: Mutex<rusqlite::Connection>,
    pending: Mutex<PendingWrites>,
    /// Keys read since the last flush: their `used` time is brought up to date then.
    touched: Mutex<HashSet<CacheKey>>,
    /// Most bytes of values kept; least recently used entries beyond it are evicted at flush.
    max_bytes: Option<u64>,
    path: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`. WAL mode lets a reader
    /// and the writer proceed together; `synchronous = NORMAL` is safe with
    /// WAL, and a cache can lose its last writes on power loss without harm.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let connection =
            rusqlite::Connection::open(path).with_context(|| format!("opening the cache {}", path.display()))?;
        connection
            .execute_batch(
                // Values are kilobytes to megabytes: a rowid table (not WITHOUT ROWID,
                // which suits small rows), 16 KiB pages, a 64 MiB page cache and
                // memory-mapped reads keep SQLite's I/O calls few.
                "PRAGMA page_size = 16384;
                 PRAGMA auto_vacuum = INCREMENTAL;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA busy_timeout = 5000;
                 PRAGMA cache_size = -65536;
                 PRAGMA mmap_size = 268435456;
                 CREATE TABLE IF NOT EXISTS stage_results (key BLOB PRIMARY KEY, value BLOB NOT NULL);",
            )
            .with_context(|| format!("preparing the cache {}", path.display()))?;
        // Use times live in a table of their own: updating a column of
        // `stage_results` would rewrite each row's value with it. Caches
        // written before eviction existed have no rows here; theirs count as oldest.
        connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS stage_used (key BLOB PRIMARY KEY, used INTEGER NOT NULL) WITHOUT ROWID;
                 CREATE INDEX IF NOT EXISTS stage_used_by_time ON stage_used (used);",
            )
            .with_context(|| format!("preparing the use times of {}", path.display()))?;
        Ok(SqliteStore {
            connection: Mutex::new(connection),
            pending: Mutex::new((Vec::new(), None)),
            touched: Mutex::new(HashSet::new()),
            max_bytes: None,
            path: path.display().to_string(),
        })
    }

    /// The store, keeping at most `max_bytes` of values: at each flush the
    /// least recently used entries (by write or read) are deleted down to
    /// 90 % of it, and the freed pages are given back to the file system
    /// (see [`SqliteStore::reclaim`]), so the file shrinks with them.
    pub fn with_limit(mut self, max_bytes: u64) -> Self {
        self.max_bytes = Some(max_bytes);
        self
    }

    /// Bytes of values stored.
    pub fn stored_bytes(&self) -> Result<u64> {
        let connection = self.connection.lock().map_err(|_| anyhow::anyhow!("cache connection poisoned"))?;
        let bytes: i64 =
            connection.query_row("SELECT COALESCE(SUM(length(value)), 0) FROM stage_results", [], |row| row.get(0))?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// Brings the use time of the keys read since the last flush up to
    /// date, then evicts down to 90 % of the limit if the store is over it.
    fn touch_and_evict(&self) -> Result<()> {
        let touched: Vec<CacheKey> = self.touched.lock().map(|mut t| t.drain().collect()).unwrap_or_default();
        let mut connection = self.connection.lock().map_err(|_| anyhow::anyhow!("cache connection poisoned"))?;
        let mut evicted = false;
        let transaction = connection.transaction()?;
        {
            let now = use_time();
            let mut statement =
                transaction.prepare_cached("INSERT OR REPLACE INTO stage_used (key, used) VALUES (?1, ?2)")?;
            for key in &touched {
                statement.execute(rusqlite::params![key.as_bytes().as_slice(), now])?;
            }
        }
        // The file's size bounds the values' size from above and costs no scan.
        let file_bytes: i64 = transaction.query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |row| row.get(0),
        )?;
        if let Some(limit) = self.max_bytes.filter(|limit| file_bytes > *limit as i64) {
            let stored: i64 =
                transaction
                    .query_row("SELECT COALESCE(SUM(length(value)), 0) FROM stage_results", [], |row| row.get(0))?;
            let target = (limit as f64 * 0.9) as i64;
            if stored > limit as i64 {
                // Oldest first, until what is left fits the target.
                let mut excess = stored - target;
                let mut doomed: Vec<Vec<u8>> = Vec::new();
                {
                    let mut statement = transaction.prepare(
                        "SELECT r.key, length(r.value) FROM stage_results r LEFT JOIN stage_used u ON u.key = r.key
                         ORDER BY COALESCE(u.used, 0), r.rowid",
                    )?;
                    let mut rows = statement.query([])?;
                    while excess > 0 {
                        let Some(row) = rows.next()? else { break };
                        doomed.push(row.get(0)?);
                        excess -= row.get::<_, i64>(1)?;
                    }
                }
                let mut delete = transaction.prepare_cached("DELETE FROM stage_results WHERE key = ?1")?;
                let mut forget = transaction.prepare_cached("DELETE FROM stage_used WHERE key = ?1")?;
                for key in &doomed {
                    delete.execute([key])?;
                    forget.execute([key])?;
                }
                evicted = !doomed.is_empty();
            }
        }
        transaction.commit()?;
        if evicted {
            Self::reclaim(&connection)?;
        }
        Ok(())
    }

    /// Gives the pages eviction freed back to the file system. A store
    /// created by this version is in incremental auto-vacuum mode, so that is
    /// an `incremental_vacuum` and a WAL checkpoint that truncates; a store
    /// from before (no auto-vacuum) is switched over with one full `VACUUM`,
    /// a rewrite of the file paid once.
    fn reclaim(connection: &rusqlite::Connection) -> Result<()> {
        let mode: i64 = connection.query_row("PRAGMA auto_vacuum", [], |row| row.get(0))?;
        if mode != 2 {
            connection.execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
        }
        connection.execute_batch("PRAGMA incremental_vacuum;")?;
        // The checkpoint copies the shrunken database into the file and
        // truncates both it and the log.
        connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn write(&self, batch: Vec<(CacheKey, Vec<u8>)>) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut connection = self.connection.lock().map_err(|_| anyhow::anyhow!("cache connection poisoned"))?;
        let transaction = connection.transaction()?;
        {
            let mut statement =
                transaction.prepare_cached("INSERT OR REPLACE INTO stage_results (key, value) VALUES (?1, ?2)")?;
            let mut used =
                transaction.prepare_cached("INSERT OR REPLACE INTO stage_used (key, used) VALUES (?1, ?2)")?;
            let now = use_time();
            for (key, value) in &batch {
                statement.execute(rusqlite::params![key.as_bytes().as_slice(), value])?;
                used.execute(rusqlite::params![key.as_bytes().as_slice(), now])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl KvStore for SqliteStore {
    fn get(&self, key: &CacheKey) -> Result<Option<Vec<u8>>> {
        let buffered = self
            .pending
            .lock()
            .ok()
            .and_then(|pending| pending.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
        if buffered.is_some() {
            return Ok(buffered);
        }
        let connection = self.connection.lock().map_err(|_| anyhow::anyhow!("cache connection poisoned"))?;
        let mut statement = connection.prepare_cached("SELECT value FROM stage_results WHERE key = ?1")?;
        let mut rows = statement.query([key.as_bytes().as_slice()])?;
        match rows.next()? {
            // Whatever type another program stored, hand its bytes to the envelope check.
            Some(row) => {
                let value = row.get_ref(0)?.as_bytes_or_null()?.unwrap_or_default().to_vec();
                if self.max_bytes.is_some()
                    && let Ok(mut touched) = self.touched.lock()
                {
                    touched.insert(*key);
                }
                Ok(Some(value))
            }
            None => Ok(None),
        }
    }

    fn put(&self, key: &CacheKey, value: &[u8]) -> Result<()> {
        let full = {
            let mut pending = self.pending.lock().map_err(|_| anyhow::anyhow!("cache buffer poisoned"))?;
            let (writes, first_at) = &mut *pending;
            writes.push((*key, value.to_vec()));
            let since = *first_at.get_or_insert_with(std::time::Instant::now);
            let full = writes.len() >= SQLITE_WRITE_BATCH || since.elapsed() >= SQLITE_WRITE_AGE;
            full.then(|| {
                *first_at = None;
                std::mem::take(writes)
            })
        };
        match full {
            Some(batch) => self.write(batch),
            None => Ok(()),
        }
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path)
    }

    fn flush(&self) -> Result<()> {
        let batch = self
            .pending
            .lock()
            .map(|mut pending| {
                pending.1 = None;
                std::mem::take(&mut pending.0)
            })
            .unwrap_or_default();
        self.write(batch)?;
        if self.max_bytes.is_some() {
            self.touch_and_evict()?;
        }
        Ok(())
    }
}

/// Redis: shared by every host that points at it. Keys are namespaced
/// `brightrun:stage:<hex>`.
pub struct RedisStore {
    client: redis::Client,
    connections: Mutex<Vec<redis::Connection>>,
    url: String,
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port[/db]`) and checks it answers.
    pub fn open(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).with_context(|| format!("parsing the Redis URL {url}"))?;
        let mut connection = client.get_connection().with_context(|| format!("connecting to {url}"))?;
        redis::cmd("PING").query::<String>(&mut connection).with_context(|| format!("pinging {url}"))?;
        Ok(RedisStore { client, connections: Mutex::new(vec![connection]), url: url.to_string() })
    }

    fn redis_key(key: &CacheKey) -> String {
        let mut text = String::with_capacity(16 + 64);
        text.push_str("brightrun:stage:");
        for byte in key.as_bytes() {
            text.push_str(&format!("{byte:02x}"));
        }
        text
    }

    /// Runs `f` on a pooled connection (opening one if all are busy).
    fn with_connection<T>(&self, f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>) -> Result<T> {
        let pooled = self.connections.lock().ok().and_then(|mut pool| pool.pop());
        let mut connection = match pooled {
            Some(connection) => connection,
            None => self.client.get_connection().with_context(|| format!("connecting to {}", self.url))?,
        };
        let result = f(&mut connection).with_context(|| format!("talking to {}", self.url))?;
        if let Ok(mut pool) = self.connections.lock() {
            pool.push(connection);
        }
        Ok(result)
    }
}

impl KvStore for RedisStore {
    fn get(&self, key: &CacheKey) -> Result<Option<Vec<u8>>> {
        let name = Self::redis_key(key);
        self.with_connection(|connection| redis::cmd("GET").arg(&name).query(connection))
    }

    fn put(&self, key: &CacheKey, value: &[u8]) -> Result<()> {
        let name = Self::redis_key(key);
        self.with_connection(|connection| redis::cmd("SET").arg(&name).arg(value).query(connection))
    }

    fn describe(&self) -> String {
        self.url.clone()
    }
}

/// Hit and miss counts of one stage.
#[derive(Debug, Default)]
struct Counters {
    memory_hits: AtomicU64,
    store_hits: AtomicU64,
    misses: AtomicU64,
    corrupt: AtomicU64,
    store_errors: AtomicU64,
}

/// Cache figures of one stage (or of whole documents), for the report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StageCacheStats {
    /// The stage, or `None` for the whole-document layer.
    pub stage: Option<Stage>,
    /// The stage's name, or `document`.
    pub layer: String,
    /// Results served from the in-process LRU.
    pub memory_hits: u64,
    /// Results served from the persistent store.
    pub store_hits: u64,
    /// Results computed.
    pub misses: u64,
    /// Entries that failed their checks and were recomputed.
    pub corrupt: u64,
    /// Reads or writes the persistent store refused.
    pub store_errors: u64,
}

/// The in-process layer: sealed values by key, and their total size in bytes.
type MemoryLayer = (lru::LruCache<CacheKey, std::sync::Arc<Vec<u8>>>, usize);

/// What every view of one cache shares: the two layers themselves.
struct Layers {
    memory: Mutex<MemoryLayer>,
    memory_budget: usize,
    store: Option<Box<dyn KvStore>>,
}

/// The two-layer cache of stage results. [`StageCache::scoped`] gives a
/// view onto the same layers with counters of its own, so concurrent runs
/// (server jobs) share entries but report their own hits and misses.
pub struct StageCache {
    layers: std::sync::Arc<Layers>,
    /// One slot per stage, in [`Stage::ALL`] order, then the document layer.
    counters: [Counters; 7],
}

/// The counters slot of whole-document results.
const DOCUMENT_LAYER: usize = 6;

impl StageCache {
    /// A cache with an in-process LRU of `memory_budget` bytes in front of `store`.
    pub fn new(memory_budget: usize, store: Option<Box<dyn KvStore>>) -> Self {
        StageCache {
            layers: std::sync::Arc::new(Layers {
                memory: Mutex::new((lru::LruCache::unbounded(), 0)),
                memory_budget,
                store,
            }),
            counters: Default::default(),
        }
    }

    /// The same cache with its counters at zero: what one run of several
    /// sharing the cache reports.
    pub fn scoped(&self) -> StageCache {
        StageCache { layers: std::sync::Arc::clone(&self.layers), counters: Default::default() }
    }

    /// What the persistent layer is, if any.
    pub fn describe(&self) -> Option<String> {
        self.layers.store.as_ref().map(|store| store.describe())
    }

    fn slot(stage: Stage) -> usize {
        Stage::ALL.iter().position(|s| *s == stage).unwrap_or(0)
    }

    /// A whole document's cached outcome: what every per-document stage
    /// produced for it, under a key covering all their components and
    /// settings. A warm run then looks up one entry per document instead of
    /// one per stage and chunk.
    pub fn document<T: DeserializeOwned>(&self, key: &CacheKey) -> Option<T> {
        self.get_at(DOCUMENT_LAYER, key)
    }

    /// Stores a whole document's outcome (see [`StageCache::document`]).
    pub fn store_document<T: Serialize>(&self, key: CacheKey, value: &T) {
        self.store_at(DOCUMENT_LAYER, key, value);
    }

    /// The cached result under `key`, or the result of `compute`, which is
    /// then stored. Only `Ok` results are cached: failures may be transient
    /// (a deadline) and must be retried.
    pub fn get_or_compute<T, E>(
        &self,
        stage: Stage,
        key: Option<CacheKey>,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
    {
        let Some(key) = key else { return compute() };
        if let Some(value) = self.get(stage, &key) {
            return Ok(value);
        }
        let result = compute()?;
        self.store(stage, key, &result);
        Ok(result)
    }

    /// The cached result of `stage` under `key`, counting a hit or a miss.
    /// For results computed outside [`StageCache::get_or_compute`] (a batched
    /// call whose parts are cached one by one); store them with [`StageCache::store`].
    pub fn get<T: DeserializeOwned>(&self, stage: Stage, key: &CacheKey) -> Option<T> {
        self.get_at(Self::slot(stage), key)
    }

    fn get_at<T: DeserializeOwned>(&self, slot: usize, key: &CacheKey) -> Option<T> {
        let found = self.lookup_at(slot, key);
        if found.is_none() {
            self.counters[slot].misses.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Stores a result computed outside [`StageCache::get_or_compute`] (a
    /// batched call whose parts are cached one by one).
    pub fn store<T: Serialize>(&self, stage: Stage, key: CacheKey, value: &T) {
        self.store_at(Self::slot(stage), key, value);
    }

    fn store_at<T: Serialize>(&self, slot: usize, key: CacheKey, value: &T) {
        let Ok(payload) = postcard::to_allocvec(value) else { return };
        let sealed = seal(&payload);
        if let Some(store) = &self.layers.store
            && store.put(&key, &sealed).is_err()
        {
            self.counters[slot].store_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.remember(key, sealed);
    }

    fn lookup_at<T: DeserializeOwned>(&self, slot: usize, key: &CacheKey) -> Option<T> {
        let counters = &self.counters[slot];
        let remembered = self.layers.memory.lock().ok().and_then(|mut memory| memory.0.get(key).cloned());
        if let Some(sealed) = remembered
            && let Some(value) = open(&sealed).and_then(|payload| postcard::from_bytes(payload).ok())
        {
            counters.memory_hits.fetch_add(1, Ordering::Relaxed);
            return Some(value);
        }
        let store = self.layers.store.as_ref()?;
        let sealed = match store.get(key) {
            Ok(Some(sealed)) => sealed,
            Ok(None) => return None,
            Err(_) => {
                counters.store_errors.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        match open(&sealed).and_then(|payload| postcard::from_bytes(payload).ok()) {
            Some(value) => {
                counters.store_hits.fetch_add(1, Ordering::Relaxed);
                self.remember(*key, sealed);
                Some(value)
            }
            None => {
                counters.corrupt.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Keeps `sealed` in the LRU, evicting the least recently used entries
    /// beyond the byte budget. Values larger than a quarter of the budget are
    /// not kept in memory at all.
    fn remember(&self, key: CacheKey, sealed: Vec<u8>) {
        if sealed.len() > self.layers.memory_budget / 4 {
            return;
        }
        let Ok(mut memory) = self.layers.memory.lock() else { return };
        let (entries, bytes) = &mut *memory;
        *bytes += sealed.len();
        if let Some(previous) = entries.put(key, std::sync::Arc::new(sealed)) {
            *bytes -= previous.len();
        }
        while *bytes > self.layers.memory_budget {
            match entries.pop_lru() {
                Some((_, evicted)) => *bytes -= evicted.len(),
                None => break,
            }
        }
    }

    /// Writes what the persistent store buffers; `Err` when it cannot.
    pub fn flush(&self) -> Result<()> {
        match &self.layers.store {
            Some(store) => store.flush(),
            None => Ok(()),
        }
    }

    /// Figures per stage, for stages the cache saw.
    pub fn stats(&self) -> Vec<StageCacheStats> {
        let layers = Stage::ALL.iter().map(|stage| Some(*stage)).chain(std::iter::once(None));
        layers
            .zip(&self.counters)
            .map(|(stage, c)| StageCacheStats {
                stage,
                layer: stage.map_or("document", |s| s.as_str()).to_string(),
                memory_hits: c.memory_hits.load(Ordering::Relaxed),
                store_hits: c.store_hits.load(Ordering::Relaxed),
                misses: c.misses.load(Ordering::Relaxed),
                corrupt: c.corrupt.load(Ordering::Relaxed),
                store_errors: c.store_errors.load(Ordering::Relaxed),
            })
            .filter(|s| s.memory_hits + s.store_hits + s.misses > 0)
            .collect()
    }
}

/// Opens the persistent layer `spec` names: a `redis://` URL, or otherwise
/// the SQLite file `stages.sqlite` in `cache_dir`.
pub fn open_store(
    spec: Option<&str>,
    cache_dir: Option<&Path>,
    max_bytes: Option<u64>,
) -> Result<Option<Box<dyn KvStore>>> {
    match spec {
        Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Ok(Some(Box::new(RedisStore::open(url)?)))
        }
        Some(other) => anyhow::bail!("unsupported cache \"{other}\": expected a redis:// URL"),
        None => match cache_dir {
            Some(dir) => {
                let store = SqliteStore::open(&dir.join("stages.sqlite"))?;
                Ok(Some(Box::new(match max_bytes {
                    Some(limit) => store.with_limit(limit),
                    None => store,
                })))
            }
            None => Ok(None),
        },
    }
}

/// The in-process LRU budget of one `brightrun run`: a run reads back
/// only what repeats within it (a duplicated document or chunk), and the
/// persistent store answers those too; every megabyte here is resident for
/// the whole run, which on 1 GB of input was 256 MiB of its peak.
pub const RUN_MEMORY_BUDGET: usize = 32 << 20;

/// The in-process LRU budget of the server, whose runtime outlives its
/// jobs: a re-run after an edit finds the unchanged results in memory.
pub const SERVER_MEMORY_BUDGET: usize = 256 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> CacheKey {
        CacheKey::new(Stage::Analyze, "digest", &n, &"input").expect("hashes")
    }

    #[test]
    fn keys_change_with_every_part() {
        let base = CacheKey::new(Stage::Analyze, "d1", &1, &"x").expect("hashes");
        assert_eq!(base, CacheKey::new(Stage::Analyze, "d1", &1, &"x").expect("hashes"));
        for other in [
            CacheKey::new(Stage::Generate, "d1", &1, &"x"),
            CacheKey::new(Stage::Analyze, "d2", &1, &"x"),
            CacheKey::new(Stage::Analyze, "d1", &2, &"x"),
            CacheKey::new(Stage::Analyze, "d1", &1, &"y"),
        ] {
            assert_ne!(base, other.expect("hashes"));
        }
    }

    #[test]
    fn refuses_values_that_fail_their_checks() {
        let sealed = seal(b"payload");
        assert_eq!(open(&sealed), Some(&b"payload"[..]));
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(open(&flipped), None, "checksum");
        assert_eq!(open(&sealed[..10]), None, "truncated");
        assert_eq!(open(b"{\"json\": true} from someone else"), None, "foreign");
        let mut other_version = sealed.clone();
        other_version[4] = 9;
        assert_eq!(open(&other_version), None, "version");
    }

    #[test]
    fn serves_from_sqlite_after_a_restart_and_recomputes_corrupt_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("stages.sqlite");
        let cache = StageCache::new(1 << 20, Some(Box::new(SqliteStore::open(&path).expect("opens"))));
        let computed: Result<Vec<u32>, ()> = cache.get_or_compute(Stage::Analyze, Some(key(1)), || Ok(vec![1, 2, 3]));
        assert_eq!(computed, Ok(vec![1, 2, 3]));
        drop(cache);

        let cache = StageCache::new(1 << 20, Some(Box::new(SqliteStore::open(&path).expect("reopens"))));
        let served: Result<Vec<u32>, ()> = cache.get_or_compute(Stage::Analyze, Some(key(1)), || Err(()));
        assert_eq!(served, Ok(vec![1, 2, 3]), "served without computing");
        let again: Result<Vec<u32>, ()> = cache.get_or_compute(Stage::Analyze, Some(key(1)), || Err(()));
        assert_eq!(again, Ok(vec![1, 2, 3]));
        let stats = cache.stats();
        assert_eq!((stats[0].store_hits, stats[0].memory_hits, stats[0].misses), (1, 1, 0));
        drop(cache);

        let connection = rusqlite::Connection::open(&path).expect("opens");
        connection.execute("UPDATE stage_results SET value = x'00112233'", []).expect("corrupts");
        drop(connection);
        let cache = StageCache::new(1 << 20, Some(Box::new(SqliteStore::open(&path).expect("reopens"))));
        let recomputed: Result<Vec<u32>, ()> = cache.get_or_compute(Stage::Analyze, Some(key(1)), || Ok(vec![4]));
        assert_eq!(recomputed, Ok(vec![4]));
        let stats = cache.stats();
        assert_eq!((stats[0].corrupt, stats[0].misses), (1, 1));
    }

    #[test]
    fn evicts_the_least_recently_used_entries_beyond_its_limit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("stages.sqlite");
        let store = SqliteStore::open(&path).expect("opens").with_limit(100_000);
        let value = vec![7u8; 10_000];
        for n in 0..8u8 {
            store.put(&key(n), &value).expect("puts");
        }
        store.flush().expect("flushes");
        assert_eq!(store.stored_bytes().expect("sums"), 80_000, "under the limit: nothing evicted");
        // Use times are in milliseconds: let the next reads and writes be later.
        std::thread::sleep(std::time::Duration::from_millis(5));
        for n in [0u8, 1] {
            assert!(store.get(&key(n)).expect("reads").is_some());
        }
        store.flush().expect("records the reads");
        std::thread::sleep(std::time::Duration::from_millis(5));
        for n in 8..12u8 {
            store.put(&key(n), &value).expect("puts");
        }
        // Commit and checkpoint the new entries, so the file holds them all before eviction.
        let file_size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        store.write(store.pending.lock().map(|mut p| std::mem::take(&mut p.0)).unwrap_or_default()).expect("writes");
        let checkpoint = |store: &SqliteStore| {
            let connection = store.connection.lock().expect("connection");
            connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoints");
        };
        checkpoint(&store);
        let before = file_size();
        store.flush().expect("flushes and evicts");
        let stored = store.stored_bytes().expect("sums");
        assert!(stored <= 90_000, "evicted down to 90 % of the limit: {stored}");
        assert!(file_size() < before, "the file shrank with the eviction: {before} -> {}", file_size());
        let present = |n: u8| store.get(&key(n)).expect("reads").is_some();
        assert!(present(0) && present(1), "recently read entries stay");
        assert!((8..12).all(present), "new entries stay");
        assert!(!present(2) && !present(3), "the least recently used go first");
    }

    #[test]
    fn switches_a_cache_without_auto_vacuum_over_at_its_first_eviction() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("stages.sqlite");
        let old = rusqlite::Connection::open(&path).expect("opens");
        old.execute_batch("CREATE TABLE stage_results (key BLOB PRIMARY KEY, value BLOB NOT NULL);").expect("schema");
        for n in 0..20u8 {
            old.execute(
                "INSERT INTO stage_results (key, value) VALUES (?1, ?2)",
                rusqlite::params![key(n).as_bytes().as_slice(), vec![n; 50_000]],
            )
            .expect("inserts");
        }
        drop(old);
        let before = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let store = SqliteStore::open(&path).expect("opens").with_limit(200_000);
        store.flush().expect("evicts");
        let connection = store.connection.lock().expect("connection");
        let mode: i64 = connection.query_row("PRAGMA auto_vacuum", [], |row| row.get(0)).expect("mode");
        assert_eq!(mode, 2, "incremental from now on");
        drop(connection);
        let after = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(after * 2 < before, "the file shrank: {before} -> {after}");
    }

    #[test]
    fn adds_the_use_time_to_a_cache_written_before_eviction() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("stages.sqlite");
        let old = rusqlite::Connection::open(&path).expect("opens");
        old.execute_batch("CREATE TABLE stage_results (key BLOB PRIMARY KEY, value BLOB NOT NULL);").expect("schema");
        old.execute(
            "INSERT INTO stage_results (key, value) VALUES (?1, ?2)",
            rusqlite::params![
                key(1).as_bytes().as_slice(),
                seal(&postcard::to_allocvec(&vec![1u32]).expect("encodes"))
            ],
        )
        .expect("inserts");
        drop(old);
        let cache =
            StageCache::new(1 << 20, Some(Box::new(SqliteStore::open(&path).expect("migrates").with_limit(1 << 20))));
        let served: Result<Vec<u32>, ()> = cache.get_or_compute(Stage::Analyze, Some(key(1)), || Err(()));
        assert_eq!(served, Ok(vec![1]));
        cache.flush().expect("flushes");
    }

    #[test]
    fn does_not_cache_failures() {
        let cache = StageCache::new(1 << 20, None);
        let failed: Result<u32, &str> = cache.get_or_compute(Stage::Segment, Some(key(2)), || Err("deadline"));
        assert_eq!(failed, Err("deadline"));
        let retried: Result<u32, &str> = cache.get_or_compute(Stage::Segment, Some(key(2)), || Ok(7));
        assert_eq!(retried, Ok(7));
    }

    #[test]
    fn keeps_the_memory_layer_within_its_budget() {
        let cache = StageCache::new(4096, None);
        for n in 0..100u8 {
            let _: Result<Vec<u8>, ()> = cache.get_or_compute(Stage::Analyze, Some(key(n)), || Ok(vec![n; 100]));
        }
        let memory = cache.layers.memory.lock().expect("lock");
        assert!(memory.1 <= 4096, "{} bytes kept", memory.1);
        assert!(memory.0.len() > 1 && memory.0.len() < 100, "{} entries kept", memory.0.len());
    }
}
