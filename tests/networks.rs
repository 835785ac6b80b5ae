//! User-defined networks: `network create/ls/inspect/rm/prune/exists/connect/disconnect`, and
//! real traffic between containers on them (by name and alias), isolation between networks,
//! --internal, outbound NAT and published ports, all rootless through the per-user netns.

mod common;
#[path = "common/net.rs"]
mod net;

use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use common::Env;
use net::{free_port, host_server, http_get};

/// A detached busybox httpd named `name` on `net` serving `msg`, plus extra run flags.
fn web(env: &Env, name: &str, net: &str, msg: &str, extra: &[&str]) {
    let script =
        format!("mkdir /www && echo {msg} > /www/index.html && exec httpd -f -p 80 -h /www");
    let mut args = vec!["run", "-d", "--name", name, "--network", net];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["busybox", "sh", "-c", &script]);
    env.burrow(&args).ok();
}

/// `wget` of http://`host`/ from a new container on `net`, retried for a few seconds (the
/// server may still be starting); its output.
fn fetch_from(env: &Env, net: &str, host: &str) -> common::Output {
    let script = format!(
        "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://{host}/ && exit 0; sleep 1; done; exit 1"
    );
    env.burrow(&[
        "run",
        "--rm",
        "--network",
        net,
        "busybox",
        "sh",
        "-c",
        &script,
    ])
}

/// The same fetch from inside a running container (exec).
fn fetch_in(env: &Env, ctr: &str, host: &str) -> common::Output {
    let script = format!(
        "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://{host}/ && exit 0; sleep 1; done; exit 1"
    );
    env.burrow(&["exec", ctr, "sh", "-c", &script])
}

// Pins: two containers on one user network reach each other by name, by --network-alias and
// by short id (hosts files), over the bridge in the rootless netns.
#[test]
fn same_network_reaches_by_name_and_alias() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "app"])
        .ok()
        .stdout_has("app");
    web(
        &env,
        "db",
        "app",
        "hello-db",
        &["--network-alias", "database"],
    );
    fetch_from(&env, "app", "db").ok().stdout_has("hello-db");
    fetch_from(&env, "app", "database")
        .ok()
        .stdout_has("hello-db");
    let id = env.burrow(&["inspect", "--format", "{{.Id}}", "db"]).ok();
    let short = &id.out().trim()[..12];
    fetch_from(&env, "app", short).ok().stdout_has("hello-db");
    env.burrow(&["rm", "-f", "db"]).ok();
}

// Pins: user networks work for a user whose PATH lacks /usr/sbin (where Debian keeps nft):
// burrow finds `ip` and `nft` by absolute path, and `system doctor` names them.
#[test]
fn user_network_works_without_sbin_on_path() {
    let env = Env::new().with_busybox().with_env("PATH", "/usr/bin:/bin");
    env.burrow(&["network", "create", "nosbin"]).ok();
    web(&env, "nosbin-web", "nosbin", "sbin-free", &[]);
    fetch_from(&env, "nosbin", "nosbin-web")
        .ok()
        .stdout_has("sbin-free");
    env.burrow(&["system", "doctor"])
        .stdout_has("ip and nft present (user networks)");
    env.burrow(&["rm", "-f", "nosbin-web"]).ok();
    env.burrow(&["network", "rm", "nosbin"]).ok();
}

/// The container's address on `net`, from `inspect`.
fn ip_on(env: &Env, ctr: &str, net: &str) -> String {
    let fmt = format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}");
    let out = env.burrow(&["inspect", "--format", &fmt, ctr]).ok();
    let ip = out.out().trim().to_string();
    assert!(ip.starts_with("10."), "no address on {net}: {out:?}");
    ip
}

/// A detached container on `net` that just sleeps (a client for exec).
fn idle(env: &Env, name: &str, net: &str) {
    env.burrow(&[
        "run",
        "-d",
        "--name",
        name,
        "--network",
        net,
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
}

// Pins: create/ls/inspect/exists/rm round trip: default subnets 10.89.0.0/24 then
// 10.89.1.0/24, podman's ls table and formats, inspect's field names, duplicate names 125.
#[test]
fn network_create_ls_inspect_rm() {
    let env = Env::new();
    env.burrow(&["network", "create", "--label", "env=dev", "one"])
        .ok()
        .stdout_has("one");
    env.burrow(&["network", "create", "two"]).ok();
    let out = env.burrow(&["network", "inspect", "one", "two"]).ok();
    let v: serde_json::Value = serde_json::from_str(out.out()).expect("inspect is JSON");
    assert_eq!(v[0]["name"], "one", "{v}");
    assert_eq!(v[0]["driver"], "bridge");
    assert_eq!(v[0]["subnets"][0]["subnet"], "10.89.0.0/24");
    assert_eq!(v[0]["subnets"][0]["gateway"], "10.89.0.1");
    assert_eq!(v[1]["subnets"][0]["subnet"], "10.89.1.0/24");
    assert_eq!(v[0]["labels"]["env"], "dev");
    assert_eq!(v[0]["internal"], false);
    assert_eq!(v[0]["ipam_options"]["driver"], "host-local");
    assert_ne!(v[0]["network_interface"], v[1]["network_interface"]);
    let id = v[0]["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 64);

    let table = env.burrow(&["network", "ls"]).ok();
    let lines = table.lines();
    assert!(lines[0].starts_with("NETWORK ID"), "{table:?}");
    assert!(lines[0].contains("NAME") && lines[0].contains("DRIVER"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&id[..12]) && l.contains("one"))
    );
    let q = env.burrow(&["network", "ls", "-q"]).ok();
    assert_eq!(q.lines().len(), 2, "{q:?}");
    env.burrow(&["network", "ls", "--format", "{{.Name}} {{.ID}} {{.Driver}}"])
        .ok()
        .stdout_has(&format!("one {} bridge", &id[..12]));
    env.burrow(&[
        "network",
        "ls",
        "--no-trunc",
        "--format",
        "{{.ID}}",
        "--filter",
        "name=one",
    ])
    .ok()
    .stdout_has(&id);
    let f = env
        .burrow(&["network", "ls", "-q", "--filter", "label=env=dev"])
        .ok();
    assert_eq!(f.lines(), vec![&id[..12]], "{f:?}");
    env.burrow(&[
        "network",
        "inspect",
        "--format",
        "{{.name}} {{.internal}}",
        "two",
    ])
    .ok()
    .stdout_has("two false");

    env.burrow(&["network", "exists", "one"]).code(0);
    env.burrow(&["network", "exists", "nope"]).code(1);
    env.burrow(&["network", "create", "one"])
        .code(125)
        .stderr_has("network one already exists");
    env.burrow(&["network", "create", "--ignore", "one"]).ok();
    env.burrow(&["network", "create", "host"])
        .code(125)
        .stderr_has("conflicts with a valid network mode");
    env.burrow(&["network", "create", "--subnet", "10.89.0.0/16", "clash"])
        .code(125)
        .stderr_has("already used");
    env.burrow(&["network", "create", "--subnet", "10.0.0.0/16", "slirpy"])
        .code(125)
        .stderr_has("overlaps 10.0.2.0/24");
    env.burrow(&["network", "create", "--subnet", "nonsense", "bad"])
        .code(125)
        .stderr_has("invalid subnet");
    env.burrow(&["network", "rm", "one"]).ok().stdout_has("one");
    env.burrow(&["network", "exists", "one"]).code(1);
    // podman-network-rm(1): 1 for a network that does not exist.
    env.burrow(&["network", "rm", "one"])
        .code(1)
        .stderr_has("network not found");
    // The freed subnet is handed out again.
    env.burrow(&["network", "create", "three"]).ok();
    env.burrow(&[
        "network",
        "inspect",
        "--format",
        "{{(index .subnets 0).subnet}}",
        "three",
    ])
    .ok()
    .stdout_has("10.89.0.0/24");
}

// Pins: prune removes only networks no container uses, and asks first (no answer: nothing).
#[test]
fn network_prune_keeps_used_networks() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "used"]).ok();
    env.burrow(&["network", "create", "unused"]).ok();
    env.burrow(&[
        "create",
        "--name",
        "c",
        "--network",
        "used",
        "busybox",
        "true",
    ])
    .ok();
    env.burrow_stdin(&["network", "prune"], "").ok();
    env.burrow(&["network", "exists", "unused"]).code(0);
    env.burrow(&["network", "prune", "-f"])
        .ok()
        .stdout_has("unused");
    env.burrow(&["network", "exists", "unused"]).code(1);
    env.burrow(&["network", "exists", "used"]).code(0);
}

// Pins: removing a network in use fails with 125 and changes nothing; -f removes its
// containers too.
#[test]
fn network_rm_in_use() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "busy"]).ok();
    env.burrow(&[
        "create",
        "--name",
        "c1",
        "--network",
        "busy",
        "busybox",
        "true",
    ])
    .ok();
    // podman exits 2 for an object in use.
    env.burrow(&["network", "rm", "busy"])
        .code(2)
        .stderr_has("network busy is being used by container(s) c1");
    env.burrow(&["network", "exists", "busy"]).code(0);
    env.burrow(&["container", "exists", "c1"]).code(0);
    env.burrow(&["network", "rm", "-f", "busy"]).ok();
    env.burrow(&["network", "exists", "busy"]).code(1);
    env.burrow(&["container", "exists", "c1"]).code(1);
}

// Pins: an unknown network on run/create fails with 125 "network not found" and creates no
// container.
#[test]
fn unknown_network_creates_nothing() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--name", "x", "--network", "nope", "busybox", "true"])
        .code(125)
        .stderr_has("network not found");
    env.burrow(&["network", "create", "real"]).ok();
    env.burrow(&[
        "create",
        "--name",
        "x",
        "--network",
        "real,nope",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("nope");
    let ps = env.burrow(&["ps", "-a", "-q"]).ok();
    assert!(ps.out().trim().is_empty(), "{ps:?}");
}

// Pins: network names follow podman's rule and are at most 253 characters: a 5000-character
// name was accepted. Refused before anything is created, with one `Error:` line and 125.
#[test]
fn network_names_are_checked_before_anything_is_created() {
    let env = Env::new();
    let long = "n".repeat(5000);
    let out = env.burrow(&["network", "create", &long]).code(125);
    assert_eq!(
        out.stderr.trim_end(),
        format!(
            "Error: invalid network name \"{}...\" (5000 characters): names must be at most 253 characters: invalid argument",
            &long[..40]
        )
    );
    for bad in ["a b", "_x", "x/y"] {
        let out = env.burrow(&["network", "create", bad]).code(125);
        assert_eq!(
            out.stderr.trim_end(),
            format!(
                "Error: invalid network name {bad:?}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
            )
        );
    }
    let ls = env.burrow(&["network", "ls", "-q"]).ok();
    assert!(ls.out().is_empty(), "{ls:?}");
    env.burrow(&["network", "create", &long[..253]]).ok();
    env.burrow(&["network", "exists", &long[..253]]).ok();
}

// Pins: a container on another network can neither resolve nor reach the ones on the first
// (the nftables rules drop forwarding between bridges).
#[test]
fn other_network_is_isolated() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "front"]).ok();
    env.burrow(&["network", "create", "back"]).ok();
    web(&env, "api", "front", "hello-api", &[]);
    fetch_from(&env, "front", "api")
        .ok()
        .stdout_has("hello-api");
    let ip = ip_on(&env, "api", "front");
    let out = env.burrow(&[
        "run",
        "--rm",
        "--network",
        "back",
        "busybox",
        "sh",
        "-c",
        &format!(
            "cat /etc/hosts; wget -q -O- http://api/; nc -w 3 {ip} 80 </dev/null && echo reached"
        ),
    ]);
    assert!(!out.stdout.contains("hello-api"), "{out:?}");
    assert!(!out.stdout.contains("reached"), "{out:?}");
    assert!(
        !out.stdout.contains("\tapi"),
        "api is listed in another network's hosts: {out:?}"
    );
}

// Pins: a container started later becomes resolvable from one already running (its hosts
// file is rewritten in place), and is dropped again once it stops or is removed.
#[test]
fn later_container_becomes_resolvable() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "mesh"]).ok();
    idle(&env, "client", "mesh");
    web(&env, "late", "mesh", "hello-late", &[]);
    fetch_in(&env, "client", "late")
        .ok()
        .stdout_has("hello-late");
    env.burrow(&["stop", "-t", "0", "late"]).ok();
    let hosts = env.burrow(&["exec", "client", "cat", "/etc/hosts"]).ok();
    assert!(!hosts.stdout.contains("late"), "{hosts:?}");
    // Removing a running one (rm -f) drops it from the others' hosts files as well.
    web(&env, "gone", "mesh", "hello-gone", &[]);
    fetch_in(&env, "client", "gone")
        .ok()
        .stdout_has("hello-gone");
    env.burrow(&["rm", "-f", "gone"]).ok();
    let hosts = env.burrow(&["exec", "client", "cat", "/etc/hosts"]).ok();
    assert!(!hosts.stdout.contains("gone"), "{hosts:?}");
    env.burrow(&["rm", "-f", "client", "late"]).ok();
}

// Pins: connect/disconnect on a running container: a live interface on the second network,
// reachable by name and --alias there, inspect lists both networks; disconnect removes it.
#[test]
fn connect_and_disconnect_running_container() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "a"]).ok();
    env.burrow(&["network", "create", "b"]).ok();
    web(&env, "srv", "a", "hello-srv", &[]);
    idle(&env, "peer", "b");
    env.burrow(&["network", "connect", "--alias", "service", "b", "srv"])
        .ok();
    fetch_in(&env, "peer", "srv").ok().stdout_has("hello-srv");
    fetch_in(&env, "peer", "service")
        .ok()
        .stdout_has("hello-srv");
    let addrs = env.burrow(&["exec", "srv", "ip", "-4", "addr"]).ok();
    assert!(addrs.stdout.contains("eth1"), "{addrs:?}");
    ip_on(&env, "srv", "a");
    let ip_b = ip_on(&env, "srv", "b");
    env.burrow(&[
        "ps",
        "--format",
        "{{.Names}} {{.Networks}}",
        "--filter",
        "name=srv",
    ])
    .ok()
    .stdout_has("srv [a b]");
    env.burrow(&["network", "connect", "b", "srv"])
        .code(125)
        .stderr_has("already connected");
    env.burrow(&["network", "disconnect", "b", "srv"]).ok();
    let out = env.burrow(&[
        "exec",
        "peer",
        "sh",
        "-c",
        &format!("cat /etc/hosts; nc -w 3 {ip_b} 80 </dev/null && echo reached"),
    ]);
    assert!(!out.stdout.contains("srv"), "{out:?}");
    assert!(!out.stdout.contains("reached"), "{out:?}");
    let addrs = env.burrow(&["exec", "srv", "ip", "-4", "addr"]).ok();
    assert!(!addrs.stdout.contains("eth1"), "{addrs:?}");
    env.burrow(&["rm", "-f", "srv", "peer"]).ok();
}

// Pins: outbound NAT from a user network reaches a server on the host's own address (the
// rootless netns's slirp4netns keeps host loopback disabled, as podman does, so the test
// server listens on all addresses); an --internal network gets no outbound traffic.
#[test]
fn outbound_and_internal() {
    let env = Env::new().with_busybox();
    let port = host_server("0.0.0.0", "hello-outside\n");
    env.burrow(&["network", "create", "open"]).ok();
    env.burrow(&["network", "create", "--internal", "closed"])
        .ok();
    env.burrow(&["network", "inspect", "--format", "{{.internal}}", "closed"])
        .ok()
        .stdout_has("true");
    let cmd = format!("nc -w 3 host.containers.internal {port} </dev/null");
    env.burrow(&[
        "run",
        "--rm",
        "--network",
        "open",
        "busybox",
        "sh",
        "-c",
        &cmd,
    ])
    .ok()
    .stdout_has("hello-outside");
    let out = env.burrow(&[
        "run",
        "--rm",
        "--network",
        "closed",
        "busybox",
        "sh",
        "-c",
        &cmd,
    ]);
    assert!(!out.stdout.contains("hello-outside"), "{out:?}");
}

// Pins: -p on a container on a user network publishes its port on the host.
#[test]
fn published_port_on_user_network() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "pub"]).ok();
    let port = free_port();
    web(
        &env,
        "site",
        "pub",
        "hello-published",
        &["-p", &format!("{port}:80")],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = None;
    while Instant::now() < deadline {
        last = http_get(port);
        if last
            .as_deref()
            .is_some_and(|r| r.contains("hello-published"))
        {
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    assert!(
        last.as_deref()
            .is_some_and(|r| r.contains("hello-published")),
        "{last:?}"
    );
    env.burrow(&["rm", "-f", "site"]).ok();
    // The host port is free again once the container is gone.
    TcpListener::bind(("127.0.0.1", port)).expect("port freed");
}

// Pins: inspect shows NetworkSettings.Networks.NAME with the address, gateway, prefix, MAC,
// aliases and network id, and --ip picks the address.
#[test]
fn inspect_shows_network_settings() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "--subnet", "10.90.5.0/24", "fixed"])
        .ok();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "box",
        "--network",
        "fixed",
        "--ip",
        "10.90.5.77",
        "--network-alias",
        "boxy",
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
    let out = env.burrow(&["inspect", "box"]).ok();
    let v: serde_json::Value = serde_json::from_str(out.out()).expect("inspect is JSON");
    let n = &v[0]["NetworkSettings"]["Networks"]["fixed"];
    assert_eq!(n["IPAddress"], "10.90.5.77", "{n}");
    assert_eq!(n["Gateway"], "10.90.5.1");
    assert_eq!(n["IPPrefixLen"], 24);
    assert_eq!(n["MacAddress"].as_str().map(str::len), Some(17));
    assert!(
        n["Aliases"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "boxy")),
        "{n}"
    );
    let net_id = env
        .burrow(&["network", "inspect", "--format", "{{.id}}", "fixed"])
        .ok();
    assert_eq!(n["NetworkID"], net_id.out().trim());
    let addr = env
        .burrow(&["exec", "box", "ip", "-4", "addr", "show", "eth0"])
        .ok();
    assert!(addr.stdout.contains("inet 10.90.5.77/24"), "{addr:?}");
    env.burrow(&[
        "create",
        "--name",
        "twin",
        "--network",
        "fixed",
        "--ip",
        "10.90.5.77",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("already allocated");
    env.burrow(&["rm", "-f", "box"]).ok();
}

// Pins: two burrows starting the first containers on a fresh network at once both work (the
// rootless netns and the bridge are created once, under a lock) and get different addresses.
#[test]
fn concurrent_first_starts() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "race"]).ok();
    let spawn = |name: &'static str| {
        let mut cmd = env.burrow_cmd(&[
            "run",
            "--rm",
            "--name",
            name,
            "--network",
            "race",
            "busybox",
            "sh",
            "-c",
            "ip -4 addr show eth0 | grep inet",
        ]);
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().expect("spawn burrow")
    };
    let a = spawn("r1");
    let b = spawn("r2");
    let (a, b) = (
        a.wait_with_output().expect("r1"),
        b.wait_with_output().expect("r2"),
    );
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert!(a.status.success(), "{}", text(&a));
    assert!(b.status.success(), "{}", text(&b));
    assert!(text(&a).contains("inet 10.89.0."), "{}", text(&a));
    assert_ne!(a.stdout, b.stdout, "same address twice");
    let holders = std::fs::read_to_string(env.runtime_dir().join("burrow/netns.pid"));
    assert!(holders.is_ok(), "no rootless netns recorded");
}

// Pins: a pod created on a user network: its members are reached by the pod's name from
// another container on that network, and reach the others by name.
#[test]
fn pod_on_user_network() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "podnet"]).ok();
    web(&env, "other", "podnet", "hello-other", &[]);
    env.burrow(&["pod", "create", "--network", "podnet", "--name", "pp"])
        .ok();
    env.burrow(&[
        "run",
        "-d",
        "--pod",
        "pp",
        "--name",
        "member",
        "busybox",
        "sh",
        "-c",
        "mkdir /www && echo hello-pod > /www/index.html && exec httpd -f -p 80 -h /www",
    ])
    .ok();
    fetch_from(&env, "podnet", "pp")
        .ok()
        .stdout_has("hello-pod");
    fetch_in(&env, "member", "other")
        .ok()
        .stdout_has("hello-other");
    env.burrow(&["network", "rm", "podnet"])
        .code(2)
        .stderr_has("is being used");
    env.burrow(&["network", "rm", "-f", "podnet"]).ok();
    env.burrow(&["pod", "exists", "pp"]).code(1);
}

// Pins: system reset ends the rootless netns (its holder processes) and removes networks.
#[test]
fn system_reset_removes_networks() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "gone"]).ok();
    env.burrow(&["run", "--rm", "--network", "gone", "busybox", "true"])
        .ok();
    let pids = std::fs::read_to_string(env.runtime_dir().join("burrow/netns.pid"))
        .expect("rootless netns recorded");
    env.burrow(&["system", "reset", "-f"]).ok();
    env.burrow(&["network", "exists", "gone"]).code(1);
    thread::sleep(Duration::from_millis(300));
    for pid in pids.split_whitespace() {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // A zombie (state Z) waiting for its reaper counts as ended.
        let state = stat
            .rsplit_once(')')
            .map(|(_, r)| r.trim_start())
            .unwrap_or("");
        assert!(
            !stat.contains("(burrow-netns") || state.starts_with('Z'),
            "{pid} still runs: {stat}"
        );
    }
}

// Pins: `--network a,b` gives the container one interface per network (eth0, eth1), the
// default route through the first, and names from both.
#[test]
fn two_networks_at_once() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "left"]).ok();
    env.burrow(&["network", "create", "right"]).ok();
    web(&env, "lweb", "left", "hello-left", &[]);
    web(&env, "rweb", "right", "hello-right", &[]);
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--network",
            "left,right",
            "busybox",
            "sh",
            "-c",
            "ip -4 -o addr; ip route; for h in lweb rweb; do for i in 1 2 3 4 5; do wget -q -O- http://$h/ && break; sleep 1; done; done",
        ])
        .ok();
    assert!(
        out.stdout.contains("eth0") && out.stdout.contains("eth1"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("default via 10.89.0.1 dev eth0"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("hello-left") && out.stdout.contains("hello-right"),
        "{out:?}"
    );
    env.burrow(&["rm", "-f", "lweb", "rweb"]).ok();
}

/// A static UDP echo server for the container (busybox's nc has no UDP), built with rustc.
fn udp_echo_binary(env: &Env) -> Option<std::path::PathBuf> {
    common::static_rust_binary(
        env,
        "udp_echo",
        "fn main() { let s = std::net::UdpSocket::bind(\"0.0.0.0:53\").unwrap(); \
         let mut b = [0u8; 1500]; loop { let (n, a) = s.recv_from(&mut b).unwrap(); \
         let mut r = b\"echo:\".to_vec(); r.extend_from_slice(&b[..n]); let _ = s.send_to(&r, a); } }",
    )
}

// Pins: `-p HOST:53/udp` on a user network forwards datagrams both ways (the rootless
// netns's slirp4netns to the container's address), for a client on the host's own address.
#[test]
fn udp_published_port_on_user_network() {
    let env = Env::new().with_busybox();
    let host_ip = {
        let s = std::net::UdpSocket::bind("0.0.0.0:0").expect("bind");
        s.connect("8.8.8.8:53")
            .ok()
            .and_then(|()| s.local_addr().ok())
            .map(|a| a.ip())
    };
    let Some(ip) = host_ip.filter(|ip| !ip.is_loopback() && !ip.is_unspecified()) else {
        eprintln!("skipped: the host has no address on a default route");
        return;
    };
    let Some(bin) = udp_echo_binary(&env) else {
        eprintln!("skipped: rustc cannot build a static UDP echo server here");
        return;
    };
    let port = {
        let s = std::net::UdpSocket::bind("0.0.0.0:0").expect("bind udp");
        s.local_addr().expect("addr").port()
    };
    env.burrow(&["network", "create", "udpnet"]).ok();
    let publish = format!("{port}:53/udp");
    let vol = format!("{}:/udp_echo:ro", bin.display());
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "udp",
        "--network",
        "udpnet",
        "-p",
        &publish,
        "-v",
        &vol,
        "busybox",
        "/udp_echo",
    ])
    .ok();
    let s = std::net::UdpSocket::bind((ip, 0)).expect("client socket");
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 1500];
    let mut got = None;
    while Instant::now() < deadline && got.is_none() {
        let _ = s.send_to(b"ping", (ip, port));
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            got = Some(buf[..n].to_vec());
        }
    }
    assert_eq!(got.as_deref(), Some(&b"echo:ping"[..]));
    env.burrow(&["rm", "-f", "udp"]).ok();
}
