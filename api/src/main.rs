//! `burrow-api`: the Docker Engine API service that `burrow system service` execs. It listens
//! on a unix or TCP socket (or one systemd passed in), answers HTTP with hyper on a tokio
//! runtime, and exits after `--time` seconds without a request or open connection.
//!
//! It never joins burrow's user namespace and never forks a container itself: this process
//! is multi-threaded, and a multi-threaded process cannot `setns` into a user namespace nor
//! do work between `fork` and `exec`. Every request runs the burrow CLI as a child process
//! (`--format json`, inspect JSON, exit codes) and translates; see docs/ARCHITECTURE.md,
//! "Docker API".

#![recursion_limit = "256"]

mod body;
mod burrow;
mod containers;
mod create;
mod exec;
mod images;
mod listen;
mod objects;
mod router;
mod streams;
mod system;
mod worker;

use std::sync::Arc;
use std::time::Duration;

/// Parsed command line: `burrow-api --burrow PATH [--time N] [--allow-remote]
/// [--global ARG]... [URI]`.
pub struct Options {
    pub burrow: String,
    pub globals: Vec<String>,
    pub idle: Option<Duration>,
    pub uri: Option<String>,
    pub allow_remote: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        burrow: "burrow".into(),
        globals: Vec::new(),
        idle: Some(Duration::from_secs(5)),
        uri: None,
        allow_remote: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--burrow" => o.burrow = value("--burrow")?,
            "--global" => o.globals.push(value("--global")?),
            "--time" => {
                let v = value("--time")?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("invalid --time \"{v}\": want whole seconds"))?;
                o.idle = (secs > 0).then(|| Duration::from_secs(secs));
            }
            "--allow-remote" => o.allow_remote = true,
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => o.uri = Some(s.to_string()),
        }
    }
    Ok(o)
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(125);
        }
    };
    let passed = listen::take_activation();
    // Whatever this process was started with beyond its standard streams (systemd's sockets,
    // a descriptor its parent leaked) reaches none of the children it starts for requests.
    // SAFETY: only sets the close-on-exec flag of descriptors 3 and up; no thread runs yet.
    unsafe { libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_int) };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: start the API service's runtime: {e}");
            std::process::exit(125);
        }
    };
    let code = rt.block_on(async move {
        let listener = match listen::open(&opts, passed).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("Error: {e}");
                return 125;
            }
        };
        let state = Arc::new(router::State::new(
            opts.burrow.clone(),
            opts.globals.clone(),
        ));
        state.cli.warm_up();
        listen::serve(listener, state, opts.idle).await;
        0
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    std::process::exit(code);
}
