//! Pods: `pod create` with its infra container (burrow's own pause program), members joining
//! the pod's network, IPC and UTS namespaces, ports published on the pod, the pod-wide
//! lifecycle and `pod ps` statuses, `--pod new:NAME`, and bad input leaving nothing behind.

mod common;
#[path = "common/net.rs"]
mod net;

use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use common::Env;
use net::{free_port, wait_http};

const HTTPD: &str =
    "mkdir -p /www && echo hello-$MSG > /www/index.html && exec httpd -f -p 80 -h /www";

/// The pod's status as `pod ps` prints it.
fn pod_status(env: &Env, pod: &str) -> String {
    env.burrow(&[
        "pod",
        "ps",
        "--filter",
        &format!("name={pod}"),
        "--format",
        "{{.Name}} {{.Status}}",
    ])
    .ok()
    .lines()
    .iter()
    .find_map(|l| l.strip_prefix(&format!("{pod} ")).map(str::to_string))
    .unwrap_or_default()
}

/// Waits until the pod shows `want` (a container exiting is recorded by its monitor).
fn wait_status(env: &Env, pod: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = pod_status(env, pod);
        if s == want || Instant::now() > deadline {
            return s;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

// Pins: two containers of a pod talk over localhost (busybox httpd in one, wget in the other),
// and share the pod's hostname and IPC namespace through the infra container.
#[test]
fn pod_members_share_localhost_uts_and_ipc() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "p1", "--hostname", "podhost"])
        .ok();
    env.burrow(&[
        "run", "-d", "--pod", "p1", "--name", "web", "-e", "MSG=pod", "busybox", "sh", "-c", HTTPD,
    ])
    .ok();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--pod",
            "p1",
            "busybox",
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do wget -q -O- http://127.0.0.1:80/ && break; sleep 0.3; done; hostname",
        ])
        .ok();
    assert_eq!(out.stdout, "hello-pod\npodhost\n", "{out:?}");
    // Same IPC and UTS namespace as the web container (and the infra), not the same mount ns.
    let ns = |ctr: &str| {
        env.burrow(&[
            "exec",
            ctr,
            "sh",
            "-c",
            "for n in ipc uts net mnt; do readlink /proc/self/ns/$n; done",
        ])
        .ok()
        .stdout
    };
    env.burrow(&[
        "run", "-d", "--pod", "p1", "--name", "other", "busybox", "sleep", "100",
    ])
    .ok();
    let a = ns("web");
    let b = ns("other");
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(a.len(), 4, "{a:?}");
    assert_eq!(a[..3], b[..3], "ipc, uts and net are the pod's");
    assert_ne!(a[3], b[3], "each member keeps its own mount namespace");
    // The infra container shows in ps -a with the pod's id and name (podman's `<id>-infra`).
    let pod_id = env
        .burrow(&["pod", "inspect", "--format", "{{.Id}}", "p1"])
        .ok();
    let pod_id = pod_id.out().trim().to_string();
    let ps = env
        .burrow(&["ps", "-a", "--pod", "--format", "{{.Names}} {{.PodName}}"])
        .ok();
    assert!(
        ps.stdout.contains(&format!("{}-infra p1\n", &pod_id[..12])),
        "{ps:?}"
    );
    assert!(ps.stdout.contains("web p1\n"), "{ps:?}");
    env.burrow(&["pod", "rm", "-f", "p1"]).ok();
}

// Pins: a port published on the pod (`pod create -p`) reaches a member's server from the host,
// and `--pod new:NAME` creates a pod that takes the container's -p.
#[test]
fn pod_published_port_reaches_member() {
    let env = Env::new().with_busybox();
    let port = free_port();
    env.burrow(&[
        "pod",
        "create",
        "--name",
        "web",
        "-p",
        &format!("{port}:80"),
    ])
    .ok();
    env.burrow(&[
        "run",
        "-d",
        "--pod",
        "web",
        "-e",
        "MSG=published",
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    let resp = wait_http(port, "hello-published");
    assert!(
        resp.contains("200") && resp.ends_with("hello-published\n"),
        "{resp}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&env.burrow(&["pod", "inspect", "web"]).ok().stdout).expect("json");
    assert_eq!(
        v[0]["InfraConfig"]["PortBindings"]["80/tcp"][0]["HostPort"],
        port.to_string(),
        "{v}"
    );
    assert_eq!(v[0]["NumContainers"], 2, "{v}");
    // Removing the pod frees the host port.
    env.burrow(&["pod", "rm", "-f", "web"]).ok();
    TcpListener::bind(("0.0.0.0", port)).expect("host port still held after pod rm -f");

    // --pod new:NAME with -p: the new pod publishes the port.
    let port2 = free_port();
    env.burrow(&[
        "run",
        "-d",
        "--pod",
        "new:fresh",
        "-p",
        &format!("{port2}:80"),
        "-e",
        "MSG=fresh",
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    env.burrow(&["pod", "exists", "fresh"]).ok();
    let resp = wait_http(port2, "hello-fresh");
    assert!(resp.ends_with("hello-fresh\n"), "{resp}");
    env.burrow(&["pod", "rm", "-f", "fresh"]).ok();
}

// Pins: `pod ps` statuses follow podman: Created, Running, Degraded (a member exited while
// the infra runs), Exited (after pod stop); pod start brings everything back.
#[test]
fn pod_ps_statuses() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "st"]).ok();
    assert_eq!(pod_status(&env, "st"), "Created");
    env.burrow(&[
        "create", "--pod", "st", "--name", "long", "busybox", "sleep", "1000",
    ])
    .ok();
    env.burrow(&[
        "create", "--pod", "st", "--name", "short", "busybox", "sh", "-c", "sleep 2",
    ])
    .ok();
    let started = env.burrow(&["pod", "start", "st"]).ok();
    assert_eq!(started.lines().len(), 1, "{started:?}");
    assert_eq!(pod_status(&env, "st"), "Running");
    let ps = env.burrow(&["pod", "ps"]).ok();
    assert!(ps.stdout.starts_with("POD ID"), "{ps:?}");
    assert!(ps.stdout.contains("# OF CONTAINERS"), "{ps:?}");
    assert!(
        ps.lines()
            .iter()
            .any(|l| l.contains(" st ") && l.trim_end().ends_with('3')),
        "{ps:?}"
    );
    assert_eq!(wait_status(&env, "st", "Degraded"), "Degraded");
    env.burrow(&["pod", "stop", "-t", "1", "st"]).ok();
    assert_eq!(pod_status(&env, "st"), "Exited");
    env.burrow(&["ps", "--filter", "status=running", "-q"])
        .ok()
        .stdout
        .is_empty()
        .then_some(())
        .expect("no container runs after pod stop");
    env.burrow(&["pod", "start", "st"]).ok();
    assert!(
        matches!(pod_status(&env, "st").as_str(), "Running" | "Degraded"),
        "pod start brings the pod back"
    );
    env.burrow(&["pod", "top", "st"])
        .ok()
        .stdout_has("sleep 1000");
    env.burrow(&["pod", "kill", "st"]).ok();
    assert_eq!(wait_status(&env, "st", "Exited"), "Exited");
    env.burrow(&["pod", "rm", "st"]).ok();
    assert!(env.burrow(&["ps", "-aq"]).ok().stdout.is_empty());
}

// Pins: `--exit-policy=stop` stops the pod (its infra container) once the last member has
// exited, while the default `continue` keeps the infra running with no member left.
#[test]
fn pod_exit_policy_stop_ends_the_pod_with_its_last_member() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "es", "--exit-policy=stop"])
        .ok();
    env.burrow(&["pod", "create", "--name", "ec"]).ok();
    for pod in ["es", "ec"] {
        for (name, secs) in [("a", "1"), ("b", "2")] {
            env.burrow(&[
                "run",
                "-d",
                "--pod",
                pod,
                "--name",
                &format!("{pod}-{name}"),
                "busybox",
                "sleep",
                secs,
            ])
            .ok();
        }
    }
    assert_eq!(wait_status(&env, "es", "Exited"), "Exited");
    let infra = |pod: &str| {
        env.burrow(&["pod", "inspect", pod, "--format", "{{.InfraContainerID}}"])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    env.burrow(&["inspect", &infra("es"), "--format", "{{.State.Status}}"])
        .ok()
        .stdout_has("exited");
    env.burrow(&["pod", "inspect", "es", "--format", "{{.ExitPolicy}}"])
        .ok()
        .stdout_has("stop");
    env.burrow(&["wait", "ec-b"]).ok();
    thread::sleep(Duration::from_millis(500));
    env.burrow(&["inspect", &infra("ec"), "--format", "{{.State.Status}}"])
        .ok()
        .stdout_has("running");
    env.burrow(&["pod", "rm", "-f", "ec", "es"]).ok();
}

// Pins: `pod rm` refuses a running pod (125, nothing removed); `pod rm -f` stops and removes
// every member and the infra container; the infra cannot be removed on its own.
#[test]
fn pod_rm_force_removes_members() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "gone"]).ok();
    env.burrow(&[
        "run", "-d", "--pod", "gone", "--name", "m1", "busybox", "sleep", "1000",
    ])
    .ok();
    env.burrow(&["create", "--pod", "gone", "--name", "m2", "busybox", "true"])
        .ok();
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().lines().len(), 3);
    // podman-pod-rm(1): 2 for a pod with a running container.
    env.burrow(&["pod", "rm", "gone"])
        .code(2)
        .stderr_has("running");
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().lines().len(), 3);
    let infra = env
        .burrow(&[
            "pod",
            "inspect",
            "--format",
            "{{.InfraContainerId}}",
            "gone",
        ])
        .ok();
    env.burrow(&["rm", "-f", infra.out().trim()])
        .code(125)
        .stderr_has("pod rm");
    let v: serde_json::Value =
        serde_json::from_str(&env.burrow(&["inspect", infra.out().trim()]).ok().stdout)
            .expect("json");
    assert_eq!(v[0]["IsInfra"], true, "{v}");
    assert_eq!(v[0]["State"]["Status"], "running", "{v}");
    let member: serde_json::Value =
        serde_json::from_str(&env.burrow(&["inspect", "m1"]).ok().stdout).expect("json");
    assert_eq!(member[0]["Pod"], v[0]["Pod"], "{member}");
    env.burrow(&["exec", infra.out().trim(), "true"])
        .code(125)
        .stderr_has("infra container");
    // pod pause does what container pause does here: without cgroups it fails clearly and
    // the pod keeps running; with them, every running container is frozen and thawed.
    if env.burrow(&["pause", "m1"]).status == 0 {
        env.burrow(&["unpause", "m1"]).ok();
        env.burrow(&["pod", "pause", "gone"]).ok();
        env.burrow(&["inspect", "--format", "{{.State.Status}}", "m1"])
            .ok()
            .stdout_has("paused");
        env.burrow(&["pod", "unpause", "gone"]).ok();
    } else {
        env.burrow(&["pod", "pause", "gone"])
            .code(125)
            .stderr_has("cgroups");
    }
    assert_eq!(
        pod_status(&env, "gone"),
        "Degraded",
        "m1 runs, m2 was only created"
    );
    // system check does not report the infra container's (absent) image.
    let check = env.burrow(&["system", "check"]).ok();
    assert!(!check.stdout.contains("missing"), "{check:?}");
    env.burrow(&["pod", "rm", "-f", "gone"]).ok();
    assert!(env.burrow(&["ps", "-aq"]).ok().stdout.is_empty());
    env.burrow(&["pod", "exists", "gone"]).code(1);
    env.burrow(&["pod", "ps", "-q"])
        .ok()
        .stdout
        .is_empty()
        .then_some(())
        .expect("no pod left");
}

// Pins: bad input fails with 125 and creates nothing: an unknown pod, -p or --network on a
// member of a pod that shares its network, a duplicate pod name, an unshareable namespace.
#[test]
fn pod_bad_input_changes_nothing() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--rm", "--pod", "nosuch", "busybox", "true"])
        .code(125)
        .stderr_has("no pod with name or ID nosuch found");
    env.burrow(&["pod", "create", "--name", "dup"]).ok();
    let before = env.burrow(&["ps", "-aq"]).ok().lines().len();
    assert_eq!(before, 1, "the infra container only");
    env.burrow(&["create", "--pod", "dup", "-p", "8080:80", "busybox", "true"])
        .code(125)
        .stderr_has("published or exposed ports must be defined when the pod is created");
    env.burrow(&[
        "create",
        "--pod",
        "dup",
        "--network",
        "none",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("networks must be defined when the pod is created");
    env.burrow(&["pod", "create", "--name", "dup"])
        .code(125)
        .stderr_has("pod already exists");
    env.burrow(&["pod", "create", "--name", "userns", "--share", "user"])
        .code(125)
        .stderr_has("--share");
    env.burrow(&[
        "pod",
        "create",
        "--name",
        "noinfra",
        "--infra=false",
        "-p",
        "8080:80",
    ])
    .code(125)
    .stderr_has("infra container");
    env.burrow(&["pod", "stop", "nosuch"])
        .code(125)
        .stderr_has("no such pod");
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().lines().len(), before);
    let pods = env.burrow(&["pod", "ps", "--format", "{{.Name}}"]).ok();
    assert_eq!(pods.stdout, "dup\n");
    // A --pod new: whose container cannot be created leaves no pod behind.
    env.burrow(&[
        "run",
        "--rm",
        "--pod",
        "new:half",
        "--hostname",
        "h",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("hostname");
    env.burrow(&["pod", "exists", "half"]).code(1);
}

// Pins: pod names (and --infra-name, --pod new:NAME) follow podman's rule and are at most 253
// characters, refused with one `Error:` line, 125, nothing created. A pod's default hostname,
// its name, is cut to the kernel's 64 bytes: a 100-character name made every member fail
// with "sethostname: Invalid argument".
#[test]
fn pod_names_are_checked_and_long_ones_still_start() {
    let env = Env::new().with_busybox();
    let out = env.burrow(&["pod", "create", "--name", "a b"]).code(125);
    assert_eq!(
        out.stderr.trim_end(),
        "Error: invalid pod name \"a b\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
    );
    let long = "p".repeat(254);
    env.burrow(&["pod", "create", "--name", &long])
        .code(125)
        .stderr_has("(254 characters): names must be at most 253 characters: invalid argument");
    env.burrow(&["pod", "create", "--infra-name", "i n"])
        .code(125)
        .stderr_has("invalid container name \"i n\"");
    env.burrow(&["run", "--rm", "--pod", "new:a:b", "busybox", "true"])
        .code(125)
        .stderr_has("invalid pod name \"a:b\"");
    let pods = env.burrow(&["pod", "ps", "-q"]).ok();
    assert!(pods.out().is_empty(), "{pods:?}");
    assert!(env.burrow(&["ps", "-aq"]).ok().out().is_empty());

    let name = "p".repeat(100);
    env.burrow(&["pod", "create", "--name", &name]).ok();
    let host = env
        .burrow(&["run", "--rm", "--pod", &name, "busybox", "hostname"])
        .ok();
    assert_eq!(host.out(), &name[..64]);
}

// Pins: the pod's --add-host, --dns and --infra-name reach its members (they share the infra's
// /etc/hosts and resolv.conf); --share net keeps each member's own hostname; a pod without
// infra gives its members their own network; pod logs prefixes lines with the container id.
#[test]
fn pod_options_reach_members() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "pod",
        "create",
        "--name",
        "opts",
        "--add-host",
        "db.internal:10.1.2.3",
        "--dns",
        "10.9.9.9",
        "--infra-name",
        "opts-pause",
        "--label",
        "tier=web",
    ])
    .ok();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--pod",
            "opts",
            "busybox",
            "sh",
            "-c",
            "cat /etc/hosts /etc/resolv.conf; hostname",
        ])
        .ok();
    assert!(out.stdout.contains("10.1.2.3\tdb.internal"), "{out:?}");
    assert!(out.stdout.contains("nameserver 10.9.9.9"), "{out:?}");
    assert!(
        out.stdout.ends_with("opts\n"),
        "hostname defaults to the pod name: {out:?}"
    );
    env.burrow(&["ps", "-a", "--format", "{{.Names}}"])
        .ok()
        .stdout_has("opts-pause");
    let v: serde_json::Value =
        serde_json::from_str(&env.burrow(&["pod", "inspect", "opts"]).ok().stdout).expect("json");
    assert_eq!(v[0]["Labels"]["tier"], "web", "{v}");
    assert_eq!(
        v[0]["State"], "Running",
        "the infra runs after the member left: {v}"
    );
    assert_eq!(
        v[0]["SharedNamespaces"],
        serde_json::json!(["ipc", "net", "uts"]),
        "{v}"
    );
    env.burrow(&["pod", "ps", "--filter", "label=tier=web", "-q"])
        .ok()
        .stdout_has(&v[0]["Id"].as_str().unwrap_or("?")[..12]);

    // --share net: members keep their own UTS namespace, hence their own hostname.
    env.burrow(&["pod", "create", "--name", "netonly", "--share", "net"])
        .ok();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--pod",
            "netonly",
            "--hostname",
            "mine",
            "busybox",
            "hostname",
        ])
        .ok();
    assert_eq!(out.stdout, "mine\n");

    // No infra: no shared namespaces, a member may choose its own network.
    env.burrow(&["pod", "create", "--name", "bare", "--infra=false"])
        .ok();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--pod",
            "bare",
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "ls /sys/class/net",
        ])
        .ok();
    assert_eq!(out.stdout, "lo\n");
    assert_eq!(
        env.burrow(&[
            "pod",
            "ps",
            "--filter",
            "name=bare",
            "--format",
            "{{.NumberOfContainers}}"
        ])
        .ok()
        .stdout,
        "0\n"
    );

    // pod logs: every member's output, prefixed with its short id when there are several.
    env.burrow(&["pod", "create", "--name", "talk"]).ok();
    let a = env
        .burrow(&[
            "run", "--pod", "talk", "--name", "a", "busybox", "echo", "from-a",
        ])
        .ok();
    assert_eq!(a.stdout, "from-a\n");
    env.burrow(&[
        "run", "--pod", "talk", "--name", "b", "busybox", "echo", "from-b",
    ])
    .ok();
    let logs = env.burrow(&["pod", "logs", "talk"]).ok();
    let id = |n: &str| {
        env.burrow(&["inspect", "--format", "{{.Id}}", n])
            .ok()
            .stdout[..12]
            .to_string()
    };
    assert!(
        logs.stdout.contains(&format!("{} from-a\n", id("a"))),
        "{logs:?}"
    );
    assert!(
        logs.stdout.contains(&format!("{} from-b\n", id("b"))),
        "{logs:?}"
    );
    let one = env.burrow(&["pod", "logs", "-c", "b", "talk"]).ok();
    assert_eq!(one.stdout, "from-b\n");
    env.burrow(&["pod", "restart", "talk"]).ok();
    env.burrow(&["pod", "rm", "-f", "-a"]).ok();
    assert!(env.burrow(&["pod", "ps", "-q"]).ok().stdout.is_empty());
    assert!(env.burrow(&["ps", "-aq"]).ok().stdout.is_empty());
}

// Pins: system prune removes a pod with nothing running (its infra included) but keeps a
// running one; system reset removes a running pod and everything in it.
#[test]
fn system_prune_and_reset_take_pods() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "idle"]).ok();
    env.burrow(&["create", "--pod", "idle", "busybox", "true"])
        .ok();
    env.burrow(&["pod", "create", "--name", "busy"]).ok();
    env.burrow(&[
        "run", "-d", "--pod", "busy", "--name", "s", "busybox", "sleep", "1000",
    ])
    .ok();
    env.burrow(&["system", "prune", "-f"]).ok();
    env.burrow(&["pod", "exists", "idle"]).code(1);
    env.burrow(&["pod", "exists", "busy"]).ok();
    assert_eq!(
        env.burrow(&["ps", "-aq"]).ok().lines().len(),
        2,
        "busy's infra and s"
    );
    env.burrow(&["system", "reset", "-f"]).ok();
    env.burrow(&["pod", "exists", "busy"]).code(1);
    assert!(env.burrow(&["ps", "-aq"]).ok().stdout.is_empty());
}

// Pins: `pod prune` without -f asks first: "n" keeps the stopped pod, "y" removes it.
#[test]
fn pod_prune_asks_before_removing() {
    let env = Env::new();
    env.burrow(&["pod", "create", "--name", "idlepod"]).ok();
    env.burrow_stdin(&["pod", "prune"], "n\n")
        .ok()
        .stdout_has("[y/N]");
    env.burrow(&["pod", "exists", "idlepod"]).ok();
    env.burrow_stdin(&["pod", "prune"], "y\n").ok();
    env.burrow(&["pod", "exists", "idlepod"]).fails();
}

/// The namespace link (`pid:[4026...]`) a container sees for `ns`.
fn ns_of(env: &Env, ctr: &str, ns: &str) -> String {
    env.burrow(&["exec", ctr, "readlink", &format!("/proc/self/ns/{ns}")])
        .ok()
        .out()
        .trim()
        .to_string()
}

// Pins: `--share +pid,cgroup` adds to podman's default set: members then see each other's
// processes (one PID namespace, the infra's pause as PID 1, which reaps orphans) and share
// the cgroup namespace; without it each member has its own PID namespace.
#[test]
fn pod_shares_pid_and_cgroup_when_asked() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "pod",
        "create",
        "--name",
        "shared",
        "--share",
        "+pid,cgroup",
    ])
    .ok();
    let shared = env
        .burrow(&[
            "pod",
            "inspect",
            "--format",
            "{{json .SharedNamespaces}}",
            "shared",
        ])
        .ok();
    for ns in ["cgroup", "ipc", "net", "pid", "uts"] {
        assert!(shared.stdout.contains(&format!("\"{ns}\"")), "{shared:?}");
    }
    for name in ["a", "b"] {
        env.burrow(&[
            "run", "-d", "--pod", "shared", "--name", name, "busybox", "sleep", "300",
        ])
        .ok();
    }
    assert_eq!(ns_of(&env, "a", "pid"), ns_of(&env, "b", "pid"));
    assert_eq!(ns_of(&env, "a", "cgroup"), ns_of(&env, "b", "cgroup"));
    // b sees a's sleep; PID 1 is the pod's pause program, not either member.
    let ps = env.burrow(&["exec", "b", "ps", "-o", "pid,args"]).ok();
    let sleeps = ps
        .stdout
        .lines()
        .filter(|l| l.contains("sleep 300"))
        .count();
    assert_eq!(sleeps, 2, "{}", ps.stdout);
    let pid1 = ps
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some("1"))
        .unwrap_or_default();
    assert!(!pid1.contains("sleep"), "{}", ps.stdout);
    // An orphan (a background child whose parent exits) is reaped by PID 1, not left a zombie.
    env.burrow(&["exec", "a", "sh", "-c", "sleep 1 & exit 0"])
        .ok();
    thread::sleep(Duration::from_millis(1500));
    let ps = env.burrow(&["exec", "b", "ps", "-o", "stat,args"]).ok();
    assert!(
        !ps.stdout.lines().any(|l| l.trim_start().starts_with('Z')),
        "zombie left: {}",
        ps.stdout
    );
    // The default pod shares no PID namespace.
    env.burrow(&["pod", "create", "--name", "plain"]).ok();
    for name in ["c", "d"] {
        env.burrow(&[
            "run", "-d", "--pod", "plain", "--name", name, "busybox", "sleep", "300",
        ])
        .ok();
    }
    assert_ne!(ns_of(&env, "c", "pid"), ns_of(&env, "d", "pid"));
    assert_eq!(ns_of(&env, "c", "ipc"), ns_of(&env, "d", "ipc"));
    env.burrow(&["pod", "rm", "-f", "shared", "plain"]).ok();
}

// Pins: `pod logs -f` prints every member's output as it is written, prefixed by the
// container's short id, and returns once all members have stopped.
#[test]
fn pod_logs_follow_until_members_stop() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "chatty"]).ok();
    let a = env
        .burrow(&[
            "run",
            "-d",
            "--pod",
            "chatty",
            "--name",
            "a",
            "busybox",
            "sh",
            "-c",
            "sleep 1; echo from-a-late; sleep 1",
        ])
        .ok()
        .out()
        .trim()
        .to_string();
    let b = env
        .burrow(&[
            "run",
            "-d",
            "--pod",
            "chatty",
            "--name",
            "b",
            "busybox",
            "sh",
            "-c",
            "echo from-b; sleep 2; echo from-b-late",
        ])
        .ok()
        .out()
        .trim()
        .to_string();
    let started = Instant::now();
    let out = env.burrow(&["pod", "logs", "-f", "chatty"]).ok();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "returned early: {out:?}"
    );
    for (id, line) in [(&a, "from-a-late"), (&b, "from-b"), (&b, "from-b-late")] {
        let want = format!("{} {line}\n", &id[..12]);
        assert!(out.stdout.contains(&want), "no {want:?} in {out:?}");
    }
}

// Pins: `ps --filter pod=NAME` (or the pod's id) lists the pod's containers and nothing else;
// an unknown pod is an error (125) naming it.
#[test]
fn ps_filters_by_pod() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "pf"]).ok();
    env.burrow(&[
        "create", "--pod", "pf", "--name", "inside", "busybox", "true",
    ])
    .ok();
    env.burrow(&["create", "--name", "outside", "busybox", "true"])
        .ok();
    let pod_id = env
        .burrow(&["pod", "inspect", "--format", "{{.Id}}", "pf"])
        .ok()
        .out()
        .trim()
        .to_string();
    for key in ["pf", pod_id.as_str()] {
        let names = env
            .burrow(&[
                "ps",
                "-a",
                "--filter",
                &format!("pod={key}"),
                "--format",
                "{{.Names}}",
            ])
            .ok();
        assert!(names.stdout.lines().any(|l| l == "inside"), "{names:?}");
        assert!(!names.stdout.contains("outside"), "{names:?}");
    }
    env.burrow(&["ps", "-a", "--filter", "pod=nosuchpod"])
        .code(125)
        .stderr_has("nosuchpod");
}
