//! End-to-end tests of `burrow build`: multi-stage builds, the build cache, the context's
//! ignore file, ARG/ENV substitution, RUN containers and their mounts, COPY/ADD layers, errors
//! and interchange with podman, run through the CLI as the unprivileged test user.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{Env, Output};

/// Writes a build context (files relative to it; every path readable by the test user).
fn context(env: &Env, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = env.path(name);
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    for (rel, content) in files {
        let p = dir.join(rel);
        let mut d = p.parent().unwrap().to_path_buf();
        fs::create_dir_all(&d).unwrap();
        while d != dir {
            fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
            d = d.parent().unwrap().to_path_buf();
        }
        fs::write(&p, content).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    }
    dir
}

fn build(env: &Env, ctx: &Path, args: &[&str]) -> Output {
    let mut all: Vec<String> = vec!["build".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    all.push(ctx.display().to_string());
    env.burrow(&all)
}

/// The last stdout line: the image ID.
fn id_of(out: &Output) -> String {
    out.lines().last().copied().unwrap_or_default().to_string()
}

fn run_out(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["run", "--rm"];
    all.extend_from_slice(args);
    env.burrow(&all).ok().out().trim().to_string()
}

// Pins: only the target stage's files end up in the image; COPY --from reads an earlier stage.
#[test]
fn multi_stage_final_image_holds_only_the_last_stage() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "ms",
        &[(
            "Containerfile",
            "FROM localhost/busybox AS builder\nRUN echo built > /artifact && echo junk > /builder-only\n\
             FROM localhost/busybox\nCOPY --from=builder /artifact /app/artifact\nCMD [\"cat\", \"/app/artifact\"]\n",
        )],
    );
    let out = build(&env, &ctx, &["-t", "ms"]).ok();
    assert!(
        out.out()
            .contains("[1/2] STEP 1/2: FROM localhost/busybox AS builder"),
        "{}",
        out.out()
    );
    assert!(out.out().contains("COMMIT ms"), "{}", out.out());
    assert!(
        out.out()
            .contains("Successfully tagged localhost/ms:latest"),
        "{}",
        out.out()
    );
    assert_eq!(run_out(&env, &["ms"]), "built");
    let probe = env.burrow(&["run", "--rm", "ms", "ls", "/builder-only"]);
    assert_ne!(
        probe.status, 0,
        "the builder's file leaked into the final image"
    );
}

// Pins: an unchanged rebuild reuses every step (same ID, "Using cache"), a changed context file
// misses from its COPY on.
#[test]
fn cache_hit_on_rebuild_and_miss_after_a_context_change() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "cache",
        &[
            (
                "Containerfile",
                "FROM localhost/busybox\nRUN echo one > /one\nCOPY data.txt /data.txt\nRUN cat /data.txt > /copy\n",
            ),
            ("data.txt", "v1\n"),
        ],
    );
    let first = build(&env, &ctx, &["-t", "c"]).ok();
    assert!(!first.out().contains("Using cache"), "{}", first.out());
    let second = build(&env, &ctx, &["-t", "c"]).ok();
    assert_eq!(id_of(&first), id_of(&second));
    assert_eq!(
        second.out().matches("--> Using cache").count(),
        3,
        "{}",
        second.out()
    );
    fs::write(ctx.join("data.txt"), "v2\n").unwrap();
    let third = build(&env, &ctx, &["-t", "c"]).ok();
    assert_ne!(id_of(&third), id_of(&first));
    assert_eq!(
        third.out().matches("--> Using cache").count(),
        1,
        "{}",
        third.out()
    );
    assert_eq!(run_out(&env, &["c", "cat", "/copy"]), "v2");
    let nocache = build(&env, &ctx, &["--no-cache", "-t", "c"]).ok();
    assert!(!nocache.out().contains("Using cache"), "{}", nocache.out());
}

// Pins: a build whose last steps only change the config (EXPOSE, ENTRYPOINT) still gives the
// same image ID when nothing changed, and `history` has one row per instruction (LABEL and
// WORKDIR included, EXPOSE and ENTRYPOINT apart) as podman's does.
#[test]
fn metadata_steps_are_cached_and_each_has_a_history_row() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "meta",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nLABEL a=b\nWORKDIR /app\nRUN echo hi > f\nEXPOSE 80\nENTRYPOINT [\"sh\"]\n",
        )],
    );
    let first = build(&env, &ctx, &["-t", "meta"]).ok();
    let second = build(&env, &ctx, &["-t", "meta"]).ok();
    assert_eq!(id_of(&first), id_of(&second), "{}", second.out());
    let rows = env
        .burrow(&[
            "history",
            "--format",
            "{{.CreatedBy}}",
            "--no-trunc",
            "meta",
        ])
        .ok();
    let rows: Vec<&str> = rows.lines().into_iter().take(5).collect();
    assert_eq!(
        rows,
        [
            "/bin/sh -c #(nop) ENTRYPOINT [\"sh\"]",
            "/bin/sh -c #(nop) EXPOSE 80",
            "/bin/sh -c echo hi > f",
            "/bin/sh -c #(nop) WORKDIR /app",
            "/bin/sh -c #(nop) LABEL a=b",
        ]
    );
    let images = env.burrow(&["images", "-q"]).ok();
    assert_eq!(
        images.lines().len(),
        2,
        "a rebuild left images behind: {images:?}"
    );
}

// Pins: .dockerignore keeps files out of COPY, `!` re-includes.
#[test]
fn dockerignore_excludes_and_reincludes() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "ign",
        &[
            ("Containerfile", "FROM localhost/busybox\nCOPY . /ctx/\n"),
            (".dockerignore", "*.log\nsecret/\n!keep.log\n"),
            ("a.txt", "a"),
            ("b.log", "b"),
            ("keep.log", "k"),
            ("secret/key", "s"),
        ],
    );
    build(&env, &ctx, &["-t", "ign"]).ok();
    let ls = run_out(&env, &["ign", "ls", "/ctx"]);
    let names: Vec<&str> = ls.split_whitespace().collect();
    assert!(
        names.contains(&"a.txt") && names.contains(&"keep.log"),
        "{ls}"
    );
    assert!(
        !names.contains(&"b.log") && !names.contains(&"secret"),
        "{ls}"
    );
}

// Pins: ARG defaults, --build-arg overrides, ${VAR:-x} and ENV substitution in later steps.
#[test]
fn arg_and_env_substitution() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "args",
        &[(
            "Containerfile",
            "ARG BASE=localhost/busybox\nFROM ${BASE}\nARG WHO=world\nARG UNSET\nENV GREETING=\"hello ${WHO}\" DIR=/opt/${UNSET:-dflt}\n\
             RUN mkdir -p $DIR && echo \"$GREETING\" > $DIR/g\nLABEL who=$WHO\n",
        )],
    );
    build(&env, &ctx, &["-t", "a1"]).ok();
    assert_eq!(run_out(&env, &["a1", "cat", "/opt/dflt/g"]), "hello world");
    build(&env, &ctx, &["--build-arg", "WHO=burrow", "-t", "a2"]).ok();
    assert_eq!(
        run_out(&env, &["a2", "sh", "-c", "echo $GREETING"]),
        "hello burrow"
    );
    let label = env
        .burrow(&["image", "inspect", "--format", "{{.Labels.who}}", "a2"])
        .ok();
    assert_eq!(label.out().trim(), "burrow");
}

// Pins: USER and WORKDIR of the Containerfile are what `run` uses, and WORKDIR is created.
#[test]
fn user_and_workdir_carried_into_run() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "uw",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nWORKDIR /srv/app\nRUN touch made-here\nUSER 1234:99\n",
        )],
    );
    build(&env, &ctx, &["-t", "uw"]).ok();
    assert_eq!(run_out(&env, &["uw", "pwd"]), "/srv/app");
    assert_eq!(run_out(&env, &["uw", "id", "-u"]), "1234");
    assert_eq!(run_out(&env, &["uw", "ls"]), "made-here");
}

// Pins: ADD unpacks a local (gzip) tar under the destination; COPY keeps it as a file.
#[test]
fn add_extracts_a_local_tar() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "add",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nADD files.tar.gz /dest/\nCOPY files.tar.gz /kept/\n",
        )],
    );
    let src = context(&env, "addsrc", &[("inner/hello.txt", "hi from tar\n")]);
    let st = std::process::Command::new("tar")
        .args(["-czf"])
        .arg(ctx.join("files.tar.gz"))
        .arg("-C")
        .arg(&src)
        .arg("inner")
        .status()
        .unwrap();
    assert!(st.success());
    fs::set_permissions(ctx.join("files.tar.gz"), fs::Permissions::from_mode(0o644)).unwrap();
    build(&env, &ctx, &["-t", "add"]).ok();
    assert_eq!(
        run_out(&env, &["add", "cat", "/dest/inner/hello.txt"]),
        "hi from tar"
    );
    assert_eq!(run_out(&env, &["add", "ls", "/kept"]), "files.tar.gz");
}

// Pins: `RUN <<EOF` runs the heredoc as a script, `COPY <<EOF` writes it as a file.
#[test]
fn heredoc_run_and_copy() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "hd",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nRUN <<EOF\necho first > /h1\necho second >> /h1\nEOF\nCOPY <<EOF /etc/motd\nwelcome\nEOF\n",
        )],
    );
    build(&env, &ctx, &["-t", "hd"]).ok();
    assert_eq!(run_out(&env, &["hd", "cat", "/h1"]), "first\nsecond");
    assert_eq!(run_out(&env, &["hd", "cat", "/etc/motd"]), "welcome");
}

// Pins: a heredoc later in a RUN's command (`RUN cat <<EOF > /f`) feeds that command, with the
// shell's rules (a quoted delimiter keeps `$` literal); a line after it is still an
// instruction; an error below it names the right line; changing the body misses the cache.
#[test]
fn heredoc_inside_a_run_command() {
    let env = Env::new().with_busybox();
    let file = |body: &str| {
        format!(
            "FROM localhost/busybox\nRUN cat <<EOF > /greeting && tr a-z A-Z <<'RAW' > /raw\n{body}\nEOF\nkeep $HOME\nRAW\nRUN cat /greeting /raw > /both\n"
        )
    };
    let ctx = context(&env, "hd2", &[("Containerfile", &file("hello"))]);
    let first = id_of(&build(&env, &ctx, &["-t", "hd2"]).ok());
    assert_eq!(run_out(&env, &["hd2", "cat", "/both"]), "hello\nKEEP $HOME");
    // Same body: every step from the cache, same image.
    assert_eq!(id_of(&build(&env, &ctx, &["-t", "hd2"]).ok()), first);
    // Another body: the RUN runs again.
    fs::write(ctx.join("Containerfile"), file("changed")).unwrap();
    let second = id_of(&build(&env, &ctx, &["-t", "hd2"]).ok());
    assert_ne!(second, first);
    assert_eq!(run_out(&env, &["hd2", "cat", "/greeting"]), "changed");
    // Line numbers below a heredoc stay those of the file.
    fs::write(
        ctx.join("Containerfile"),
        "FROM localhost/busybox\nRUN cat <<EOF >/x\na\nb\nEOF\nBOGUS instruction\n",
    )
    .unwrap();
    build(&env, &ctx, &["-t", "hd3"])
        .code(125)
        .stderr_has("Containerfile:6");
}

// Pins: a cache mount persists between builds (even --no-cache ones) and stays out of the image.
#[test]
fn run_cache_mount_persists_across_builds() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "cm",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nRUN --mount=type=cache,target=/cache echo x >> /cache/count && wc -l < /cache/count > /seen\n",
        )],
    );
    build(&env, &ctx, &["-t", "cm"]).ok();
    assert_eq!(run_out(&env, &["cm", "cat", "/seen"]), "1");
    build(&env, &ctx, &["--no-cache", "-t", "cm"]).ok();
    assert_eq!(run_out(&env, &["cm", "cat", "/seen"]), "2");
    assert_eq!(
        run_out(&env, &["cm", "sh", "-c", "ls /cache 2>/dev/null | wc -l"]),
        "0"
    );
}

// Pins: a failing RUN stops the build with its own exit code, names the step, tags nothing.
#[test]
fn failing_run_exits_with_its_code_and_tags_nothing() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "fail",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nRUN echo partial > /p\nRUN exit 7\n",
        )],
    );
    build(&env, &ctx, &["-t", "fail"])
        .code(7)
        .stderr_has("RUN exit 7")
        .stderr_has("exit status 7");
    env.burrow(&["image", "exists", "fail"]).code(1);
    assert_eq!(
        env.burrow(&["ps", "-aq"]).ok().out().trim(),
        "",
        "RUN container left behind"
    );
}

// Pins: an unknown instruction or a missing COPY source is one error naming file and line, 125.
#[test]
fn bad_containerfiles_name_the_line() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "bad",
        &[(
            "Containerfile",
            "FROM localhost/busybox\n\nFROBNICATE now\n",
        )],
    );
    build(&env, &ctx, &["-t", "bad"])
        .code(125)
        .stderr_has("Containerfile:3");
    let ctx = context(
        &env,
        "bad2",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nCOPY nope.txt /x\n",
        )],
    );
    build(&env, &ctx, &["-t", "bad"])
        .code(125)
        .stderr_has("Containerfile:2")
        .stderr_has("nope.txt");
    let ctx = context(
        &env,
        "bad3",
        &[("Containerfile", "FROM localhost/busybox\nRUN true\n")],
    );
    build(&env, &ctx, &["--target", "nosuch", "-t", "bad"])
        .code(125)
        .stderr_has("nosuch");
    env.burrow(&["image", "exists", "bad"]).code(1);
}

// Pins: every -t is checked before the first step: a bad one is one `Error:` line naming it
// (podman's words), 125, no build output, no image. It used to fail only after the whole build
// had run, leaving an untagged image behind.
#[test]
fn bad_tag_fails_before_any_step() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "tags",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nRUN echo ran > /ran\n",
        )],
    );
    let images = || env.burrow(&["images", "-a", "-q"]).ok().lines().len();
    let before = images();
    let cases = [
        (
            vec!["-t", "UPPER:bad"],
            "Error: tag UPPER:bad: invalid reference format: repository name must be lowercase",
        ),
        (
            vec!["-t", "good", "-t", "a b"],
            "Error: tag a b: invalid reference format: invalid repository name",
        ),
        (
            vec!["-t", "x:bad tag"],
            "Error: tag x:bad tag: invalid reference format: invalid tag",
        ),
    ];
    for (args, error) in cases {
        let out = build(&env, &ctx, &args).code(125);
        assert_eq!(out.stderr.trim_end(), error, "{out:?}");
        assert!(out.stdout.is_empty(), "no step may run: {out:?}");
    }
    assert_eq!(images(), before, "nothing built");
    env.burrow(&["image", "exists", "good"]).code(1);
    assert!(env.burrow(&["ps", "-aq"]).ok().out().is_empty());
}

fn podman_available(env: &Env) -> bool {
    env.sh("command -v podman >/dev/null").status == 0
}

// Pins: an image built by burrow runs under podman, and one built by podman runs in burrow.
#[test]
fn images_interchange_with_podman() {
    let env = Env::new().with_busybox();
    if !podman_available(&env) {
        eprintln!("podman is not installed: skipped");
        return;
    }
    let ctx = context(
        &env,
        "pm",
        &[
            (
                "Containerfile",
                "FROM localhost/busybox\nCOPY msg /msg\nRUN cat /msg > /copied\nCMD [\"cat\", \"/copied\"]\n",
            ),
            ("msg", "from burrow\n"),
        ],
    );
    build(&env, &ctx, &["-t", "tobp"]).ok();
    let tar = env.path("tobp.tar");
    env.burrow(&["save", "-o", &tar.display().to_string(), "tobp"])
        .ok();
    let script = format!(
        "podman load -i {} >/dev/null && podman run --rm localhost/tobp",
        tar.display()
    );
    let out = env.sh(&script).ok();
    assert_eq!(out.out().trim(), "from burrow");

    let bb = env.path("bb.tar");
    env.burrow(&["save", "-o", &bb.display().to_string(), "localhost/busybox"])
        .ok();
    let pctx = context(
        &env,
        "pmsrc",
        &[(
            "Containerfile",
            "FROM localhost/busybox\nRUN echo from podman > /m\nCMD [\"cat\", \"/m\"]\n",
        )],
    );
    let script = format!(
        "podman load -i {bb} >/dev/null && podman build -q -t frompodman {ctx} >/dev/null && podman save -o {out} localhost/frompodman",
        bb = bb.display(),
        ctx = pctx.display(),
        out = env.path("fp.tar").display()
    );
    env.sh(&script).ok();
    env.burrow(&["load", "-i", &env.path("fp.tar").display().to_string()])
        .ok();
    assert_eq!(run_out(&env, &["localhost/frompodman"]), "from podman");
}

/// The number of layers of an image, from `image inspect`.
fn layer_count(env: &Env, image: &str) -> usize {
    let out = env
        .burrow(&[
            "image",
            "inspect",
            "--format",
            "{{len .RootFS.Layers}}",
            image,
        ])
        .ok();
    out.out().trim().parse().unwrap_or(0)
}

// Pins: --squash merges the layers the build added into one on top of the base (whose layers
// stay), keeping the built config; --squash-all leaves a single layer; the files and the
// deletion made by the steps are all in the squashed image.
#[test]
fn squash_merges_new_layers_and_squash_all_everything() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "sq",
        &[
            (
                "Containerfile",
                "FROM localhost/busybox\nRUN echo one > /one && rm /bin/true\nCOPY two /two\nRUN echo three > /three\nENV SQ=yes\nCMD [\"sh\", \"-c\", \"cat /one /two /three; echo $SQ; test -e /bin/true || echo gone\"]\n",
            ),
            ("two", "two\n"),
        ],
    );
    let base = layer_count(&env, "localhost/busybox");
    build(&env, &ctx, &["-t", "plain"]).ok();
    assert_eq!(layer_count(&env, "plain"), base + 3);
    build(&env, &ctx, &["--squash", "-t", "sq"]).ok();
    assert_eq!(layer_count(&env, "sq"), base + 1);
    build(&env, &ctx, &["--squash-all", "-t", "sqall"]).ok();
    assert_eq!(layer_count(&env, "sqall"), 1);
    for image in ["plain", "sq", "sqall"] {
        assert_eq!(
            run_out(&env, &[image]),
            "one\ntwo\nthree\nyes\ngone",
            "{image}"
        );
    }
}

// Pins: --annotation ends up on the built image's manifest; quoted ARG values keep their
// spaces and several ARGs on one line are all declared (a global one only inside a stage that
// redeclares it).
#[test]
fn annotations_and_quoted_args() {
    let env = Env::new().with_busybox();
    let ctx = context(
        &env,
        "ann",
        &[(
            "Containerfile",
            "ARG A=\"x y\" B=2\nFROM localhost/busybox\nARG C=\"p q\" D\nARG A\nRUN echo \"$A|$B|$C|$D\" > /args\nCMD [\"cat\", \"/args\"]\n",
        )],
    );
    build(
        &env,
        &ctx,
        &["--annotation", "org.example.team=core", "-t", "ann"],
    )
    .ok();
    assert_eq!(run_out(&env, &["ann"]), "x y||p q|");
    let out = env
        .burrow(&[
            "image",
            "inspect",
            "--format",
            "{{json .Annotations}}",
            "ann",
        ])
        .ok();
    assert!(out.out().contains("\"org.example.team\":\"core\""), "{out}");
    build(&env, &ctx, &["--annotation", "novalue", "-t", "bad"]).code(125);
}
