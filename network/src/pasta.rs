//! passt's `pasta` serving one network namespace (`--network pasta[:OPTIONS]`). pasta has no
//! API for adding forwards later: published ports are given on its command line.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{NetworkError, PortMapping, Protocol};

/// The address pasta answers DNS on inside the namespace (podman 5 uses the same).
pub const PASTA_DNS: &str = "169.254.1.1";

/// A pasta that was started and is configuring the namespace; [`wait`](StartingPasta::wait).
pub struct StartingPasta {
    child: Child,
    pid_file: PathBuf,
}

/// A running pasta (it daemonized once the namespace was configured).
pub struct Pasta {
    pid: i32,
    pid_file: PathBuf,
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> NetworkError + '_ {
    move |source| NetworkError::Io {
        what: what.to_string(),
        source,
    }
}

/// `-t [ADDR/]HOST:CTR` as pasta spells a forward.
fn forward_spec(m: &PortMapping) -> String {
    match m.host_ip {
        Some(ip) => format!("{ip}/{}:{}", m.host_port, m.container_port),
        None => format!("{}:{}", m.host_port, m.container_port),
    }
}

/// pasta's arguments as podman builds them: the user's OPTIONS, the published ports, and
/// "none" for every direction the user did not configure (pasta's default would be "auto").
pub fn pasta_args(user: &[String], ports: &[PortMapping], netns: &Path) -> Vec<String> {
    let mut args = vec!["--config-net".to_string(), "--quiet".to_string()];
    let mut map_gw = false;
    let has = |flags: &[&str]| user.iter().any(|a| flags.contains(&a.as_str()));
    for a in user {
        // podman's own option, not pasta's.
        if a == "--map-gw" {
            map_gw = true;
        } else {
            args.push(a.clone());
        }
    }
    for m in ports {
        args.push(match m.protocol {
            Protocol::Tcp => "-t".into(),
            Protocol::Udp => "-u".into(),
        });
        args.push(forward_spec(m));
    }
    let published = |p| ports.iter().any(|m| m.protocol == p);
    if !published(Protocol::Tcp) && !has(&["-t", "--tcp-ports"]) {
        args.extend(["-t".into(), "none".into()]);
    }
    if !published(Protocol::Udp) && !has(&["-u", "--udp-ports"]) {
        args.extend(["-u".into(), "none".into()]);
    }
    if !has(&["-T", "--tcp-ns"]) {
        args.extend(["-T".into(), "none".into()]);
    }
    if !has(&["-U", "--udp-ns"]) {
        args.extend(["-U".into(), "none".into()]);
    }
    if !map_gw && !has(&["--no-map-gw"]) {
        args.push("--no-map-gw".into());
    }
    if !has(&["--dns-forward"]) {
        args.extend(["--dns-forward".into(), PASTA_DNS.into()]);
    }
    args.push("--netns".into());
    args.push(netns.display().to_string());
    args
}

impl Pasta {
    /// Starts pasta against the network namespace of `netns_pid`; returns at once.
    pub fn spawn(
        netns_pid: i32,
        pid_file: &Path,
        user: &[String],
        ports: &[PortMapping],
    ) -> Result<StartingPasta, NetworkError> {
        let _ = std::fs::remove_file(pid_file);
        // pasta drops its capabilities before it opens the namespace, and then may not open
        // /proc/PID/ns/net of a process in our user namespace (EACCES). Its own descriptor,
        // inherited, always opens.
        let ns = std::fs::File::open(format!("/proc/{netns_pid}/ns/net"))
            .map_err(io("open the container's network namespace for pasta"))?;
        // SAFETY: F_SETFD on our own descriptor; burrow is single-threaded here, so only the
        // pasta spawned below inherits it. Our copy is closed when `ns` drops.
        unsafe { libc::fcntl(ns.as_raw_fd(), libc::F_SETFD, 0) };
        let netns = PathBuf::from(format!("/proc/self/fd/{}", ns.as_raw_fd()));
        let child = Command::new("pasta")
            .args(pasta_args(user, ports, &netns))
            .arg("--pid")
            .arg(pid_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io("run pasta (install the passt package)"))?;
        Ok(StartingPasta {
            child,
            pid_file: pid_file.to_path_buf(),
        })
    }
}

impl StartingPasta {
    /// pasta forks into the background once the namespace is configured and its ports are
    /// bound: its first process exiting 0 is the ready signal.
    pub fn wait(mut self) -> Result<Pasta, NetworkError> {
        let status = self.child.wait().map_err(io("wait for pasta"))?;
        let mut err = String::new();
        if !status.success() {
            if let Some(mut s) = self.child.stderr.take() {
                let _ = s.read_to_string(&mut err);
            }
            let err: Vec<&str> = err
                .lines()
                .filter(|l| !l.contains("syslog") && !l.trim().is_empty())
                .collect();
            return Err(NetworkError::PastaFailed(if err.is_empty() {
                format!("exited with {status}")
            } else {
                err.join("; ")
            }));
        }
        let pid = std::fs::read_to_string(&self.pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        Ok(Pasta {
            pid,
            pid_file: self.pid_file,
        })
    }
}

impl Pasta {
    pub fn stop(self) {
        drop(self)
    }
}

impl Drop for Pasta {
    fn drop(&mut self) {
        // The pid came from pasta's own pid file; check it is still pasta before signalling.
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", self.pid)).unwrap_or_default();
        // Debian's pasta re-execs itself as passt.avx2 where the CPU has AVX2.
        let comm = comm.trim();
        if self.pid > 0 && (comm.starts_with("pasta") || comm.starts_with("passt")) {
            // pasta blocks SIGTERM. SAFETY: kill(2) on a pid we verified is our pasta.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_like_podman() {
        let ports = crate::parse_port("127.0.0.1:8080:80").unwrap();
        let a = pasta_args(&[], &ports, Path::new("/proc/1/ns/net")).join(" ");
        assert!(a.contains("-t 127.0.0.1/8080:80"), "{a}");
        assert!(a.contains("-u none -T none -U none --no-map-gw"), "{a}");
        assert!(a.ends_with("--netns /proc/1/ns/net"), "{a}");
        let a = pasta_args(
            &["--map-gw".into(), "-T".into(), "53".into()],
            &[],
            Path::new("/x"),
        );
        let a = a.join(" ");
        assert!(
            a.contains("-t none") && !a.contains("-T none") && !a.contains("map-gw"),
            "{a}"
        );
    }
}
