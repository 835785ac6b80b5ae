//! `--preserve-fd FD[,FD]` and `--preserve-fds N`: which of the caller's descriptors a
//! container process gets. They are checked to have been passed to burrow (open and not
//! close-on-exec: every descriptor burrow opens itself is close-on-exec, so one of its own
//! can never be named), and the container sees them renumbered from 3 in ascending order, as
//! podman's. Nothing else of the caller's reaches the container.

use std::os::fd::RawFd;

use super::{SpecError, parse};

/// `--preserve-fd` flags as given (each a comma list) to descriptor numbers.
pub fn parse_preserve_fd(flags: &[String]) -> Result<Vec<RawFd>, SpecError> {
    let mut out = Vec::new();
    for item in parse::comma_list(flags) {
        let fd: RawFd = item
            .trim()
            .parse()
            .ok()
            .filter(|fd| *fd >= 0)
            .ok_or_else(|| SpecError::PreserveFd(item.clone()))?;
        if fd < 3 {
            return Err(SpecError::PreserveStdio(fd));
        }
        out.push(fd);
    }
    Ok(out)
}

/// The descriptors passed, in the order they appear in the container (3, 4, ...): the union
/// of `--preserve-fd` and 3..3+`--preserve-fds`, ascending.
pub fn passed(list: &[RawFd], count: u32) -> Vec<RawFd> {
    let count = RawFd::try_from(count).unwrap_or(0);
    let mut all: Vec<RawFd> = list.iter().copied().chain(3..3 + count).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Refuses a descriptor the caller did not pass to this process (podman's check, with its
/// words), so that `run`/`exec` never hands on something that is not there.
pub fn check_inherited(list: &[RawFd], count: u32) -> Result<(), SpecError> {
    for &fd in list {
        if !inherited(fd) {
            return Err(SpecError::FdNotPassed {
                fd,
                flag: "preserve-fd",
            });
        }
    }
    for fd in 3..3 + RawFd::try_from(count).unwrap_or(0) {
        if !inherited(fd) {
            return Err(SpecError::FdNotPassed {
                fd,
                flag: "preserve-fds",
            });
        }
    }
    Ok(())
}

fn inherited(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    flags >= 0 && flags & libc::FD_CLOEXEC == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_refuses_stdio_and_words() {
        let flags = vec!["5,7".to_string(), "9".to_string()];
        assert_eq!(parse_preserve_fd(&flags).unwrap(), vec![5, 7, 9]);
        assert!(matches!(
            parse_preserve_fd(&["1".to_string()]),
            Err(SpecError::PreserveStdio(1))
        ));
        assert!(matches!(
            parse_preserve_fd(&["x".to_string()]),
            Err(SpecError::PreserveFd(s)) if s == "x"
        ));
    }

    #[test]
    fn passed_is_the_sorted_union() {
        assert_eq!(passed(&[9, 4], 2), vec![3, 4, 9]);
        assert_eq!(passed(&[], 0), Vec::<RawFd>::new());
    }

    #[test]
    fn own_close_on_exec_descriptors_are_not_inherited() {
        let f = std::fs::File::open("/dev/null").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&f);
        assert!(check_inherited(&[fd], 0).is_err());
    }
}
