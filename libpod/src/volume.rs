//! Volumes: the model stored in the database, and the parsing of `-v`, `--mount` and
//! `volume create --opt` into [`Mount`]s. Pure: this module must never touch the file system
//! beyond resolving a bind source, nor the database (see runtime/volumes.rs for that).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::container::Mount;
use crate::error::{LibpodError, Result};
use crate::runtime::names::{self, NameKind};

/// One row of the volumes table.
#[derive(Clone, Debug)]
pub struct Volume {
    pub name: String,
    /// Nanoseconds since the epoch.
    pub created: i64,
    pub config: VolumeConfig,
}

/// What `volume create` (or a container needing the volume) was told.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeConfig {
    pub driver: String,
    pub labels: BTreeMap<String, String>,
    /// `--opt type=`, `device=`, `o=`, as given.
    pub options: BTreeMap<String, String>,
    /// Created for a container (`-v /path` or an image VOLUME): removed with it by `rm -v`.
    pub anonymous: bool,
    /// Still empty from creation: the first container mounting it copies the image's
    /// content at the mount point into it (podman's NeedsCopyUp).
    pub needs_copy_up: bool,
}

/// Options `-v` accepts for volumes and binds (podman's list, SELinux labels accepted and
/// ignored: burrow runs no SELinux policy).
const VOLUME_OPTS: &[&str] = &[
    "ro", "rw", "z", "Z", "U", "O", "nocopy", "copy", "rbind", "bind", "private", "rprivate",
    "shared", "rshared", "slave", "rslave", "nosuid", "nodev", "noexec", "suid", "dev", "exec",
];

/// Volume names follow podman's rule for names (one copy of it, in runtime::names).
fn validate_name(name: &str) -> Result<()> {
    Ok(names::validate(NameKind::Volume, name)?)
}

/// What can go wrong with a volume: a `-v`, `--tmpfs`, `--mount` or `volume create --opt`
/// value that cannot be used, or a volume that cannot be created or removed.
#[derive(thiserror::Error, Debug)]
pub enum VolumeError {
    /// `what` names the flag (`volume`, `tmpfs`, `--mount`, `volume option`), `spec` its value.
    #[error("invalid {what} \"{spec}\": {problem}")]
    Invalid {
        what: &'static str,
        spec: String,
        problem: SpecProblem,
    },
    #[error("host directory cannot be empty")]
    EmptySource,
    #[error("host directory cannot be empty: must provide an argument for option")]
    EmptyMountSource,
    #[error("container directory cannot be empty")]
    EmptyDestination,
    #[error("volume driver \"{0}\" is not available: burrow has only the \"local\" driver")]
    Driver(String),
    #[error(
        "volume type \"{0}\" cannot be mounted without root: use type=tmpfs, or o=bind with device=HOST-DIR"
    )]
    NeedsRoot(String),
    #[error("volume option o=bind needs device=HOST-DIR, an existing directory (got \"{0}\")")]
    BindDevice(String),
    #[error("volume with name {0} already exists: volume already exists")]
    Exists(String),
    /// podman exits 2 for this one (see [`LibpodError::exit_code`]).
    #[error(
        "volume {name} is being used by the following container(s): {}: volume is being used (remove the containers first, or use --force)",
        .containers.join(", ")
    )]
    InUse {
        name: String,
        /// Short ids of the containers using it.
        containers: Vec<String>,
    },
}

/// Why one `-v`, `--tmpfs`, `--mount` or `--opt` value is refused, and how to write it.
#[derive(thiserror::Error, Debug)]
pub enum SpecProblem {
    #[error("use SOURCE:CONTAINER-DIR[:OPTIONS] (SOURCE a host path or a volume name)")]
    VolumeSyntax,
    #[error("the container path \"{0}\" must be absolute")]
    RelativeDestination(String),
    #[error("unknown option \"{0}\"")]
    UnknownOption(String),
    #[error("ro and rw conflict")]
    ReadOnlyAndReadWrite,
    #[error("O and U conflict: drop one")]
    OverlayAndChown,
    #[error("an overlay (O) needs a directory as its source")]
    OverlayNotDirectory,
    #[error(
        "an overlay (O) source path cannot contain ',' or ':': use a symlink-free path without them"
    )]
    OverlaySeparators,
    #[error("{option} takes true or false, not \"{value}\"")]
    NotABool { option: String, value: String },
    #[error("bind-propagation must be one of private, rprivate, shared, rshared, slave, rslave")]
    Propagation,
    #[error("type must be given: bind, volume, tmpfs or image")]
    NoType,
    #[error("an absolute dst (destination, target) must be given")]
    NoDestination,
    #[error("a bind mount needs src")]
    BindWithoutSource,
    #[error("an image mount needs src (the image)")]
    ImageWithoutSource,
    #[error("unknown type \"{0}\": use bind, volume, tmpfs or image")]
    UnknownType(String),
    #[error("use KEY=VALUE")]
    OptionSyntax,
    #[error("unknown option \"{0}\" for the local driver: use type, device or o")]
    UnknownDriverOption(String),
}

fn invalid(what: &'static str, spec: &str, problem: SpecProblem) -> LibpodError {
    VolumeError::Invalid {
        what,
        spec: spec.to_string(),
        problem,
    }
    .into()
}

/// `-v SRC:DST[:OPTS]`, `-v NAME:DST[:OPTS]` or `-v DST` (an anonymous volume). A named or
/// anonymous volume comes back with kind "volume" and no source: the runtime resolves it.
pub fn parse_volume_flag(v: &str) -> Result<Mount> {
    let parts: Vec<&str> = v.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [d] => ("", *d, ""),
        [s, d] => (*s, *d, ""),
        [s, d, o] => (*s, *d, *o),
        _ => {
            return Err(invalid("volume", v, SpecProblem::VolumeSyntax));
        }
    };
    // `-v :/x` is not an anonymous volume (that is `-v /x`): an empty source is a mistake,
    // refused as podman refuses it, before anything is created.
    if parts.len() > 1 && src.is_empty() {
        return Err(VolumeError::EmptySource.into());
    }
    if dst.is_empty() {
        return Err(VolumeError::EmptyDestination.into());
    }
    if !dst.starts_with('/') {
        return Err(invalid(
            "volume",
            v,
            SpecProblem::RelativeDestination(dst.to_string()),
        ));
    }
    let mut options = Vec::new();
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        if !VOLUME_OPTS.contains(&o) {
            return Err(invalid(
                "volume",
                v,
                SpecProblem::UnknownOption(o.to_string()),
            ));
        }
        options.push(o.to_string());
    }
    if options.iter().any(|o| o == "ro") && options.iter().any(|o| o == "rw") {
        return Err(invalid("volume", v, SpecProblem::ReadOnlyAndReadWrite));
    }
    let overlay = options.iter().any(|o| o == "O");
    if overlay && options.iter().any(|o| o == "U") {
        return Err(invalid("volume", v, SpecProblem::OverlayAndChown));
    }
    let destination = PathBuf::from(dst);
    if src.starts_with('/') || src.starts_with('.') {
        let source = std::fs::canonicalize(src)
            .map_err(|e| LibpodError::io(format!("invalid volume \"{v}\": host path {src}"), e))?;
        if overlay && !source.is_dir() {
            return Err(invalid("volume", v, SpecProblem::OverlayNotDirectory));
        }
        // overlayfs splits its lowerdir option on ',' and ':'.
        if overlay && source.to_string_lossy().contains([',', ':']) {
            return Err(invalid("volume", v, SpecProblem::OverlaySeparators));
        }
        return Ok(Mount {
            kind: "bind".into(),
            source,
            destination,
            options,
            ..Mount::default()
        });
    }
    if !src.is_empty() {
        validate_name(src)?;
    }
    Ok(Mount {
        kind: "volume".into(),
        destination,
        options,
        name: src.to_string(),
        ..Mount::default()
    })
}

/// `--tmpfs DST[:OPTS]`.
pub fn parse_tmpfs_flag(t: &str) -> Result<Mount> {
    let (dst, opts) = t.split_once(':').unwrap_or((t, ""));
    if !dst.starts_with('/') {
        return Err(invalid(
            "tmpfs",
            t,
            SpecProblem::RelativeDestination(dst.to_string()),
        ));
    }
    Ok(Mount {
        kind: "tmpfs".into(),
        source: PathBuf::from("tmpfs"),
        destination: PathBuf::from(dst),
        options: opts
            .split(',')
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect(),
        ..Mount::default()
    })
}

/// `--mount type=bind|volume|tmpfs|image,src=...,dst=...[,ro][,...]` as podman parses it.
pub fn parse_mount_flag(spec: &str) -> Result<Mount> {
    let bad = |problem: SpecProblem| invalid("--mount", spec, problem);
    let mut kind = None;
    let mut src = None;
    let mut dst = None;
    let mut options: Vec<String> = Vec::new();
    let mut tmpfs_opts: Vec<String> = Vec::new();
    for field in spec.split(',').filter(|f| !f.is_empty()) {
        let (k, val) = match field.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (field, None),
        };
        let flag = |val: Option<&str>| -> Result<bool> {
            match val {
                None | Some("true") => Ok(true),
                Some("false") => Ok(false),
                Some(x) => Err(bad(SpecProblem::NotABool {
                    option: k.to_string(),
                    value: x.to_string(),
                })),
            }
        };
        match k {
            "type" => kind = val.map(str::to_string),
            // podman: `src=` with nothing after it is an error, not "no source".
            "src" | "source" if val == Some("") => {
                return Err(VolumeError::EmptyMountSource.into());
            }
            "src" | "source" => src = val.map(str::to_string),
            "dst" | "destination" | "target" => dst = val.map(str::to_string),
            "ro" | "readonly" => {
                if flag(val)? {
                    options.push("ro".into());
                }
            }
            "rw" => {
                if !flag(val)? {
                    options.push("ro".into());
                }
            }
            "U" | "chown" => {
                if flag(val)? {
                    options.push("U".into());
                }
            }
            "volume-nocopy" | "nocopy" => {
                if flag(val)? {
                    options.push("nocopy".into());
                }
            }
            "bind-propagation" => match val {
                Some(p @ ("private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave")) => {
                    options.push(p.to_string())
                }
                _ => return Err(bad(SpecProblem::Propagation)),
            },
            "relabel" | "z" | "Z" | "consistency" | "bind-nonrecursive" | "volume-label"
            | "volume-driver" | "volume-opt" => {}
            "tmpfs-size" => tmpfs_opts.push(format!("size={}", val.unwrap_or_default())),
            "tmpfs-mode" => tmpfs_opts.push(format!("mode={}", val.unwrap_or_default())),
            "nosuid" | "nodev" | "noexec" | "suid" | "dev" | "exec" => options.push(k.to_string()),
            _ => return Err(bad(SpecProblem::UnknownOption(k.to_string()))),
        }
    }
    let Some(kind) = kind else {
        return Err(bad(SpecProblem::NoType));
    };
    let Some(dst) = dst.filter(|d| d.starts_with('/')) else {
        return Err(bad(SpecProblem::NoDestination));
    };
    let destination = PathBuf::from(&dst);
    match kind.as_str() {
        "bind" => {
            let Some(src) = src else {
                return Err(bad(SpecProblem::BindWithoutSource));
            };
            let source = std::fs::canonicalize(&src).map_err(|e| {
                LibpodError::io(format!("invalid --mount \"{spec}\": host path {src}"), e)
            })?;
            Ok(Mount {
                kind,
                source,
                destination,
                options,
                ..Mount::default()
            })
        }
        "volume" => {
            let name = src.unwrap_or_default();
            if !name.is_empty() {
                validate_name(&name)?;
            }
            Ok(Mount {
                kind,
                destination,
                options,
                name,
                ..Mount::default()
            })
        }
        "tmpfs" => {
            options.extend(tmpfs_opts);
            Ok(Mount {
                kind,
                source: PathBuf::from("tmpfs"),
                destination,
                options,
                ..Mount::default()
            })
        }
        "image" => {
            let Some(src) = src else {
                return Err(bad(SpecProblem::ImageWithoutSource));
            };
            // Images are mounted read-only unless rw=true was asked for.
            if !spec.split(',').any(|f| f == "rw" || f == "rw=true") {
                options.push("ro".into());
            }
            options.dedup();
            Ok(Mount {
                kind,
                destination,
                options,
                name: src,
                ..Mount::default()
            })
        }
        other => Err(bad(SpecProblem::UnknownType(other.to_string()))),
    }
}

/// `volume create --opt KEY=VALUE`: the local driver knows type, device, o (and podman's
/// size/inodes/uid/gid, accepted and recorded).
pub fn parse_volume_opt(o: &str) -> Result<(String, String)> {
    let (k, v) = o
        .split_once('=')
        .ok_or_else(|| invalid("volume option", o, SpecProblem::OptionSyntax))?;
    if !matches!(
        k,
        "type" | "device" | "o" | "size" | "inodes" | "uid" | "gid" | "copy" | "nocopy"
    ) {
        return Err(invalid(
            "volume option",
            o,
            SpecProblem::UnknownDriverOption(k.to_string()),
        ));
    }
    Ok((k.to_string(), v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_flags() {
        let m = parse_volume_flag("data:/srv:ro,U").unwrap();
        assert_eq!((m.kind.as_str(), m.name.as_str()), ("volume", "data"));
        assert!(m.read_only());
        let anon = parse_volume_flag("/cache").unwrap();
        assert_eq!((anon.kind.as_str(), anon.name.as_str()), ("volume", ""));
        assert_eq!(parse_volume_flag("/tmp:/t").unwrap().kind, "bind");
        assert!(parse_volume_flag("bad name:/x").is_err());
        assert!(parse_volume_flag("v:rel").is_err());
        assert!(parse_volume_flag("v:/x:bogus").is_err());
        assert!(parse_volume_flag("v:/x:ro,rw").is_err());
        let err = |v: &str| parse_volume_flag(v).unwrap_err().to_string();
        assert_eq!(err(":/x"), "host directory cannot be empty");
        assert_eq!(
            err("v:/x:bogus"),
            "invalid volume \"v:/x:bogus\": unknown option \"bogus\""
        );
    }

    #[test]
    fn mount_flags() {
        let m = parse_mount_flag("type=volume,src=v1,dst=/data,ro").unwrap();
        assert_eq!(m.name, "v1");
        assert!(m.read_only());
        let t = parse_mount_flag("type=tmpfs,destination=/t,tmpfs-size=1m").unwrap();
        assert_eq!(t.options, vec!["size=1m"]);
        let i = parse_mount_flag("type=image,src=busybox,target=/img").unwrap();
        assert!(i.read_only());
        assert!(parse_mount_flag("type=bind,dst=/x").is_err());
        assert!(parse_mount_flag("type=nfs,dst=/x").is_err());
        assert!(parse_mount_flag("src=v,dst=/x").is_err());
        assert!(parse_mount_flag("type=volume,src=v").is_err());
        assert!(parse_mount_flag("type=volume,dst=/x,bogus=1").is_err());
        assert_eq!(
            parse_mount_flag("type=volume,dst=/x,ro=maybe")
                .unwrap_err()
                .to_string(),
            "invalid --mount \"type=volume,dst=/x,ro=maybe\": ro takes true or false, not \"maybe\""
        );
    }
}
