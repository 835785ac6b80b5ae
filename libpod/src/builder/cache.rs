//! The build cache: step key (see `executor::Builder::key`) -> the image that step produced, a
//! small JSON map in the user's data directory, rewritten atomically (temp file + rename) so
//! a crash or a concurrent build never leaves it half written. A missing or unreadable map is
//! an empty cache, never an error.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

pub struct Cache {
    path: PathBuf,
    map: HashMap<String, String>,
}

impl Cache {
    pub fn open(path: PathBuf) -> Cache {
        let map = fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Cache { path, map }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.map.get(key).cloned()
    }

    /// Records the step; a failed write only costs a future cache miss.
    pub fn insert(&mut self, key: &str, image_id: &str) {
        if self.map.get(key).map(String::as_str) == Some(image_id) {
            return;
        }
        // Re-read first: another build may have added entries since we opened it.
        if let Some(current) = fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice::<HashMap<String, String>>(&b).ok())
        {
            for (k, v) in current {
                self.map.entry(k).or_insert(v);
            }
        }
        self.map.insert(key.to_string(), image_id.to_string());
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        if let Ok(bytes) = serde_json::to_vec(&self.map)
            && fs::write(&tmp, bytes).is_ok()
            && fs::rename(&tmp, &self.path).is_err()
        {
            let _ = fs::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen_and_ignores_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.json");
        let mut c = Cache::open(p.clone());
        assert_eq!(c.get("k"), None);
        c.insert("k", "id1");
        assert_eq!(Cache::open(p.clone()).get("k").as_deref(), Some("id1"));
        fs::write(&p, "not json").unwrap();
        assert_eq!(Cache::open(p).get("k"), None);
    }
}
