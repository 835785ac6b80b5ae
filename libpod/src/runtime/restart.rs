//! Restart policies at work, for the foreground supervisor and the detached monitor alike:
//! the delay before each restart, which doubles while the container keeps failing fast (as
//! podman and docker do: a crash loop must not spin), and the checks made once it is over.

use std::time::Duration;

use crate::container::Status;

use super::Runtime;

/// The first delay, doubled after each quick exit.
const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest delay between two restarts.
const MAX_DELAY: Duration = Duration::from_secs(60);
/// A run at least this long was no crash loop: the next delay starts over.
const STABLE_RUN: Duration = Duration::from_secs(10);

/// The growing delay between restarts of one container.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { next: FIRST_DELAY }
    }
}

impl Backoff {
    /// The delay before restarting a container whose last run lasted `ran`.
    pub(crate) fn delay_after(&mut self, ran: Duration) -> Duration {
        if ran >= STABLE_RUN {
            self.next = FIRST_DELAY;
        }
        let delay = self.next;
        self.next = (self.next * 2).min(MAX_DELAY);
        delay
    }
}

impl Runtime {
    /// After the delay: whether the restart still stands. Not when the user stopped the
    /// container meanwhile, someone else started it again (`burrow start`), or it is gone.
    pub(crate) fn restart_still_wanted(&self, id: &str) -> bool {
        self.state
            .lookup(id)
            .is_ok_and(|c| !c.state.stopped_by_user && c.status() != Status::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_start_over_after_a_stable_run() {
        let mut b = Backoff::default();
        let quick = Duration::from_millis(5);
        assert_eq!(b.delay_after(quick), Duration::from_millis(100));
        assert_eq!(b.delay_after(quick), Duration::from_millis(200));
        assert_eq!(b.delay_after(quick), Duration::from_millis(400));
        for _ in 0..20 {
            b.delay_after(quick);
        }
        assert_eq!(b.delay_after(quick), MAX_DELAY);
        assert_eq!(b.delay_after(STABLE_RUN), FIRST_DELAY);
        assert_eq!(b.delay_after(quick), Duration::from_millis(200));
    }
}
