//! Rootless networking: the default slirp4netns network, pasta, host/none/container:/ns:,
//! `-p`/`-P` port publishing (TCP and UDP), and the generated /etc/hosts, resolv.conf, hostname.

mod common;
#[path = "common/net.rs"]
mod net;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use common::Env;
use net::{free_port, host_server, http_get, wait_http};

// Pins: a detached container on slirp4netns serves HTTP on a published port, reachable from the host.
#[test]
fn published_port_reaches_container() {
    let env = Env::new().with_busybox();
    let port = free_port();
    let publish = format!("{port}:80");
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        "slirp4netns",
        "-p",
        &publish,
        "busybox",
        "sh",
        "-c",
        "mkdir /www && echo hello-net > /www/index.html && exec httpd -f -p 80 -h /www",
    ])
    .ok();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = None;
    while Instant::now() < deadline {
        last = http_get(port);
        if last.as_deref().is_some_and(|r| r.contains("hello-net")) {
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let resp = last.unwrap_or_default();
    assert!(
        resp.starts_with("HTTP/1.") && resp.contains("200"),
        "{resp}"
    );
    assert!(resp.ends_with("hello-net\n"), "{resp}");
    // port, ps and inspect show the mapping the way podman does.
    env.burrow(&["port", "web"])
        .ok()
        .stdout_has(&format!("80/tcp -> 0.0.0.0:{port}"));
    let one = env.burrow(&["port", "web", "80/tcp"]).ok();
    assert_eq!(one.stdout, format!("0.0.0.0:{port}\n"));
    env.burrow(&["ps", "--format", "{{.Ports}}"])
        .ok()
        .stdout_has(&format!("0.0.0.0:{port}->80/tcp"));
    let hp = env
        .burrow(&["inspect", "-f", "{{json .NetworkSettings.Ports}}", "web"])
        .ok();
    let v: serde_json::Value = serde_json::from_str(hp.stdout.trim()).expect("json");
    assert_eq!(v["80/tcp"][0]["HostPort"], port.to_string(), "{v}");
    // The container sees slirp4netns's tap device and resolver.
    env.burrow(&["exec", "web", "cat", "/etc/resolv.conf"])
        .ok()
        .stdout_has("nameserver 10.0.2.3");
    env.burrow(&["exec", "web", "ip", "addr", "show", "tap0"])
        .ok()
        .stdout_has("10.0.2.100/24");
    env.burrow(&["rm", "-f", "web"]).ok();
    // Once the container is gone, so is the forward.
    let deadline = Instant::now() + Duration::from_secs(10);
    while http_get(port).is_some() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(200));
    }
    assert!(
        http_get(port).is_none(),
        "port {port} still answers after rm"
    );
}

// Pins: a host port already in use fails `run -p` with 125 before anything is created.
#[test]
fn taken_host_port_fails_before_create() {
    let env = Env::new().with_busybox();
    let taken = TcpListener::bind("0.0.0.0:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let publish = format!("{port}:80");
    env.burrow(&[
        "run",
        "--network",
        "slirp4netns",
        "-p",
        &publish,
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has(&format!("{port}"))
    .stderr_has("address already in use");
    let ps = env.burrow(&["ps", "-a", "-q"]).ok();
    assert_eq!(ps.stdout, "", "a container was left behind");
    drop(taken);
}

// Pins: a privileged host port refused to the unprivileged user names the sysctl to change
// (as podman's rootlessport does), and leaves no container behind.
#[test]
fn privileged_host_port_names_the_sysctl() {
    let start: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if start <= 80 {
        eprintln!("skipped: unprivileged ports start at {start} on this host");
        return;
    }
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--rm", "-p", "80:80", "busybox", "true"])
        .code(125)
        .stderr_has("cannot expose privileged port 80")
        .stderr_has(&format!(
            "net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently {start})"
        ));
    let ps = env.burrow(&["ps", "-a", "-q"]).ok();
    assert_eq!(ps.stdout, "", "a container was left behind");
}

// Pins: malformed -p values are rejected with 125 and a message naming the value.
#[test]
fn malformed_publish_fails() {
    let env = Env::new().with_busybox();
    for bad in ["abc", "70000:80", "8080:80/icmp", "8080-8081:80"] {
        env.burrow(&[
            "run",
            "--network",
            "slirp4netns",
            "-p",
            bad,
            "busybox",
            "true",
        ])
        .code(125)
        .stderr_has(&format!("invalid port mapping \"{bad}\""));
    }
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().stdout, "");
}

// Pins: -p needs a network to forward into: with --network none it fails with 125.
#[test]
fn publish_with_network_none_fails() {
    let env = Env::new().with_busybox();
    let publish = format!("{}:80", free_port());
    env.burrow(&[
        "run",
        "--network",
        "none",
        "-p",
        &publish,
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("cannot publish ports with --network none");
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().stdout, "");
}

// Pins: a foreground slirp4netns container starts with tap0 configured and a default route, and
// its published port is released when it exits.
#[test]
fn foreground_slirp_configures_tap0() {
    let env = Env::new().with_busybox();
    let port = free_port();
    let publish = format!("{port}:8080");
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--network",
            "slirp4netns",
            "-p",
            &publish,
            "busybox",
            "sh",
            "-c",
            "ip -o -4 addr show tap0; ip route",
        ])
        .ok();
    assert!(out.stdout.contains("inet 10.0.2.100/24"), "{out:?}");
    assert!(out.stdout.contains("default via 10.0.2.2"), "{out:?}");
    // The forward is gone with slirp4netns: the host port can be bound again.
    TcpListener::bind(("0.0.0.0", port)).expect("host port still held after the container exited");
}

const HTTPD: &str =
    "mkdir -p /www && echo hello-$MSG > /www/index.html && exec httpd -f -p 80 -h /www";

// Pins: with no --network, a rootless container gets slirp4netns (tap0 10.0.2.100, gateway
// 10.0.2.2, DNS 10.0.2.3) and busybox httpd in it is reached from the host through -p.
#[test]
fn default_network_is_slirp_with_published_port() {
    let env = Env::new().with_busybox();
    let port = free_port();
    let publish = format!("{port}:80");
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "web",
        "-e",
        "MSG=default",
        "-p",
        &publish,
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    let resp = wait_http(port, "hello-default");
    assert!(
        resp.contains("200") && resp.ends_with("hello-default\n"),
        "{resp}"
    );
    env.burrow(&["inspect", "-f", "{{.HostConfig.NetworkMode}}", "web"])
        .ok()
        .stdout_has("slirp4netns");
    let out = env
        .burrow(&[
            "exec",
            "web",
            "sh",
            "-c",
            "ip -o -4 addr show tap0; ip route; cat /etc/resolv.conf",
        ])
        .ok();
    assert!(out.stdout.contains("inet 10.0.2.100/24"), "{out:?}");
    assert!(out.stdout.contains("default via 10.0.2.2"), "{out:?}");
    assert!(out.stdout.contains("nameserver 10.0.2.3"), "{out:?}");
    env.burrow(&["rm", "-f", "web"]).ok();
}

// Pins: `run --rm` on the default network can reach the outside through slirp4netns's NAT: a
// server on the host's own (non-loopback) address answers via host.containers.internal.
#[test]
fn default_network_reaches_host_address() {
    let env = Env::new().with_busybox();
    let port = host_server("0.0.0.0", "hello-from-host-ip\n");
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            &format!("nc -w 5 host.containers.internal {port} </dev/null"),
        ])
        .ok();
    assert!(out.stdout.contains("hello-from-host-ip"), "{out:?}");
}

// Pins: a server on the host's 127.0.0.1 is reached through 10.0.2.2 only with
// slirp4netns:allow_host_loopback=true; by default (--disable-host-loopback) it is not.
#[test]
fn host_loopback_only_when_allowed() {
    let env = Env::new().with_busybox();
    let port = host_server("127.0.0.1", "hello-loopback\n");
    let cmd = format!("nc -w 3 10.0.2.2 {port} </dev/null");
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--network",
            "slirp4netns:allow_host_loopback=true",
            "busybox",
            "sh",
            "-c",
            &cmd,
        ])
        .ok();
    assert!(out.stdout.contains("hello-loopback"), "{out:?}");
    // host.containers.internal then names the gateway, as podman writes it.
    env.burrow(&[
        "run",
        "--rm",
        "--network",
        "slirp4netns:allow_host_loopback=true",
        "busybox",
        "cat",
        "/etc/hosts",
    ])
    .ok()
    .stdout_has("10.0.2.2\thost.containers.internal host.docker.internal");
    let out = env.burrow(&["run", "--rm", "busybox", "sh", "-c", &cmd]);
    assert!(
        !out.stdout.contains("hello-loopback"),
        "reached the host's loopback without allow_host_loopback: {out:?}"
    );
}

/// A static UDP echo server for the container (busybox's nc has no UDP): built with rustc.
fn udp_echo_binary(env: &Env) -> Option<std::path::PathBuf> {
    common::static_rust_binary(
        env,
        "udp_echo",
        "fn main() { let s = std::net::UdpSocket::bind(\"0.0.0.0:53\").unwrap(); \
         let mut b = [0u8; 1500]; loop { let (n, a) = s.recv_from(&mut b).unwrap(); \
         let mut r = b\"echo:\".to_vec(); r.extend_from_slice(&b[..n]); let _ = s.send_to(&r, a); } }",
    )
}

/// The host's own address on its default route (no packet is sent by connect on UDP).
fn host_ip() -> Option<std::net::IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("8.8.8.8:53").ok()?;
    Some(s.local_addr().ok()?.ip())
}

/// Sends `msg` to ip:port over UDP until an answer comes back (or 20 s pass).
fn udp_roundtrip(ip: std::net::IpAddr, port: u16, msg: &[u8]) -> Option<Vec<u8>> {
    let s = UdpSocket::bind((ip, 0)).ok()?;
    s.set_read_timeout(Some(Duration::from_millis(300))).ok()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 1500];
    while Instant::now() < deadline {
        let _ = s.send_to(msg, (ip, port));
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            return Some(buf[..n].to_vec());
        }
    }
    None
}

// Pins: `-p HOST:53/udp` forwards UDP datagrams both ways through slirp4netns, for a client
// on the host's address. (From the host's 127.0.0.1 the reply is dropped unless
// allow_host_loopback=true: slirp4netns shows such a sender as 10.0.2.2, the host loopback.)
#[test]
fn udp_published_port() {
    let env = Env::new().with_busybox();
    let Some(ip) = host_ip() else {
        eprintln!("skipped: the host has no address on a default route");
        return;
    };
    let Some(bin) = udp_echo_binary(&env) else {
        eprintln!("skipped: rustc cannot build a static UDP echo server here");
        return;
    };
    let port = {
        let s = UdpSocket::bind("0.0.0.0:0").expect("bind udp");
        s.local_addr().expect("addr").port()
    };
    let publish = format!("{port}:53/udp");
    let vol = format!("{}:/udp_echo:ro", bin.display());
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "udp",
        "-p",
        &publish,
        "-v",
        &vol,
        "busybox",
        "/udp_echo",
    ])
    .ok();
    let got = udp_roundtrip(ip, port, b"ping-udp");
    env.burrow(&["port", "udp"])
        .ok()
        .stdout_has(&format!("53/udp -> 0.0.0.0:{port}"));
    env.burrow(&["rm", "-f", "udp"]).ok();
    assert_eq!(got.as_deref(), Some(&b"echo:ping-udp"[..]));
}

// Pins: `-P` publishes each port the image EXPOSEs on a free host port, shown by `port`.
#[test]
fn publish_all_uses_expose() {
    let env = Env::new();
    env.burrow(&[
        "import",
        "--change",
        "EXPOSE 80",
        common::busybox_tar().to_str().expect("utf-8"),
        "localhost/web",
    ])
    .ok();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "web",
        "-P",
        "-e",
        "MSG=all",
        "localhost/web",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    let out = env.burrow(&["port", "web", "80/tcp"]).ok();
    let port: u16 = out
        .stdout
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no host port in {out:?}"));
    let resp = wait_http(port, "hello-all");
    env.burrow(&["rm", "-f", "web"]).ok();
    assert!(resp.ends_with("hello-all\n"), "{resp}");
}

// Pins: `--network pasta` publishes -p through pasta and points resolv.conf at pasta's DNS.
#[test]
fn pasta_published_port() {
    let env = Env::new().with_busybox();
    let port = free_port();
    let publish = format!("{port}:80");
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "pweb",
        "--network",
        "pasta",
        "-e",
        "MSG=pasta",
        "-p",
        &publish,
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    let resp = wait_http(port, "hello-pasta");
    let resolv = env
        .burrow(&["exec", "pweb", "cat", "/etc/resolv.conf"])
        .ok();
    env.burrow(&["rm", "-f", "pweb"]).ok();
    assert!(resp.ends_with("hello-pasta\n"), "{resp}");
    assert!(
        resolv.stdout.contains("nameserver 169.254.1.1"),
        "{resolv:?}"
    );
    // pasta is gone with the container: the host port is free again.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpListener::bind(("0.0.0.0", port)).is_err() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    TcpListener::bind(("0.0.0.0", port)).expect("pasta still holds the host port after rm");
}

// Pins: `--network container:NAME` shares NAME's network namespace (its localhost server is
// reachable) and its /etc/hosts; -p on such a container is refused with 125.
#[test]
fn container_network_sharing() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "web",
        "-e",
        "MSG=shared",
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    let out = env
        .burrow(&["run", "--rm", "--network", "container:web", "busybox", "sh", "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://127.0.0.1:80/ && break; sleep 0.3; done; ip -o -4 addr show tap0; cat /etc/hosts"])
        .ok();
    assert!(out.stdout.contains("hello-shared"), "{out:?}");
    assert!(out.stdout.contains("10.0.2.100/24"), "{out:?}");
    assert!(out.stdout.contains(" web\n"), "{out:?}");
    let publish = format!("{}:80", free_port());
    env.burrow(&[
        "run",
        "--rm",
        "--network",
        "container:web",
        "-p",
        &publish,
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("publish the ports on that container");
    env.burrow(&["stop", "-t", "0", "web"]).ok();
    env.burrow(&[
        "run",
        "--rm",
        "--network",
        "container:web",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("not running");
    env.burrow(&["rm", "-f", "web"]).ok();
}

// Pins: `--network ns:PATH` joins that namespace: a container's own netns seen through /proc.
#[test]
fn ns_path_network() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "-d", "--name", "holder", "busybox", "sleep", "100"])
        .ok();
    let pid = env
        .burrow(&["inspect", "-f", "{{.State.Pid}}", "holder"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let ns = format!("ns:/proc/{pid}/ns/net");
    env.burrow(&[
        "run",
        "--rm",
        "--network",
        &ns,
        "busybox",
        "ip",
        "-o",
        "-4",
        "addr",
        "show",
        "tap0",
    ])
    .ok()
    .stdout_has("10.0.2.100/24");
    env.burrow(&[
        "run",
        "--rm",
        "--network",
        "ns:/nonexistent/netns",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("/nonexistent/netns");
    env.burrow(&["rm", "-f", "holder"]).ok();
}

// Pins: /etc/hosts (--add-host first, localhost, the container's IP to hostname and name,
// host.containers.internal), /etc/resolv.conf (--dns, --dns-search, --dns-option) and
// /etc/hostname (--hostname; default the short id), and `--dns none` keeping the image's.
#[test]
fn generated_etc_files() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--name",
            "etc",
            "--hostname",
            "myhost",
            "--add-host",
            "db:10.1.2.3",
            "--add-host",
            "a;b:fd00::1",
            "--dns",
            "9.9.9.9",
            "--dns-search",
            "example.com",
            "--dns-option",
            "ndots:3",
            "busybox",
            "sh",
            "-c",
            "cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hostname; hostname",
        ])
        .ok();
    let parts: Vec<&str> = out.stdout.split("---\n").collect();
    assert_eq!(parts.len(), 3, "{out:?}");
    let hosts: Vec<&str> = parts[0].lines().collect();
    assert_eq!(hosts[0], "10.1.2.3\tdb", "{hosts:?}");
    assert_eq!(hosts[1], "fd00::1\ta b", "{hosts:?}");
    assert!(hosts[2].starts_with("127.0.0.1\tlocalhost"), "{hosts:?}");
    assert!(hosts.contains(&"10.0.2.100\tmyhost etc"), "{hosts:?}");
    assert!(
        hosts
            .iter()
            .any(|l| l.ends_with("\thost.containers.internal host.docker.internal")),
        "{hosts:?}"
    );
    assert_eq!(
        parts[1],
        "search example.com\nnameserver 9.9.9.9\noptions ndots:3\n"
    );
    assert_eq!(parts[2], "myhost\nmyhost\n");
    // Default hostname: the short id, in /etc/hostname and the container's own name entry.
    let id = env
        .burrow(&[
            "create",
            "--name",
            "plain",
            "busybox",
            "sh",
            "-c",
            "cat /etc/hostname /etc/hosts",
        ])
        .ok();
    let short = &id.stdout.trim()[..12];
    let out = env.burrow(&["start", "-a", "plain"]).ok();
    assert!(out.stdout.starts_with(&format!("{short}\n")), "{out:?}");
    assert!(
        out.stdout.contains(&format!("10.0.2.100\t{short} plain")),
        "{out:?}"
    );
    // inspect reports what was asked, under podman's HostConfig names.
    env.burrow(&[
        "create",
        "--name",
        "asked",
        "--dns",
        "9.9.9.9",
        "--dns-search",
        "example.com",
        "--dns-option",
        "ndots:3",
        "--add-host",
        "db:10.1.2.3",
        "busybox",
        "true",
    ])
    .ok();
    let hc = env
        .burrow(&["inspect", "-f", "{{json .HostConfig}}", "asked"])
        .ok();
    let hc: serde_json::Value = serde_json::from_str(hc.stdout.trim()).expect("json");
    assert_eq!(hc["Dns"], serde_json::json!(["9.9.9.9"]), "{hc}");
    assert_eq!(hc["DnsSearch"], serde_json::json!(["example.com"]), "{hc}");
    assert_eq!(hc["DnsOptions"], serde_json::json!(["ndots:3"]), "{hc}");
    assert_eq!(hc["ExtraHosts"], serde_json::json!(["db:10.1.2.3"]), "{hc}");
    // --dns none: no generated resolv.conf; the (empty) image has none of its own.
    let out = env.burrow(&[
        "run",
        "--rm",
        "--dns",
        "none",
        "busybox",
        "cat",
        "/etc/resolv.conf",
    ]);
    assert!(!out.stdout.contains("10.0.2.3"), "{out:?}");
}

// Pins: bad network input fails with 125, a one-line error naming the value, and leaves no
// container behind.
#[test]
fn bad_network_input_fails_cleanly() {
    let env = Env::new().with_busybox();
    let cases: [(&[&str], &str); 7] = [
        // Not a mode: the name of a user network that does not exist, as podman reads it.
        (
            &["--network", "bogus"],
            "unable to find network with name or ID bogus: network not found",
        ),
        (&["--network", "slirp4netns:mtu=abc"], "mtu"),
        (
            &["--network", "container:nosuch"],
            "no container with name or ID \"nosuch\"",
        ),
        (&["--add-host", "nocolon"], "invalid --add-host \"nocolon\""),
        (&["--add-host", "db:300.1.1.1"], "not an IP address"),
        (&["--dns", "1.2.3"], "invalid --dns \"1.2.3\""),
        (&["-p", "80:80/sctp"], "invalid port mapping"),
    ];
    for (flags, msg) in cases {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["busybox", "true"]);
        let out = env.burrow(&args).code(125).stderr_has(msg);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{out:?}");
    }
    assert_eq!(
        env.burrow(&["ps", "-a", "-q"]).ok().stdout,
        "",
        "a container was left behind"
    );
}

// Pins: a host port already taken fails on the default network too (no --network given).
#[test]
fn taken_port_on_default_network() {
    let env = Env::new().with_busybox();
    let taken = TcpListener::bind("0.0.0.0:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    env.burrow(&[
        "run",
        "-d",
        "-p",
        &format!("{port}:80"),
        "busybox",
        "sleep",
        "10",
    ])
    .code(125)
    .stderr_has("address already in use");
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().stdout, "");
}

// Pins: --network none stays loopback only (no tap0, resolv.conf without a nameserver).
#[test]
fn network_none_is_loopback_only() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "ip",
        "link",
        "show",
        "tap0",
    ])
    .fails();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--network",
            "none",
            "busybox",
            "cat",
            "/etc/resolv.conf",
        ])
        .ok();
    assert!(!out.stdout.contains("nameserver"), "{out:?}");
}

/// GET `path` from 127.0.0.1:port; the body bytes, or None if nothing (complete) answered.
fn http_body(port: u16, path: &str) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let start = out.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    Some(out.split_off(start))
}

// Pins: a 14 MB body comes through a published port intact and in order, both with burrow's
// splice forwarder (podman's default rootlesskit handler) and with
// `slirp4netns:port_handler=slirp4netns`; an upload reaches the container whole and its end
// (the client's half-close) is passed on; the host port is free again after the container.
#[test]
fn published_port_carries_large_transfers_both_handlers() {
    let env = Env::new().with_busybox();
    let expected: String = (1..=2_000_000).map(|i| format!("{i}\n")).collect();
    for (name, network) in [
        ("fwd", "slirp4netns"),
        ("api", "slirp4netns:port_handler=slirp4netns"),
    ] {
        let port = free_port();
        env.burrow(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            network,
            "-p",
            &format!("{port}:80"),
            "busybox",
            "sh",
            "-c",
            "mkdir /www && seq 1 2000000 > /www/big && echo up > /www/index.html \
             && exec httpd -f -p 80 -h /www",
        ])
        .ok();
        wait_http(port, "up");
        let body = http_body(port, "/big").unwrap_or_default();
        assert_eq!(body.len(), expected.len(), "{network}: body length");
        assert!(body == expected.as_bytes(), "{network}: body differs");
        env.burrow(&["rm", "-f", "-t", "0", name]).ok();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpListener::bind(("0.0.0.0", port)).is_err() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(100));
        }
        TcpListener::bind(("0.0.0.0", port)).expect("host port still held after rm -f");
    }
    // Upload: nc in the container writes what it receives to a file and exits at EOF.
    let port = free_port();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "sink",
        "-p",
        &format!("{port}:9000"),
        "busybox",
        "sh",
        "-c",
        "nc -l -p 9000 > /tmp/got; echo done > /tmp/flag; sleep 600",
    ])
    .ok();
    let payload: Vec<u8> = (0..8_000_000u32).map(|i| (i % 251) as u8).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sent = false;
    while !sent && Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            // The forwarder accepts before the container listens: an early try is reset.
            thread::sleep(Duration::from_millis(300));
            sent = s.write_all(&payload).is_ok() && s.shutdown(std::net::Shutdown::Write).is_ok();
            if sent {
                let mut rest = Vec::new();
                let _ = s.read_to_end(&mut rest);
            }
        } else {
            thread::sleep(Duration::from_millis(100));
        }
    }
    assert!(sent, "could not send the upload");
    let deadline = Instant::now() + Duration::from_secs(20);
    while env.burrow(&["exec", "sink", "cat", "/tmp/flag"]).status != 0 && Instant::now() < deadline
    {
        thread::sleep(Duration::from_millis(100));
    }
    env.burrow(&["exec", "sink", "wc", "-c", "/tmp/got"])
        .ok()
        .stdout_has("8000000 /tmp/got");
    env.burrow(&["rm", "-f", "-t", "0", "sink"]).ok();
}
