//! `--retry` and `--retry-delay`: how often a pull is tried again after a registry error that
//! may pass (the registry unreachable, a 5xx or 429 answer, a connection dropped mid-blob), and
//! how long it waits in between. Errors that will not pass (no such image, unauthorized, a bad
//! reference) fail at once, as podman's `retry.IfNecessary` does.

use std::time::Duration;

use storage::StorageError;

use crate::registry::RegistryError;

/// How a pull is retried; the default tries once (what pull, build and compose do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PullRetry {
    /// Further attempts after the first.
    pub max: u32,
    /// A fixed wait; `None` is podman's exponential backoff (1s, 2s, 4s...).
    pub delay: Option<Duration>,
}

impl PullRetry {
    /// podman's run/create default: three more attempts, exponential backoff.
    pub const RUN_DEFAULT_MAX: u32 = 3;

    /// `--retry N` and `--retry-delay DURATION` (Go syntax), with run/create's default count.
    pub fn parse(retry: Option<u32>, delay: Option<&str>) -> Result<PullRetry, RegistryError> {
        let delay = delay
            .map(|d| {
                crate::health::duration::parse(d)
                    .map(Duration::from_nanos)
                    .map_err(|why| RegistryError::RetryDelay {
                        value: d.to_string(),
                        why,
                    })
            })
            .transpose()?;
        Ok(PullRetry {
            max: retry.unwrap_or(Self::RUN_DEFAULT_MAX),
            delay,
        })
    }

    /// The wait before attempt `attempt + 2` (`attempt` counts the failures so far, from 0).
    pub fn delay_for(&self, attempt: u32) -> Duration {
        self.delay
            .unwrap_or_else(|| Duration::from_secs(1u64 << attempt.min(16)))
    }
}

/// Whether trying again may help: the network and the registry's own trouble, not an answer
/// that says the image or the credentials are wrong.
pub(super) fn retryable(err: &StorageError) -> bool {
    match err {
        StorageError::RegistryUnreachable { .. } => true,
        StorageError::RegistryStatus { status, .. } => *status >= 500 || *status == 429,
        StorageError::Io { source, .. } | StorageError::Read { source, .. } => matches!(
            source.kind(),
            std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::TimedOut
                | std::io::ErrorKind::BrokenPipe
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_delays_follow_podman() {
        let r = PullRetry::parse(None, None).unwrap();
        assert_eq!(r.max, 3);
        let waits: Vec<u64> = (0..3).map(|a| r.delay_for(a).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4]);
        let r = PullRetry::parse(Some(0), Some("250ms")).unwrap();
        assert_eq!((r.max, r.delay_for(5)), (0, Duration::from_millis(250)));
        assert!(PullRetry::parse(None, Some("soon")).is_err());
        assert!(PullRetry::parse(None, Some("-1s")).is_err());
    }

    #[test]
    fn only_passing_errors_are_retried() {
        assert!(retryable(&StorageError::RegistryStatus {
            registry: "r".into(),
            what: "w".into(),
            status: 503,
            message: String::new(),
        }));
        assert!(!retryable(&StorageError::ManifestUnknown("x".into())));
        assert!(!retryable(&StorageError::RegistryStatus {
            registry: "r".into(),
            what: "w".into(),
            status: 404,
            message: String::new(),
        }));
    }
}
