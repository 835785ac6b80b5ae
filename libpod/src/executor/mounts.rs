//! The container's filesystem view, built in the child inside its fresh mount namespace:
//! rootfs, /proc, /sys, /dev, bind mounts, pivot_root, then masked and read-only paths.
//! Everything mounted here disappears with the namespace, so nothing needs unmounting later.

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Component, Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sys::statvfs::{FsFlags, statvfs};

use super::{ChildError, Plan};
use crate::container::Mount;

type Res = Result<(), ChildError>;

fn ctx(what: impl Into<String>) -> impl FnOnce(nix::Error) -> ChildError {
    let what = what.into();
    move |e| ChildError::setup(format!("{what}: {e}"))
}

/// Joins a container path onto the new root without letting `..` climb out of it.
pub fn in_root(root: &Path, p: &Path) -> PathBuf {
    let mut out = root.to_path_buf();
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir if out != root => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// Creates `target` (a directory, or an empty file when the source is a file) for a mount.
/// Refuses to create it through a symlink, which could point anywhere on the host before
/// pivot_root.
fn mount_point(root: &Path, target: &Path, dir: bool) -> Res {
    let mut cur = root.to_path_buf();
    let comps: Vec<_> = target
        .strip_prefix(root)
        .unwrap_or(target)
        .components()
        .collect();
    for (i, c) in comps.iter().enumerate() {
        let Component::Normal(n) = c else { continue };
        cur.push(n);
        let last = i + 1 == comps.len();
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(ChildError::setup(format!(
                    "mount point {} is a symlink in the image: refusing to follow it",
                    cur.display()
                )));
            }
            Ok(_) => {}
            Err(_) if last && !dir => {
                fs::File::create(&cur)
                    .map_err(|e| ChildError::setup(format!("create {}: {e}", cur.display())))?;
            }
            Err(_) => {
                fs::create_dir(&cur)
                    .map_err(|e| ChildError::setup(format!("mkdir {}: {e}", cur.display())))?;
            }
        }
    }
    Ok(())
}

pub fn setup_rootfs(plan: &Plan<'_>) -> Res {
    let root = plan.rootfs.as_path();
    // Nothing we mount may propagate back to the user's namespace.
    storage::mount_ns::make_private().map_err(ctx("make / private"))?;
    (plan.mount_rootfs)(root).map_err(ChildError::setup)?;
    if let Some(p) = &plan.passwd {
        super::passwd::apply(root, p)?;
    }

    mount_point(root, &root.join("proc"), true)?;
    let nosuid = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    if plan.host_pid {
        // `--pid host`: a user namespace may not mount a proc of a pid namespace it does not
        // own; the host's /proc is bound instead, as crun does.
        mount(
            Some("/proc"),
            &root.join("proc"),
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(ctx("bind /proc"))?;
    } else {
        mount(
            Some("proc"),
            &root.join("proc"),
            Some("proc"),
            nosuid,
            None::<&str>,
        )
        .map_err(ctx("mount /proc"))?;
    }

    mount_point(root, &root.join("sys"), true)?;
    let sys = root.join("sys");
    if mount(
        Some("sysfs"),
        &sys,
        Some("sysfs"),
        nosuid | MsFlags::MS_RDONLY,
        None::<&str>,
    )
    .is_err()
    {
        // Without our own network namespace (--network host) sysfs cannot be mounted in a user
        // namespace; podman then binds the host's read-only, as we do.
        mount(
            Some("/sys"),
            &sys,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(ctx("bind /sys"))?;
        remount_ro(&sys)?;
    } else if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        // cgroup v2: the container's own subtree (its cgroup namespace is rooted at its
        // cgroup), so it sees its limits in /sys/fs/cgroup; read-only unless privileged,
        // as podman mounts it.
        let mut flags = nosuid;
        if !plan.privileged {
            flags |= MsFlags::MS_RDONLY;
        }
        mount(
            Some("cgroup2"),
            &sys.join("fs/cgroup"),
            Some("cgroup2"),
            flags,
            None::<&str>,
        )
        .map_err(ctx("mount the cgroup file system on /sys/fs/cgroup"))?;
    }

    setup_dev(root, plan.host_ipc)?;

    for (src, dest) in &plan.etc_files {
        let target = in_root(root, Path::new(dest));
        if dest == "/etc/hosts"
            && let Some(at) = plan.hosts_image_base
        {
            image_hosts_into(&target, src, at)?;
        }
        // `--tz`: images link /etc/localtime into their zoneinfo; the link goes (as podman
        // unlinks it) so the chosen zone can be bound there.
        if dest == "/etc/localtime" && fs::symlink_metadata(&target).is_ok_and(|m| m.is_symlink()) {
            fs::remove_file(&target)
                .map_err(|e| ChildError::setup(format!("remove /etc/localtime: {e}")))?;
        }
        mount_point(root, &target, false)?;
        bind(src, &target, MsFlags::MS_BIND, &plan.keep_fds)
            .map_err(ctx(format!("bind {dest}")))?;
    }
    let mut owner = None;
    for m in &plan.mounts {
        user_mount(root, m, &plan.keep_fds)?;
        if m.options.iter().any(|o| o == "U") && m.kind != "tmpfs" {
            // `:U`: the source belongs to the container's user, resolved against the
            // image's own passwd (before pivot_root, so read through the new root).
            let (uid, gid) = match owner {
                Some(o) => o,
                None => {
                    let o = container_owner(root, &plan.process.user)?;
                    owner = Some(o);
                    o
                }
            };
            chown_tree(&m.source, uid, gid)?;
        }
    }
    Ok(())
}

/// `--hosts-file image`: the image's /etc/hosts (a regular file only) goes into the generated
/// one at byte `at`, after the `--add-host` entries, as podman's base file.
fn image_hosts_into(image_file: &Path, generated: &Path, at: usize) -> Res {
    let image = match fs::symlink_metadata(image_file) {
        Ok(m) if m.is_file() => fs::read_to_string(image_file).unwrap_or_default(),
        _ => return Ok(()),
    };
    let ours = fs::read_to_string(generated)
        .map_err(|e| ChildError::setup(format!("read {}: {e}", generated.display())))?;
    let at = if ours.is_char_boundary(at) { at } else { 0 };
    let mut image = image;
    if !image.is_empty() && !image.ends_with('\n') {
        image.push('\n');
    }
    fs::write(generated, format!("{}{image}{}", &ours[..at], &ours[at..]))
        .map_err(|e| ChildError::setup(format!("write {}: {e}", generated.display())))
}

/// The uid and gid `--user` names inside the image (root when unset).
fn container_owner(root: &Path, user: &str) -> Result<(u32, u32), ChildError> {
    let read = |p: &str| {
        let path = in_root(root, Path::new(p));
        // A symlinked passwd could point at the host's file: only a regular file counts.
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => fs::read_to_string(&path).unwrap_or_default(),
            _ => String::new(),
        }
    };
    let u = super::user::resolve_in(user, &[], &read("/etc/passwd"), &read("/etc/group"))?;
    Ok((u.uid, u.gid))
}

/// `lchown -R`: never follows a symlink, so nothing outside the tree changes owner.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> Res {
    nix::unistd::fchownat(
        nix::fcntl::AT_FDCWD,
        path,
        Some(nix::unistd::Uid::from_raw(uid)),
        Some(nix::unistd::Gid::from_raw(gid)),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(ctx(format!("chown {}", path.display())))?;
    let is_dir = fs::symlink_metadata(path)
        .map(|m| m.is_dir())
        .unwrap_or(false);
    if is_dir {
        let entries = fs::read_dir(path)
            .map_err(|e| ChildError::setup(format!("read {}: {e}", path.display())))?;
        for e in entries.flatten() {
            chown_tree(&e.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// A new volume's first mount: it gets what the image has at the mount point, owners and
/// modes included, as podman's copy-up does. Only an empty volume is filled.
fn copy_up(root: &Path, m: &Mount) -> Res {
    let from = in_root(root, &m.destination);
    let is_dir = matches!(fs::symlink_metadata(&from), Ok(md) if md.is_dir());
    let empty = fs::read_dir(&m.source)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if !is_dir || !empty {
        return Ok(());
    }
    storage::copy::copy_contents(&from, &m.source).map_err(|e| {
        ChildError::setup(format!(
            "copy {} into volume {}: {e}",
            m.destination.display(),
            m.name
        ))
    })
}

fn setup_dev(root: &Path, host_ipc: bool) -> Res {
    let dev = root.join("dev");
    mount_point(root, &dev, true)?;
    mount_tmpfs(
        "tmpfs",
        &dev,
        MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )
    .map_err(ctx("mount /dev"))?;
    // Device nodes cannot be created in a user namespace: bind the host's, as podman does
    // rootless. These are the OCI default devices.
    for name in ["null", "zero", "full", "random", "urandom", "tty"] {
        let target = dev.join(name);
        fs::File::create(&target)
            .map_err(|e| ChildError::setup(format!("create /dev/{name}: {e}")))?;
        mount(
            Some(Path::new("/dev").join(name).as_path()),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(ctx(format!("bind /dev/{name}")))?;
    }
    let pts = dev.join("pts");
    fs::create_dir(&pts).map_err(|e| ChildError::setup(format!("mkdir /dev/pts: {e}")))?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC;
    if mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        flags,
        Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )
    .is_err()
    {
        // gid 5 (tty) is unmapped when the user has no subordinate gids beyond their own.
        mount(
            Some("devpts"),
            &pts,
            Some("devpts"),
            flags,
            Some("newinstance,ptmxmode=0666,mode=0620"),
        )
        .map_err(ctx("mount /dev/pts"))?;
    }
    symlink("pts/ptmx", dev.join("ptmx"))
        .map_err(|e| ChildError::setup(format!("symlink /dev/ptmx: {e}")))?;
    let shm = dev.join("shm");
    fs::create_dir(&shm).map_err(|e| ChildError::setup(format!("mkdir /dev/shm: {e}")))?;
    mount_tmpfs(
        "shm",
        &shm,
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC | MsFlags::MS_NODEV,
        Some("mode=1777,size=65536k"),
    )
    .map_err(ctx("mount /dev/shm"))?;
    let mq = dev.join("mqueue");
    fs::create_dir(&mq).map_err(|e| ChildError::setup(format!("mkdir /dev/mqueue: {e}")))?;
    if host_ipc {
        // `--ipc host`: mqueue of an IPC namespace this user namespace does not own cannot
        // be mounted; the host's is bound (a host without one leaves the directory empty).
        if Path::new("/dev/mqueue").is_dir() {
            mount(
                Some("/dev/mqueue"),
                &mq,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(ctx("bind /dev/mqueue"))?;
        }
    } else {
        mount(
            Some("mqueue"),
            &mq,
            Some("mqueue"),
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC | MsFlags::MS_NODEV,
            None::<&str>,
        )
        .map_err(ctx("mount /dev/mqueue"))?;
    }
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("core", "/proc/kcore"),
    ] {
        symlink(target, dev.join(link))
            .map_err(|e| ChildError::setup(format!("symlink /dev/{link}: {e}")))?;
    }
    Ok(())
}

/// Mounts a new tmpfs at `target`; `source` is only the name `/proc/mounts` shows for it,
/// `data` its size and mode options.
fn mount_tmpfs(source: &str, target: &Path, flags: MsFlags, data: Option<&str>) -> nix::Result<()> {
    mount(Some(source), target, Some("tmpfs"), flags, data)
}

/// A bind of `src` on `target`. A source that is `/proc/self/fd/N` of a descriptor the plan
/// handed over is a detached mount (made by the parent where a container with its own user
/// namespace could not reach the path): it is moved into place, as a bind would refuse it.
fn bind(
    src: &Path,
    target: &Path,
    flags: MsFlags,
    handed: &[std::os::fd::OwnedFd],
) -> nix::Result<()> {
    use std::os::fd::AsRawFd;
    let detached = src
        .to_str()
        .and_then(|s| s.strip_prefix("/proc/self/fd/"))
        .and_then(|n| n.parse::<i32>().ok())
        .filter(|n| handed.iter().any(|fd| fd.as_raw_fd() == *n));
    let Some(fd) = detached else {
        return mount(Some(src), target, None::<&str>, flags, None::<&str>);
    };
    let t = cstr(&target.to_string_lossy()).map_err(|_| nix::Error::EINVAL)?;
    const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 4;
    // SAFETY: move_mount reads two NUL-terminated strings and changes no memory of ours.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            fd,
            c"".as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if rc < 0 {
        Err(nix::Error::last())
    } else {
        Ok(())
    }
}

fn user_mount(root: &Path, m: &Mount, handed: &[std::os::fd::OwnedFd]) -> Res {
    let target = in_root(root, &m.destination);
    match m.kind.as_str() {
        "tmpfs" => {
            mount_point(root, &target, true)?;
            let data: Vec<&str> = m
                .options
                .iter()
                .map(String::as_str)
                .filter(|o| {
                    !matches!(
                        *o,
                        "ro" | "rw" | "noexec" | "exec" | "nosuid" | "suid" | "nodev" | "dev"
                    )
                })
                .collect();
            let mut flags = MsFlags::MS_NODEV;
            if !m.options.iter().any(|o| o == "suid") {
                flags |= MsFlags::MS_NOSUID;
            }
            if m.options.iter().any(|o| o == "noexec") {
                flags |= MsFlags::MS_NOEXEC;
            }
            if m.read_only() {
                flags |= MsFlags::MS_RDONLY;
            }
            let data = if data.is_empty() {
                "mode=1777".to_string()
            } else {
                data.join(",")
            };
            mount_tmpfs("tmpfs", &target, flags, Some(data.as_str()))
                .map_err(ctx(format!("mount tmpfs on {}", m.destination.display())))
        }
        _ => {
            let is_dir = fs::metadata(&m.source)
                .map(|md| md.is_dir())
                .unwrap_or(true);
            // mount_point refuses a symlink on the way, so the copy-up below reads only
            // inside the image.
            mount_point(root, &target, is_dir)?;
            if m.copy_up {
                copy_up(root, m)?;
            }
            if let Some((upper, work)) = &m.overlay {
                return overlay_mount(m, &target, upper, work);
            }
            bind(
                &m.source,
                &target,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                handed,
            )
            .map_err(ctx(format!(
                "bind {} on {}",
                m.source.display(),
                m.destination.display()
            )))?;
            if m.read_only() {
                remount_ro(&target)
            } else {
                Ok(())
            }
        }
    }
}

/// `-v SRC:DST:O`: an overlay with the source as its lower layer, so the container writes
/// into its own upper directory and the source never changes. `userxattr`: inside a user
/// namespace overlayfs may only use `user.overlay.*` attributes (harmless as root).
fn overlay_mount(m: &Mount, target: &Path, upper: &Path, work: &Path) -> Res {
    let data = format!(
        "lowerdir={},upperdir={},workdir={},userxattr",
        m.source.display(),
        upper.display(),
        work.display()
    );
    mount(
        Some("overlay"),
        target,
        Some("overlay"),
        MsFlags::MS_NODEV | MsFlags::MS_NOSUID,
        Some(data.as_str()),
    )
    .map_err(ctx(format!(
        "mount an overlay of {} on {}",
        m.source.display(),
        m.destination.display()
    )))?;
    if m.read_only() {
        remount_ro(target)
    } else {
        Ok(())
    }
}

/// Remounts a bind mount read-only, keeping the flags the kernel locked on it in a user
/// namespace (nosuid, nodev, noexec...): dropping one of them is refused with EPERM.
pub fn remount_ro(target: &Path) -> Res {
    let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    if let Ok(st) = statvfs(target) {
        let f = st.flags();
        for (have, want) in [
            (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
            (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
            (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
            (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
            (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
            (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        ] {
            if f.contains(have) {
                flags |= want;
            }
        }
    }
    mount(None::<&str>, target, None::<&str>, flags, None::<&str>)
        .map_err(ctx(format!("remount {} read-only", target.display())))
}

/// pivot_root into the prepared root and drop the old one (the "pivot_root(., .)" trick runc
/// uses: no need for a put_old directory inside the image).
pub fn pivot(root: &Path) -> Res {
    nix::unistd::chdir(root).map_err(ctx("chdir to rootfs"))?;
    nix::unistd::pivot_root(".", ".").map_err(ctx("pivot_root"))?;
    umount2(".", MntFlags::MNT_DETACH).map_err(ctx("detach old root"))?;
    nix::unistd::chdir("/").map_err(ctx("chdir /"))
}

/// Masks paths with /dev/null (files) or an empty read-only tmpfs (directories), then makes
/// the read-only paths read-only. Missing paths are skipped, as in podman. Both kinds of mask
/// are read-only, as crun makes them: a writable /dev/null over /proc/keys would let the
/// container chmod or touch it (EROFS in podman).
pub fn mask_and_protect(masked: &[String], readonly: &[String]) -> Res {
    for p in masked {
        let p = p.as_str();
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                mount_tmpfs("tmpfs", Path::new(p), MsFlags::MS_RDONLY, None)
                    .map_err(ctx(format!("mask {p}")))?;
            }
            Ok(_) => {
                // MS_RDONLY is ignored with a plain MS_BIND: the bind is made, then remounted.
                mount(
                    Some("/dev/null"),
                    p,
                    None::<&str>,
                    MsFlags::MS_BIND,
                    None::<&str>,
                )
                .map_err(ctx(format!("mask {p}")))?;
                remount_ro(Path::new(p))?;
            }
            Err(_) => {}
        }
    }
    for p in readonly {
        let p = p.as_str();
        if fs::metadata(p).is_err() {
            continue;
        }
        mount(
            Some(p),
            p,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(ctx(format!("bind {p}")))?;
        remount_ro(Path::new(p))?;
    }
    Ok(())
}

/// `--read-only`: the root filesystem itself becomes read-only after every mount is in place.
pub fn root_read_only() -> Res {
    remount_ro(Path::new("/"))
}

/// Brings up `lo` in the container's new network namespace (loopback-only networking).
pub fn loopback_up() -> Res {
    // SAFETY: plain socket/ioctl calls on a local buffer; the fd is closed below.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(ChildError::setup(format!(
                "socket: {}",
                std::io::Error::last_os_error()
            )));
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo\0".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        let mut rc = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req);
        if rc == 0 {
            req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            rc = libc::ioctl(fd, libc::SIOCSIFFLAGS, &req);
        }
        let err = std::io::Error::last_os_error();
        libc::close(fd);
        if rc != 0 {
            return Err(ChildError::setup(format!("bring up loopback: {err}")));
        }
    }
    Ok(())
}

pub fn cstr(s: &str) -> Result<CString, ChildError> {
    CString::new(s)
        .map_err(|_| ChildError::setup(format!("NUL byte in \"{}\"", s.replace('\0', "\\0"))))
}
