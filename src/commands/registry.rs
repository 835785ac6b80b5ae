//! pull, push, login, logout, and the registry flags run/create share with them.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use clap::Args;
use libpod::Runtime;
use libpod::registry::RegistryFlags;
use libpod::storage_registry::Platform;

use super::{Failure, Outcome};

/// `--tls-verify`, `--cert-dir`, `--creds`, `--authfile`.
#[derive(Args, Debug, Clone, Default)]
pub struct RegistryArgs {
    /// Require HTTPS and verify certificates when contacting registries
    #[arg(long = "tls-verify", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub tls_verify: Option<bool>,
    /// Use certificates at the specified path to access the registry
    #[arg(long = "cert-dir", value_name = "PATH")]
    pub cert_dir: Option<PathBuf>,
    /// Use USERNAME[:PASSWORD] for accessing the registry
    #[arg(long, value_name = "USERNAME[:PASSWORD]")]
    pub creds: Option<String>,
    /// Path of the authentication file
    #[arg(long, value_name = "PATH", env = "REGISTRY_AUTH_FILE", hide_env = true)]
    pub authfile: Option<PathBuf>,
}

impl RegistryArgs {
    pub fn flags(&self) -> RegistryFlags {
        RegistryFlags {
            tls_verify: self.tls_verify,
            cert_dir: self.cert_dir.clone(),
            creds: self.creds.clone(),
            authfile: self.authfile.clone(),
            ..RegistryFlags::default()
        }
    }
}

/// `--platform`, `--arch`, `--os`, `--variant`.
#[derive(Args, Debug, Clone, Default)]
pub struct PlatformArgs {
    /// Specify the platform for selecting the image (OS/ARCH[/VARIANT])
    #[arg(long)]
    pub platform: Option<String>,
    /// Use ARCH instead of the architecture of the machine for choosing images
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Use OS instead of the running OS for choosing images
    #[arg(long, value_name = "OS")]
    pub os: Option<String>,
    /// Use VARIANT instead of the running architecture variant for choosing images
    #[arg(long, value_name = "VARIANT")]
    pub variant: Option<String>,
}

impl PlatformArgs {
    /// None: the host's platform.
    pub fn platform(&self) -> Result<Option<Platform>, Failure> {
        if self.platform.is_some() && (self.arch.is_some() || self.os.is_some()) {
            return Err(Failure::new(
                "--platform option can not be specified with --arch or --os",
            ));
        }
        let mut p = match &self.platform {
            Some(spec) => Platform::parse(spec).map_err(|e| Failure::new(e.to_string()))?,
            None if self.arch.is_none() && self.os.is_none() && self.variant.is_none() => {
                return Ok(None);
            }
            None => Platform::default(),
        };
        if let Some(a) = &self.arch {
            p.architecture = a.clone();
        }
        if let Some(o) = &self.os {
            p.os = o.clone();
        }
        if self.variant.is_some() {
            p.variant = self.variant.clone();
        }
        Ok(Some(p))
    }
}

pub use super::progress::Progress;

#[derive(Args, Debug)]
pub struct PullArgs {
    /// Suppress output information when pulling images
    #[arg(short = 'q', long)]
    quiet: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    platform: PlatformArgs,
    /// Key needed to decrypt the image (e.g. /path/to/key.pem)
    #[arg(long = "decryption-key", value_name = "KEY[:PASSPHRASE]")]
    decryption_key: Vec<String>,
    /// Image to pull (NAME[:TAG] or NAME@DIGEST)
    #[arg(required = true)]
    images: Vec<String>,
}

pub fn pull(rt: &Runtime, a: PullArgs) -> Outcome {
    let platform = a.platform.platform()?;
    let progress = Progress::new(a.quiet);
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let flags = RegistryFlags {
        decryption_keys: a.decryption_key.clone(),
        ..a.registry.flags()
    };
    for name in &a.images {
        let name = name.strip_prefix("docker://").unwrap_or(name);
        let img = rt.pull(name, &flags, platform.clone(), tty, &progress)?;
        println!("{}", img.id);
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// Suppress output information when pushing images
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Compression format to use (gzip or zstd)
    #[arg(long = "compression-format", default_value = "gzip")]
    compression_format: String,
    /// Write the digest of the pushed image to the specified file
    #[arg(long = "digestfile", value_name = "PATH")]
    digestfile: Option<PathBuf>,
    #[command(flatten)]
    sign: PushSignArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Image to push
    image: String,
    /// Destination (a registry reference, docker://REF, oci-archive:PATH[:REF] or docker-archive:PATH[:REF])
    destination: Option<String>,
}

/// How `push` and `manifest push` sign what they push: a GPG key (simple signing, to
/// registries.d's lookaside-staging) or a sigstore private key (attached in the registry).
#[derive(Args, Debug)]
pub(crate) struct PushSignArgs {
    /// Sign what is pushed with this GPG key (simple signing; the signature goes to registries.d's lookaside-staging)
    #[arg(long = "sign-by", value_name = "KEY")]
    sign_by: Option<String>,
    /// Read the passphrase of the --sign-by or --sign-by-sigstore-private-key key from this file
    #[arg(long = "sign-passphrase-file", value_name = "PATH")]
    sign_passphrase_file: Option<PathBuf>,
    /// Sign what is pushed with this sigstore private key (cosign's encrypted format; the signature is attached in the registry, which registries.d's use-sigstore-attachments must allow)
    #[arg(long = "sign-by-sigstore-private-key", value_name = "PATH")]
    sign_by_sigstore_private_key: Option<PathBuf>,
    /// Sign with a sigstore parameter file (Fulcio/Rekor; not supported: use --sign-by-sigstore-private-key)
    #[arg(long = "sign-by-sigstore", value_name = "PATH")]
    sign_by_sigstore: Option<PathBuf>,
}

impl PushSignArgs {
    /// The keys to sign with, checked for what cannot go together, before anything is pushed.
    pub(crate) fn keys(
        self,
    ) -> Result<
        (
            Option<libpod::runtime::Signing>,
            Option<libpod::runtime::SigstoreSigning>,
        ),
        Failure,
    > {
        if self.sign_by_sigstore.is_some() {
            return Err(Failure::new(
                "--sign-by-sigstore: keyless signing (Fulcio, Rekor) is not supported: sign with a key (--sign-by-sigstore-private-key PATH)",
            ));
        }
        if self.sign_by.is_some() && self.sign_by_sigstore_private_key.is_some() {
            return Err(Failure::new(
                "--sign-by and --sign-by-sigstore-private-key cannot be used together: sign with one kind of key per push",
            ));
        }
        if self.sign_passphrase_file.is_some()
            && self.sign_by.is_none()
            && self.sign_by_sigstore_private_key.is_none()
        {
            return Err(Failure::new(
                "--sign-passphrase-file needs --sign-by KEY or --sign-by-sigstore-private-key PATH: name the key to sign with",
            ));
        }
        let sigstore = match self.sign_by_sigstore_private_key {
            Some(private_key) => Some(libpod::runtime::SigstoreSigning {
                private_key,
                passphrase: sigstore_passphrase(self.sign_passphrase_file.as_deref())?,
            }),
            None => None,
        };
        let signing = self.sign_by.map(|key| libpod::runtime::Signing {
            key,
            passphrase_file: self.sign_passphrase_file,
        });
        Ok((signing, sigstore))
    }
}

pub fn push(rt: &Runtime, a: PushArgs) -> Outcome {
    let compression = a
        .compression_format
        .parse()
        .map_err(|e: libpod::storage_registry::StorageError| Failure::new(e.to_string()))?;
    let (signing, sigstore) = a.sign.keys()?;
    let progress = Progress::new(a.quiet);
    let digest = rt.push_signed(
        &a.image,
        a.destination.as_deref(),
        &a.registry.flags(),
        compression,
        &progress,
        signing.as_ref(),
        sigstore.as_ref(),
    )?;
    if let (Some(path), Some(d)) = (&a.digestfile, &digest) {
        std::fs::write(path, d)
            .map_err(|e| Failure::new(format!("writing digest file {}: {e}", path.display())))?;
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// Also sign every image of a manifest list, not only the list
    #[arg(short = 'a', long)]
    all: bool,
    /// Write the signatures under this directory instead of registries.d's lookaside-staging
    #[arg(short = 'd', long, value_name = "DIR")]
    directory: Option<PathBuf>,
    /// The GPG key to sign with
    #[arg(long = "sign-by", value_name = "KEY", required = true)]
    sign_by: String,
    /// Read the passphrase of the key from this file
    #[arg(long = "sign-passphrase-file", value_name = "PATH")]
    sign_passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Images to sign, as docker://REGISTRY/REPO:TAG
    #[arg(required = true)]
    images: Vec<String>,
}

/// `image sign`: prints nothing, as podman; the signatures land in the lookaside store.
pub fn sign(rt: &Runtime, a: SignArgs) -> Outcome {
    let signing = libpod::runtime::Signing {
        key: a.sign_by,
        passphrase_file: a.sign_passphrase_file,
    };
    rt.image_sign(
        &a.images,
        &signing,
        a.directory.as_deref(),
        a.all,
        &a.registry.flags(),
    )?;
    Ok(0)
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// Username for registry
    #[arg(short = 'u', long)]
    username: Option<String>,
    /// Password for registry
    #[arg(short = 'p', long)]
    password: Option<String>,
    /// Take the password from stdin
    #[arg(long = "password-stdin")]
    password_stdin: bool,
    /// Return the current login user for the registry
    #[arg(long = "get-login")]
    get_login: bool,
    /// Path of the authentication file
    #[arg(long, value_name = "PATH", env = "REGISTRY_AUTH_FILE", hide_env = true)]
    authfile: Option<PathBuf>,
    /// Use certificates at the specified path to access the registry
    #[arg(long = "cert-dir", value_name = "PATH")]
    cert_dir: Option<PathBuf>,
    /// Require HTTPS and verify certificates when contacting registries
    #[arg(long = "tls-verify", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    tls_verify: Option<bool>,
    /// Registry to log in to
    registry: String,
}

/// The passphrase of a sigstore private key: the first line of `file` (as podman reads it),
/// else asked for on the terminal.
pub(crate) fn sigstore_passphrase(file: Option<&std::path::Path>) -> Result<Vec<u8>, Failure> {
    if let Some(path) = file {
        let data = std::fs::read(path).map_err(|e| {
            Failure::new(format!("reading passphrase file {}: {e}", path.display()))
        })?;
        let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
        return Ok(line.to_vec());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            "--sign-by-sigstore-private-key: no terminal to ask for the key's passphrase: pass --sign-passphrase-file FILE",
        ));
    }
    Ok(prompt("Key Passphrase: ", true)?.into_bytes())
}

#[derive(Args, Debug)]
pub struct SigstoreKeygenArgs {
    /// Write PREFIX.private and PREFIX.pub (the passphrase comes from $BURROW_PASSPHRASE)
    prefix: PathBuf,
}

/// `__sigstore-keygen PREFIX`: a key pair in skopeo generate-sigstore-key's files, for tests
/// (nothing else here makes cosign keys).
pub fn sigstore_keygen(a: SigstoreKeygenArgs) -> Outcome {
    let passphrase = std::env::var_os("BURROW_PASSPHRASE").unwrap_or_default();
    let (private, public) = libpod::registry::generate_sigstore_key(
        &a.prefix,
        std::os::unix::ffi::OsStrExt::as_bytes(passphrase.as_os_str()),
    )?;
    println!("{}\n{}", private.display(), public.display());
    Ok(0)
}

/// Reads one line from the terminal, without echo when `secret`.
fn prompt(label: &str, secret: bool) -> Result<String, Failure> {
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    eprint!("{label}");
    let stdin = std::io::stdin();
    let saved = if secret { tcgetattr(&stdin).ok() } else { None };
    if let Some(t) = &saved {
        let mut quiet = t.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if let Some(t) = &saved {
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, t);
        eprintln!();
    }
    read.map_err(|e| Failure::new(format!("reading {}: {e}", label.trim_end_matches(": "))))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub fn login(a: LoginArgs) -> Outcome {
    let flags = RegistryFlags {
        tls_verify: a.tls_verify,
        cert_dir: a.cert_dir.clone(),
        creds: None,
        authfile: a.authfile.clone(),
        ..RegistryFlags::default()
    };
    if a.get_login {
        return match libpod::registry::stored_login(&a.registry, &flags)? {
            Some(user) => {
                println!("{user}");
                Ok(0)
            }
            None => Err(Failure::new(format!("not logged into {}", a.registry))),
        };
    }
    if a.password.is_some() && a.password_stdin {
        return Err(Failure::new(
            "--password and --password-stdin are mutually exclusive",
        ));
    }
    let tty = std::io::stdin().is_terminal();
    let username = match a.username {
        Some(u) => u,
        None if tty && !a.password_stdin => prompt("Username: ", false)?,
        None => {
            return Err(Failure::new(
                "username is required: use --username (-u), or run on a terminal",
            ));
        }
    };
    let password = match (a.password, a.password_stdin) {
        (Some(p), _) => p,
        (None, true) => {
            let mut p = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut p)
                .map_err(|e| Failure::new(format!("reading the password from stdin: {e}")))?;
            p.trim_end_matches(['\n', '\r']).to_string()
        }
        (None, false) if tty => prompt("Password: ", true)?,
        (None, false) => {
            return Err(Failure::new(
                "password is required: use --password (-p) or --password-stdin, or run on a terminal",
            ));
        }
    };
    if username.is_empty() || password.is_empty() {
        return Err(Failure::new("username and password must not be empty"));
    }
    libpod::registry::login(&a.registry, &username, &password, &flags)?;
    println!("Login Succeeded!");
    Ok(0)
}

#[derive(Args, Debug)]
pub struct LogoutArgs {
    /// Remove the cached credentials for all registries in the auth file
    #[arg(short = 'a', long)]
    all: bool,
    /// Path of the authentication file
    #[arg(long, value_name = "PATH", env = "REGISTRY_AUTH_FILE", hide_env = true)]
    authfile: Option<PathBuf>,
    /// Registry to log out from
    #[arg(required_unless_present = "all")]
    registry: Option<String>,
}

pub fn logout(a: LogoutArgs) -> Outcome {
    if a.all {
        libpod::registry::logout(None, a.authfile.as_deref())?;
        println!("Removed login credentials for all registries");
        return Ok(0);
    }
    let registry = a.registry.unwrap_or_default();
    if libpod::registry::logout(Some(&registry), a.authfile.as_deref())? {
        println!("Removed login credentials for {registry}");
        Ok(0)
    } else {
        Err(Failure::new(format!("not logged into {registry}")))
    }
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Change the output format to JSON or a Go template
    #[arg(long)]
    format: Option<String>,
    /// Limit the number of results
    #[arg(long, default_value_t = 25)]
    limit: usize,
    /// List the tags of the named repository
    #[arg(long = "list-tags")]
    list_tags: bool,
    /// Do not truncate the output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Filter output based on conditions provided (stars=N, is-official, is-automated)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Search term: TERM, or REGISTRY/TERM to search one registry
    term: String,
}

/// podman cuts descriptions to this many characters unless --no-trunc.
const DESCRIPTION_WIDTH: usize = 44;

/// `search` (and `image search`): podman's NAME/DESCRIPTION table, or NAME/TAG with
/// `--list-tags`; `--format` over Index, Name, Description, Stars, Official, Automated, Tag.
pub fn search(a: SearchArgs) -> Outcome {
    let flags = a.registry.flags();
    let items: Vec<serde_json::Value> = if a.list_tags {
        libpod::registry::list_tags(&a.term, &flags, a.limit)?
            .into_iter()
            .map(|(name, tag)| serde_json::json!({"Name": name, "Tag": tag}))
            .collect()
    } else {
        let wanted = SearchFilter::parse(&a.filter)?;
        libpod::registry::search(&a.term, &flags, a.limit)?
            .into_iter()
            .filter(|r| wanted.keeps(r))
            .map(|r| {
                let mut description = r.description.replace('\n', " ");
                if !a.no_trunc && description.chars().count() > DESCRIPTION_WIDTH {
                    description = description.chars().take(DESCRIPTION_WIDTH).collect();
                    description.push_str("...");
                }
                serde_json::json!({
                    "Index": r.index,
                    "Name": r.name,
                    "Description": description,
                    "Stars": r.stars,
                    "Official": if r.official { "[OK]" } else { "" },
                    "Automated": if r.automated { "[OK]" } else { "" },
                    "Tag": "",
                })
            })
            .collect()
    };
    let format = a.format.unwrap_or_else(|| {
        if a.list_tags {
            "table {{.Name}}\t{{.Tag}}".to_string()
        } else {
            "table {{.Name}}\t{{.Description}}".to_string()
        }
    });
    crate::output::print_formatted(&format, items, &|h| h.to_uppercase())
}

/// `search --filter`: docker's `stars=N`, `is-official[=BOOL]`, `is-automated[=BOOL]`.
#[derive(Default)]
struct SearchFilter {
    stars: u64,
    official: Option<bool>,
    automated: Option<bool>,
}

impl SearchFilter {
    fn parse(filters: &[String]) -> Result<SearchFilter, Failure> {
        let mut f = SearchFilter::default();
        for spec in filters {
            let (key, value) = spec.split_once('=').unwrap_or((spec, "true"));
            let bad = || {
                Failure::new(format!(
                    "invalid filter {spec:?}: use stars=N, is-official=true|false or is-automated=true|false"
                ))
            };
            match key {
                "stars" => f.stars = value.parse().map_err(|_| bad())?,
                "is-official" => f.official = Some(value.parse().map_err(|_| bad())?),
                "is-automated" => f.automated = Some(value.parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        }
        Ok(f)
    }

    fn keeps(&self, r: &libpod::storage_registry::SearchResult) -> bool {
        r.stars >= self.stars
            && self.official.is_none_or(|o| o == r.official)
            && self.automated.is_none_or(|o| o == r.automated)
    }
}
