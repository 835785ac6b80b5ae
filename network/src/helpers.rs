//! Where the host programs burrow runs for user networks (`ip`, `nft`) are: on PATH, or in
//! the sbin directories an ordinary user's PATH often lacks (Debian puts both in /usr/sbin).

use std::path::PathBuf;

/// Searched after PATH, in this order.
const SBIN_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// The programs user networks need, with the Debian package of each.
pub const USER_NETWORK_HELPERS: &[(&str, &str)] = &[("ip", "iproute2"), ("nft", "nftables")];

/// The absolute path of `prog`, PATH first, then [`SBIN_DIRS`].
pub fn helper_path(prog: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .filter(|d| d.is_absolute())
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_and_not_nonsense() {
        assert!(helper_path("sh").is_some_and(|p| p.is_absolute()));
        assert!(helper_path("no-such-helper-anywhere").is_none());
    }
}
