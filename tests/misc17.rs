//! podman-fidelity odds and ends: `network update --dns-add/--dns-drop`, `pod clone`, the
//! global `--tmpdir`, `--out` and `--config` flags, and mounts.conf bind mounts, each driven
//! through the real binary as the unprivileged test user.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/registry.rs"]
mod registry;

use common::{BUSYBOX, Env};
use registry::Registry;

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

// Pins: `--tmpdir` moves a build's scratch files (info shows it; a path that cannot be a
// directory fails the build naming it); `--out` sends stdout to a file; bad values fail.
#[test]
fn tmpdir_and_out_globals() {
    let env = Env::new().with_busybox();
    let tmp = env.path("mytmp");
    let tmp_s = tmp.display().to_string();
    env.burrow(&[
        "--tmpdir",
        &tmp_s,
        "info",
        "--format",
        "{{.Store.ImageCopyTmpDir}}",
    ])
    .ok()
    .stdout_has(&tmp_s);
    let ctx = env.path("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        format!("FROM {BUSYBOX}\nRUN echo hi > /hi\n"),
    )
    .unwrap();
    let ctx_s = ctx.display().to_string();
    env.burrow(&["--tmpdir", &tmp_s, "build", "-t", "withtmp", &ctx_s])
        .ok();
    assert!(
        tmp.join("build").is_dir(),
        "the build's scratch went to --tmpdir"
    );
    env.burrow(&["run", "--rm", "withtmp", "cat", "/hi"])
        .ok()
        .stdout_has("hi");
    // A --tmpdir below a regular file cannot exist: the build says where it failed.
    let file = env.path("afile");
    std::fs::write(&file, "x").unwrap();
    let bad = file.join("sub").display().to_string();
    env.burrow(&[
        "--tmpdir",
        &bad,
        "build",
        "--no-cache",
        "-t",
        "nottmp",
        &ctx_s,
    ])
    .code(125)
    .stderr_has(&bad);
    env.burrow(&["image", "exists", "nottmp"]).code(1);

    // --out: the command's stdout lands in the file, none on the terminal.
    let out = env.path("out.txt");
    let out_s = out.display().to_string();
    let r = env
        .burrow(&["--out", &out_s, "images", "--format", "{{.Repository}}"])
        .ok();
    assert_eq!(r.stdout, "", "nothing on stdout with --out");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("localhost/withtmp"), "{written}");
    env.burrow(&["--out", "/nonexistent/dir/out.txt", "images"])
        .code(125)
        .stderr_has("Error: --out /nonexistent/dir/out.txt");
}

// Pins: `--config DIR` reads registry credentials from DIR/config.json (docker's format, as
// DOCKER_CONFIG does): a push to a registry with auth works with it and fails without.
#[test]
fn config_dir_supplies_registry_auth() {
    let reg = Registry::start_secure("alice", "s3cret");
    let env = Env::new().with_busybox();
    let certs = reg.tls().cert_dir.display().to_string();
    let dir = env.path("dockercfg");
    std::fs::create_dir_all(&dir).unwrap();
    let auth = registry::base64("alice:s3cret");
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let dir_s = dir.display().to_string();
    env.burrow(&[
        "push",
        "--cert-dir",
        &certs,
        BUSYBOX,
        &reg.image("cfg/busybox:1"),
    ])
    .code(125);
    env.burrow(&[
        "--config",
        &dir_s,
        "push",
        "--cert-dir",
        &certs,
        BUSYBOX,
        &reg.image("cfg/busybox:1"),
    ])
    .ok();
    assert_eq!(reg.tags("cfg/busybox"), ["1"]);
}

// Pins: the global flags show in --help.
#[test]
fn help_lists_globals() {
    let env = Env::new();
    let out = env.burrow(&["--help"]).ok();
    for flag in ["--tmpdir", "--out", "--config"] {
        assert!(out.stdout.contains(flag), "{flag} missing from --help");
    }
}

// Pins: the user's mounts.conf binds its host paths read-only into every container; a missing
// host path is skipped silently; a user's own mount on the same path wins.
#[test]
fn mounts_conf_binds_read_only() {
    let env = Env::new().with_busybox();
    let host = env.path("subs");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("token"), "abc\n").unwrap();
    let conf_dir = env.config_dir().join("containers");
    std::fs::create_dir_all(&conf_dir).unwrap();
    std::fs::write(
        conf_dir.join("mounts.conf"),
        format!(
            "# subscriptions\n{}:/run/subs\n/nonexistent/path:/run/gone\n",
            host.display()
        ),
    )
    .unwrap();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "cat /run/subs/token; touch /run/subs/new 2>/dev/null && echo WROTE; ls /run/gone 2>/dev/null || echo NOGONE",
        ])
        .ok();
    assert_eq!(out.lines(), ["abc", "NOGONE"]);
    assert!(!host.join("new").exists());
    // A user's mount on the same destination wins over mounts.conf.
    let other = env.path("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("token"), "mine\n").unwrap();
    let vol = format!("{}:/run/subs", other.display());
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        &vol,
        "busybox",
        "cat",
        "/run/subs/token",
    ])
    .ok()
    .stdout_has("mine");
}
