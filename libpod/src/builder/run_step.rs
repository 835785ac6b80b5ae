//! RUN: the command runs in a temporary container of our own runtime on the stage's image,
//! with the stage's env, workdir and user and the `--mount`s it asks for (cache, bind,
//! tmpfs, secret); what it changed becomes the step's layer. Mount targets, secrets and the
//! files the runtime itself puts in a container are never part of that layer.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use parse_dockerfile::Command;
use sha2::{Digest, Sha256};

use super::copy::clean_rel;
use super::error::{BResult, BuildError};
use super::executor::{Builder, Stage};
use super::instruction::shell_text;
use crate::runtime::AttachOptions;
use crate::spec::{ContainerSpec, LifecycleSpec, NetworkSpec, ProcessSpec, StorageSpec};

/// Args usable in RUN without an ARG line (the Dockerfile reference's predefined ARGs).
const PROXY_ARGS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Restores a redirected stdout/stderr (`build -q` hides RUN output).
struct Silence(Option<(i32, i32)>);

impl Silence {
    fn new(on: bool) -> Silence {
        if !on {
            return Silence(None);
        }
        let Ok(null) = fs::OpenOptions::new().write(true).open("/dev/null") else {
            return Silence(None);
        };
        use std::os::fd::AsRawFd;
        // SAFETY: plain descriptor duplication (close-on-exec, like every descriptor of ours);
        // the saved copies are restored in Drop.
        unsafe {
            let (o, e) = (
                libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3),
                libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3),
            );
            libc::dup2(null.as_raw_fd(), 1);
            libc::dup2(null.as_raw_fd(), 2);
            Silence(Some((o, e)))
        }
    }
}

impl Drop for Silence {
    fn drop(&mut self) {
        if let Some((o, e)) = self.0 {
            // SAFETY: restores the descriptors saved in `new`.
            unsafe {
                libc::dup2(o, 1);
                libc::dup2(e, 2);
                libc::close(o);
                libc::close(e);
            }
        }
    }
}

impl Builder<'_> {
    /// The environment of a RUN: the stage's ARGs, the proxy build args, then its ENV.
    fn run_env(&self, st: &Stage) -> Vec<String> {
        let mut env: Vec<String> = Vec::new();
        for (k, v) in &st.args {
            env.push(format!("{k}={v}"));
        }
        for p in PROXY_ARGS {
            if let Some(v) = self.opts.build_args.get(*p)
                && !st.args.contains_key(*p)
            {
                env.push(format!("{p}={v}"));
            }
        }
        env.extend(st.config.env().iter().flatten().cloned());
        env
    }

    pub(super) fn run_step(
        &mut self,
        st: &mut Stage,
        i: &parse_dockerfile::RunInstruction<'_>,
        src: &str,
        shown: &str,
        last: bool,
    ) -> BResult<()> {
        // `RUN cmd <<EOF`: the bodies cut out of the text belong to this command's script.
        let bodies = self
            .run_heredocs
            .get(&i.run.span.start)
            .cloned()
            .unwrap_or_default();
        let key = self.key(st, src, &bodies);
        if self.cached(st, &key) {
            return Ok(());
        }
        let Some(image) = st.image.clone() else {
            return Err(BuildError::new(
                "RUN needs a base image with a shell: FROM scratch has none",
            ));
        };
        let (command, created_by) = match &i.arguments {
            Command::Exec(a) => {
                let v: Vec<String> = a.value.iter().map(|s| s.value.to_string()).collect();
                let by = format!("/bin/sh -c {}", v.join(" "));
                (v, by)
            }
            Command::Shell(s) => {
                let text = shell_text(s.value, self.escape);
                // `RUN <<EOF`: the heredoc is the script (the parser takes a heredoc only
                // right after RUN, so there is no command line to combine it with). Its
                // variables are the shell's to expand when it runs, as with docker.
                let script = match i.here_docs.first() {
                    Some(h) => h.value.to_string(),
                    None => format!("{text}{bodies}"),
                };
                let mut v = st.shell.clone();
                v.push(script.clone());
                (v, format!("{} {}", st.shell.join(" "), script))
            }
            _ => return Err(BuildError::new("unsupported RUN form")),
        };
        let mut mounts = Vec::new();
        let mut targets = Vec::new();
        let mut network = self.opts.network.clone();
        for f in &i.options {
            let val = f
                .value
                .as_ref()
                .map(|v| v.value.to_string())
                .unwrap_or_default();
            match f.name.value.as_ref() {
                "mount" => {
                    let (m, target) = self.run_mount(&val)?;
                    if let Some(m) = m {
                        mounts.push(crate::volume::parse_mount_flag(&m)?);
                    }
                    targets.push(target);
                }
                "network" => {
                    network = Some(match val.as_str() {
                        "default" => "host".to_string(),
                        other => other.to_string(),
                    })
                }
                other => {
                    return Err(BuildError::new(format!(
                        "RUN --{other} is not supported: use --mount or --network"
                    )));
                }
            }
        }
        let spec = ContainerSpec {
            image: image.id.clone(),
            process: ProcessSpec {
                command,
                entrypoint: Some(Vec::new()),
                env: self.run_env(st),
                workdir: st.config.working_dir().clone(),
                user: st.config.user().clone(),
                ..Default::default()
            },
            storage: StorageSpec {
                mounts,
                ..Default::default()
            },
            // As podman: RUN gets the default network (slirp4netns rootless) unless
            // `--network` (of the build or of the RUN) says otherwise.
            network: NetworkSpec {
                mode: network,
                ..Default::default()
            },
            // The build's own user namespace (its commit reads owners as they are on disk),
            // whatever containers.conf's `userns` says for containers.
            namespaces: crate::spec::NamespaceSpec {
                userns: Some(crate::spec::userns::UsernsMode::Host),
                ..Default::default()
            },
            // Owned by this build: a killed build leaves no working container behind.
            lifecycle: LifecycleSpec {
                temporary: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let c = self.rt.create(&spec)?;
        let res = (|| {
            let code = {
                let _s = Silence::new(self.opts.quiet);
                self.rt.start_attached(
                    &c,
                    AttachOptions {
                        stdin: false,
                        sig_proxy: true,
                    },
                )?
            };
            if code != 0 {
                return Err(BuildError {
                    message: format!(
                        "building at STEP \"{shown}\" ({}): exit status {code}",
                        self.file
                    ),
                    code,
                });
            }
            let (mut changes, root) = self.rt.container_changes(&c)?;
            changes.retain(|ch| {
                let p = ch.path.as_str();
                let is_dir = fs::symlink_metadata(root.join(p.trim_start_matches('/')))
                    .is_ok_and(|m| m.is_dir());
                let init_file = crate::runtime::commit::INIT_PATHS.contains(&p) && !is_dir;
                let mount_target = targets.iter().any(|t| t == p);
                !(init_file || mount_target || p.starts_with("/run/secrets/"))
            });
            let tmp = self
                .write_temp_tar(|w| Ok(crate::runtime::commit::layer_tar(&root, &changes, w)?))?;
            self.commit_layer(st, &key, created_by.clone(), &tmp, last)
        })();
        let _ = self.rt.remove(&c.id, true, true);
        res
    }

    /// One `RUN --mount=...`: the runtime's mount spec and the target path.
    fn run_mount(&mut self, spec: &str) -> BResult<(Option<String>, String)> {
        let mut kv: HashMap<&str, &str> = HashMap::new();
        for field in spec.split(',').filter(|f| !f.is_empty()) {
            let (k, v) = field.split_once('=').unwrap_or((field, "true"));
            kv.insert(k, v);
        }
        let kind = kv.get("type").copied().unwrap_or("bind");
        let target = kv
            .get("target")
            .or(kv.get("dst"))
            .or(kv.get("destination"))
            .map(|t| t.to_string());
        let need_target = || {
            target.clone().ok_or_else(|| {
                BuildError::new(format!("RUN --mount={spec}: a target=PATH is required"))
            })
        };
        match kind {
            "cache" => {
                let t = need_target()?;
                let id = kv.get("id").map_or(t.clone(), |s| s.to_string());
                let dir = self
                    .rt
                    .paths
                    .data
                    .join("build-cache-mounts")
                    .join(&hex::encode(Sha256::digest(id.as_bytes()))[..16]);
                fs::create_dir_all(&dir)
                    .map_err(|e| BuildError::new(format!("create {}: {e}", dir.display())))?;
                Ok((Some(format!("type=bind,src={},dst={t}", dir.display())), t))
            }
            "tmpfs" => {
                let t = need_target()?;
                Ok((Some(format!("type=tmpfs,dst={t}")), t))
            }
            "bind" => {
                let t = need_target()?;
                let source = kv.get("source").or(kv.get("src")).copied().unwrap_or(".");
                let root = match kv.get("from") {
                    Some(from) => self.mounted_root_of(from)?,
                    None => self.context.dir.clone(),
                };
                // The mount follows every link in the source, so it is resolved inside the
                // context (or stage) first: a link to a host directory names nothing.
                let p = crate::in_root::resolve_in_root(&root, &clean_rel(source), true)
                    .map_err(|e| BuildError::new(format!("RUN --mount={spec}: {e}")))?;
                if fs::symlink_metadata(&p).is_err() {
                    return Err(BuildError::new(format!(
                        "RUN --mount={spec}: {source}: no such file or directory"
                    )));
                }
                Ok((Some(format!("type=bind,src={},dst={t},ro", p.display())), t))
            }
            "secret" => {
                let id = kv.get("id").copied().unwrap_or_default().to_string();
                let t = target.unwrap_or_else(|| format!("/run/secrets/{id}"));
                match self.opts.secrets.get(&id) {
                    Some(src) => Ok((
                        Some(format!("type=bind,src={},dst={t},ro", src.display())),
                        t,
                    )),
                    None if kv.get("required").is_some_and(|v| *v == "true") => {
                        Err(BuildError::new(format!(
                            "RUN --mount={spec}: secret {id:?} was not given: add --secret id={id},src=FILE"
                        )))
                    }
                    None => Ok((None, t)),
                }
            }
            other => Err(BuildError::new(format!(
                "RUN --mount type {other:?} is not supported: use cache, bind, tmpfs or secret"
            ))),
        }
    }

    /// The root file system of `--from=stage|image`, mounted read-only.
    fn mounted_root_of(&mut self, from: &str) -> BResult<PathBuf> {
        let img = self.image_of(from)?;
        Ok(self.rt.mount_image(&img.id)?)
    }
}
