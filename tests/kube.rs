//! Kubernetes YAML: `kube generate` of running containers, `kube play` of what it wrote (and
//! of hand-written Deployments, ConfigMaps, Secrets, PVCs and Services), `kube down`, and bad
//! YAML leaving nothing behind. Real containers, as the unprivileged test user.

mod common;
#[path = "common/net.rs"]
mod net;

use common::Env;
use net::{free_port, wait_http};

/// Serves `hello-$MSG` and the volume's file on port 80.
const HTTPD: &str =
    "mkdir -p /www && echo hello-$MSG > /www/index.html && exec httpd -f -p 80 -h /www";

fn write(env: &Env, name: &str, text: &str) -> String {
    let p = env.path(name);
    std::fs::write(&p, text).expect("write yaml");
    let _ = std::process::Command::new("chown")
        .arg(format!("{}:{}", env.uid(), env.gid()))
        .arg(&p)
        .status();
    p.to_string_lossy().into_owned()
}

fn names(env: &Env) -> String {
    env.burrow(&["ps", "-a", "--format", "{{.Names}}"])
        .ok()
        .stdout
}

fn pods(env: &Env) -> String {
    env.burrow(&["pod", "ps", "--format", "{{.Name}}"])
        .ok()
        .stdout
}

// Pins: run (port, env, named volume) -> kube generate -> rm -> kube play answers on the same
// port with the same env and data -> kube down removes pod and containers, keeps the volume.
#[test]
fn generate_play_down_round_trip() {
    let env = Env::new().with_busybox();
    let port = free_port();
    env.burrow(&["volume", "create", "kdata"]).ok();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        &format!("{port}:80"),
        "-e",
        "MSG=round",
        "-v",
        "kdata:/data",
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    assert!(wait_http(port, "hello-round").contains("hello-round"));
    env.burrow(&["exec", "web", "sh", "-c", "echo kept > /data/f"])
        .ok();
    let yaml = env.burrow(&["kube", "generate", "web"]).ok().stdout;
    assert!(yaml.starts_with("# Save the output of this file"), "{yaml}");
    for want in [
        "kind: Pod",
        "name: web-pod",
        &format!("hostPort: {port}"),
        "containerPort: 80",
        "name: MSG",
        "claimName: kdata",
        "mountPath: /data",
        "image: localhost/busybox",
    ] {
        assert!(yaml.contains(want), "{want} missing from\n{yaml}");
    }
    // `generate kube` is the same command.
    let alias = env.burrow(&["generate", "kube", "web"]).ok().stdout;
    assert_eq!(alias.lines().count(), yaml.lines().count());
    env.burrow(&["rm", "-f", "web"]).ok();
    let file = write(&env, "web.yaml", &yaml);

    let out = env.burrow(&["kube", "play", &file]).ok();
    let lines = out.lines();
    assert_eq!(lines[0], "Pod:", "{out:?}");
    assert_eq!(lines[2], "Container:", "{out:?}");
    assert!(names(&env).contains("web-pod-web"), "{}", names(&env));
    assert!(wait_http(port, "hello-round").contains("hello-round"));
    let data = env
        .burrow(&["exec", "web-pod-web", "cat", "/data/f"])
        .ok()
        .stdout;
    assert_eq!(data, "kept\n");
    // A second play without --replace refuses; with --replace it makes the pod again.
    env.burrow(&["kube", "play", &file]).code(125);
    env.burrow(&["kube", "play", "--replace", &file]).ok();
    assert!(wait_http(port, "hello-round").contains("hello-round"));

    let down = env.burrow(&["kube", "down", &file]).ok();
    assert!(down.stdout.starts_with("Pods stopped:\n"), "{down:?}");
    assert!(down.stdout.contains("Pods removed:\n"), "{down:?}");
    assert_eq!(names(&env), "");
    assert_eq!(pods(&env), "");
    env.burrow(&["volume", "exists", "kdata"]).ok();
}

const DEPLOYMENT: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  MSG: fromconfigmap
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: web-data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
stringData:
  token: s3cret
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: srv
        image: localhost/busybox
        command: ["sh", "-c"]
        args:
        - "echo $EXTRA >> /data/log; mkdir -p /www && echo hello-$MSG-$TOKEN > /www/index.html && exec httpd -f -p 80 -h /www"
        env:
        - name: MSG
          valueFrom:
            configMapKeyRef:
              name: web-config
              key: MSG
        - name: TOKEN
          valueFrom:
            secretKeyRef:
              name: web-secret
              key: token
        envFrom:
        - configMapRef:
            name: extra
        volumeMounts:
        - name: data
          mountPath: /data
        - name: cfg
          mountPath: /etc/cfg
      volumes:
      - name: data
        persistentVolumeClaim:
          claimName: web-data
      - name: cfg
        configMap:
          name: web-config
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
    nodePort: PORT
"#;

// Pins: a Deployment's env from a ConfigMap in the same YAML, a Secret and a --configmap
// file; a Service's nodePort published on the host; a PVC volume whose data survives
// kube down and a second play; a configMap volume's files.
#[test]
fn deployment_with_configmaps_secret_pvc_and_service() {
    let env = Env::new().with_busybox();
    let port = free_port();
    let file = write(
        &env,
        "app.yaml",
        &DEPLOYMENT.replace("PORT", &port.to_string()),
    );
    let extra = write(
        &env,
        "extra.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  EXTRA: line\n",
    );
    // Without the --configmap file the ConfigMap it names is missing: nothing is left.
    env.burrow(&["kube", "play", &file])
        .code(125)
        .stderr_has("\"extra\" not found");
    assert_eq!(names(&env), "");
    assert_eq!(pods(&env), "");
    env.burrow(&["secret", "exists", "web-secret"]).code(1);

    let out = env
        .burrow(&["kube", "play", "--configmap", &extra, &file])
        .ok();
    assert!(
        out.stdout.starts_with("Volumes:\nweb-data\nSecrets:\n"),
        "{out:?}"
    );
    assert!(out.stdout.contains("Pod:\n"), "{out:?}");
    assert!(pods(&env).contains("web-pod"), "{}", pods(&env));
    assert!(wait_http(port, "hello-fromconfigmap-s3cret").contains("hello-fromconfigmap-s3cret"));
    let cfg = env
        .burrow(&["exec", "web-pod-srv", "cat", "/etc/cfg/MSG"])
        .ok()
        .stdout;
    assert_eq!(cfg, "fromconfigmap");
    let down = env.burrow(&["kube", "down", &file]).ok();
    assert!(down.stdout.contains("Secrets removed:\n"), "{down:?}");
    assert!(
        down.stdout.ends_with("Volumes removed:\n"),
        "volumes stay: {down:?}"
    );
    assert_eq!(names(&env), "");
    env.burrow(&["volume", "exists", "web-data"]).ok();

    env.burrow(&["play", "kube", "--configmap", &extra, &file])
        .ok();
    assert!(wait_http(port, "hello-fromconfigmap").contains("hello-fromconfigmap"));
    let log = env
        .burrow(&["exec", "web-pod-srv", "cat", "/data/log"])
        .ok()
        .stdout;
    assert_eq!(log, "line\nline\n", "the PVC's data survived down and play");
    env.burrow(&["play", "kube", "--down", "--force", &file])
        .ok()
        .stdout_has("Volumes removed:\nweb-data");
    env.burrow(&["volume", "exists", "web-data"]).code(1);
}

// Pins: bad YAML, an unknown kind and a missing image each give one Error line, exit 125,
// and leave no pod, container or volume behind.
#[test]
fn bad_yaml_leaves_nothing_behind() {
    let env = Env::new().with_busybox();
    let bad = write(&env, "bad.yaml", "kind: [\n");
    let out = env.burrow(&["kube", "play", &bad]).code(125);
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(out.stderr.starts_with("Error: "), "{out:?}");
    let kind = write(
        &env,
        "kind.yaml",
        "apiVersion: v1\nkind: Gadget\nmetadata:\n  name: g\n",
    );
    env.burrow(&["kube", "play", &kind])
        .code(125)
        .stderr_has("kind \"Gadget\" is not supported");
    let missing = write(
        &env,
        "missing.yaml",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: v1\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: localhost/busybox\n    command: [sleep, \"100\"]\n  - name: b\n    image: localhost/nosuchimage\n    imagePullPolicy: Never\n",
    );
    let out = env.burrow(&["kube", "play", &missing]).code(125);
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert_eq!(names(&env), "");
    assert_eq!(pods(&env), "");
    env.burrow(&["volume", "exists", "v1"]).code(1);
    env.burrow(&["kube", "play", "/nonexistent.yaml"])
        .code(125)
        .stderr_has("/nonexistent.yaml");
}

// Pins: --type deployment and --service; the Deployment plays as `<name>-deployment-pod`
// and --start=false leaves it created, not running.
#[test]
fn generate_deployment_and_service_then_play_without_start() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "pod",
        "create",
        "--name",
        "pp",
        "-p",
        &format!("{}:80", free_port()),
    ])
    .ok();
    env.burrow(&[
        "create", "--pod", "pp", "--name", "pp-top", "-e", "K=v", "busybox", "sleep", "1000",
    ])
    .ok();
    let yaml = env
        .burrow(&[
            "kube",
            "generate",
            "-s",
            "-t",
            "deployment",
            "--replicas",
            "1",
            "pp",
        ])
        .ok()
        .stdout;
    for want in [
        "kind: Deployment",
        "replicas: 1",
        "kind: Service",
        "type: NodePort",
        "nodePort:",
        "name: top",
    ] {
        assert!(yaml.contains(want), "{want} missing from\n{yaml}");
    }
    env.burrow(&["kube", "generate", "-t", "job", "--replicas", "2", "pp"])
        .code(125);
    env.burrow(&["kube", "generate", "nosuchthing"])
        .code(125)
        .stderr_has("nosuchthing");
    env.burrow(&["pod", "rm", "-f", "pp"]).ok();
    let file = write(&env, "pp.yaml", &yaml);
    env.burrow(&["kube", "play", "--start=false", &file]).ok();
    let status = env
        .burrow(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"])
        .ok()
        .stdout;
    assert!(status.contains("pp-deployment-pod-top Created"), "{status}");
    env.burrow(&["kube", "down", &file]).ok();
    assert_eq!(names(&env), "");
}

// Pins: --build makes the image from `<yaml dir>/<image name>/Containerfile`; a Job runs to
// completion under --wait (its output lands in a hostPath volume, and an init container ran
// first), then everything the YAML made is gone; a YAML from standard input plays too.
#[test]
fn job_with_build_wait_and_init_container() {
    let env = Env::new().with_busybox();
    let ctx = env.path("kbuilt");
    std::fs::create_dir_all(&ctx).expect("context dir");
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM localhost/busybox\nRUN echo built > /built\n",
    )
    .expect("Containerfile");
    let out_dir = env.path("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    for p in [&ctx, &ctx.join("Containerfile"), &out_dir] {
        let _ = std::process::Command::new("chown")
            .arg(format!("{}:{}", env.uid(), env.gid()))
            .arg(p)
            .status();
    }
    let yaml = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      initContainers:\n      - name: first\n        image: localhost/busybox\n        command: [sh, -c, \"echo init > /out/init\"]\n        volumeMounts:\n        - name: out\n          mountPath: /out\n      containers:\n      - name: work\n        image: localhost/kbuilt:latest\n        command: [sh, -c, \"cat /out/init /built > /out/result\"]\n        volumeMounts:\n        - name: out\n          mountPath: /out\n      volumes:\n      - name: out\n        hostPath:\n          path: {}\n",
        out_dir.display()
    );
    let file = write(&env, "job.yaml", &yaml);
    env.burrow(&["kube", "play", "--build", "--wait", &file])
        .ok();
    let result = std::fs::read_to_string(out_dir.join("result")).unwrap_or_default();
    assert_eq!(result, "init\nbuilt\n");
    assert_eq!(names(&env), "");
    assert_eq!(pods(&env), "");
    env.burrow(&["image", "exists", "localhost/kbuilt:latest"])
        .ok();

    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: fromstdin\nspec:\n  containers:\n  - name: c\n    image: localhost/busybox\n    command: [sleep, \"100\"]\n";
    let out = env.burrow_stdin(&["kube", "play", "-"], pod).ok();
    assert!(out.stdout.starts_with("Pod:\n"), "{out:?}");
    assert!(names(&env).contains("fromstdin-c"), "{}", names(&env));
    env.burrow_stdin(&["kube", "down", "-"], pod).ok();
    assert_eq!(names(&env), "");
}

// Pins: `kube play --wait` tears everything down (PVC volumes too, as podman) when it gets
// SIGTERM while the pod runs.
#[test]
fn wait_cleans_up_on_sigterm() {
    let env = Env::new().with_busybox();
    let yaml = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: wvol\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: waiter\nspec:\n  containers:\n  - name: c\n    image: localhost/busybox\n    command: [sleep, \"1000\"]\n    volumeMounts:\n    - name: v\n      mountPath: /v\n  volumes:\n  - name: v\n    persistentVolumeClaim:\n      claimName: wvol\n";
    let file = write(&env, "wait.yaml", yaml);
    let mut cmd = env.burrow_cmd(&["kube", "play", "--wait", &file]);
    cmd.stdout(std::process::Stdio::piped());
    let child = cmd.spawn().expect("spawn kube play --wait");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !names(&env).contains("waiter-c") {
        assert!(std::time::Instant::now() < deadline, "the pod never ran");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // SAFETY: signals the child this test spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().expect("wait for kube play");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("Volumes removed:\nwvol\n"), "{stdout}");
    assert_eq!(names(&env), "");
    assert_eq!(pods(&env), "");
    env.burrow(&["volume", "exists", "wvol"]).code(1);
}
