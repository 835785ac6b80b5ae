//! `commit`: a container's changes (already a layer tar, built by libpod) become a new image
//! on top of the container's image, or, squashed, a one-layer image of the whole root file
//! system. The layer goes through staging like any load, so its tar-split is recorded and the
//! image can be saved or pushed. This module must never commit anything when a change line
//! is bad: changes are applied before the tar is read.

use std::io::Read;

use chrono::Utc;
use oci_spec::image::{HistoryBuilder, MediaType};

use crate::changes;
use crate::error::StorageError;
use crate::index::Image;
use crate::manifest::{descriptor, image_manifest};
use crate::reference;
use crate::stage::{PendingImage, Staging};
use crate::store::Store;

/// What the new image records besides its layer.
#[derive(Clone, Debug, Default)]
pub struct CommitSpec {
    pub name: Option<String>,
    pub changes: Vec<String>,
    pub author: Option<String>,
    pub comment: Option<String>,
    /// The layer is the whole file system: the image has it alone.
    pub squash: bool,
    /// The config's `created_by` for the new history entry.
    pub created_by: String,
    /// Metadata-only steps folded into this commit, each an `empty_layer` history entry of
    /// its own before the main one (a build's LABEL, EXPOSE, ... rows in `history`).
    pub empty_before: Vec<String>,
}

/// What a build step records besides [`CommitSpec`]: a fixed creation time
/// (`build --timestamp`) and no history (`build --omit-history`).
#[derive(Clone, Debug, Default)]
pub struct CommitExtras {
    pub created: Option<chrono::DateTime<Utc>>,
    pub omit_history: bool,
    /// Take the run config (env, cmd, labels, ...) from this image instead of `base`
    /// (`build --squash`: the built image's config on top of the stage's base layers).
    pub config_from: Option<Image>,
}

/// Adds `layer` (a plain tar) on top of `base` and records the new image.
pub fn commit(
    store: &Store,
    base: &Image,
    mut layer: impl Read,
    spec: &CommitSpec,
) -> Result<Image, StorageError> {
    commit_image(
        store,
        Some(base),
        Some(&mut layer),
        spec,
        &CommitExtras::default(),
    )
}

/// The general form of [`commit`]: `base` may be `None` (`FROM scratch`: an empty native
/// config) and `layer` may be `None` (a metadata-only build step: a history entry with
/// `empty_layer`, no new layer).
pub fn commit_image(
    store: &Store,
    base: Option<&Image>,
    layer: Option<&mut dyn Read>,
    spec: &CommitSpec,
    extras: &CommitExtras,
) -> Result<Image, StorageError> {
    let name = spec
        .name
        .as_deref()
        .map(reference::normalize_local)
        .transpose()?;
    let mut config = match base {
        Some(b) => store.config(b)?,
        None => oci_spec::image::ImageConfiguration::default(),
    };
    if let Some(src) = &extras.config_from {
        config.set_config(store.config(src)?.config().clone());
    }
    // Docker's Healthcheck is not in the OCI config type: taken from the JSON of the image
    // the run config comes from, unless a change line sets it.
    let healthcheck = changes::healthcheck(&spec.changes).or_else(|| {
        let from = extras.config_from.as_ref().or(base)?;
        let raw: serde_json::Value =
            serde_json::from_slice(&store.config_bytes(from).ok()?).ok()?;
        raw.get("config")?.get("Healthcheck").cloned()
    });
    let mut run = config.config().clone().unwrap_or_default();
    changes::apply_all(&mut run, &spec.changes)?;
    config.set_config(Some(run));
    let mut layer_descs = match base {
        Some(b) if !spec.squash => store.manifest(b)?.layers().clone(),
        _ => Vec::new(),
    };
    let mut layers = match base {
        Some(b) if !spec.squash => b.layers.clone(),
        _ => Vec::new(),
    };
    if spec.squash {
        config.rootfs_mut().set_diff_ids(Vec::new());
        config.set_history(None);
    }

    let mut staging = Staging::new(store)?;
    let added = match layer {
        Some(layer) => {
            let parent = layers.last().map(String::as_str);
            let chain = staging.add_layer(layer, parent, None, "committed layer")?;
            let record = staging
                .layer_record(&chain)
                .cloned()
                .ok_or_else(|| StorageError::LayerNotFound(chain.clone()))?;
            Some((chain, record))
        }
        None => None,
    };

    let now = extras.created.unwrap_or_else(Utc::now);
    let created = crate::timefmt::rfc3339_nano(now);
    config.set_created(Some(created.clone()));
    if let Some(a) = &spec.author {
        config.set_author(Some(a.clone()));
    }
    let mut entry = HistoryBuilder::default()
        .created(created.clone())
        .created_by(spec.created_by.clone());
    if let Some(a) = &spec.author {
        entry = entry.author(a.clone());
    }
    if let Some(c) = &spec.comment {
        entry = entry.comment(c.clone());
    }
    if added.is_none() {
        entry = entry.empty_layer(true);
    }
    let entry = entry
        .build()
        .map_err(|e| StorageError::invalid_json("image history", e))?;
    if let Some((chain, record)) = added {
        layer_descs.push(descriptor(
            MediaType::ImageLayer,
            record.size,
            &record.diff_id,
        )?);
        layers.push(chain);
        config
            .rootfs_mut()
            .diff_ids_mut()
            .push(record.diff_id.clone());
    }
    if extras.omit_history {
        config.set_history(None);
    } else {
        let mut entries = Vec::with_capacity(spec.empty_before.len() + 1);
        for by in &spec.empty_before {
            let mut e = HistoryBuilder::default()
                .created(created.clone())
                .created_by(by.clone())
                .empty_layer(true);
            if let Some(a) = &spec.author {
                e = e.author(a.clone());
            }
            entries.push(
                e.build()
                    .map_err(|e| StorageError::invalid_json("image history", e))?,
            );
        }
        entries.push(entry);
        config
            .history_mut()
            .get_or_insert_with(Vec::new)
            .extend(entries);
    }
    let config_bytes = match healthcheck {
        None => serde_json::to_vec(&config),
        Some(hc) => serde_json::to_value(&config).and_then(|mut v| {
            if let Some(run) = v.get_mut("config").and_then(|c| c.as_object_mut()) {
                run.insert("Healthcheck".into(), hc);
            }
            serde_json::to_vec(&v)
        }),
    }
    .map_err(|e| StorageError::invalid_json("image config", e))?;
    let manifest_bytes = image_manifest(&config_bytes, layer_descs, "image manifest")?;
    staging.commit_one(
        PendingImage {
            config: config_bytes,
            manifest: manifest_bytes,
            names: name.into_iter().collect(),
            layers,
            created: now,
        },
        "committed image",
    )
}
