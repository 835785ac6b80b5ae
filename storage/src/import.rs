//! `import`: a root file system tarball (plain or gzip) becomes a one-layer image, with
//! `--change` lines applied to its config and an optional history comment, as
//! `podman import` does. This module must never commit anything when a change line is bad:
//! changes are validated before the tarball is read.

use std::io::Read;

use chrono::Utc;
use oci_spec::image::{
    Arch, Config, HistoryBuilder, ImageConfigurationBuilder, MediaType, Os, RootFsBuilder,
};

use crate::changes;
use crate::compression::decompress;
use crate::error::StorageError;
use crate::index::Image;
use crate::manifest::{descriptor, image_manifest};
use crate::reference;
use crate::registry::manifest::goarch;
use crate::stage::{PendingImage, Staging};
use crate::store::Store;

impl Store {
    /// A rootfs tarball (plain or gzip) → a one-layer image named `name`.
    pub fn import(
        &self,
        reader: impl Read,
        name: Option<&str>,
        change_lines: &[String],
        message: Option<&str>,
    ) -> Result<Image, StorageError> {
        let name = name.map(reference::normalize_local).transpose()?;
        let mut config = Config::default();
        changes::apply_all(&mut config, change_lines)?;

        let mut staging = Staging::new(self)?;
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
                    .map_err(|e| StorageError::invalid_json("image rootfs", e))?,
            )
            .history(vec![
                history
                    .build()
                    .map_err(|e| StorageError::invalid_json("image history", e))?,
            ])
            .build()
            .map_err(|e| StorageError::invalid_json("image config", e))?;
        let config_bytes = serde_json::to_vec(&image_config)
            .map_err(|e| StorageError::invalid_json("image config", e))?;
        let layer = descriptor(MediaType::ImageLayer, record.size, &record.diff_id)?;
        let manifest_bytes = image_manifest(&config_bytes, vec![layer], "image manifest")?;

        staging.commit_one(
            PendingImage {
                config: config_bytes,
                manifest: manifest_bytes,
                names: name.into_iter().collect(),
                layers: vec![chain],
                created: now,
            },
            "imported image",
        )
    }
}
