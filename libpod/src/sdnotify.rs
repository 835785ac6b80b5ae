//! sd_notify(3): telling the service manager that a unit is ready and which process is its
//! main one. The protocol is one datagram of `KEY=VALUE` lines on the unix socket named by
//! `$NOTIFY_SOCKET` (an abstract socket when the name starts with `@`). It is a single
//! `sendto`, so it is written here rather than pulled in as a crate (the crates for it bring
//! D-Bus or journal code along). Nothing here runs unless `$NOTIFY_SOCKET` is set.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use nix::sys::socket::{AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr, sendto, socket};

/// The environment variable systemd sets for `Type=notify` services.
pub const ENV: &str = "NOTIFY_SOCKET";

/// Where the socket appears inside a container with `--sdnotify=container` (podman's path).
pub const CONTAINER_SOCKET: &str = "/run/notify/notify.sock";

/// `--sdnotify`: who tells systemd that the container is ready.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SdNotifyMode {
    /// The container's monitor, once the container runs (podman's `conmon`).
    #[default]
    Conmon,
    /// The container's own program: the socket is passed into it.
    Container,
    /// The monitor, once the container's healthcheck first passes.
    Healthy,
    /// Nobody.
    Ignore,
}

impl SdNotifyMode {
    pub fn parse(s: &str) -> Option<SdNotifyMode> {
        Some(match s {
            "" | "conmon" => SdNotifyMode::Conmon,
            "container" => SdNotifyMode::Container,
            "healthy" => SdNotifyMode::Healthy,
            "ignore" => SdNotifyMode::Ignore,
            _ => return None,
        })
    }

    /// As stored in the container's config: empty for the default.
    pub fn stored(self) -> &'static str {
        match self {
            SdNotifyMode::Conmon => "",
            SdNotifyMode::Container => "container",
            SdNotifyMode::Healthy => "healthy",
            SdNotifyMode::Ignore => "ignore",
        }
    }
}

/// `$NOTIFY_SOCKET`, when this process runs under a `Type=notify` unit.
pub fn socket_from_env() -> Option<OsString> {
    std::env::var_os(ENV).filter(|s| !s.is_empty())
}

/// Sends `message` (newline-separated `KEY=VALUE` assignments) to the socket `name`.
pub fn notify(name: &std::ffi::OsStr, message: &str) -> std::io::Result<()> {
    let bytes = name.as_bytes();
    let addr = match bytes.strip_prefix(b"@") {
        Some(abstract_name) => UnixAddr::new_abstract(abstract_name)?,
        None => UnixAddr::new(bytes)?,
    };
    let fd = socket(
        AddressFamily::Unix,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    sendto(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        message.as_bytes(),
        &addr,
        MsgFlags::MSG_NOSIGNAL,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;

    #[test]
    fn one_datagram_reaches_path_and_abstract_sockets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        notify(path.as_os_str(), "MAINPID=42\nREADY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"MAINPID=42\nREADY=1");

        let name = format!("burrow-sdnotify-test-{}", std::process::id());
        let addr =
            <std::os::unix::net::SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(
                name.as_bytes(),
            )
            .unwrap();
        let rx = UnixDatagram::bind_addr(&addr).unwrap();
        notify(std::ffi::OsStr::new(&format!("@{name}")), "READY=1").unwrap();
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
    }

    #[test]
    fn modes() {
        assert_eq!(SdNotifyMode::parse("conmon"), Some(SdNotifyMode::Conmon));
        assert_eq!(SdNotifyMode::parse("healthy").unwrap().stored(), "healthy");
        assert_eq!(SdNotifyMode::parse("x"), None);
    }
}
