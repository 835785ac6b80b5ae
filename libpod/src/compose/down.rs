//! `compose down`: the project's containers stopped (together) and removed, then its
//! networks; with `-v` its named volumes (and the containers' anonymous ones), with `--rmi`
//! its images. Everything that can be removed is, and every failure is reported.

use super::Project;
use super::ops::{ProjectContainer, Report, containers, remove_all};
use super::plan::image_name;
use super::up::used_networks;
use crate::{LibpodError, Runtime};

/// `--rmi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveImages {
    /// Every image the services use.
    All,
    /// Only images without a custom tag (those `build` named `<project>-<service>`).
    Local,
}

#[derive(Clone, Debug, Default)]
pub struct DownOptions {
    pub volumes: bool,
    pub images: Option<RemoveImages>,
    pub remove_orphans: bool,
    pub timeout: Option<u32>,
}

/// `down`; returns every error met (the rest was still done).
pub fn down(rt: &Runtime, p: &Project, o: &DownOptions, report: Report) -> Vec<LibpodError> {
    let mut errors = Vec::new();
    let all = match containers(rt, &p.name) {
        Ok(l) => l,
        Err(e) => return vec![e],
    };
    let (ours, orphans): (Vec<&ProjectContainer>, Vec<&ProjectContainer>) = all
        .iter()
        .partition(|c| p.model.services.contains_key(&c.service));
    let mut list = ours;
    if o.remove_orphans {
        list.extend(orphans);
    } else if !orphans.is_empty() {
        let names: Vec<&str> = orphans.iter().map(|c| c.name()).collect();
        report(
            "Warning",
            &format!(
                "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
                names.join(" ")
            ),
            "",
        );
    }
    // Dependents first: the reverse of the start order.
    let order = p.ordered(&[]).unwrap_or_default();
    list.sort_by_key(|c| std::cmp::Reverse(order.iter().position(|s| *s == c.service)));
    errors.extend(remove_all(rt, &list, o.timeout, o.volumes, report));
    for key in used_networks(p) {
        let def = p.model.networks.get(&key).cloned().flatten();
        if def.as_ref().and_then(|d| d.external) == Some(true) {
            continue;
        }
        let name = p.network_name(&key);
        if rt.network(&name).is_err() {
            continue;
        }
        match rt.network_remove(&name, false) {
            Ok(()) => report("Network", &name, "Removed"),
            Err(e) => errors.push(e),
        }
    }
    if o.volumes {
        for (key, def) in &p.model.volumes {
            if def.as_ref().and_then(|d| d.external) == Some(true) {
                continue;
            }
            let name = p.volume_name(key);
            if rt.volume(&name).is_err() {
                continue;
            }
            match rt.volume_remove(&name, false) {
                Ok(()) => report("Volume", &name, "Removed"),
                Err(e) => errors.push(e),
            }
        }
    }
    for name in p.model.secrets.keys() {
        // Made by `up` from the file; nothing else uses them.
        let _ = rt.secret_remove(&p.scoped(name));
    }
    if let Some(which) = o.images {
        let mut seen = Vec::new();
        for (svc, s) in &p.model.services {
            if which == RemoveImages::Local && s.image.is_some() {
                continue;
            }
            let image = image_name(p, svc, s);
            if seen.contains(&image) || rt.image(&image).is_err() {
                continue;
            }
            seen.push(image.clone());
            match rt.remove_image(&image, false) {
                Ok(_) => report("Image", &image, "Removed"),
                Err(e) => errors.push(e),
            }
        }
    }
    errors
}
