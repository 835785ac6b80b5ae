use super::*;

fn opts(sdnotify: bool) -> Options {
    Options {
        burrow: "/usr/bin/burrow".into(),
        user: true,
        sdnotify,
        rm_cidfile: false,
    }
}

fn quadlets(files: &[(&str, &str)]) -> Vec<Quadlet> {
    files
        .iter()
        .map(|(name, text)| Quadlet::parse(&Path::new("/q").join(name), text).unwrap())
        .collect()
}

/// Generates `files`, asserting no errors, and returns name -> unit text.
fn gen_with(files: &[(&str, &str)], o: &Options) -> HashMap<String, String> {
    let (units, errors) = generate(&quadlets(files), o);
    assert!(errors.is_empty(), "{errors:?}");
    units
        .into_iter()
        .map(|g| (g.file_name, g.unit.render()))
        .collect()
}

fn gen_files(files: &[(&str, &str)]) -> HashMap<String, String> {
    gen_with(files, &opts(true))
}

#[test]
fn container_becomes_a_notify_service_running_burrow_run() {
    let units = gen_files(&[(
        "web.container",
        "[Unit]\nDescription=web server\n\n[Container]\nImage=localhost/busybox\nExec=httpd -f -p 80\nPublishPort=8080:80\nEnvironment=A=1 \"B=two words\"\nLabel=app=web\n\n[Service]\nRestart=always\n\n[Install]\nWantedBy=default.target\n",
    )]);
    assert_eq!(
        units["web.service"],
        "[Unit]\n\
         Description=web server\n\
         SourcePath=/q/web.container\n\
         RequiresMountsFor=%t/containers\n\
         \n\
         [X-Container]\n\
         Image=localhost/busybox\n\
         Exec=httpd -f -p 80\n\
         PublishPort=8080:80\n\
         Environment=A=1 \"B=two words\"\n\
         Label=app=web\n\
         \n\
         [Service]\n\
         Restart=always\n\
         Environment=PODMAN_SYSTEMD_UNIT=%n\n\
         KillMode=mixed\n\
         ExecStop=/usr/bin/burrow rm -v -f -i systemd-%N\n\
         ExecStopPost=-/usr/bin/burrow rm -v -f -i systemd-%N\n\
         Delegate=yes\n\
         Type=notify\n\
         NotifyAccess=all\n\
         SyslogIdentifier=%N\n\
         ExecStart=/usr/bin/burrow run --name systemd-%N --replace --rm --cgroups=split --sdnotify=conmon -d --publish 8080:80 --env A=1 --env \"B=two words\" --label app=web localhost/busybox httpd -f -p 80\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n"
    );
}

#[test]
fn container_keys_map_to_run_flags() {
    let units = gen_files(&[(
        "app.container",
        "[Container]\nImage=img\nContainerName=app\nEntrypoint=/bin/sh\nVolume=/srv:/srv:ro\nTmpfs=/run\nNetwork=host\nUser=1000\nGroup=100\nWorkingDir=/w\nHostName=h\nAddCapability=NET_ADMIN\nDropCapability=ALL\nReadOnly=true\nNotify=yes\nHealthCmd=true\nHealthInterval=5s\nAutoUpdate=registry\nTimezone=UTC\nUlimit=nofile=10:10\nAnnotation=a=b\nEnvironmentFile=env\nMount=type=tmpfs,destination=/t\nPodmanArgs=--init --pids-limit 5\n",
    )]);
    let s = &units["app.service"];
    let exec = s.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert_eq!(
        exec,
        "ExecStart=/usr/bin/burrow run --name app --replace --rm --cgroups=split --entrypoint=/bin/sh \
         --tz UTC --workdir /w --hostname h --ulimit nofile=10:10 --tmpfs /run --network host \
         --sdnotify=container -d --cap-drop all --cap-add net_admin --read-only --user 1000:100 \
         -v /srv:/srv:ro --label io.containers.autoupdate=registry --annotation a=b \
         --env-file /q/env --mount type=tmpfs,destination=/t --health-cmd true \
         --health-interval 5s --init --pids-limit 5 img"
    );
    assert!(s.contains("RequiresMountsFor=/srv\n"), "{s}");
}

#[test]
fn without_sdnotify_the_unit_forks_and_with_rm_cidfile_uses_the_cidfile() {
    let files = [("a.container", "[Container]\nImage=img\n")];
    let s = &gen_with(&files, &opts(false))["a.service"];
    assert!(
        s.contains("Type=forking\n") && !s.contains("sdnotify"),
        "{s}"
    );
    let mut o = opts(true);
    o.rm_cidfile = true;
    let s = &gen_with(&files, &o)["a.service"];
    assert!(
        s.contains("ExecStop=/usr/bin/burrow rm -v -f -i --cidfile=%t/%N.cid\n"),
        "{s}"
    );
    assert!(
        s.contains("run --name systemd-%N --cidfile=%t/%N.cid --replace --rm"),
        "{s}"
    );
}

#[test]
fn volume_network_and_pod_references_become_dependencies() {
    let units = gen_files(&[
        ("data.volume", "[Volume]\nLabel=k=v\n"),
        (
            "net.network",
            "[Network]\nSubnet=10.89.1.0/24\nGateway=10.89.1.1\n",
        ),
        ("grp.pod", "[Pod]\nPublishPort=8080:80\n"),
        (
            "app.container",
            "[Unit]\nAfter=db.container\n[Container]\nImage=img\nVolume=data.volume:/data:z\nNetwork=net.network\nPod=grp.pod\n",
        ),
        ("db.container", "[Container]\nImage=img\n"),
    ]);
    assert_eq!(
        units["data-volume.service"],
        "[Unit]\nSourcePath=/q/data.volume\nRequiresMountsFor=%t/containers\n\n\
         [X-Volume]\nLabel=k=v\n\n\
         [Service]\nExecStart=/usr/bin/burrow volume create --ignore --label k=v systemd-data\n\
         SyslogIdentifier=%N\nType=oneshot\nRemainAfterExit=yes\n"
    );
    assert!(units["net-network.service"].contains(
        "ExecStart=/usr/bin/burrow network create --ignore --subnet 10.89.1.0/24 --gateway 10.89.1.1 systemd-net\n"
    ));
    let app = &units["app.service"];
    for line in [
        "After=db.service\n",
        "Requires=net-network.service\nAfter=net-network.service\n",
        "Requires=data-volume.service\nAfter=data-volume.service\n",
        "BindsTo=grp-pod.service\nAfter=grp-pod.service\n",
        "--network systemd-net ",
        "-v systemd-data:/data:z ",
        "--pod systemd-grp ",
    ] {
        assert!(app.contains(line), "{line:?} in {app}");
    }
    let pod = &units["grp-pod.service"];
    for line in [
        "Wants=app.service\nBefore=app.service\n",
        "ExecStart=/usr/bin/burrow pod start systemd-grp\n",
        "ExecStop=/usr/bin/burrow pod stop --time=10 systemd-grp\n",
        "ExecStartPre=/usr/bin/burrow pod create --publish 8080:80 --infra-name systemd-grp-infra --name systemd-grp\n",
        "Type=oneshot\n",
    ] {
        assert!(pod.contains(line), "{line:?} in {pod}");
    }
}

#[test]
fn kube_image_and_build_files() {
    let units = gen_files(&[
        ("k.kube", "[Kube]\nYaml=play.yaml\n"),
        ("i.image", "[Image]\nImage=quay.io/x/y:1\nTLSVerify=false\n"),
        (
            "b.build",
            "[Build]\nImageTag=localhost/b:1\nSetWorkingDirectory=unit\nFile=Containerfile\n",
        ),
        ("c.container", "[Container]\nImage=b.build\n"),
    ]);
    let k = &units["k.service"];
    assert!(
        k.contains(
            "ExecStart=/usr/bin/burrow kube play --replace --service-container=true /q/play.yaml\n"
        ),
        "{k}"
    );
    assert!(
        k.contains("ExecStopPost=/usr/bin/burrow kube down /q/play.yaml\n"),
        "{k}"
    );
    assert!(
        units["i-image.service"]
            .contains("ExecStart=/usr/bin/burrow pull --tls-verify=false quay.io/x/y:1\n")
    );
    let b = &units["b-build.service"];
    assert!(b.contains("WorkingDirectory=/q\n"), "{b}");
    assert!(
        b.contains("ExecStart=/usr/bin/burrow build --tag localhost/b:1 --file Containerfile /q\n"),
        "{b}"
    );
    assert!(
        b.contains("Type=oneshot\n") && !b.contains("RemainAfterExit"),
        "{b}"
    );
    let c = &units["c.service"];
    assert!(
        c.contains("Requires=b-build.service\n") && c.ends_with(" localhost/b:1\n"),
        "{c}"
    );
}

#[test]
fn unknown_key_names_file_line_and_group_and_only_that_file_is_skipped() {
    let (units, errors) = generate(
        &quadlets(&[
            ("bad.container", "[Container]\nImage=img\n\nBogus=1\n"),
            ("good.volume", "[Volume]\n"),
        ]),
        &opts(true),
    );
    assert_eq!(
        errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        vec![
            "converting \"bad.container\": unsupported key 'Bogus' in group 'Container' in /q/bad.container, line 4"
        ]
    );
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].file_name, "good-volume.service");
}

#[test]
fn conversion_errors_are_podmans() {
    let err = |name: &str, text: &str| {
        let (_, errors) = generate(&quadlets(&[(name, text)]), &opts(true));
        errors[0].to_string()
    };
    assert_eq!(
        err("a.container", "[Container]\nExec=true\n"),
        "converting \"a.container\": no Image or Rootfs key specified"
    );
    assert_eq!(
        err(
            "a.container",
            "[Container]\nImage=x\nNetwork=nope.network\n"
        ),
        "converting \"a.container\": requested Quadlet unit nope.network was not found"
    );
    assert_eq!(
        err("a.container", "[Container]\nImage=x\nGroup=1\n"),
        "converting \"a.container\": invalid Group set without User"
    );
    assert_eq!(
        err("k.kube", "[Kube]\n"),
        "converting \"k.kube\": no Yaml key specified"
    );
    assert_eq!(
        err("i.image", "[Image]\n"),
        "converting \"i.image\": no Image key specified"
    );
    assert_eq!(
        err("b.build", "[Build]\nFile=/x\n"),
        "converting \"b.build\": no ImageTag key specified"
    );
    assert_eq!(
        err("n.network", "[Network]\nGateway=10.0.0.1\n"),
        "converting \"n.network\": cannot set gateway or range without subnet"
    );
}

#[test]
fn dropins_merge_and_words_keep_specifiers() {
    let mut q = Quadlet::parse(Path::new("/q/a.container"), "[Container]\nImage=x\n").unwrap();
    q.merge_dropin(
        Path::new("/q/a.container.d/10.conf"),
        "[Container]\nExec=sh -c \"echo %N $HOME\"\n",
    )
    .unwrap();
    let (units, errors) = generate(&[q], &opts(true));
    assert!(errors.is_empty(), "{errors:?}");
    let s = units[0].unit.render();
    assert!(s.contains(" x sh -c \"echo %N $HOME\"\n"), "{s}");
    assert_eq!(
        dropin_names("web-app.container"),
        vec!["container.d", "web-.container.d", "web-app.container.d"]
    );
}

fn dropin_names(name: &str) -> Vec<String> {
    super::dirs::dropin_dirs(name, Kind::Container)
}

#[test]
fn system_units_wait_for_the_network() {
    let mut o = opts(true);
    o.user = false;
    let s = &gen_with(&[("a.container", "[Container]\nImage=x\n")], &o)["a.service"];
    assert!(
        s.starts_with("[Unit]\nWants=network-online.target\nAfter=network-online.target\n"),
        "{s}"
    );
    let s = &gen_with(
        &[(
            "a.container",
            "[Container]\nImage=x\n[Quadlet]\nDefaultDependencies=false\n",
        )],
        &o,
    )["a.service"];
    assert!(
        !s.contains("network-online") && s.contains("[X-Quadlet]"),
        "{s}"
    );
}
