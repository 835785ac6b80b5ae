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
