//! The command line as a podman user meets it: version and info (podman's field names,
//! --format), shell completions, unknown flags, --noout, --help.

mod common;

use common::{Env, burrow_bin};

// Pins: version prints podman's layout and its Client fields through --format.
#[test]
fn version_layout_and_format() {
    let env = Env::new();
    let out = env.burrow(&["version"]).ok();
    assert!(out.stdout.contains("Version:      0."), "{out:?}");
    assert!(out.stdout.contains("OS/Arch:      linux/"), "{out:?}");
    let v = env
        .burrow(&["version", "--format", "{{.Client.Version}}"])
        .ok();
    assert_eq!(v.out(), env!("CARGO_PKG_VERSION"));
    let json = env.burrow(&["version", "--format", "json"]).ok();
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(parsed["Client"]["Os"], "linux");
}

// Pins: info has podman's sections and reflects this store (driver, counts, rootless, maps);
// the default output is YAML, --format json and templates work.
#[test]
fn info_sections_and_formats() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "one", "busybox", "true"])
        .ok();
    let json = env.burrow(&["info", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("info json");
    for key in ["host", "store", "registries", "version"] {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
    assert_eq!(v["store"]["graphDriverName"], "overlay");
    assert_eq!(v["store"]["containerStore"]["number"], 1);
    assert_eq!(v["store"]["imageStore"]["number"], 1);
    assert_eq!(v["host"]["security"]["rootless"], true);
    assert_eq!(v["host"]["idMappings"]["uidmap"][0]["host_id"], env.uid());
    let yaml = env.burrow(&["info"]).ok();
    assert!(yaml.stdout.starts_with("host:\n"), "{yaml:?}");
    assert!(
        yaml.stdout.contains("\n  graphDriverName: overlay\n"),
        "{yaml:?}"
    );
    let t = env
        .burrow(&["system", "info", "--format", "{{.Store.GraphDriverName}}"])
        .ok();
    assert_eq!(t.out(), "overlay");
}

// Pins: the bash completion script can be sourced and registers completion for burrow;
// zsh and fish scripts are produced; an unknown shell is a 125 error.
#[test]
fn completion_scripts() {
    let env = Env::new();
    completion_scripts_in(&env);
}

/// Runs bash's completion function for `words` (the last one is the word being completed)
/// with the script `burrow completion bash` printed; the candidates.
fn bash_complete(env: &Env, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <({bin} completion bash) && COMP_WORDS=({words}) && COMP_CWORD={cword} && COMP_TYPE=9 && _clap_complete_burrow burrow '{cur}' '{prev}' && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        bin = burrow_bin().display(),
        words = quoted.join(" "),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len() - 2],
    );
    let out = env.output(env.command("bash", &["-c", &script])).ok();
    out.lines().iter().map(|s| s.to_string()).collect()
}

// Pins: completion is dynamic, as podman's: container, image, volume and pod names complete
// for the commands that take them (and `--pod` for run), next to subcommands.
#[test]
fn completion_offers_names() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "webby", "busybox", "true"])
        .ok();
    env.burrow(&["create", "--name", "other", "busybox", "true"])
        .ok();
    env.burrow(&["volume", "create", "vol-one"]).ok();
    env.burrow(&["pod", "create", "--name", "pod-one"]).ok();
    assert_eq!(bash_complete(&env, &["burrow", "start", "we"]), ["webby"]);
    let rm = bash_complete(&env, &["burrow", "rm", ""]);
    assert!(
        rm.contains(&"webby".to_string()) && rm.contains(&"other".to_string()),
        "{rm:?}"
    );
    assert_eq!(
        bash_complete(&env, &["burrow", "volume", "inspect", "vol"]),
        ["vol-one"]
    );
    assert_eq!(
        bash_complete(&env, &["burrow", "pod", "rm", "pod-"]),
        ["pod-one"]
    );
    assert_eq!(
        bash_complete(&env, &["burrow", "run", "localhost/bu"]),
        ["localhost/busybox"]
    );
    assert_eq!(
        bash_complete(&env, &["burrow", "run", "--pod", "po"]),
        ["pod-one"]
    );
    let subs = bash_complete(&env, &["burrow", "vol"]);
    assert_eq!(subs, ["volume"], "{subs:?}");
}

fn completion_scripts_in(env: &Env) {
    let script = format!(
        "source <({} completion bash) && complete -p burrow",
        burrow_bin().display()
    );
    let out = env.output(env.command("bash", &["-c", &script])).ok();
    assert!(out.stdout.contains("burrow"), "{out:?}");
    assert!(
        env.burrow(&["completion", "zsh"])
            .ok()
            .stdout
            .starts_with("#compdef burrow")
    );
    assert!(
        env.burrow(&["completion", "fish"])
            .ok()
            .stdout
            .contains("complete --keep-order --exclusive --command burrow")
    );
    env.burrow(&["completion", "tcsh"])
        .code(125)
        .stderr_has("tcsh");
}

// Pins: unknown flags are told as podman tells them, with the command's --help hint, exit 125.
#[test]
fn unknown_flags_like_podman() {
    let env = Env::new();
    let out = env.burrow(&["run", "--no-such-flag", "busybox"]).code(125);
    assert_eq!(
        out.stderr,
        "Error: unknown flag: --no-such-flag\nSee 'burrow run --help'\n"
    );
    let short = env.burrow(&["ps", "-x"]).code(125);
    assert!(
        short
            .stderr
            .starts_with("Error: unknown shorthand flag: 'x' in -x\n"),
        "{short:?}"
    );
    env.burrow(&["frobnicate"])
        .code(125)
        .stderr_has("See 'burrow --help'");
}

// Pins: --help exits 0 with the usage and options; --noout silences stdout, not the work.
#[test]
fn help_and_noout() {
    let env = Env::new().with_busybox();
    let help = env.burrow(&["run", "--help"]).ok();
    assert!(help.stdout.contains("Usage:\n  burrow run"), "{help:?}");
    assert!(help.stdout.contains("--detach"), "{help:?}");
    // podman's sections, in podman's order, for commands and groups alike.
    for cmd in [
        &["run"][..],
        &["ps"],
        &["images"],
        &["exec"],
        &["logs"],
        &["container"],
        &["image", "rm"],
        &["info"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = env.burrow(&args).ok();
        let pos: Vec<Option<usize>> = ["Description:\n", "Usage:\n", "Examples:\n", "Options:\n"]
            .iter()
            .map(|s| out.stdout.find(s))
            .collect();
        assert!(
            pos.iter().all(Option::is_some),
            "missing a section in {cmd:?}: {}",
            out.stdout
        );
        assert!(
            pos.windows(2).all(|w| w[0] < w[1]),
            "sections out of order in {cmd:?}"
        );
    }
    let quiet = env
        .burrow(&["--noout", "create", "--name", "silent", "busybox", "true"])
        .ok();
    assert_eq!(quiet.stdout, "");
    env.burrow(&["container", "exists", "silent"]).ok();
}

// Pins: --log-level filters burrow's own stderr lines as podman's does: debug shows where the
// store is, error hides a warning the default shows, an unknown level is refused with 125.
#[test]
fn log_level_filters_stderr() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "web",
        "--restart",
        "always",
        "busybox",
        "true",
    ])
    .ok();
    // --no-header: the header's timestamp could differ between the two runs.
    let unit = ["generate", "systemd", "--no-header", "web"];
    let default = env.burrow(&unit).ok();
    assert!(
        default.stderr.contains("WARN[0000] Container")
            && default.stderr.contains("restart policy"),
        "{default:?}"
    );
    assert!(!default.stderr.contains("DEBU["), "{default:?}");
    let quiet = env
        .burrow(&[
            "--log-level",
            "error",
            "generate",
            "systemd",
            "--no-header",
            "web",
        ])
        .ok();
    assert!(!quiet.stderr.contains("WARN["), "{quiet:?}");
    assert_eq!(quiet.stdout, default.stdout);
    let debug = env.burrow(&["--log-level=debug", "ps", "-a"]).ok();
    assert!(
        debug.stderr.contains("DEBU[0000] Using graph root "),
        "{debug:?}"
    );
    assert!(
        debug.stderr.contains("DEBU[0000] Using state database "),
        "{debug:?}"
    );
    assert!(debug.stdout.contains("web"), "{debug:?}");
    env.burrow(&["--log-level", "loud", "ps"])
        .code(125)
        .stderr_has("log-level \"loud\" is invalid");
}

// Pins: --format takes Go templates (range, if/else, variables, pipelines, podman's functions)
// on listing and inspect commands, and `table` prints aligned columns under derived headers.
#[test]
fn go_templates_in_format() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create", "--name", "tpl", "-l", "b=2", "-l", "a=1", "busybox", "echo", "x",
    ])
    .ok();
    let f = |args: &[&str]| env.burrow(args).ok().stdout;
    assert_eq!(
        f(&[
            "inspect",
            "-f",
            "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}",
            "tpl"
        ]),
        "a=1;b=2;\n"
    );
    assert_eq!(
        f(&[
            "inspect",
            "-f",
            "{{if .State.Running}}up{{else}}down{{end}}",
            "tpl"
        ]),
        "down\n"
    );
    assert_eq!(
        f(&[
            "inspect",
            "-f",
            "{{.Config.Labels | len}} {{upper .Name}} {{json .Config.Cmd}}",
            "tpl"
        ]),
        "2 TPL [\"echo\",\"x\"]\n"
    );
    assert_eq!(
        f(&[
            "images",
            "--format",
            "{{printf \"%-8s|\" .Tag}}{{truncate .Repository 9}}"
        ]),
        "latest  |localhost\n"
    );
    let table = f(&["ps", "-a", "--format", "table {{.Names}}\\t{{.State}}"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(
        lines[0].starts_with("NAMES") && lines[0].contains("STATE"),
        "{table}"
    );
    assert_eq!(
        lines[0].find("STATE"),
        lines[1].find("created"),
        "columns aligned: {table}"
    );
    env.burrow(&["ps", "-a", "--format", "{{nosuchfunc .Names}}"])
        .code(125)
        .stderr_has("function \"nosuchfunc\" not defined");
    env.burrow(&["inspect", "-f", "{{.NoSuchField}}", "tpl"])
        .code(125)
        .stderr_has("NoSuchField");
}

// Pins: info lists registries.conf's search registries ($CONTAINERS_REGISTRIES_CONF), and
// inspect --size reports the container's own writes (SizeRw) and the total (SizeRootFs).
#[test]
fn registries_in_info_and_inspect_size() {
    let mut env = Env::new();
    let conf = env.path("registries.conf");
    std::fs::write(
        &conf,
        "unqualified-search-registries = [\"quay.io\", \"docker.io\"]\n",
    )
    .expect("write");
    env.set_env("CONTAINERS_REGISTRIES_CONF", &conf.display().to_string());
    let env = env.with_busybox();
    let search = env
        .burrow(&["info", "--format", "{{json .Registries.Search}}"])
        .ok();
    assert_eq!(search.out(), r#"["quay.io","docker.io"]"#);
    env.burrow(&[
        "run",
        "--name",
        "sz",
        "busybox",
        "sh",
        "-c",
        "head -c 100000 /dev/zero > /big",
    ])
    .ok();
    let sizes = env
        .burrow(&[
            "inspect",
            "--size",
            "-f",
            "{{.SizeRw}} {{.SizeRootFs}}",
            "sz",
        ])
        .ok();
    let n: Vec<u64> = sizes
        .out()
        .split(' ')
        .map(|x| x.parse().expect("number"))
        .collect();
    assert_eq!(n[0], 100000, "{sizes:?}");
    assert!(n[1] > n[0] + 1_000_000, "image size included: {sizes:?}");
    let plain = env.burrow(&["inspect", "sz"]).ok();
    assert!(!plain.stdout.contains("SizeRw"), "sizes only with --size");
}

// Pins: arguments after the image belong to the container's command (podman stops parsing
// flags there): `-c` was read as --cpu-shares, `--help` printed burrow's help.
#[test]
fn arguments_after_the_image_belong_to_the_container() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            "busybox",
            "-c",
            "echo hi",
        ])
        .ok();
    assert_eq!(out.stdout, "hi\n");
    let out = env
        .burrow(&["run", "--rm", "busybox", "echo", "--help", "-e"])
        .ok();
    assert_eq!(out.stdout, "--help -e\n");
    env.burrow(&["run", "-d", "--name", "ex", "busybox", "sleep", "60"])
        .ok();
    let out = env.burrow(&["exec", "ex", "sh", "-c", "echo in-exec"]).ok();
    assert_eq!(out.stdout, "in-exec\n");
    let out = env
        .burrow(&[
            "container",
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "echo nested",
        ])
        .ok();
    assert_eq!(out.stdout, "nested\n");
    env.burrow(&["rm", "-f", "-t", "0", "ex"]).ok();
}

// Pins: boolean flags take =true and =false as podman's do.
#[test]
fn boolean_flags_take_true_and_false() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--rm=true", "busybox", "true"]).ok();
    env.burrow(&["run", "--rm=false", "--name", "kept", "busybox", "true"])
        .ok();
    env.burrow(&["container", "exists", "kept"]).ok();
    let id = env
        .burrow(&["run", "-d=true", "busybox", "sleep", "60"])
        .ok()
        .out()
        .trim()
        .to_string();
    assert_eq!(id.len(), 64, "-d=true detached: {id}");
    env.burrow(&["rm", "-f=true", "-t", "0", &id, "kept"]).ok();
    let ps = env.burrow(&["ps", "-a=true", "-q"]).ok();
    assert!(ps.stdout.trim().is_empty(), "{ps:?}");
}
