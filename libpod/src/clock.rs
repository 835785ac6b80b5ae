//! The one clock of the state database and the event log: nanoseconds since the epoch, the
//! unit every stored time uses. It depends on nothing else in libpod, so any module can read
//! it.

/// Nanoseconds since the epoch, the unit of every time in the state database.
pub(crate) fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}
