//! The Docker API service (`burrow system service`) driven by the real clients as the test
//! user: the docker CLI, docker-compose and docker-py.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use common::Env;

/// A running service on a socket in the Env's runtime dir; killed when dropped.
struct Service {
    child: Child,
    sock: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// burrow-api is built next to burrow; the test user gets its own readable copy.
fn api_bin(env: &Env) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_BIN_EXE_burrow")).with_file_name("burrow-api");
    assert!(
        src.is_file(),
        "{} missing: cargo build -p burrow-api",
        src.display()
    );
    let dst = env.base().join("burrow-api");
    fs::copy(&src, &dst).expect("copy burrow-api");
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o755)).expect("chmod burrow-api");
    dst
}

fn start(env: &mut Env) -> Service {
    let bin = api_bin(env);
    env.set_env("BURROW_API_BIN", &bin.display().to_string());
    let sock = env.runtime_dir().join("api.sock");
    let uri = format!("unix://{}", sock.display());
    let child = env
        .burrow_cmd(&["system", "service", "--time", "0", &uri])
        .spawn()
        .expect("start the service");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sock.exists(), "service did not create {}", sock.display());
    let mode = fs::metadata(&sock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "socket mode");
    env.set_env("DOCKER_HOST", &uri);
    env.set_env("DOCKER_BUILDKIT", "0");
    Service { child, sock }
}

fn docker(env: &Env, args: &[&str]) -> common::Output {
    env.output(env.command("docker", args))
}

// Pins: docker run (attached, -d, -it through a pty, exit codes), ps, logs -f, exec, inspect,
// cp, rm -f, images, build, network and volume commands and events, all through the socket.
#[test]
fn docker_cli_runs_containers_through_the_socket() {
    let mut env = Env::new().with_busybox();
    let svc = start(&mut env);
    assert!(svc.sock.exists());

    let out = docker(&env, &["run", "--rm", "busybox", "echo", "hi"]).ok();
    assert_eq!(out.stdout, "hi\n");
    docker(
        &env,
        &[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "echo oops >&2; exit 3",
        ],
    )
    .code(3)
    .stderr_has("oops");
    // -it through a pseudo-terminal: input reaches the shell, its exit code comes back.
    let out = env.output_stdin(
        env.command(
            "script",
            &["-qec", "docker run -it --rm busybox sh", "/dev/null"],
        ),
        "echo typed-$((6*7))\nexit 7\n",
    );
    assert_eq!(out.status, 7, "{out:?}");
    assert!(out.stdout.contains("typed-42"), "{out:?}");

    let id = docker(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "d1",
            "busybox",
            "sh",
            "-c",
            "echo start; sleep 300",
        ],
    )
    .ok()
    .stdout
    .trim()
    .to_string();
    assert_eq!(id.len(), 64, "{id}");
    docker(&env, &["ps"]).ok().stdout_has("d1");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !docker(&env, &["logs", "d1"]).stdout.contains("start") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    docker(&env, &["logs", "d1"]).ok().stdout_has("start");
    // logs -f follows until the container exits.
    docker(&env, &["exec", "d1", "echo", "fromexec"])
        .ok()
        .stdout_has("fromexec");
    docker(&env, &["exec", "d1", "sh", "-c", "exit 4"]).code(4);
    let out = docker(
        &env,
        &["inspect", "-f", "{{.State.Status}} {{.Name}}", "d1"],
    )
    .ok();
    assert_eq!(out.stdout.trim(), "running /d1");
    env.sh("echo hello > f.txt").ok();
    docker(&env, &["cp", "f.txt", "d1:/tmp/f.txt"]).ok();
    docker(&env, &["exec", "d1", "cat", "/tmp/f.txt"])
        .ok()
        .stdout_has("hello");
    docker(&env, &["cp", "d1:/tmp/f.txt", "back.txt"]).ok();
    assert_eq!(
        fs::read_to_string(env.home().join("back.txt")).unwrap(),
        "hello\n"
    );
    docker(&env, &["rm", "-f", "d1"]).ok();
    assert!(!docker(&env, &["ps", "-a"]).ok().stdout.contains("d1"));
    docker(&env, &["inspect", "d1"]).fails();

    let out = docker(
        &env,
        &[
            "run",
            "--name",
            "f1",
            "busybox",
            "sh",
            "-c",
            "for i in 1 2 3; do echo n$i; sleep 0.2; done",
        ],
    )
    .ok();
    assert_eq!(out.stdout, "n1\nn2\nn3\n");
    let out = docker(&env, &["logs", "-f", "f1"]).ok();
    assert_eq!(out.stdout, "n1\nn2\nn3\n");
    docker(&env, &["rm", "f1"]).ok();

    docker(&env, &["images"])
        .ok()
        .stdout_has("localhost/busybox");
    env.sh("mkdir ctx && printf 'FROM localhost/busybox\\nRUN echo built > /b\\nCMD [\"cat\", \"/b\"]\\n' > ctx/Dockerfile").ok();
    docker(&env, &["build", "-t", "localhost/built", "ctx"])
        .ok()
        .stdout_has("Successfully built");
    let out = docker(&env, &["run", "--rm", "localhost/built"]).ok();
    assert_eq!(out.stdout, "built\n");

    docker(&env, &["network", "create", "nn"]).ok();
    docker(&env, &["network", "ls"]).ok().stdout_has("nn");
    docker(&env, &["volume", "create", "vv"]).ok();
    docker(&env, &["volume", "ls"]).ok().stdout_has("vv");
    docker(&env, &["volume", "inspect", "vv"])
        .ok()
        .stdout_has("\"Name\": \"vv\"");
    docker(&env, &["network", "rm", "nn"]).ok();
    docker(&env, &["volume", "rm", "vv"]).ok();
    docker(&env, &["network", "inspect", "nn"]).fails();
    let out = docker(&env, &["events", "--since", "5m", "--until", "0s"]).ok();
    assert!(out.stdout.contains("container create"), "{}", out.stdout);
    assert!(out.stdout.contains("image import"), "{}", out.stdout);
}

// Pins: docker-compose 1.29 brings a two-service project (a named volume, the default
// network) up and down; docker-py runs, waits for and removes a container.
#[test]
fn compose_and_docker_py_work_through_the_socket() {
    let mut env = Env::new().with_busybox();
    let _svc = start(&mut env);
    let proj = env.home().join("proj");
    env.sh("mkdir proj").ok();
    let yaml = "version: \"3\"\nservices:\n  web:\n    image: localhost/busybox\n    command: [\"sleep\", \"300\"]\n  db:\n    image: localhost/busybox\n    command: [\"sleep\", \"300\"]\n    volumes:\n      - data:/data\nvolumes:\n  data: {}\n";
    env.output_stdin(
        env.command("sh", &["-c", "cat > proj/docker-compose.yml"]),
        yaml,
    )
    .ok();
    let mut up = env.command("docker-compose", &["up", "-d"]);
    up.current_dir(&proj);
    env.output(up).ok();
    let out = docker(&env, &["ps", "--format", "{{.Names}}"]).ok();
    assert!(
        out.stdout.contains("proj_web_1") && out.stdout.contains("proj_db_1"),
        "{}",
        out.stdout
    );
    let mut down = env.command("docker-compose", &["down", "-v"]);
    down.current_dir(&proj);
    env.output(down).ok();
    assert_eq!(docker(&env, &["ps", "-aq"]).ok().stdout, "");
    docker(&env, &["volume", "ls", "-q"]).ok();

    let script = "import docker\nc = docker.from_env()\nctr = c.containers.run('localhost/busybox', ['sh', '-c', 'echo py; exit 2'], detach=True)\nprint('wait', ctr.wait()['StatusCode'])\nprint('logs', ctr.logs().decode().strip())\nctr.remove()\nprint('left', len(c.containers.list(all=True)))\n";
    let out = env.output(env.command("python3", &["-c", script])).ok();
    assert_eq!(out.stdout, "wait 2\nlogs py\nleft 0\n");
}

/// The service's warm workers: `burrow __worker` processes whose parent serves `sock`.
fn workers(sock: &std::path::Path) -> Vec<i32> {
    let sock = sock.display().to_string();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        if args.get(1) != Some(&&b"__worker"[..]) {
            continue;
        }
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "PID (COMM) STATE PPID ...": the fields after the last ')'.
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .unwrap_or("0");
        let parent = fs::read(format!("/proc/{ppid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&parent).contains(&sock) {
            found.push(pid);
        }
    }
    found
}

/// Waits until the service has its two warm workers, none of them in `not`; returns them.
fn idle_workers(sock: &std::path::Path, not: &[i32]) -> Vec<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let w = workers(sock);
        if w.len() == 2 && !w.iter().any(|p| not.contains(p)) {
            return w;
        }
        assert!(
            Instant::now() < deadline,
            "expected two warm workers (not {not:?}), found {w:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// Pins: requests run burrow in warm workers the service started beforehand (two wait: a
// `docker run` takes one for its create and one for its start), which new ones replace after
// use; the container gets nothing of the service's (only its three standard streams are open
// in it), nor does a worker started while a TTY session has its terminal open; workers
// killed from outside are not used (the request runs by exec and succeeds); workers end with
// their service.
#[test]
fn warm_workers_run_requests_and_leave_the_container_nothing() {
    let mut env = Env::new().with_busybox();
    let svc = start(&mut env);
    let first = idle_workers(&svc.sock, &[]);
    let out = docker(
        &env,
        &["run", "--rm", "busybox", "sh", "-c", "ls /proc/$$/fd; true"],
    )
    .ok();
    assert_eq!(out.stdout, "0\n1\n2\n", "descriptors open in the container");
    let second = idle_workers(&svc.sock, &first);
    for w in &first {
        assert!(
            !alive(*w),
            "worker {w} ran one command (create or start) and ended"
        );
    }

    for w in &second {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*w),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
    }
    let out = docker(&env, &["run", "--rm", "busybox", "echo", "after-kill"]).ok();
    assert_eq!(out.stdout, "after-kill\n");
    // Errors and exit codes come back the same way through a worker.
    docker(&env, &["run", "--rm", "nosuchimage:latest", "true"]).fails();
    // A NUL in a request (`%00` in the name) would split one argument in two in a worker's
    // message: refused with 400, nothing created.
    let reply = raw_request(
        &svc.sock,
        "POST /v1.41/containers/create?name=abc%00--help HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 34\r\n\r\n{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}",
    );
    assert!(reply.starts_with("HTTP/1.0 400"), "{reply}");
    assert!(reply.contains("NUL"), "{reply}");
    assert_eq!(docker(&env, &["ps", "-aq"]).ok().stdout.trim(), "");
    // The run beside the TTY session takes workers, so the next ones start while the
    // terminal is open.
    let tty = env
        .command(
            "docker",
            &[
                "run",
                "-t",
                "--rm",
                "busybox",
                "sh",
                "-c",
                "sleep 2; echo tty-ok",
            ],
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !docker(&env, &["ps", "-q"])
        .ok()
        .stdout
        .contains(char::is_alphanumeric)
    {
        assert!(Instant::now() < deadline, "the TTY session never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let during = workers(&svc.sock);
    docker(&env, &["run", "--rm", "busybox", "true"]).ok();
    let out = tty.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("tty-ok"),
        "{out:?}"
    );
    let last = idle_workers(&svc.sock, &during);
    for w in &last {
        let mut fds: Vec<String> = fs::read_dir(format!("/proc/{w}/fd"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        fds.sort();
        assert_eq!(fds, ["0", "1", "2", "3"], "descriptors of idle worker {w}");
    }

    // Killed without a chance to clean up: the workers see their socket close and leave.
    drop(svc);
    let deadline = Instant::now() + Duration::from_secs(10);
    while last.iter().any(|w| alive(*w)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    for w in &last {
        assert!(!alive(*w), "worker {w} outlived its service");
    }
}

/// Sends one raw HTTP request on the service's socket; the whole reply.
fn raw_request(sock: &std::path::Path, request: &str) -> String {
    use std::io::{Read, Write};
    let mut c = std::os::unix::net::UnixStream::connect(sock).unwrap();
    c.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    c.read_to_string(&mut reply).unwrap();
    reply
}

/// Whether `pid` runs (a zombie waiting for its parent does not).
fn alive(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next())
            != Some("Z")
    })
}

// Pins: a TTY session's process starts with the client's terminal size (docker's
// ConsoleSize at create, before any resize request), for `run -it` and `exec -it`.
#[test]
fn tty_sessions_start_with_the_clients_terminal_size() {
    let mut env = Env::new().with_busybox();
    let _svc = start(&mut env);
    // Three of each: without the initial size, a process that reads it at once sees 0x0
    // whenever it runs before the client's resize request arrives (often, not always).
    let script = "stty rows 33 cols 101; docker run -d --name ex1 busybox sleep 60 >/dev/null; \
         for i in 1 2 3; do docker run -it --rm busybox stty size; \
         docker exec -it ex1 stty size; done; docker rm -f ex1 >/dev/null";
    let out = env.output(env.command("script", &["-qec", script, "/dev/null"]));
    assert_eq!(out.stdout.matches("33 101").count(), 6, "{out:?}");
}
