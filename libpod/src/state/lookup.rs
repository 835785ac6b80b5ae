//! Looking up a container, pod or network as podman resolves a name the user typed: an exact
//! name or full id first, then a unique prefix of an id. Each kind keeps its own "no such"
//! error; a prefix that matches several ids is podman's "more than one result" error.

use rusqlite::{OptionalExtension, params};

use super::{State, StateError};
use crate::error::{LibpodError, Result};

/// A table whose rows have a unique `name` and a hex `id`.
pub(super) struct Named<T> {
    pub table: &'static str,
    /// The columns `row` reads, in its order.
    pub columns: &'static str,
    /// "container", "pod", "network": the word in the ambiguity error.
    pub kind: &'static str,
    pub row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    /// The kind's own error for a name nothing matches.
    pub not_found: fn(String) -> LibpodError,
}

impl State {
    /// By exact name, full id or unique id prefix.
    pub(super) fn lookup_named<T>(&self, t: &Named<T>, name_or_id: &str) -> Result<T> {
        let exact = format!(
            "SELECT {} FROM {} WHERE name = ?1 OR id = ?1",
            t.columns, t.table
        );
        if let Some(found) = self
            .conn
            .prepare_cached(&exact)
            .and_then(|mut st| st.query_row([name_or_id], t.row).optional())
            .map_err(|e| self.err(e))?
        {
            return Ok(found);
        }
        if name_or_id.is_empty() || !name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err((t.not_found)(name_or_id.to_string()));
        }
        // Ids are lowercase hex, so every id that starts with the prefix sorts between it and
        // the prefix followed by 'g'; the index on id answers this without a scan.
        let by_prefix = format!(
            "SELECT {} FROM {} WHERE id >= ?1 AND id < ?2 LIMIT 2",
            t.columns, t.table
        );
        let upper = format!("{name_or_id}g");
        let found: Vec<T> = self
            .conn
            .prepare_cached(&by_prefix)
            .and_then(|mut st| {
                st.query_map(params![name_or_id, upper], t.row)?
                    .collect::<std::result::Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))?;
        let mut found = found.into_iter();
        match (found.next(), found.next()) {
            (Some(one), None) => Ok(one),
            (None, _) => Err((t.not_found)(name_or_id.to_string())),
            (Some(_), Some(_)) => Err(StateError::AmbiguousPrefix {
                kind: t.kind,
                prefix: name_or_id.to_string(),
            }
            .into()),
        }
    }
}
