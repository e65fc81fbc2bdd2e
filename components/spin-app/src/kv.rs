//! The key-value store as the app uses it: raw bytes under string keys,
//! JSON records, and content-addressed blobs split into parts so that no
//! value passes [`PART_BYTES`] (hosted stores cap a value's size).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Most bytes one value holds; larger blobs are split.
pub const PART_BYTES: usize = 1 << 20;

/// Why the store could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "key-value store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// The four operations of Spin's `key-value` interface the app needs.
pub trait KeyValue {
    /// The value under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets `key` to `value`.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key` (absent is fine).
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Every key in the store.
    fn keys(&self) -> Result<Vec<String>, StoreError>;
}

/// A JSON record under `key`; `None` if absent. A record that does not
/// parse (written by another version) is an error, not a silent `None`.
pub fn get_json<T: DeserializeOwned>(kv: &dyn KeyValue, key: &str) -> Result<Option<T>, StoreError> {
    match kv.get(key)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| StoreError(format!("{key}: {e}"))),
    }
}

/// Writes `value` as JSON under `key`.
pub fn set_json<T: Serialize + ?Sized>(kv: &dyn KeyValue, key: &str, value: &T) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value).map_err(|e| StoreError(format!("{key}: {e}")))?;
    kv.set(key, &bytes)
}

/// The hex blake3 hash of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Stores `bytes` under `name` in parts of at most [`PART_BYTES`]: the parts
/// first, then `name` itself holding the part count, so a reader never sees
/// a blob whose parts are missing.
pub fn put_blob(kv: &dyn KeyValue, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let parts: Vec<&[u8]> = if bytes.is_empty() { vec![bytes] } else { bytes.chunks(PART_BYTES).collect() };
    for (index, part) in parts.iter().enumerate() {
        kv.set(&format!("{name}#{index}"), part)?;
    }
    kv.set(name, parts.len().to_string().as_bytes())
}

/// The blob stored under `name` by [`put_blob`], if whole.
pub fn get_blob(kv: &dyn KeyValue, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(count) = kv.get(name)? else { return Ok(None) };
    let count: usize = std::str::from_utf8(&count)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| StoreError(format!("{name}: not a blob header")))?;
    let mut bytes = Vec::new();
    for index in 0..count {
        match kv.get(&format!("{name}#{index}"))? {
            Some(part) => bytes.extend_from_slice(&part),
            None => return Ok(None),
        }
    }
    Ok(Some(bytes))
}

/// Removes a blob and its parts.
pub fn delete_blob(kv: &dyn KeyValue, name: &str) -> Result<(), StoreError> {
    if let Some(count) = kv.get(name)? {
        let count: usize = std::str::from_utf8(&count).ok().and_then(|t| t.parse().ok()).unwrap_or(0);
        kv.delete(name)?;
        for index in 0..count {
            kv.delete(&format!("{name}#{index}"))?;
        }
    }
    Ok(())
}

/// A JSON value stored as a blob (stage results can pass a part's size).
pub fn get_json_blob<T: DeserializeOwned>(kv: &dyn KeyValue, name: &str) -> Result<Option<T>, StoreError> {
    match get_blob(kv, name)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| StoreError(format!("{name}: {e}"))),
    }
}

/// Writes `value` as a JSON blob.
pub fn put_json_blob<T: Serialize + ?Sized>(kv: &dyn KeyValue, name: &str, value: &T) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value).map_err(|e| StoreError(format!("{name}: {e}")))?;
    put_blob(kv, name, &bytes)
}

/// An in-memory store, for tests and for tools that drive the app natively.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Vec<u8>>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl KeyValue for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.entries().get(key).cloned())
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.entries().insert(key.to_string(), value.to_vec());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.entries().remove(key);
        Ok(())
    }
    fn keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.entries().keys().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_across_parts() -> Result<(), StoreError> {
        let kv = MemoryStore::default();
        let bytes: Vec<u8> = (0..(PART_BYTES * 2 + 17)).map(|i| (i % 251) as u8).collect();
        put_blob(&kv, "blob:x", &bytes)?;
        assert_eq!(get_blob(&kv, "blob:x")?, Some(bytes));
        assert_eq!(kv.get("blob:x")?, Some(b"3".to_vec()));
        put_blob(&kv, "blob:empty", b"")?;
        assert_eq!(get_blob(&kv, "blob:empty")?, Some(Vec::new()));
        delete_blob(&kv, "blob:x")?;
        assert_eq!(kv.keys()?, vec!["blob:empty".to_string(), "blob:empty#0".to_string()]);
        Ok(())
    }

    #[test]
    fn a_blob_with_a_missing_part_reads_as_absent() -> Result<(), StoreError> {
        let kv = MemoryStore::default();
        put_blob(&kv, "b", &vec![1; PART_BYTES + 1])?;
        kv.delete("b#1")?;
        assert_eq!(get_blob(&kv, "b")?, None);
        Ok(())
    }
}
