//! containers.conf and storage.conf, from podman's places and environment variables, for the
//! settings burrow has.

mod common;

use common::Env;

fn write(env: &Env, rel: &str, text: &str) -> String {
    let p = env.path(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, text).expect("write conf");
    let user = env.user();
    let mut dir = p.clone();
    while dir.pop() && dir.starts_with(env.base()) {
        let _ = std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid));
    }
    p.display().to_string()
}

const CONF: &str = "[containers]\nenv = [\"FROM_CONF=1\", \"SHADOWED=conf\"]\ndefault_capabilities = [\"CHOWN\"]\ninit = true\ndefault_ulimits = [\"nofile=123:456\"]\n\n[engine]\nruntime = \"crun\"\n";

// Pins: $CONTAINERS_CONF sets env, default capabilities, init and ulimits; -e still wins.
#[test]
fn containers_conf_from_env_var() {
    let mut env = Env::new();
    let path = write(&env, "conf/containers.conf", CONF);
    env.set_env("CONTAINERS_CONF", &path);
    let env = env.with_busybox();
    let out = env
        .burrow(&[
            "run", "--rm", "-e", "SHADOWED=cli", "busybox", "sh", "-c",
            "echo $FROM_CONF $SHADOWED; grep CapEff /proc/self/status; ulimit -n; cat /proc/1/cmdline | tr '\\0' ' '",
        ])
        .ok();
    let lines = out.lines();
    assert_eq!(lines[0], "1 cli", "{out:?}");
    assert_eq!(lines[1], "CapEff:\t0000000000000001", "only CHOWN: {out:?}");
    assert_eq!(lines[2], "123");
    assert!(
        !lines[3].starts_with("sh -c"),
        "pid 1 is the init, not the command: {out:?}"
    );
}

// Pins: the user's ~/.config/containers/containers.conf is read when no variable names one.
#[test]
fn containers_conf_from_user_config_dir() {
    let env = Env::new();
    write(
        &env,
        "config/containers/containers.conf",
        "[containers]\nenv = [\"USER_CONF=yes\"]\n",
    );
    let env = env.with_busybox();
    let out = env
        .burrow(&["run", "--rm", "busybox", "sh", "-c", "echo $USER_CONF"])
        .ok();
    assert_eq!(out.out(), "yes");
}

// Pins: storage.conf picks the driver and the root; a broken file is a 125 naming it.
#[test]
fn storage_conf_and_broken_files() {
    let mut env = Env::new();
    let root = env.path("elsewhere");
    let conf = write(
        &env,
        "conf/storage.conf",
        &format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\n",
            root.display()
        ),
    );
    std::fs::create_dir_all(&root).expect("mkdir");
    std::os::unix::fs::chown(&root, Some(env.uid()), Some(env.gid())).expect("chown");
    env.set_env("CONTAINERS_STORAGE_CONF", &conf);
    let info = env
        .burrow(&[
            "info",
            "--format",
            "{{.Store.GraphDriverName}} {{.Store.GraphRoot}}",
        ])
        .ok();
    assert_eq!(info.out(), format!("vfs {}/storage", root.display()));
    let bad = write(&env, "conf/bad.conf", "[containers\n");
    env.set_env("CONTAINERS_CONF", &bad);
    let out = env.burrow(&["ps"]).code(125);
    assert!(out.stderr.starts_with(&format!("Error: {bad}")), "{out:?}");
}

// Pins: containers.conf layers as podman's do: the user's file, then its containers.conf.d
// drop-ins in name order (a later key wins, other keys stay), then
// $CONTAINERS_CONF_OVERRIDE on top of all.
#[test]
fn containers_conf_drop_ins_and_override() {
    let mut env = Env::new();
    write(
        &env,
        "config/containers/containers.conf",
        "[containers]\nenv = [\"LAYER=user\"]\ndefault_ulimits = [\"nofile=321:654\"]\n",
    );
    write(
        &env,
        "config/containers/containers.conf.d/20-late.conf",
        "[containers]\nenv = [\"LAYER=dropin20\"]\n",
    );
    write(
        &env,
        "config/containers/containers.conf.d/10-early.conf",
        "[containers]\nenv = [\"LAYER=dropin10\"]\n",
    );
    write(
        &env,
        "config/containers/containers.conf.d/README",
        "not a conf [",
    );
    env.import_busybox();
    let script = "echo $LAYER; ulimit -n";
    let out = env
        .burrow(&["run", "--rm", "busybox", "sh", "-c", script])
        .ok();
    assert_eq!(out.lines(), ["dropin20", "321"], "{out:?}");
    let over = write(
        &env,
        "conf/override.conf",
        "[containers]\nenv = [\"LAYER=override\"]\n",
    );
    env.set_env("CONTAINERS_CONF_OVERRIDE", &over);
    let out = env
        .burrow(&["run", "--rm", "busybox", "sh", "-c", script])
        .ok();
    assert_eq!(out.lines(), ["override", "321"], "{out:?}");
}

// Pins: containers.conf's tz, umask, log_driver, log_size_max, read_only and netns are the
// defaults of --tz, --umask, --log-driver, --log-opt max-size, --read-only and --network; a
// flag given on the command line wins (`--read-only=false` too); pids_limit is not applied (with a warning) where this
// user's limits cannot be enforced.
#[test]
fn containers_conf_run_defaults() {
    let mut env = Env::new();
    let path = write(
        &env,
        "conf/containers.conf",
        "[containers]\ntz = \"Asia/Tokyo\"\numask = \"0077\"\nlog_driver = \"none\"\nlog_size_max = 4096\nread_only = true\nnetns = \"none\"\npids_limit = 100\n",
    );
    env.set_env("CONTAINERS_CONF", &path);
    let env = env.with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--name",
            "d",
            "busybox",
            "sh",
            "-c",
            "umask; touch /x 2>/dev/null || echo read-only; ls /sys/class/net",
        ])
        .ok();
    assert_eq!(out.lines(), ["0077", "read-only", "lo"], "{out:?}");
    assert!(!out.stderr.contains("Resource limits"), "{out:?}");
    let fmt = "{{.Config.Timezone}} {{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Size}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.NetworkMode}}";
    let seen = env.burrow(&["inspect", "--format", fmt, "d"]).ok();
    assert_eq!(seen.out(), "Asia/Tokyo none 4.096kB true none", "{seen:?}");
    let flags = env
        .burrow(&[
            "run",
            "--name",
            "f",
            "--tz",
            "UTC",
            "--umask",
            "0022",
            "--log-driver",
            "k8s-file",
            "--network",
            "host",
            "--read-only=false",
            "busybox",
            "sh",
            "-c",
            "umask; touch /x && echo writable",
        ])
        .ok();
    assert_eq!(flags.lines(), ["0022", "writable"], "{flags:?}");
    let seen = env.burrow(&["inspect", "--format", fmt, "f"]).ok();
    assert_eq!(seen.out(), "UTC k8s-file 4.096kB false host", "{seen:?}");
    // The bare flag still takes no value: the word after it is the image.
    let bare = env
        .burrow(&[
            "run",
            "--rm",
            "--read-only",
            "busybox",
            "sh",
            "-c",
            "touch /y 2>/dev/null || echo ro",
        ])
        .ok();
    assert_eq!(bare.out(), "ro", "{bare:?}");
}
