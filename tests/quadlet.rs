//! End-to-end tests of quadlet: `quadlet --dryrun` for every file type, the generator run
//! through a `burrow-user-generator` symlink (its units accepted by `systemd-analyze
//! verify`), and `quadlet install/list/print/rm`. The real systemd runs them in
//! tests/quadlet_systemd.rs.

mod common;

use std::path::{Path, PathBuf};

use common::{Env, burrow_bin};

/// The user's quadlet directory of `env` (its XDG_CONFIG_HOME), created.
fn quadlet_dir(env: &Env) -> PathBuf {
    let dir = env.config_dir().join("containers/systemd");
    write(env, &dir.join(".keep"), "");
    dir
}

/// Writes `text` at `path` (directories created), owned by the test user.
fn write(env: &Env, path: &Path, text: &str) {
    let dir = path.parent().expect("a parent directory");
    std::fs::create_dir_all(dir).expect("create the directory");
    std::fs::write(path, text).expect("write the file");
    let mut p = path.to_path_buf();
    while p.starts_with(env.base()) && p != env.base() {
        let _ = std::os::unix::fs::chown(&p, Some(env.uid()), Some(env.gid()));
        p.pop();
    }
}

const FILES: &[(&str, &str)] = &[
    (
        "web.container",
        "[Unit]\nDescription=web\n[Container]\nImage=localhost/busybox\nExec=httpd -f -p 80\nPublishPort=8080:80\nVolume=data.volume:/data\nNetwork=net.network\nEnvironment=GREETING=hi\n[Install]\nWantedBy=default.target\n",
    ),
    ("sub/data.volume", "[Volume]\nLabel=app=web\n"),
    ("net.network", "[Network]\nSubnet=10.89.7.0/24\n"),
    ("grp.pod", "[Pod]\nPublishPort=9090:80\n"),
    (
        "member.container",
        "[Container]\nImage=localhost/busybox\nPod=grp.pod\n",
    ),
    ("app.kube", "[Kube]\nYaml=app.yaml\n"),
    ("base.image", "[Image]\nImage=localhost/busybox\n"),
    (
        "mine.build",
        "[Build]\nImageTag=localhost/mine\nFile=Containerfile\nSetWorkingDirectory=unit\n",
    ),
];

fn write_all(env: &Env) -> PathBuf {
    let dir = quadlet_dir(env);
    for (name, text) in FILES {
        write(env, &dir.join(name), text);
    }
    write(env, &dir.join("Containerfile"), "FROM localhost/busybox\n");
    write(env, &dir.join("app.yaml"), "apiVersion: v1\nkind: Pod\n");
    dir
}

// Pins: every file type's unit as the generator would write it, under podman's ---NAME--- headers.
#[test]
fn dryrun_prints_the_unit_of_each_file_type() {
    let env = Env::new();
    let dir = write_all(&env);
    let out = env.burrow(&["quadlet", "--dryrun", "--user"]).ok();
    let bin = burrow_bin().display().to_string();
    let s = &out.stdout;
    for header in [
        "---web.service---",
        "---data-volume.service---",
        "---net-network.service---",
        "---grp-pod.service---",
        "---member.service---",
        "---app.service---",
        "---base-image.service---",
        "---mine-build.service---",
    ] {
        assert!(
            s.contains(&format!("{header}\n[Unit]\n")),
            "{header} in {s}"
        );
    }
    for line in [
        format!(
            "ExecStart={bin} run --name systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split"
        ),
        "--sdnotify=conmon -d".to_string(),
        "-v systemd-data:/data --publish 8080:80 --env GREETING=hi localhost/busybox httpd -f -p 80\n"
            .to_string(),
        format!("ExecStop={bin} rm -v -f -i"),
        "Environment=PODMAN_SYSTEMD_UNIT=%n\n".to_string(),
        "KillMode=mixed\n".to_string(),
        "Delegate=yes\n".to_string(),
        "Requires=data-volume.service\nAfter=data-volume.service\n".to_string(),
        "Requires=net-network.service\nAfter=net-network.service\n".to_string(),
        format!("SourcePath={}\n", dir.join("web.container").display()),
        format!("ExecStart={bin} volume create --ignore --label app=web systemd-data\n"),
        format!("ExecStart={bin} network create --ignore --subnet 10.89.7.0/24 systemd-net\n"),
        format!("ExecStart={bin} pod start systemd-grp\n"),
        "BindsTo=grp-pod.service\n".to_string(),
        "Wants=member.service\nBefore=member.service\n".to_string(),
        format!(
            "ExecStart={bin} kube play --replace --service-container=true {}\n",
            dir.join("app.yaml").display()
        ),
        format!("ExecStart={bin} pull localhost/busybox\n"),
        format!(
            "ExecStart={bin} build --tag localhost/mine --file Containerfile {}\n",
            dir.display()
        ),
        "[Install]\nWantedBy=default.target\n".to_string(),
    ] {
        assert!(s.contains(&line), "{line:?} in {s}");
    }
}

// Pins: an unknown key is an error naming the file, its line and the key; the other files are still generated.
#[test]
fn dryrun_names_the_file_line_and_key_of_an_unknown_key() {
    let env = Env::new();
    let dir = quadlet_dir(&env);
    write(
        &env,
        &dir.join("bad.container"),
        "[Container]\nImage=x\n\nBogus=1\n",
    );
    write(&env, &dir.join("good.volume"), "[Volume]\n");
    let out = env.burrow(&["quadlet", "--dryrun"]).code(1);
    let path = dir.join("bad.container");
    let out = out.stderr_has(&format!(
        "Error: converting \"bad.container\": unsupported key 'Bogus' in group 'Container' in {}, line 4",
        path.display()
    ));
    assert!(out.stdout.contains("---good-volume.service---"), "{out:?}");
    assert!(!out.stdout.contains("bad.service"), "{out:?}");
}

// Pins: systemd finds the generator by its name; it writes units and [Install] links into the normal dir, and systemd-analyze verify accepts them.
#[test]
fn generator_symlink_writes_units_that_systemd_analyze_verifies() {
    let env = Env::new();
    write_all(&env);
    let link = env.path("burrow-user-generator");
    std::os::unix::fs::symlink(burrow_bin(), &link).expect("symlink the generator");
    let out_dir = env.path("gen");
    let early = env.path("gen-early");
    let late = env.path("gen-late");
    let out = env.output(env.command(&link, &[&out_dir, &early, &late]));
    let out = out.ok();
    assert!(out.stderr.is_empty(), "{out:?}");
    let mut written: Vec<String> = std::fs::read_dir(&out_dir)
        .expect("the output directory")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "app.service",
            "base-image.service",
            "data-volume.service",
            "default.target.wants",
            "grp-pod.service",
            "member.service",
            "mine-build.service",
            "net-network.service",
            "web.service",
        ]
    );
    let wants = out_dir.join("default.target.wants/web.service");
    assert_eq!(
        std::fs::read_link(&wants).expect("an [Install] link"),
        Path::new("../web.service")
    );
    let web = std::fs::read_to_string(out_dir.join("web.service")).expect("web.service");
    assert!(
        web.starts_with(&format!(
            "#\n# Automatically generated by {}\n#\n\n[Unit]\n",
            link.display()
        )),
        "{web}"
    );
    let services: Vec<PathBuf> = written
        .iter()
        .filter(|n| n.ends_with(".service"))
        .map(|n| out_dir.join(n))
        .collect();
    let verify = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .args(&services)
        .output()
        .expect("systemd-analyze (package systemd) must be installed: scripts/setup-host");
    let stderr = String::from_utf8_lossy(&verify.stderr);
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            services
                .iter()
                .any(|s| l.contains(&*s.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(verify.status.success() && ours.is_empty(), "{stderr}");
}

// Pins: install copies into ~/.config/containers/systemd, refuses to overwrite without --replace and refuses URLs; list, print and rm find it.
#[test]
fn install_list_print_rm() {
    let env = Env::new();
    let src = env.path("src");
    write(
        &env,
        &src.join("web.container"),
        "[Container]\nImage=localhost/busybox\nPod=p.pod\n",
    );
    write(&env, &src.join("web.conf"), "x=1\n");
    let dest = env.config_dir().join("containers/systemd");
    let web = src.join("web.container").display().to_string();
    let conf = src.join("web.conf").display().to_string();
    env.burrow(&["quadlet", "install", "--reload-systemd=false", &web, &conf])
        .ok()
        .stdout_has(&dest.join("web.container").display().to_string());
    assert!(dest.join("web.conf").exists());
    env.burrow(&["quadlet", "install", "--reload-systemd=false", &web])
        .code(125)
        .stderr_has(
            "Error: a Quadlet with name web.container already exists, refusing to overwrite",
        );
    env.burrow(&[
        "quadlet",
        "install",
        "--reload-systemd=false",
        "--replace",
        &web,
    ])
    .ok();
    env.burrow(&["quadlet", "install", "--reload-systemd=false", &conf])
        .code(125)
        .stderr_has("Error: \".conf\" is not a supported Quadlet file type");
    env.burrow(&[
        "quadlet",
        "install",
        "--reload-systemd=false",
        "https://example.com/a.container",
    ])
    .code(125)
    .stderr_has("installing from a URL is not supported");

    let out = env.burrow(&["quadlet", "list"]).ok();
    let lines = out.lines();
    assert!(lines[0].starts_with("NAME"), "{out:?}");
    assert!(
        lines[0].contains("UNIT NAME") && lines[0].contains("PATH ON DISK"),
        "{out:?}"
    );
    assert!(
        lines[1].starts_with("web.container  web.service"),
        "{out:?}"
    );
    assert!(
        lines[1].contains("Not loaded") && lines[1].ends_with("p.pod"),
        "{out:?}"
    );
    let out = env
        .burrow(&[
            "quadlet",
            "list",
            "--format",
            "{{.Name}} {{.UnitName}} {{.App}}",
        ])
        .ok();
    assert_eq!(out.stdout, "web.container web.service .web.container.app\n");
    let out = env
        .burrow(&[
            "quadlet",
            "list",
            "--filter",
            "name=nomatch",
            "--format",
            "{{.Name}}",
        ])
        .ok();
    assert_eq!(out.stdout, "");

    let out = env.burrow(&["quadlet", "print", "web.container"]).ok();
    assert_eq!(
        out.stdout,
        "[Container]\nImage=localhost/busybox\nPod=p.pod\n"
    );
    env.burrow(&["quadlet", "print", "nope.container"])
        .code(125)
        .stderr_has("could not locate quadlet \"nope.container\"");

    env.burrow(&["quadlet", "rm", "--reload-systemd=false", "nope.container"])
        .code(125)
        .stderr_has("could not locate quadlet \"nope.container\"");
    env.burrow(&[
        "quadlet",
        "rm",
        "--reload-systemd=false",
        "-i",
        "nope.container",
    ])
    .ok();
    let out = env
        .burrow(&["quadlet", "rm", "--reload-systemd=false", "web.container"])
        .ok();
    assert_eq!(out.stdout, "web.container\n");
    assert!(!dest.join("web.container").exists() && !dest.join("web.conf").exists());
    assert_eq!(env.burrow(&["quadlet", "list", "-n"]).ok().stdout, "");
}

// Pins: a directory installs as one application; removing one of its quadlets removes them all (--all too).
#[test]
fn directory_installs_as_an_application() {
    let env = Env::new();
    let app = env.path("myapp");
    write(
        &env,
        &app.join("a.container"),
        "[Container]\nImage=localhost/busybox\n",
    );
    write(&env, &app.join("b.volume"), "[Volume]\n");
    write(&env, &app.join("settings.env"), "A=1\n");
    env.burrow(&[
        "quadlet",
        "install",
        "--reload-systemd=false",
        &app.display().to_string(),
    ])
    .ok();
    let out = env
        .burrow(&["quadlet", "list", "--format", "{{.Name}} {{.App}}"])
        .ok();
    assert_eq!(out.stdout, "a.container .myapp.app\nb.volume .myapp.app\n");
    env.burrow(&["quadlet", "rm", "--reload-systemd=false", "a.container"])
        .ok();
    let dest = env.config_dir().join("containers/systemd");
    let left: Vec<_> = std::fs::read_dir(&dest)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.iter().all(|n| n == ".keep"), "{left:?}");
    env.burrow(&["quadlet", "rm"])
        .code(125)
        .stderr_has("must provide at least 1 quadlet to remove");
}
