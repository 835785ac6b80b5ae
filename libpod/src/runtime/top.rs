//! `top`: the processes of a running container, found by their pid namespace, shown with
//! podman's default descriptors (USER PID PPID %CPU ELAPSED TTY TIME COMMAND).

use std::os::unix::fs::MetadataExt;

use crate::container::Status;
use crate::error::{LibpodError, Result};

use super::Runtime;

/// What `top` cannot show.
#[derive(thiserror::Error, Debug)]
pub enum TopError {
    #[error(
        "unknown descriptor: {0}: use one of user, pid, ppid, pcpu, etime, tty, time, args, comm, uid, gid, group"
    )]
    UnknownDescriptor(String),
}

const DEFAULT: &[&str] = &[
    "user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args",
];

impl Runtime {
    /// Rows of `top`, the first one the header.
    pub fn top(&self, name: &str, descriptors: &[String]) -> Result<Vec<Vec<String>>> {
        let c = self.lookup(name)?;
        if c.status() != Status::Running {
            return Err(LibpodError::InvalidState(format!(
                "top can only be used on running containers: {} is {}",
                c.name,
                c.status().as_str()
            )));
        }
        let descs: Vec<String> = if descriptors.is_empty() {
            DEFAULT.iter().map(|s| s.to_string()).collect()
        } else {
            descriptors
                .iter()
                .flat_map(|d| d.split([',', ' ']))
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect()
        };
        for d in &descs {
            if header(d).is_none() {
                return Err(TopError::UnknownDescriptor(d.clone()).into());
            }
        }
        let ns = std::fs::metadata(format!("/proc/{}/ns/pid", c.state.pid))
            .map_err(|e| LibpodError::io("read the container's pid namespace", e))?
            .ino();
        let mut procs: Vec<Proc> = Vec::new();
        for entry in std::fs::read_dir("/proc")
            .map_err(|e| LibpodError::io("read /proc", e))?
            .flatten()
        {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            if std::fs::metadata(format!("/proc/{pid}/ns/pid"))
                .map(|m| m.ino())
                .ok()
                != Some(ns)
            {
                continue;
            }
            if let Some(p) = Proc::read(pid) {
                procs.push(p);
            }
        }
        procs.sort_by_key(|p| p.pid);
        // Names as the container sees them, from its own /etc/passwd and /etc/group.
        let names = |file: &str| -> std::collections::HashMap<u32, String> {
            std::fs::read_to_string(format!("/proc/{}/root/etc/{file}", c.state.pid))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    Some((f.get(2)?.parse().ok()?, f.first()?.to_string()))
                })
                .collect()
        };
        let users = names("passwd");
        let groups = names("group");
        let mut rows = vec![
            descs
                .iter()
                .map(|d| header(d).unwrap_or("?").to_string())
                .collect(),
        ];
        let ticks = 100.0; // USER_HZ on Linux
        let uptime: f64 = std::fs::read_to_string("/proc/uptime")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
            .unwrap_or(0.0);
        for p in procs {
            let elapsed = (uptime - p.start as f64 / ticks).max(0.0);
            let cpu = (p.utime + p.stime) as f64 / ticks;
            rows.push(
                descs
                    .iter()
                    .map(|d| match d.as_str() {
                        "user" => users
                            .get(&p.uid)
                            .cloned()
                            .unwrap_or_else(|| p.uid.to_string()),
                        "uid" => p.uid.to_string(),
                        "group" => groups
                            .get(&p.gid)
                            .cloned()
                            .unwrap_or_else(|| p.gid.to_string()),
                        "gid" => p.gid.to_string(),
                        "pid" => p.pid.to_string(),
                        "ppid" => p.ppid.to_string(),
                        "pcpu" => format!(
                            "{:.3}",
                            if elapsed > 0.0 {
                                100.0 * cpu / elapsed
                            } else {
                                0.0
                            }
                        ),
                        "etime" => format!("{}s", elapsed as u64),
                        "tty" => {
                            if p.tty == 0 {
                                "?".to_string()
                            } else {
                                format!("pts/{}", p.tty & 0xff)
                            }
                        }
                        "time" => format!("{}s", cpu as u64),
                        "comm" => p.comm.clone(),
                        _ => p.args.clone(),
                    })
                    .collect(),
            );
        }
        Ok(rows)
    }
}

fn header(d: &str) -> Option<&'static str> {
    Some(match d {
        "user" => "USER",
        "uid" => "UID",
        "group" => "GROUP",
        "gid" => "GID",
        "pid" => "PID",
        "ppid" => "PPID",
        "pcpu" => "%CPU",
        "etime" => "ELAPSED",
        "tty" => "TTY",
        "time" => "TIME",
        "args" => "COMMAND",
        "comm" => "COMMAND",
        _ => return None,
    })
}

struct Proc {
    pid: i32,
    ppid: i32,
    uid: u32,
    gid: u32,
    tty: u64,
    utime: u64,
    stime: u64,
    start: u64,
    comm: String,
    args: String,
}

impl Proc {
    /// Reads one process, with ids as the container sees them (NSpid, and uids through
    /// the process's own uid_map).
    fn read(pid: i32) -> Option<Proc> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
        };
        let last = |s: &str| {
            s.split_whitespace()
                .last()
                .and_then(|v| v.parse::<i64>().ok())
        };
        let depth = field("NSpid:")?.split_whitespace().count();
        let ns_pid = field("NSpid:").and_then(last)? as i32;
        let uid: u32 = field("Uid:")?.split_whitespace().next()?.parse().ok()?;
        let gid: u32 = field("Gid:")?.split_whitespace().next()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (head, rest) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_string();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let host_ppid: i32 = f.get(1)?.parse().ok()?;
        let ppid = std::fs::read_to_string(format!("/proc/{host_ppid}/status"))
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| l.strip_prefix("NSpid:")).map(|v| {
                    // A parent outside the container's pid namespace has fewer levels: 0,
                    // as ps shows inside the container.
                    let levels: Vec<&str> = v.split_whitespace().collect();
                    if levels.len() < depth {
                        0
                    } else {
                        levels.last().and_then(|x| x.parse().ok()).unwrap_or(0)
                    }
                })
            })
            .unwrap_or(0);
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Some(Proc {
            pid: ns_pid,
            ppid,
            uid,
            gid,
            tty: f.get(4)?.parse().ok()?,
            utime: f.get(11)?.parse().ok()?,
            stime: f.get(12)?.parse().ok()?,
            start: f.get(19)?.parse().ok()?,
            args: if args.is_empty() {
                format!("[{comm}]")
            } else {
                args
            },
            comm,
        })
    }
}
