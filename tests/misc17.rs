//! podman-fidelity odds and ends: `network update --dns-add/--dns-drop`, `pod clone`, the
//! global `--tmpdir`, `--out` and `--config` flags, and mounts.conf bind mounts, each driven
//! through the real binary as the unprivileged test user.

mod common;

use common::Env;

// Pins: `network update` changes the resolvers a container on the network gets in its
// resolv.conf at its next start, and inspect shows them; bad input changes nothing.
#[test]
fn network_update_sets_dns_servers() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "dnsnet"]).ok();
    env.burrow(&[
        "create",
        "--name",
        "r",
        "--network",
        "dnsnet",
        "busybox",
        "cat",
        "/etc/resolv.conf",
    ])
    .ok();
    env.burrow(&["start", "-a", "r"])
        .ok()
        .stdout_has("nameserver 10.0.2.3");
    env.burrow(&[
        "network",
        "update",
        "--dns-add",
        "1.1.1.1,8.8.8.8",
        "--dns-add",
        "9.9.9.9",
        "dnsnet",
    ])
    .ok()
    .stdout_has("dnsnet");
    env.burrow(&["network", "update", "--dns-drop", "8.8.8.8", "dnsnet"])
        .ok();
    let out = env
        .burrow(&[
            "network",
            "inspect",
            "--format",
            "{{json .network_dns_servers}}",
            "dnsnet",
        ])
        .ok();
    assert_eq!(out.out().trim(), r#"["1.1.1.1","9.9.9.9"]"#);
    let run = env.burrow(&["start", "-a", "r"]).ok();
    let servers: Vec<&str> = run
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("nameserver"))
        .collect();
    assert_eq!(servers, ["nameserver 1.1.1.1", "nameserver 9.9.9.9"]);

    // Bad input: one error line, podman's 125, nothing stored.
    env.burrow(&["network", "update", "--dns-add", "1.2.3", "dnsnet"])
        .code(125)
        .stderr_has("Error: invalid DNS server \"1.2.3\"");
    env.burrow(&["network", "update", "dnsnet"])
        .code(125)
        .stderr_has("--dns-add or --dns-drop");
    env.burrow(&["network", "update", "--dns-add", "1.1.1.1", "nosuch"])
        .code(125)
        .stderr_has("nosuch");
    let out = env
        .burrow(&[
            "network",
            "inspect",
            "--format",
            "{{json .network_dns_servers}}",
            "dnsnet",
        ])
        .ok();
    assert_eq!(out.out().trim(), r#"["1.1.1.1","9.9.9.9"]"#);
}

/// The names of the containers in `pod`, sorted.
fn pod_members(env: &Env, pod: &str) -> Vec<String> {
    let filter = format!("pod={pod}");
    let out = env
        .burrow(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])
        .ok();
    let mut names: Vec<String> = out.lines().into_iter().map(str::to_string).collect();
    names.sort();
    names
}

// Pins: `pod clone` copies the pod's configuration and its containers, `--label` and
// `--hostname` override, `--start` runs it, `--destroy` removes the source; bad input
// creates nothing.
#[test]
fn pod_clone_copies_pod_and_members() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--label", "a=1", "--name", "p"])
        .ok();
    env.burrow(&[
        "create", "--pod", "p", "--name", "m1", "busybox", "sleep", "1000",
    ])
    .ok();

    let id = env
        .burrow(&[
            "pod",
            "clone",
            "--label",
            "b=2",
            "--hostname",
            "cloned",
            "--start",
            "p",
            "p2",
        ])
        .ok()
        .out()
        .to_string();
    assert_eq!(id.len(), 64, "prints the new pod's ID: {id}");
    let inspect = env
        .burrow(&[
            "pod",
            "inspect",
            "--format",
            "{{.Name}} {{.State}} {{.Hostname}} {{.Labels.a}} {{.Labels.b}}",
            "p2",
        ])
        .ok();
    assert_eq!(inspect.out(), "p2 Running cloned 1 2");
    let members = pod_members(&env, "p2");
    assert_eq!(members.len(), 2, "infra and one member: {members:?}");
    assert!(members.contains(&"m1-clone".to_string()), "{members:?}");
    // The member runs in the new pod's namespaces: its hostname is the clone's.
    env.burrow(&["exec", "m1-clone", "hostname"])
        .ok()
        .stdout_has("cloned");
    // The source is untouched.
    assert!(pod_members(&env, "p").contains(&"m1".to_string()));
    env.burrow(&["inspect", "--format", "{{.State.Status}}", "m1"])
        .ok()
        .stdout_has("created");

    // Default name, and --destroy removes the source with its containers.
    env.burrow(&["pod", "clone", "--destroy", "p2"]).ok();
    env.burrow(&["pod", "exists", "p2"]).code(1);
    env.burrow(&["container", "exists", "m1-clone"]).code(1);
    assert!(pod_members(&env, "p2-clone").contains(&"m1-clone-clone".to_string()));

    // Bad input: one error line, 125, nothing created.
    let before = env.burrow(&["pod", "ps", "-q"]).ok().lines().len();
    env.burrow(&["pod", "clone", "nosuch"])
        .code(125)
        .stderr_has("nosuch");
    env.burrow(&["pod", "clone", "--name", "p", "p2-clone"])
        .code(125)
        .stderr_has("Error: ");
    env.burrow(&["pod", "clone", "--name", "x", "p", "y"])
        .code(125)
        .stderr_has("name twice");
    assert_eq!(env.burrow(&["pod", "ps", "-q"]).ok().lines().len(), before);
}
