//! `inspect` output in podman's JSON shape (field names as podman 5 prints them).

use chrono::{DateTime, Local, TimeZone};
use serde_json::{Value, json};

use crate::container::{Container, Status};
use crate::error::Result;
use crate::security;

use super::Runtime;

pub(crate) fn time_string(nanos: i64) -> String {
    if nanos == 0 {
        return "0001-01-01T00:00:00Z".to_string();
    }
    let t: DateTime<Local> = Local.timestamp_nanos(nanos);
    t.format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string()
}

/// Bytes of regular files under `dir`, not following symlinks (du-like, apparent size).
fn tree_size(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

impl Runtime {
    /// `inspect --size`: podman's SizeRw (the container's own writes) and SizeRootFs (its
    /// image plus those writes).
    pub fn inspect_with_size(&self, c: &Container) -> Result<Value> {
        let mut v = self.inspect(c)?;
        let (rw, rootfs) = self.container_size(&c.id, &c.config.image_id);
        v["SizeRw"] = serde_json::json!(rw);
        v["SizeRootFs"] = serde_json::json!(rootfs);
        Ok(v)
    }

    /// A container's (RwSize, RootFsSize) in bytes: its own writes, and its image plus them
    /// (`inspect --size`, `ps --size`).
    pub fn container_size(&self, id: &str, image_id: &str) -> (u64, u64) {
        let rw = tree_size(&self.paths.container_dir(id).join("upper"));
        let image = self.store.lookup(image_id).map(|i| i.size).unwrap_or(0);
        (rw, image + rw)
    }

    pub fn inspect(&self, c: &Container) -> Result<Value> {
        let cfg = &c.config;
        let st = &c.state;
        let status = c.status();
        let caps = cfg
            .capabilities()
            .map(|s| security::capabilities::names(&s))
            .unwrap_or_default();
        let mounts: Vec<Value> = cfg
            .mounts
            .iter()
            .map(|m| {
                let mut v = json!({
                    "Type": m.kind,
                    "Source": m.source,
                    "Destination": m.destination,
                    "Driver": "",
                    "Mode": "",
                    "Options": if m.kind == "bind" { vec!["rbind".to_string()] } else { m.options.clone() },
                    "RW": !m.read_only(),
                    "Propagation": if m.kind == "bind" { "rprivate" } else { "" },
                });
                // podman names the volume and its driver.
                if m.kind == "volume" {
                    v["Name"] = json!(m.name);
                    v["Driver"] = json!("local");
                }
                v
            })
            .collect();
        let binds: Vec<String> = cfg
            .mounts
            .iter()
            .filter(|m| m.kind == "bind")
            .map(|m| {
                let opts = if m.read_only() { "ro" } else { "rw" };
                format!(
                    "{}:{}:{opts},rprivate,rbind",
                    m.source.display(),
                    m.destination.display()
                )
            })
            .collect();
        let tmpfs: serde_json::Map<String, Value> = cfg
            .mounts
            .iter()
            .filter(|m| m.kind == "tmpfs")
            .map(|m| {
                (
                    m.destination.display().to_string(),
                    Value::String(m.options.join(",")),
                )
            })
            .collect();
        let dir = self.paths.container_dir(&c.id);
        let mut v = json!({
            "Id": c.id,
            "Created": time_string(c.created),
            "Path": cfg.args.first().cloned().unwrap_or_default(),
            "Args": cfg.args.iter().skip(1).collect::<Vec<_>>(),
            "State": {
                "OciVersion": "1.2.0",
                "Status": status.as_str(),
                "Running": status == Status::Running,
                "Paused": status == Status::Paused,
                "Restarting": false,
                "OOMKilled": st.oom_killed,
                "Dead": false,
                "Pid": st.pid,
                "ConmonPid": st.monitor_pid,
                "ExitCode": st.exit_code,
                "Error": "",
                "StartedAt": time_string(st.started),
                "FinishedAt": time_string(st.finished),
                "CheckpointedAt": "0001-01-01T00:00:00Z",
                "RestoredAt": "0001-01-01T00:00:00Z",
            },
            "Image": cfg.image_id,
            "ImageName": cfg.image_name,
            "Rootfs": cfg.rootfs,
            "Pod": cfg.pod,
            "ResolvConfPath": self.paths.userdata_dir(&c.id).join("resolv.conf"),
            "HostnamePath": self.paths.userdata_dir(&c.id).join("hostname"),
            "HostsPath": self.paths.userdata_dir(&c.id).join("hosts"),
            "StaticDir": dir,
            "OCIConfigPath": dir.join("config.json"),
            "OCIRuntime": "burrow",
            "ConmonPidFile": cfg.conmon_pidfile.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
            "PidFile": self.pidfile_path(c),
            "Name": c.name,
            "RestartCount": st.restart_count,
            "Driver": self.store.driver().as_str(),
            "MountLabel": "",
            "ProcessLabel": "",
            "AppArmorProfile": "",
            "EffectiveCaps": caps,
            "BoundingCaps": caps,
            "ExecIDs": [],
            "Mounts": mounts,
            "Dependencies": cfg.dependencies,
            "NetworkSettings": {
                "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
                "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "", "Bridge": "",
                "SandboxID": "", "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
                "Ports": port_map(&cfg.ports, true), "SandboxKey": if status == Status::Running && cfg.network != "host" { format!("/proc/{}/ns/net", st.pid) } else { String::new() },
                "Networks": self.container_networks_json(c),
            },
            "Namespace": "",
            "IsInfra": cfg.infra,
            "IsService": false,
            "Config": {
                "Hostname": cfg.hostname,
                "Domainname": "",
                "User": cfg.user,
                "AttachStdin": cfg.interactive,
                "AttachStdout": false,
                "AttachStderr": false,
                "Tty": cfg.tty,
                "OpenStdin": cfg.stdin_open,
                "StdinOnce": false,
                "Env": cfg.env,
                "Cmd": cfg.cmd,
                "Image": cfg.image_name,
                "Volumes": null,
                "WorkingDir": cfg.workdir,
                "Entrypoint": if cfg.entrypoint.is_empty() { Value::Null } else { json!(cfg.entrypoint) },
                "OnBuild": null,
                "Labels": cfg.labels,
                "Annotations": cfg.annotations,
                "StopSignal": cfg.stop_signal,
                "StopTimeout": cfg.stop_timeout,
                "CreateCommand": cfg.create_command,
                "Umask": if cfg.umask.is_empty() { "0022" } else { cfg.umask.as_str() },
                "Timeout": cfg.timeout,
                "Passwd": cfg.passwd.unwrap_or(true),
            },
            "HostConfig": {
                "Binds": binds,
                "CgroupManager": "cgroupfs",
                "CgroupParent": cfg.cgroup_parent,
                "CgroupMode": if cfg.cgroupns == "host" { "host" } else { "private" },
                "CgroupnsMode": if cfg.cgroupns == "host" { "host" } else { "private" },
                "Cgroups": if cfg.cgroups == "disabled" { "disabled" } else { "default" },
                "ContainerIDFile": "",
                "LogConfig": {
                    "Type": if cfg.log_driver.is_empty() { "k8s-file" } else { cfg.log_driver.as_str() },
                    "Config": null,
                    "Path": if cfg.log_driver == "none" || cfg.log_driver == "journald" || cfg.log_driver.starts_with("passthrough") { Value::String(String::new()) } else { json!(cfg.log_path) },
                    "Tag": cfg.log_tag,
                    "Size": crate::logs::size_string(cfg.log_size_max),
                },
                "NetworkMode": cfg.network,
                "PortBindings": port_map(&cfg.ports, false),
                "RestartPolicy": {"Name": cfg.restart.name, "MaximumRetryCount": cfg.restart.max_retries},
                "AutoRemove": cfg.auto_remove,
                "CapAdd": cfg.cap_add,
                "CapDrop": cfg.cap_drop,
                "Dns": cfg.dns, "DnsOptions": cfg.dns_options, "DnsSearch": cfg.dns_search,
                "ExtraHosts": cfg.add_hosts,
                "GroupAdd": cfg.group_add,
                "IpcMode": if cfg.ipc_mode.is_empty() { "private" } else { cfg.ipc_mode.as_str() },
                "PidMode": if cfg.pid_mode.is_empty() { "private" } else { cfg.pid_mode.as_str() },
                "UTSMode": if cfg.uts_mode.is_empty() { "private" } else { cfg.uts_mode.as_str() },
                "Privileged": cfg.privileged,
                "Devices": cfg.devices,
                "PublishAllPorts": false,
                "ReadonlyRootfs": cfg.read_only,
                "SecurityOpt": security_opts(c),
                "Tmpfs": tmpfs,
                "Init": cfg.init,
                "Ulimits": cfg.ulimits.iter().map(|u| json!({"Name": format!("RLIMIT_{}", u.name.to_uppercase()), "Soft": u.soft, "Hard": u.hard})).collect::<Vec<_>>(),
                "UsernsMode": if cfg.userns.is_empty() || cfg.userns.starts_with("container:") { cfg.userns.as_str() } else { "private" },
                "Memory": cfg.resources.memory,
                "MemorySwap": cfg.resources.effective_swap(),
                "MemoryReservation": cfg.resources.memory_reservation,
                "NanoCpus": cfg.resources.nano_cpus,
                "CpuPeriod": cfg.resources.cpu_quota().map_or(0, |q| q.1),
                "CpuQuota": cfg.resources.cpu_quota().map_or(0, |q| q.0),
                "CpuShares": cfg.resources.cpu_shares,
                "CpusetCpus": cfg.resources.cpuset_cpus,
                "PidsLimit": cfg.resources.pids_limit,
                "OomScoreAdj": cfg.resources.oom_score_adj.unwrap_or(0),
                "ShmSize": if cfg.resources.shm_size > 0 { cfg.resources.shm_size } else { crate::cgroups::limits::DEFAULT_SHM },
            },
        });
        add_expose_json(&mut v, cfg);
        if cfg.systemd {
            // podman leaves the key out when false.
            v["Config"]["SystemdMode"] = json!(true);
        }
        if let Some(h) = &cfg.health {
            self.add_health_json(&mut v, c, h);
        }
        // podman lists the secrets by id and name (never their data), only when there are any.
        if !cfg.secrets.is_empty() {
            v["Config"]["Secrets"] = cfg
                .secrets
                .iter()
                .map(|s| json!({"ID": s.id, "Name": s.name, "UID": s.uid, "GID": s.gid, "Mode": s.mode}))
                .collect();
        }
        Ok(v)
    }
}

/// podman's Config.ExposedPorts (exposed and published ports, `{"80/tcp": {}}`, left out when
/// none), Config.Timezone (only when set), an exposed port no one published as `null` in
/// NetworkSettings.Ports, and the /etc file settings (UseImageHosts, UseImageHostname, HostsFile).
fn add_expose_json(v: &mut Value, cfg: &crate::container::ContainerConfig) {
    let mut exposed = serde_json::Map::new();
    for p in &cfg.exposed_ports {
        exposed.insert(p.clone(), json!({}));
        if let Value::Object(ports) = &mut v["NetworkSettings"]["Ports"] {
            ports.entry(p.clone()).or_insert(Value::Null);
        }
    }
    for m in &cfg.ports {
        exposed.insert(format!("{}/{}", m.container_port, m.protocol), json!({}));
    }
    if !exposed.is_empty() {
        v["Config"]["ExposedPorts"] = Value::Object(exposed);
    }
    if !cfg.timezone.is_empty() {
        v["Config"]["Timezone"] = json!(cfg.timezone);
    }
    if !cfg.chroot_dirs.is_empty() {
        v["Config"]["ChrootDirs"] = json!(cfg.chroot_dirs);
    }
    let r = &cfg.resources;
    v["HostConfig"]["CpusetMems"] = json!(r.cpuset_mems);
    v["HostConfig"]["MemorySwappiness"] = json!(r.memory_swappiness.map_or(-1, |s| s as i64));
    v["HostConfig"]["OomKillDisable"] = json!(r.oom_kill_disable);
    v["HostConfig"]["BlkioWeight"] = json!(r.blkio_weight);
    v["HostConfig"]["BlkioWeightDevice"] = json!(
        r.weight_devices
            .iter()
            .map(|d| json!({"Path": d.path, "Weight": d.weight}))
            .collect::<Vec<_>>()
    );
    v["HostConfig"]["CpuRealtimePeriod"] = json!(r.cpu_rt_period);
    v["HostConfig"]["CpuRealtimeRuntime"] = json!(r.cpu_rt_runtime);
    if !r.rdt_class.is_empty() {
        v["HostConfig"]["IntelRdtClosID"] = json!(r.rdt_class);
    }
    for kind in [
        crate::cgroups::blkio::ThrottleKind::ReadBps,
        crate::cgroups::blkio::ThrottleKind::WriteBps,
        crate::cgroups::blkio::ThrottleKind::ReadIops,
        crate::cgroups::blkio::ThrottleKind::WriteIops,
    ] {
        let list: Vec<Value> = r
            .throttles
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| json!({"Path": t.path, "Rate": t.rate}))
            .collect();
        v["HostConfig"][kind.inspect_key()] = if list.is_empty() {
            Value::Null
        } else {
            Value::Array(list)
        };
    }
    if !cfg.sysctls.is_empty() {
        v["HostConfig"]["Sysctls"] = json!(cfg.sysctls);
    }
    v["UseImageHosts"] = json!(cfg.no_hosts);
    v["UseImageHostname"] = json!(cfg.no_hostname);
    v["HostConfig"]["HostsFile"] = json!(cfg.hosts_file);
    if !cfg.uid_map.is_empty() {
        // podman's shape: CONTAINER:HOST:SIZE strings, HOST in the rootless namespace's ids.
        let triples =
            |m: &[crate::spec::userns::IdMap]| m.iter().map(|x| x.triple()).collect::<Vec<_>>();
        v["HostConfig"]["IDMappings"] =
            json!({"UidMap": triples(&cfg.uid_map), "GidMap": triples(&cfg.gid_map)});
    }
}

fn security_opts(c: &Container) -> Vec<String> {
    let mut v = Vec::new();
    if !c.config.seccomp.is_empty() {
        v.push(format!("seccomp={}", c.config.seccomp));
    }
    if c.config.no_new_privileges {
        v.push("no-new-privileges".to_string());
    }
    if !c.config.mask.is_empty() {
        v.push(format!("mask={}", c.config.mask.join(":")));
    }
    if !c.config.unmask.is_empty() {
        v.push(format!("unmask={}", c.config.unmask.join(":")));
    }
    v
}

/// podman's `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}`. `PortBindings` keeps the
/// host address as given (empty for all), `NetworkSettings.Ports` shows the one bound.
fn port_map(ports: &[network::PortMapping], resolved: bool) -> Value {
    let mut map = serde_json::Map::new();
    for m in ports {
        let ip = match (m.host_ip, resolved) {
            (Some(ip), _) => ip.to_string(),
            (None, true) => m.host_addr().to_string(),
            (None, false) => String::new(),
        };
        let entry = map
            .entry(format!("{}/{}", m.container_port, m.protocol))
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = entry {
            a.push(json!({"HostIp": ip, "HostPort": m.host_port.to_string()}));
        }
    }
    Value::Object(map)
}
