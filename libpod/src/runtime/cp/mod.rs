//! `cp`: files between the host and a container, running or stopped, as `podman cp` copies
//! them (trailing `/.` copies a directory's contents, `-` is a tar stream).
//!
//! Every container path is resolved *inside the container's root*: a symlink met on the way
//! (an absolute target, or `..`) is re-rooted there, as securejoin does, so a link in the
//! image pointing at /etc/passwd names the container's file, never the host's. Writing
//! opens the receiving directory with openat2(RESOLVE_IN_ROOT) and works from directory
//! descriptors below it with O_NOFOLLOW, replacing an existing link rather than following
//! it: even a running container swapping a directory for a link cannot redirect a write.
//! (Reading walks paths: a racing container could at worst make the user read a file the
//! user can read anyway.) This module must never write a host path through a container's
//! symlink.
//! A running container is reached through /proc/PID/root (its own mounts, volumes
//! included); a stopped one through its root file system mounted in the user's namespace.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{AtFlags, OFlag, OpenHow, ResolveFlag, openat};
use nix::sys::stat::{Mode, SFlag, fstatat, mkdirat};
use nix::unistd::{Gid, Uid, UnlinkatFlags, unlinkat};

use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::spec::userns::IdMap;
use crate::userns::maps::to_parent;

use super::Runtime;
use crate::in_root::resolve_in_root;

mod error;

pub use error::CopyError;

/// One side of a copy.
#[derive(Clone, Debug)]
pub enum CopyEnd {
    Host(String),
    Container {
        name: String,
        path: String,
    },
    /// A tar stream: standard input as a source, standard output as a destination.
    Stream,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct CopyOptions {
    /// Into a container: files belong to the container's user (podman's default `-a`);
    /// without it they keep the owner they have.
    pub archive: bool,
    /// A directory may replace a file and the other way round.
    pub overwrite: bool,
}

/// The container's root as this process can reach it, and whether we mounted it for the copy.
struct ContainerRoot {
    path: PathBuf,
    mounted_here: Option<String>,
}

impl Runtime {
    fn container_root(&self, c: &Container) -> Result<ContainerRoot> {
        if matches!(c.status(), Status::Running | Status::Paused) && c.state.pid > 0 {
            return Ok(ContainerRoot {
                path: PathBuf::from(format!("/proc/{}/root", c.state.pid)),
                mounted_here: None,
            });
        }
        let shared: Vec<&crate::container::Mount> = c
            .config
            .mounts
            .iter()
            .filter(|m| matches!(m.kind.as_str(), "bind" | "volume") && m.source.is_absolute())
            .collect();
        if shared.is_empty() {
            let merged = self.paths.container_dir(&c.id).join("merged");
            let was_mounted = super::is_mountpoint(&merged);
            let path = self.mount(&c.id)?;
            return Ok(ContainerRoot {
                path,
                mounted_here: (!was_mounted).then(|| c.id.clone()),
            });
        }
        // The container's volumes and binds belong in its view too: they are bound over the
        // root in a mount namespace private to this process, gone when it exits, so nothing
        // shows in (or needs removing from) the user's namespace. Single-threaded here.
        storage::mount_ns::enter_private()
            .map_err(|e| LibpodError::sys("create a private mount namespace for cp", e))?;
        let path = self.mount(&c.id)?;
        for m in shared {
            let target = resolve_in_root(&path, &m.destination.to_string_lossy(), true)?;
            if fs::symlink_metadata(&target).is_err() {
                continue;
            }
            nix::mount::mount(
                Some(m.source.as_path()),
                &target,
                None::<&str>,
                nix::mount::MsFlags::MS_BIND | nix::mount::MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(|e| LibpodError::sys(format!("bind {} for cp", m.destination.display()), e))?;
        }
        Ok(ContainerRoot {
            path,
            mounted_here: None,
        })
    }

    /// `cp SRC DEST`, one side a container.
    pub fn copy(&self, src: &CopyEnd, dest: &CopyEnd, opts: &CopyOptions) -> Result<()> {
        let ctr = match (src, dest) {
            (CopyEnd::Container { name, .. }, _) | (_, CopyEnd::Container { name, .. }) => {
                self.lookup(name)?
            }
            _ => return Err(CopyError::NoContainer.into()),
        };
        let root = self.container_root(&ctr)?;
        let res = self.copy_in(&ctr, &root.path, src, dest, opts);
        let Some(id) = root.mounted_here else {
            return res;
        };
        // A root file system left mounted does not undo a copy that was done, so a failed
        // unmount is reported only with a failed copy.
        let unmounted = self.unmount(&id);
        res.map_err(|e| e.with_cleanup(unmounted.err().into_iter().collect()))
    }

    fn copy_in(
        &self,
        ctr: &Container,
        root: &Path,
        src: &CopyEnd,
        dest: &CopyEnd,
        opts: &CopyOptions,
    ) -> Result<()> {
        // A relative container path is relative to the container's working directory.
        let in_workdir = |end: &CopyEnd| match end {
            CopyEnd::Container { name, path } if !path.starts_with('/') => CopyEnd::Container {
                name: name.clone(),
                path: format!("{}/{path}", ctr.config.workdir.trim_end_matches('/')),
            },
            other => other.clone(),
        };
        let (src, dest) = (&in_workdir(src), &in_workdir(dest));
        match (src, dest) {
            (CopyEnd::Container { path, .. }, CopyEnd::Stream) => {
                let from = resolve_in_root(root, path, true)?;
                exists(&from, path)?;
                let name = base_name(path);
                let out = std::io::stdout().lock();
                if ctr.config.uid_map.is_empty() {
                    tar_to(&from, &name, out)
                } else {
                    // Owners as the container sees them, as for `export`.
                    Ok(storage::dirtar::tar_entry_owned(
                        &from,
                        &name,
                        out,
                        &|u, g| super::userns_mode::owner_in_container(ctr, u, g),
                    )?)
                }
            }
            (CopyEnd::Stream, CopyEnd::Container { path, .. }) => {
                let to = resolve_in_root(root, path, true)?;
                if !fs::metadata(&to).map(|m| m.is_dir()).unwrap_or(false) {
                    return Err(CopyError::StreamNeedsDirectory {
                        dest: format!("{}:{path}", ctr.name),
                    }
                    .into());
                }
                // Unpacked first where nothing else writes (the store's secure extraction
                // assumes that), then copied in like a directory's contents.
                let scratch = self.paths.data.join(format!(".cp-{}", std::process::id()));
                fs::create_dir(&scratch)
                    .map_err(|e| LibpodError::io(format!("create {}", scratch.display()), e))?;
                let res = (|| {
                    let plain =
                        storage::compression::decompress(std::io::stdin().lock(), "tar stream")?;
                    let xo = storage::layer::ExtractOptions {
                        whiteouts: storage::layer::Whiteouts::Delete,
                        rootless: self.rootless,
                    };
                    storage::layer::extract(plain, &scratch, xo, "tar stream", None)?;
                    let plan = CopyPlan {
                        target: to.clone(),
                        contents_only: true,
                    };
                    // Without -a the tar's own owners are kept.
                    Copier {
                        chown: opts
                            .archive
                            .then(|| container_owner(root, &ctr.config.user)),
                        keep_owner: !opts.archive,
                        overwrite: opts.overwrite,
                        userns: container_maps(ctr),
                    }
                    .run(&scratch, root, &plan)
                })();
                let removed = fs::remove_dir_all(&scratch)
                    .map_err(|e| LibpodError::io(format!("remove {}", scratch.display()), e));
                // Once the files are in, a scratch directory left in the data root is only
                // litter: reported with a failed copy, not as one.
                res.map_err(|e| e.with_cleanup(removed.err().into_iter().collect()))
            }
            (CopyEnd::Container { path, .. }, CopyEnd::Host(host)) => {
                let from = resolve_in_root(root, path, true)?;
                exists(&from, &format!("{}:{path}", ctr.name))?;
                // Absolute, so the copy can resolve it from "/" like any host path.
                let host_path = std::env::current_dir()
                    .map_err(|e| LibpodError::io("read the current directory", e))?
                    .join(host);
                let plan = plan_copy(&from, path, &host_path, host)?;
                Copier {
                    chown: None,
                    keep_owner: false,
                    overwrite: opts.overwrite,
                    userns: None,
                }
                .run(&from, Path::new("/"), &plan)
            }
            (CopyEnd::Host(host), CopyEnd::Container { path, .. }) => {
                let from = PathBuf::from(host);
                exists(&from, host)?;
                let to = resolve_in_root(root, path, true)?;
                let plan = plan_copy(&from, host, &to, &format!("{}:{path}", ctr.name))?;
                let chown = if opts.archive {
                    Some(container_owner(root, &ctr.config.user))
                } else {
                    None
                };
                Copier {
                    chown,
                    keep_owner: false,
                    overwrite: opts.overwrite,
                    userns: container_maps(ctr),
                }
                .run(&from, root, &plan)
            }
            _ => Err(CopyError::NoContainer.into()),
        }
    }
}

fn exists(p: &Path, shown: &str) -> Result<()> {
    match fs::symlink_metadata(p) {
        Ok(_) => Ok(()),
        Err(e) => Err(LibpodError::io(format!("copy from \"{shown}\""), e)),
    }
}

fn base_name(path: &str) -> String {
    Path::new(path.trim_end_matches("/."))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".to_string())
}

/// Where the copy lands: `target` is created (or merged into), `contents_only` copies what
/// is inside a source directory rather than the directory itself.
struct CopyPlan {
    target: PathBuf,
    contents_only: bool,
}

/// docker's and podman's rules for SRC and DEST (see `podman cp`): into an existing
/// directory by the source's name; onto a new name whose parent exists; `/.` for contents.
fn plan_copy(from: &Path, src_arg: &str, to: &Path, dest_arg: &str) -> Result<CopyPlan> {
    let src_dir = fs::metadata(from).map(|m| m.is_dir()).unwrap_or(false);
    let contents = src_arg.ends_with("/.") || src_arg == ".";
    let dest_meta = fs::metadata(to).ok();
    let dest_slash = dest_arg.ends_with('/');
    let missing_parent = || {
        let parent = to.parent().unwrap_or(Path::new("/"));
        if fs::metadata(parent).map(|m| m.is_dir()).unwrap_or(false) {
            Ok(())
        } else {
            Err(CopyError::MissingParent(dest_arg.to_string()))
        }
    };
    match (src_dir, dest_meta) {
        (false, Some(m)) if m.is_dir() => Ok(CopyPlan {
            target: to.join(base_name(src_arg)),
            contents_only: false,
        }),
        (false, Some(_)) => Ok(CopyPlan {
            target: to.to_path_buf(),
            contents_only: false,
        }),
        (false, None) => {
            if dest_slash {
                return Err(CopyError::MissingDirectory(dest_arg.to_string()).into());
            }
            missing_parent()?;
            Ok(CopyPlan {
                target: to.to_path_buf(),
                contents_only: false,
            })
        }
        (true, Some(m)) if !m.is_dir() => {
            Err(CopyError::DirectoryOntoFile(dest_arg.to_string()).into())
        }
        (true, Some(_)) if contents => Ok(CopyPlan {
            target: to.to_path_buf(),
            contents_only: true,
        }),
        (true, Some(_)) => Ok(CopyPlan {
            target: to.join(base_name(src_arg)),
            contents_only: false,
        }),
        (true, None) => {
            missing_parent()?;
            Ok(CopyPlan {
                target: to.to_path_buf(),
                contents_only: false,
            })
        }
    }
}

/// The uid and gid of the container's user, read from the container's own passwd (a
/// regular file only: a symlinked one could name a host file).
fn container_owner(root: &Path, user: &str) -> (u32, u32) {
    let read = |p: &str| {
        resolve_in_root(root, p, false)
            .ok()
            .filter(|f| {
                fs::symlink_metadata(f)
                    .map(|m| m.is_file())
                    .unwrap_or(false)
            })
            .and_then(|f| fs::read_to_string(f).ok())
            .unwrap_or_default()
    };
    crate::executor::user::resolve_in(user, &[], &read("/etc/passwd"), &read("/etc/group"))
        .map(|u| (u.uid, u.gid))
        .unwrap_or((0, 0))
}

struct Copier {
    /// Give every entry this owner...
    chown: Option<(u32, u32)>,
    /// ...or the owner it has in the source (a tar stream's owners).
    keep_owner: bool,
    overwrite: bool,
    /// The maps of the container's own user namespace, for copies into it: the owners above
    /// are the container's ids, written as the ids they are outside (root's when none).
    userns: Option<(Vec<IdMap>, Vec<IdMap>)>,
}

/// The container's own user namespace maps, if it has one.
fn container_maps(c: &Container) -> Option<(Vec<IdMap>, Vec<IdMap>)> {
    (!c.config.uid_map.is_empty()).then(|| (c.config.uid_map.clone(), c.config.gid_map.clone()))
}

fn sys(what: &str, p: impl std::fmt::Display) -> impl FnOnce(nix::Error) -> LibpodError {
    let ctx = format!("{what} {p}");
    move |e| LibpodError::sys(ctx, e)
}

/// Opens a directory below `root_fd` with the kernel resolving every symlink inside that
/// root (openat2 RESOLVE_IN_ROOT): no swap of a component for a link, even by a running
/// container at the same moment, can lead out of it.
fn open_dir_in_root(root_fd: &OwnedFd, rel: &Path) -> Result<OwnedFd> {
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let how = OpenHow::new()
        .flags(OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    nix::fcntl::openat2(root_fd, rel, how).map_err(sys("open directory", rel.display()))
}

/// Removes `name` in `dir` (a whole tree if it is a directory) without following links.
fn remove_at(dir: &OwnedFd, name: &OsStr) -> Result<()> {
    let st = fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)
        .map_err(sys("stat", name.to_string_lossy()))?;
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR {
        let sub = openat(
            dir,
            name,
            OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(sys("open", name.to_string_lossy()))?;
        let listing = sub.try_clone().map_err(|e| LibpodError::io("dup", e))?;
        let mut d = nix::dir::Dir::from_fd(listing).map_err(sys("list", name.to_string_lossy()))?;
        let names: Vec<std::ffi::OsString> = d
            .iter()
            .filter_map(|e| e.ok())
            .map(|e| OsStr::from_bytes(e.file_name().to_bytes()).to_os_string())
            .filter(|n| n != "." && n != "..")
            .collect();
        for n in names {
            remove_at(&sub, &n)?;
        }
        unlinkat(dir, name, UnlinkatFlags::RemoveDir).map_err(sys("remove", name.to_string_lossy()))
    } else {
        unlinkat(dir, name, UnlinkatFlags::NoRemoveDir)
            .map_err(sys("remove", name.to_string_lossy()))
    }
}

impl Copier {
    /// Copies `from` to `plan.target`, a path under `root`: the directory receiving the
    /// entry is opened inside the root by the kernel, and everything below it is written
    /// relative to directory descriptors, never through a path a symlink could redirect.
    fn run(&self, from: &Path, root: &Path, plan: &CopyPlan) -> Result<()> {
        let root_fd = nix::fcntl::open(
            root,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(sys("open", root.display()))?;
        let rel = plan.target.strip_prefix(root).unwrap_or(&plan.target);
        if plan.contents_only {
            let dir = open_dir_in_root(&root_fd, rel)?;
            for e in read_dir(from)? {
                self.entry_at(&e.path(), &dir, &e.file_name())?;
            }
            return Ok(());
        }
        let Some(name) = rel.file_name() else {
            return Err(CopyError::NoTargetName(plan.target.clone()).into());
        };
        let dir = open_dir_in_root(&root_fd, rel.parent().unwrap_or(Path::new("")))?;
        self.entry_at(from, &dir, name)
    }

    /// Copies one entry into `dir` as `name`. An existing link there is removed first, and
    /// every open uses O_NOFOLLOW, so writing never goes through a link.
    fn entry_at(&self, src: &Path, dir: &OwnedFd, name: &OsStr) -> Result<()> {
        let shown = name.to_string_lossy();
        let meta = fs::symlink_metadata(src)
            .map_err(|e| LibpodError::io(format!("read {}", src.display()), e))?;
        let ft = meta.file_type();
        if !(ft.is_dir() || ft.is_symlink() || ft.is_file()) {
            // Devices, fifos and sockets are not copied (podman cp skips them too).
            return Ok(());
        }
        let existing = fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)
            .ok()
            .map(|st| SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT);
        let mut have_dir = existing == Some(SFlag::S_IFDIR);
        if let Some(kind) = existing {
            let link = kind == SFlag::S_IFLNK;
            if have_dir != ft.is_dir() && !link && !self.overwrite {
                return Err(CopyError::WouldReplace {
                    name: shown.into_owned(),
                    existing_is_dir: have_dir,
                }
                .into());
            }
            if link || have_dir != ft.is_dir() || ft.is_symlink() {
                remove_at(dir, name)?;
                have_dir = false;
            }
        }
        let mode = Mode::from_bits_truncate(meta.permissions().mode() & 0o7777);
        let owner = if self.keep_owner {
            Some((meta.uid(), meta.gid()))
        } else {
            self.chown
        };
        let owner = match &self.userns {
            Some((uids, gids)) => {
                let (u, g) = owner.unwrap_or((0, 0));
                let root = |m: &[IdMap]| to_parent(m, 0).unwrap_or(0);
                Some((
                    to_parent(uids, u).unwrap_or_else(|| root(uids)),
                    to_parent(gids, g).unwrap_or_else(|| root(gids)),
                ))
            }
            None => owner,
        };
        let chown_fd = |fd: &OwnedFd| -> Result<()> {
            if let Some((uid, gid)) = owner {
                nix::unistd::fchown(fd, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))
                    .map_err(sys("chown", &shown))?;
            }
            Ok(())
        };
        if ft.is_dir() {
            if !have_dir {
                mkdirat(dir, name, Mode::from_bits_truncate(0o700))
                    .map_err(sys("create directory", &shown))?;
            }
            let sub = openat(
                dir,
                name,
                OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(sys("open directory", &shown))?;
            for e in read_dir(src)? {
                self.entry_at(&e.path(), &sub, &e.file_name())?;
            }
            nix::sys::stat::fchmod(&sub, mode).map_err(sys("chmod", &shown))?;
            chown_fd(&sub)?;
        } else if ft.is_symlink() {
            let target = fs::read_link(src)
                .map_err(|e| LibpodError::io(format!("read link {}", src.display()), e))?;
            nix::unistd::symlinkat(&target, dir, name).map_err(sys("create link", &shown))?;
            if let Some((uid, gid)) = owner {
                nix::unistd::fchownat(
                    dir,
                    name,
                    Some(Uid::from_raw(uid)),
                    Some(Gid::from_raw(gid)),
                    AtFlags::AT_SYMLINK_NOFOLLOW,
                )
                .map_err(sys("chown", &shown))?;
            }
        } else {
            let mut input = fs::File::open(src)
                .map_err(|e| LibpodError::io(format!("open {}", src.display()), e))?;
            let fd = openat(
                dir,
                name,
                OFlag::O_WRONLY
                    | OFlag::O_CREAT
                    | OFlag::O_TRUNC
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC,
                mode,
            )
            .map_err(sys("create", &shown))?;
            let mut out = fs::File::from(fd);
            std::io::copy(&mut input, &mut out)
                .map_err(|e| LibpodError::io(format!("write {shown}"), e))?;
            out.flush()
                .map_err(|e| LibpodError::io(format!("write {shown}"), e))?;
            let fd = OwnedFd::from(out);
            nix::sys::stat::fchmod(&fd, mode).map_err(sys("chmod", &shown))?;
            chown_fd(&fd)?;
        }
        Ok(())
    }
}

fn read_dir(p: &Path) -> Result<Vec<fs::DirEntry>> {
    let mut v: Vec<fs::DirEntry> = fs::read_dir(p)
        .and_then(|d| d.collect())
        .map_err(|e| LibpodError::io(format!("read {}", p.display()), e))?;
    v.sort_by_key(|e| e.file_name());
    Ok(v)
}

/// `cp CTR:PATH -`: the entry (a directory with everything under it) as a tar stream named
/// by its base name, symlinks kept as links.
fn tar_to(from: &Path, name: &str, out: impl Write) -> Result<()> {
    let mut b = tar::Builder::new(out);
    b.follow_symlinks(false);
    let err = |e| LibpodError::io(format!("write the tar stream of {}", from.display()), e);
    if fs::symlink_metadata(from)
        .map(|m| m.is_dir())
        .unwrap_or(false)
    {
        b.append_dir_all(name, from).map_err(err)?;
    } else {
        b.append_path_with_name(from, name).map_err(err)?;
    }
    b.finish().map_err(err)
}
