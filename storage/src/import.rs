//! `import`: a root file system tarball (plain or gzip) becomes a one-layer image, with
//! `--change` lines applied to its config and an optional history comment, as
//! `podman import` does. This module must never commit anything when a change line is bad:
//! changes are validated before the tarball is read.

use std::io::Read;

use chrono::Utc;
use oci_spec::image::{
    Arch, Config, HistoryBuilder, ImageConfigurationBuilder, ImageManifestBuilder, MediaType, Os,
    RootFsBuilder,
};

use crate::archive::{descriptor, goarch};
use crate::changes;
use crate::compression::decompress;
use crate::digest::sha256_digest;
use crate::error::StorageError;
use crate::index::Image;
use crate::reference;
use crate::stage::{PendingImage, Staging};
use crate::store::Store;

fn build_err(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::InvalidJson {
        what: what.to_string(),
        reason: e.to_string(),
    }
}

/// See [`Store::import`].
pub fn import(
    store: &Store,
    reader: impl Read,
    name: Option<&str>,
    change_lines: &[String],
    message: Option<&str>,
) -> Result<Image, StorageError> {
    let name = name.map(reference::normalize_local).transpose()?;
    let mut config = Config::default();
    changes::apply_all(&mut config, change_lines)?;

    let mut staging = Staging::new(store)?;
    let plain = decompress(reader, "tarball")?;
    let chain = staging.add_layer(plain, None, None, "tarball")?;
    let record = staging
        .layer_record(&chain)
        .cloned()
        .ok_or_else(|| StorageError::LayerNotFound(chain.clone()))?;

    let now = Utc::now();
    let created = crate::timefmt::rfc3339_nano(now);
    let mut history = HistoryBuilder::default()
        .created(created.clone())
        .created_by(format!(
            "/bin/sh -c #(nop) ADD file:{} in /",
            record.diff_id.trim_start_matches("sha256:")
        ));
    if let Some(m) = message {
        history = history.comment(m.to_string());
    }
    let image_config = ImageConfigurationBuilder::default()
        .created(created)
        .architecture(Arch::from(goarch()))
        .os(Os::Linux)
        .config(config)
        .rootfs(
            RootFsBuilder::default()
                .typ("layers")
                .diff_ids(vec![record.diff_id.clone()])
                .build()
                .map_err(|e| build_err("image rootfs", e))?,
        )
        .history(vec![
            history.build().map_err(|e| build_err("image history", e))?,
        ])
        .build()
        .map_err(|e| build_err("image config", e))?;
    let config_bytes =
        serde_json::to_vec(&image_config).map_err(|e| build_err("image config", e))?;

    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(
            MediaType::ImageConfig,
            config_bytes.len() as u64,
            &sha256_digest(&config_bytes),
        )?)
        .layers(vec![descriptor(
            MediaType::ImageLayer,
            record.size,
            &record.diff_id,
        )?])
        .build()
        .map_err(|e| build_err("image manifest", e))?;
    let manifest_bytes =
        serde_json::to_vec(&manifest).map_err(|e| build_err("image manifest", e))?;

    staging.add_image(PendingImage {
        config: config_bytes,
        manifest: manifest_bytes,
        names: name.into_iter().collect(),
        layers: vec![chain],
        created: now,
    });
    staging
        .commit()?
        .into_iter()
        .next()
        .ok_or_else(|| StorageError::ImageNotFound("imported image".to_string()))
}
