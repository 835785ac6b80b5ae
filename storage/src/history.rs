//! An image's history (`history`) and its layer stack (`image tree`), computed as podman's
//! libimage does: the config's history entries, newest first, are mapped onto the layers from
//! the top; an `empty_layer` entry takes no layer (size 0). An entry is labelled with the ID of
//! the first image whose top layer is the layer reached, once; other entries show `<missing>`.
//! This module only reads: it must never change the index.

use chrono::{DateTime, Utc};

use crate::error::StorageError;
use crate::index::Image;
use crate::store::Store;

/// One row of `history`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// An image ID, or `<missing>`.
    pub id: String,
    pub created: Option<DateTime<Utc>>,
    pub created_by: String,
    /// Uncompressed size of the layer the entry added; 0 for an empty layer.
    pub size: u64,
    pub comment: String,
    /// Names of the images whose top layer this entry's layer is.
    pub tags: Vec<String>,
}

/// One layer of `image tree`, bottom first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeLayer {
    /// The layer's ID in the store (its chain ID, hex).
    pub id: String,
    pub size: u64,
    /// Names of the images whose top layer this is.
    pub top_of: Vec<String>,
}

impl Store {
    /// The images whose layer stack is exactly `layers`, in index order.
    fn images_topped_by<'a>(all: &'a [Image], layers: &[String]) -> Vec<&'a Image> {
        all.iter().filter(|i| i.layers == layers).collect()
    }

    /// `history`, newest entry first.
    pub fn history(&self, image: &Image) -> Result<Vec<HistoryEntry>, StorageError> {
        let index = self.read_index()?;
        let config = self.config(image)?;
        let history = config.history().clone().unwrap_or_default();
        let mut node = image.layers.len().checked_sub(1);
        let mut used = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(history.len());
        for h in history.iter().rev() {
            let mut entry = HistoryEntry {
                id: "<missing>".to_string(),
                created: h
                    .created()
                    .as_deref()
                    .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
                    .map(|t| t.with_timezone(&Utc)),
                created_by: h.created_by().clone().unwrap_or_default(),
                size: 0,
                comment: h.comment().clone().unwrap_or_default(),
                tags: Vec::new(),
            };
            if let Some(n) = node {
                let owners = Self::images_topped_by(&index.images, &image.layers[..=n]);
                if let Some(first) = owners.first()
                    && used.insert(first.id.clone())
                {
                    entry.id = first.id.clone();
                }
                entry.tags = owners.iter().flat_map(|i| i.names.clone()).collect();
            }
            if !h.empty_layer().unwrap_or(false)
                && let Some(n) = node
            {
                entry.size = index.layers.get(&image.layers[n]).map_or(0, |r| r.size);
                node = n.checked_sub(1);
            }
            out.push(entry);
        }
        Ok(out)
    }

    /// The layers of `image` for `image tree`, bottom first.
    pub fn layer_stack(&self, image: &Image) -> Result<Vec<TreeLayer>, StorageError> {
        let index = self.read_index()?;
        let mut out = Vec::new();
        for (n, chain) in image.layers.iter().enumerate() {
            let hex = crate::digest::parse_sha256(chain)?;
            out.push(TreeLayer {
                id: hex.to_string(),
                size: index.layers.get(chain).map_or(0, |r| r.size),
                top_of: Self::images_topped_by(&index.images, &image.layers[..=n])
                    .iter()
                    .flat_map(|i| i.names.clone())
                    .collect(),
            });
        }
        Ok(out)
    }

    /// The images built on `image` (for `image tree --whatrequires`): every image whose layer
    /// stack strictly extends `image`'s.
    pub fn descendants(&self, image: &Image) -> Result<Vec<Image>, StorageError> {
        Ok(self
            .images()?
            .into_iter()
            .filter(|i| i.layers.len() > image.layers.len() && i.layers.starts_with(&image.layers))
            .collect())
    }
}
