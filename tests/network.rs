//! Rootless networking: `--network slirp4netns` and `-p` port publishing.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::Env;

/// A host port free right now: bind port 0, read the port, close it.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

/// One HTTP/1.0 GET to 127.0.0.1:port; the whole response, or None if nothing answered.
fn http_get(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

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

// Pins: the default network stays loopback only: no tap0 without --network slirp4netns.
#[test]
fn default_network_has_no_tap() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--rm", "busybox", "ip", "link", "show", "tap0"])
        .fails();
}
