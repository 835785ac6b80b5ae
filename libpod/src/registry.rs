//! Registry settings as podman finds them: registries.conf, the auth files (where `login`
//! writes and what pull/push read) and the flags every registry command shares. `login` and
//! `logout` live here: they touch no store and need no user namespace.

use std::path::{Path, PathBuf};

use storage::registry::{Credentials, RegistryOptions, auth};

use crate::error::Result;

/// A registry flag or name that cannot be used.
#[derive(thiserror::Error, Debug)]
pub enum RegistryError {
    #[error(
        "credential file is not accessible: {}: no such file (check --authfile)",
        .0.display()
    )]
    AuthfileMissing(PathBuf),
    #[error("invalid registry {0:?}: expected REGISTRY[:PORT][/NAMESPACE]")]
    Name(String),
    #[error(
        "no registry to search for {0:?}: no unqualified-search-registries are defined in registries.conf: search REGISTRY/TERM"
    )]
    NoSearchRegistries(String),
    #[error("--list-tags needs a fully-qualified repository name (REGISTRY/NAME), not {0:?}")]
    ListTagsName(String),
    #[error("invalid --retry-delay {value:?}: {why}: use a duration such as 2s or 500ms")]
    RetryDelay { value: String, why: String },
    #[error(
        "unable to obtain decryption config: open {}: {source} (give --decryption-key KEYFILE[:PASSPHRASE])",
        .path.display()
    )]
    DecryptionKey {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Flags shared by pull, push, login (`--tls-verify`, `--cert-dir`, `--creds`, `--authfile`).
#[derive(Clone, Debug, Default)]
pub struct RegistryFlags {
    pub tls_verify: Option<bool>,
    pub cert_dir: Option<PathBuf>,
    pub creds: Option<String>,
    pub authfile: Option<PathBuf>,
    /// `--retry`, `--retry-delay` of run/create: the default tries a pull once.
    pub retry: crate::runtime::PullRetry,
    /// `--decryption-key KEYFILE[:PASSPHRASE]` of pull/run/create: the files must be
    /// readable, but burrow decrypts nothing (an encrypted layer is refused).
    pub decryption_keys: Vec<String>,
}

impl RegistryFlags {
    /// podman reads every key file before it pulls: a missing one is an error even when the
    /// image needs no key.
    pub fn check_decryption_keys(&self) -> Result<()> {
        for key in &self.decryption_keys {
            let file = key.split_once(':').map_or(key.as_str(), |(f, _)| f);
            if let Err(source) = std::fs::File::open(file) {
                return Err(RegistryError::DecryptionKey {
                    path: PathBuf::from(file),
                    source,
                }
                .into());
            }
        }
        Ok(())
    }
}

/// Where `login` writes: `--authfile`, `$REGISTRY_AUTH_FILE`, else podman's
/// `$XDG_RUNTIME_DIR/containers/auth.json` (root: `/run/containers/0/auth.json`).
pub fn auth_file(flag: Option<&Path>, rootless: bool) -> PathBuf {
    if let Some(f) = flag {
        return f.to_path_buf();
    }
    if let Some(f) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|v| !v.is_empty()) {
        return PathBuf::from(f);
    }
    let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty());
    match runtime_dir {
        Some(d) if rootless => Path::new(&d).join("containers/auth.json"),
        _ if !rootless => PathBuf::from("/run/containers/0/auth.json"),
        _ => PathBuf::from(format!(
            "/run/user/{}/containers/auth.json",
            nix::unistd::getuid()
        )),
    }
}

/// What pull/push read, in podman's order: the write location, then
/// ~/.config/containers/auth.json, then docker's ~/.docker/config.json. `--authfile` alone
/// when given.
pub fn auth_files(flag: Option<&Path>, rootless: bool) -> Vec<PathBuf> {
    let mut files = vec![auth_file(flag, rootless)];
    if flag.is_none() {
        let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map_or_else(|| home.join(".config"), PathBuf::from);
        files.push(config.join("containers/auth.json"));
        // docker's DOCKER_CONFIG (podman's `--config`) moves its config.json.
        files.push(
            match std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
                Some(d) => PathBuf::from(d).join("config.json"),
                None => home.join(".docker/config.json"),
            },
        );
    }
    files
}

/// The registry options for pull/push from the flags and the config files.
pub fn options(flags: &RegistryFlags, rootless: bool) -> Result<RegistryOptions> {
    if let Some(f) = &flags.authfile
        && !f.exists()
    {
        return Err(RegistryError::AuthfileMissing(f.clone()).into());
    }
    Ok(RegistryOptions {
        conf: crate::config::registries_conf(rootless)?,
        tls_verify: flags.tls_verify,
        cert_dir: flags.cert_dir.clone(),
        creds: flags.creds.as_deref().map(Credentials::parse).transpose()?,
        auth_files: auth_files(flags.authfile.as_deref(), rootless),
        policy: crate::trust::policy()?,
        lookaside: crate::registries_d::lookaside(rootless)?,
    })
}

/// `REGISTRY` or `REGISTRY/NAMESPACE` as login keys it (scheme and trailing slash dropped).
fn login_key(registry: &str) -> Result<String> {
    let key = registry
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    if key.is_empty() || key.contains(['@', ' ']) {
        return Err(RegistryError::Name(registry.to_string()).into());
    }
    Ok(key.to_string())
}

/// `login`: checks the credentials against the registry, then stores them.
pub fn login(
    registry: &str,
    username: &str,
    password: &str,
    flags: &RegistryFlags,
) -> Result<PathBuf> {
    let key = login_key(registry)?;
    let host = key.split('/').next().unwrap_or(&key).to_string();
    let rootless = crate::rootless::is_rootless();
    let mut opts = options(
        &RegistryFlags {
            authfile: None,
            ..flags.clone()
        },
        rootless,
    )?;
    let creds = Credentials {
        username: username.to_string(),
        password: password.to_string(),
    };
    opts.creds = Some(creds.clone());
    let client = opts.client(&host, "", false)?;
    client.check_login()?;
    let file = auth_file(flags.authfile.as_deref(), rootless);
    auth::store(&file, &key, &creds)?;
    Ok(file)
}

/// `login --get-login`: the user name stored for the registry.
pub fn stored_login(registry: &str, flags: &RegistryFlags) -> Result<Option<String>> {
    let key = login_key(registry)?;
    let rootless = crate::rootless::is_rootless();
    let files = auth_files(flags.authfile.as_deref(), rootless);
    let (host, repo) = key.split_once('/').unwrap_or((&key, ""));
    Ok(auth::lookup(&files, host, repo)?.map(|c| c.username))
}

/// `logout REGISTRY` (false: not logged in there) or, with `None`, `logout -a`.
pub fn logout(registry: Option<&str>, authfile: Option<&Path>) -> Result<bool> {
    let file = auth_file(authfile, crate::rootless::is_rootless());
    match registry {
        Some(r) => Ok(auth::remove(&file, &login_key(r)?)?),
        None => {
            auth::remove_all(&file)?;
            Ok(true)
        }
    }
}

/// `search TERM`: a term naming a registry (`REGISTRY/TERM`, `REGISTRY/`) searches there;
/// a bare term every `unqualified-search-registries` entry, in order. `limit` per registry.
pub fn search(
    term: &str,
    flags: &RegistryFlags,
    limit: usize,
) -> Result<Vec<storage::registry::search::SearchResult>> {
    let opts = options(flags, crate::rootless::is_rootless())?;
    let (registries, term) = match split_registry(term) {
        Some((registry, rest)) => (vec![registry.to_string()], rest),
        None if opts.conf.unqualified_search_registries.is_empty() => {
            return Err(RegistryError::NoSearchRegistries(term.to_string()).into());
        }
        None => (opts.conf.unqualified_search_registries.clone(), term),
    };
    let mut out = Vec::new();
    for r in &registries {
        out.extend(storage::registry::search::search(&opts, r, term, limit)?);
    }
    Ok(out)
}

/// `search --list-tags REGISTRY/NAME`: (name, tag) pairs, at most `limit`.
pub fn list_tags(name: &str, flags: &RegistryFlags, limit: usize) -> Result<Vec<(String, String)>> {
    let opts = options(flags, crate::rootless::is_rootless())?;
    let (registry, repo) = split_registry(name)
        .filter(|(_, repo)| !repo.is_empty())
        .ok_or_else(|| RegistryError::ListTagsName(name.to_string()))?;
    // docker.io's one-word names are library images, as for pull.
    let repo = if matches!(registry, "docker.io" | "index.docker.io") && !repo.contains('/') {
        format!("library/{repo}")
    } else {
        repo.to_string()
    };
    let tags = storage::registry::search::list_tags(&opts, registry, &repo, limit)?;
    let shown = format!("{registry}/{repo}");
    Ok(tags.into_iter().map(|t| (shown.clone(), t)).collect())
}

/// `REGISTRY/REST` when the first component names a registry (a dot, a port or
/// `localhost`, as image references tell them apart); `None` for a bare term.
fn split_registry(term: &str) -> Option<(&str, &str)> {
    let (first, rest) = term.split_once('/')?;
    (first.contains(['.', ':']) || first == "localhost").then_some((first, rest))
}

#[cfg(test)]
mod search_tests {
    use super::split_registry;

    #[test]
    fn a_registry_is_told_from_a_term() {
        assert_eq!(
            split_registry("127.0.0.1:5000/busy"),
            Some(("127.0.0.1:5000", "busy"))
        );
        assert_eq!(split_registry("quay.io/"), Some(("quay.io", "")));
        assert_eq!(split_registry("localhost/x"), Some(("localhost", "x")));
        assert_eq!(split_registry("library/busybox"), None);
        assert_eq!(split_registry("busybox"), None);
    }
}
