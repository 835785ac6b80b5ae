//! A container's environment in podman's order of precedence: containers.conf's `env` (after
//! the caller's proxy variables, or its whole environment with `--env-host`), the image's ENV,
//! burrow's defaults (PATH, TERM with `-t`, `container`); then `--env-merge`, `--unsetenv` and
//! `--unsetenv-all` rework those defaults; then the caller's environment (`--env-host`) or its
//! proxy variables (`--http-proxy`) go over them; `--env-file` and `-e` come last and always
//! win. It reads the caller's environment and nothing else.

use std::collections::HashMap;

use super::{ProcessSpec, SpecError, parse};

/// podman's ProxyEnv: what `--http-proxy` copies from the caller.
pub const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
];

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The environment of a container whose image sets `image_env`, with containers.conf's
/// `conf_env`, the caller's environment `host` and the spec's process settings `p`.
pub fn assemble(
    conf_env: &[String],
    image_env: &[String],
    host: &[(String, String)],
    p: &ProcessSpec,
) -> Result<Vec<String>, SpecError> {
    let host_part: Vec<String> = host
        .iter()
        .filter(|(k, _)| p.env_host || (p.http_proxy && PROXY_VARS.contains(&k.as_str())))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut env: Vec<String> = Vec::new();
    for e in host_part.iter().chain(conf_env).chain(image_env) {
        parse::merge_env(&mut env, e);
    }
    // The defaults podman adds, recorded so `inspect` shows the environment the process gets.
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, format!("PATH={DEFAULT_PATH}"));
    }
    if p.tty && !env.iter().any(|e| e.starts_with("TERM=")) {
        env.push("TERM=xterm".to_string());
    }
    if !env.iter().any(|e| e.starts_with("container=")) {
        env.push("container=burrow".to_string());
    }
    for m in &p.env_merge {
        let merged = env_merge(m, &env)?;
        parse::merge_env(&mut env, &merged);
    }
    for name in &p.unset_env {
        env.retain(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) != name);
    }
    if p.unset_env_all {
        env.clear();
    }
    for e in &host_part {
        parse::merge_env(&mut env, e);
    }
    for e in &p.env {
        parse::merge_env(&mut env, e);
    }
    Ok(env)
}

/// `--env-merge KEY=WORD`: WORD with `$VAR`/`${VAR}` taken from `env` (a missing one is
/// empty), as podman expands it.
fn env_merge(entry: &str, env: &[String]) -> Result<String, SpecError> {
    let vars: HashMap<String, String> = env
        .iter()
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let bad = |why: String| SpecError::EnvMerge {
        value: entry.to_string(),
        why,
    };
    let word = crate::builder::words::expand(entry, &vars, '\\').map_err(|e| bad(e.0))?;
    match word.split_once('=') {
        Some((k, _)) if !k.is_empty() => Ok(word),
        _ => Err(bad(
            "missing `=` for --env-merge substitution: use KEY=VALUE, e.g. --env-merge 'PATH=${PATH}:/opt/bin'"
                .into(),
        )),
    }
}

/// The caller's environment, for [`assemble`] (names and values that are not UTF-8 are
/// left out).
pub fn caller_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &ProcessSpec, host: &[(&str, &str)]) -> Vec<String> {
        let host: Vec<(String, String)> = host
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assemble(
            &["CONF=1".into()],
            &["PATH=/img".into(), "hello=world".into()],
            &host,
            p,
        )
        .unwrap()
    }

    #[test]
    fn merge_unset_and_host() {
        let p = ProcessSpec {
            env_merge: vec!["hello=${hello}-some".into(), "new=${nope}x".into()],
            unset_env: vec!["CONF".into()],
            ..Default::default()
        };
        assert_eq!(
            run(&p, &[]),
            vec!["PATH=/img", "container=burrow", "hello=world-some", "new=x"]
        );
        let p = ProcessSpec {
            unset_env_all: true,
            env: vec!["TERM=abc".into()],
            ..Default::default()
        };
        assert_eq!(run(&p, &[]), vec!["TERM=abc"]);
        let p = ProcessSpec {
            http_proxy: true,
            env: vec!["https_proxy=mine".into()],
            ..Default::default()
        };
        let env = run(
            &p,
            &[("http_proxy", "h"), ("https_proxy", "s"), ("SECRET", "x")],
        );
        assert!(env.contains(&"http_proxy=h".to_string()));
        assert!(env.contains(&"https_proxy=mine".to_string()));
        assert!(!env.iter().any(|e| e.starts_with("SECRET=")));
        let p = ProcessSpec {
            env_host: true,
            ..Default::default()
        };
        let env = run(&p, &[("PATH", "/host"), ("SECRET", "x")]);
        assert!(env.contains(&"PATH=/host".to_string()));
        assert!(env.contains(&"SECRET=x".to_string()));
        let p = ProcessSpec {
            env_merge: vec!["novalue".into()],
            ..Default::default()
        };
        assert!(assemble(&[], &[], &[], &p).is_err());
    }
}
