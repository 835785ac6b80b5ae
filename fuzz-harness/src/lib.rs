//! The runner behind burrow's property/fuzz targets (the `fuzz_tests` modules of storage,
//! libpod and the burrow binary). A target is a proptest strategy plus a check that panics
//! when a property fails; each target has two tests over the same pair:
//!
//! - [`short`]: one batch from a fixed seed, part of the normal test suite (deterministic,
//!   a few seconds);
//! - [`long`]: batches from fresh seeds until `BURROW_FUZZ_SECONDS` (default 60) passed, an
//!   `#[ignore]`d test that `scripts/fuzz` runs. It ends with one `fuzz-result:` line giving
//!   the number of cases.
//!
//! Both fail on a panic, printing proptest's shrunk input and the seed that replays it. A
//! hang or a runaway allocation cannot be caught in-process, so a watchdog thread aborts the
//! whole process (after printing the input) when one case runs longer than
//! `BURROW_FUZZ_CASE_TIMEOUT` seconds (10 in long runs, 60 in short ones, where the machine
//! may be busy with other tests) or, in long runs, when the process's resident memory passes
//! `BURROW_FUZZ_MAX_RSS_MB` (4096).
//!
//! A case's time is what its thread spent hung, not the wall clock: time blocked (waiting on a
//! FIFO, a pipe, a lock, a child) counts in full, otherwise only the CPU time the thread got
//! counts, so a loaded or thrashing machine that starves a quick case for seconds is not a
//! hang. A case still running after `WALL_CAP` (6) times the limit of wall time is one
//! anyway (stuck in the kernel, say). Without /proc the wall clock counts.
//!
//! Replaying: `BURROW_FUZZ_SEED=N` makes a short run use batch seed N (a long run prints the
//! batch seed of a failure) and makes a long run use master seed N (a long run prints its
//! master seed first, so a crash can be replayed in the same order); `BURROW_FUZZ_TRACE=1`
//! prints every input before running it.
//!
//! Dev-only: this crate must never become a dependency of a shipped crate.

use std::cell::Cell;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestError, TestRunner};

/// Marks the summary line of a long run, which `scripts/fuzz` looks for.
pub const RESULT_PREFIX: &str = "fuzz-result:";

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    match v.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={v:?}: not a non-negative integer"),
    }
}

/// A stable per-target seed (FNV-1a of the name), so each short run is deterministic.
fn name_seed(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64: the batch seeds of a long run, derived from its master seed.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    mix(nanos ^ (u64::from(std::process::id()) << 32))
}

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        failure_persistence: None,
        source_file: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        // Every input of a target is valid: rejections only come from filters in strategies.
        max_global_rejects: cases.saturating_mul(4).max(1024),
        // Shrinking re-runs the check; bound it so a failure is reported in minutes.
        max_shrink_time: 120_000,
        max_shrink_iters: 20_000,
        ..Config::default()
    }
}

/// How often the watchdog looks.
const TICK: Duration = Duration::from_millis(200);

/// A case running longer than this many times the case limit of wall time is a hang whatever
/// its thread was doing.
const WALL_CAP: u32 = 6;

/// The unit of a thread's CPU times in /proc (USER_HZ: 100 by the kernel's ABI).
const USER_HZ: u64 = 100;

/// The running case, and how much of its time counts towards the limit.
struct Running {
    start: Instant,
    /// Its input (Debug).
    input: String,
    /// Its thread, observed in /proc.
    tid: Option<u32>,
    /// The time that counts towards the limit (see `credit`).
    counted: Duration,
    last_look: Instant,
    /// The thread's CPU time when the case started and at the last look, in USER_HZ ticks.
    first_cpu: Option<u64>,
    last_cpu: Option<u64>,
}

/// What the watchdog watches: the case being run and the run's counters.
struct Shared {
    target: String,
    /// The running case, if one is running.
    current: Mutex<Option<Running>>,
    cases: AtomicU64,
    case_limit: Duration,
    max_rss_kib: Option<u64>,
    stop: AtomicBool,
}

struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// The id of the calling thread (`/proc/thread-self` links to `PID/task/TID`).
fn current_tid() -> Option<u32> {
    std::fs::read_link("/proc/thread-self")
        .ok()?
        .file_name()?
        .to_str()?
        .parse()
        .ok()
}

/// A thread's state letter and CPU time (user + system, in USER_HZ ticks) from its
/// `/proc/.../stat` line.
fn parse_stat(line: &str) -> Option<(char, u64)> {
    // Field 2, the name, is in parentheses and may hold anything, `)` included.
    let mut fields = line[line.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    // utime and stime are fields 14 and 15; the state was field 3.
    let mut times = fields.skip(10);
    let utime: u64 = times.next()?.parse().ok()?;
    let stime: u64 = times.next()?.parse().ok()?;
    Some((state, utime + stime))
}

fn thread_stat(tid: u32) -> Option<(char, u64)> {
    parse_stat(&std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?)
}

/// How much of `wall`, the time since the watchdog's last look, counts towards the limit of a
/// case whose thread is now in `state` and got `cpu` meanwhile. Blocked (`S`: a FIFO, a pipe,
/// a lock, a child) is the hang that burns no CPU: the wall time counts, but at most five
/// looks' worth, as a longer gap means this process was not run at all (the watchdog was
/// late too). Running, runnable or waiting on the disk or on memory reclaim (`D`), only the
/// CPU it got counts: a busy loop still adds up, a thread starved by a loaded machine does not.
fn credit(state: char, wall: Duration, cpu: Duration) -> Duration {
    if state == 'S' {
        wall.min(TICK * 5).max(cpu)
    } else {
        cpu
    }
}

/// Resident memory of this process, from /proc/self/status.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Watchdog {
    fn start(target: &str, long: bool) -> Watchdog {
        let default_limit = if long { 10 } else { 60 };
        let shared = Arc::new(Shared {
            target: target.to_string(),
            current: Mutex::new(None),
            cases: AtomicU64::new(0),
            case_limit: Duration::from_secs(
                env_u64("BURROW_FUZZ_CASE_TIMEOUT").unwrap_or(default_limit),
            ),
            max_rss_kib: long.then(|| env_u64("BURROW_FUZZ_MAX_RSS_MB").unwrap_or(4096) * 1024),
            stop: AtomicBool::new(false),
        });
        let watched = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(format!("fuzz-watchdog-{target}"))
            .spawn(move || watch(&watched))
            .expect("spawning the fuzz watchdog thread");
        Watchdog {
            shared,
            thread: Some(thread),
        }
    }

    /// Runs one case under watch.
    fn case<T: Debug>(&self, input: T, check: &impl Fn(T)) {
        let shown = format!("{input:?}");
        if std::env::var_os("BURROW_FUZZ_TRACE").is_some() {
            eprintln!("fuzz {}: case {shown}", self.shared.target);
        }
        let now = Instant::now();
        let tid = current_tid();
        let cpu = tid.and_then(thread_stat).map(|(_, cpu)| cpu);
        *self.lock() = Some(Running {
            start: now,
            input: shown,
            tid,
            counted: Duration::ZERO,
            last_look: now,
            first_cpu: cpu,
            last_cpu: cpu,
        });
        // Cleared by the guard even when the check panics (proptest catches the panic).
        struct Done<'a>(&'a Watchdog);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                *self.0.lock() = None;
            }
        }
        let _done = Done(self);
        self.shared.cases.fetch_add(1, Ordering::Relaxed);
        check(input);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn cases(&self) -> u64 {
        self.shared.cases.load(Ordering::Relaxed)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// Adds the time since the last look that counts towards the case's limit (see [`credit`]);
/// returns the thread's state and CPU time, for the report.
fn account(run: &mut Running) -> Option<(char, u64)> {
    let now = Instant::now();
    let wall = now - run.last_look;
    run.last_look = now;
    let seen = run.tid.and_then(thread_stat);
    run.counted += match (seen, run.last_cpu) {
        (Some((state, cpu)), Some(before)) => credit(
            state,
            wall,
            Duration::from_millis(cpu.saturating_sub(before) * 1000 / USER_HZ),
        ),
        _ => wall,
    };
    run.last_cpu = seen.map(|(_, cpu)| cpu);
    seen
}

fn watch(shared: &Shared) {
    while !shared.stop.load(Ordering::Relaxed) {
        thread::park_timeout(TICK);
        let problem = {
            let mut current = shared
                .current
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let Some(run) = current.as_mut() else {
                continue;
            };
            let seen = account(run);
            let rss = shared
                .max_rss_kib
                .and_then(|max| rss_kib().filter(|r| *r > max));
            let wall = run.start.elapsed();
            if run.counted > shared.case_limit || wall > shared.case_limit * WALL_CAP {
                let thread = match (seen, run.first_cpu) {
                    (Some((state, cpu)), Some(first)) => format!(
                        "thread state {state}, {:.1} s CPU, ",
                        cpu.saturating_sub(first) as f64 / USER_HZ as f64
                    ),
                    _ => String::new(),
                };
                Some((
                    format!(
                        "HANG (one case ran over {:?}: {thread}{:.1} s counted, {:.1} s wall)",
                        shared.case_limit,
                        run.counted.as_secs_f64(),
                        wall.as_secs_f64()
                    ),
                    run.input.clone(),
                ))
            } else {
                rss.map(|r| {
                    (
                        format!("MEMORY (resident {} MiB)", r / 1024),
                        run.input.clone(),
                    )
                })
            }
        };
        if let Some((what, input)) = problem {
            eprintln!(
                "{RESULT_PREFIX} target={} cases={} result={what}\ninput: {input}",
                shared.target,
                shared.cases.load(Ordering::Relaxed)
            );
            // A hung check cannot be stopped from outside its thread: end the process.
            std::process::abort();
        }
    }
}

thread_local! {
    /// On a fuzz thread: the number of panics seen so far.
    static PANICS: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Shrinking re-runs a failing check hundreds of times: on fuzz threads only the first panic
/// is printed (with its location, which proptest's report lacks), other threads keep the
/// usual hook.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_fuzz_thread = PANICS.with(|p| match p.get() {
                Some(n) => {
                    if n == 0 {
                        eprintln!(
                            "fuzz: first panic (the shrunk input follows at the end): {info}"
                        );
                    }
                    p.set(Some(n + 1));
                    true
                }
                None => false,
            });
            if !on_fuzz_thread {
                previous(info);
            }
        }));
    });
}

/// Runs `f` on a thread with the stack of a program's main thread (8 MiB): a case must not
/// overflow what `burrow` has, and proptest's generators for nested documents need more than
/// a test thread's 2 MiB in debug builds.
fn on_main_sized_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    quiet_panics();
    thread::scope(|s| {
        let handle = thread::Builder::new()
            .name(thread::current().name().unwrap_or("fuzz").to_string())
            .stack_size(8 << 20)
            .spawn_scoped(s, || {
                PANICS.with(|p| p.set(Some(0)));
                f()
            })
            .expect("spawning the fuzz thread");
        handle
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// Runs one proptest batch of `cases` from `seed`; on failure, the reason and shrunk input.
fn batch<S>(
    dog: &Watchdog,
    cases: u32,
    seed: u64,
    strategy: &S,
    check: &impl Fn(S::Value),
) -> Result<(), String>
where
    S: Strategy,
    S::Value: Debug,
{
    let mut runner = TestRunner::new(config(cases, seed));
    match runner.run(strategy, |input| {
        dog.case(input, check);
        Ok(())
    }) {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, input)) => Err(format!(
            "{reason}\nminimal failing input: {input:?}\nreplay: BURROW_FUZZ_SEED={seed} with the short test of this target"
        )),
        Err(TestError::Abort(reason)) => Err(format!("proptest gave up: {reason}")),
    }
}

/// The seeded run for the normal test suite: `cases` inputs of `strategy()` from a fixed
/// seed (or `BURROW_FUZZ_SEED`); panics with the minimal failing input.
pub fn short<S>(
    target: &str,
    cases: u32,
    strategy: impl Fn() -> S + Sync,
    check: impl Fn(S::Value) + Sync,
) where
    S: Strategy,
    S::Value: Debug,
{
    let seed = env_u64("BURROW_FUZZ_SEED").unwrap_or_else(|| name_seed(target));
    let dog = Watchdog::start(target, false);
    if let Err(e) = on_main_sized_stack(|| batch(&dog, cases, seed, &strategy(), &check)) {
        panic!("fuzz target {target} (seed {seed}) failed: {e}");
    }
}

/// The long run: batches of `cases` inputs of `strategy()` from fresh seeds until
/// `BURROW_FUZZ_SECONDS` (default 60) passed, then a `fuzz-result:` line with the number of
/// cases run.
pub fn long<S>(
    target: &str,
    cases: u32,
    strategy: impl Fn() -> S + Sync,
    check: impl Fn(S::Value) + Sync,
) where
    S: Strategy,
    S::Value: Debug,
{
    let seconds = env_u64("BURROW_FUZZ_SECONDS").unwrap_or(60);
    let master = env_u64("BURROW_FUZZ_SEED").unwrap_or_else(fresh_seed);
    println!("fuzz {target}: {seconds} s, master seed {master} (BURROW_FUZZ_SEED replays it)");
    let dog = Watchdog::start(target, true);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let (batches, outcome) = on_main_sized_stack(|| {
        // Built on the fuzz thread: recursive strategies are not Send.
        let strategy = strategy();
        let mut batches = 0u64;
        while Instant::now() < deadline {
            let seed = mix(master.wrapping_add(batches));
            batches += 1;
            if let Err(e) = batch(&dog, cases, seed, &strategy, &check) {
                return (batches, Err(e));
            }
        }
        (batches, Ok(()))
    });
    let summary = format!(
        "{RESULT_PREFIX} target={target} cases={} batches={batches} seconds={:.1} seed={master}",
        dog.cases(),
        started.elapsed().as_secs_f64()
    );
    match outcome {
        Ok(()) => println!("{summary} result=ok"),
        Err(e) => {
            println!(
                "{summary} result=FAILED {}",
                e.lines().next().unwrap_or_default()
            );
            panic!("fuzz target {target} failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_runs_every_case() {
        let seen = AtomicU64::new(0);
        short("harness-self-test", 50, any::<u8>, |_| {
            seen.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(seen.load(Ordering::Relaxed), 50);
    }

    #[test]
    fn a_panicking_check_fails_with_the_shrunk_input() {
        let got = std::panic::catch_unwind(|| {
            short(
                "harness-self-test-fail",
                100,
                || 0u32..1000,
                |n| {
                    assert!(n < 10, "too big");
                },
            )
        });
        let msg = *got.unwrap_err().downcast::<String>().unwrap();
        assert!(msg.contains("minimal failing input: 10"), "{msg}");
    }

    #[test]
    fn stat_lines_parse_whatever_the_thread_name() {
        let line = "4242 (a) S (b) R 1 4242 4242 0 -1 4194560 120 0 0 0 37 5 0 0 20 0 2 0";
        assert_eq!(parse_stat(line), Some(('R', 42)));
        assert_eq!(parse_stat("4242 (x) S 1"), None);
        let own = thread_stat(current_tid().expect("/proc/thread-self"));
        assert_eq!(own.map(|(state, _)| state), Some('R'));
    }

    #[test]
    fn blocked_counts_wall_time_starved_only_cpu_time() {
        let s = Duration::from_secs;
        assert_eq!(
            credit('S', s(3), s(0)),
            TICK * 5,
            "a gap means the watchdog was late"
        );
        assert_eq!(credit('S', TICK, s(0)), TICK);
        assert_eq!(credit('R', s(3), TICK), TICK);
        assert_eq!(credit('D', s(3), s(0)), s(0));
    }

    #[test]
    fn a_sleeping_case_thread_is_counted_as_blocked() {
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            tx.send(current_tid()).unwrap();
            thread::sleep(Duration::from_secs(2));
        });
        let tid = rx.recv().unwrap().expect("/proc/thread-self");
        thread::sleep(Duration::from_millis(100));
        let now = Instant::now();
        let cpu = thread_stat(tid).map(|(_, cpu)| cpu);
        let mut run = Running {
            start: now,
            input: String::new(),
            tid: Some(tid),
            counted: Duration::ZERO,
            last_look: now,
            first_cpu: cpu,
            last_cpu: cpu,
        };
        thread::sleep(Duration::from_millis(300));
        assert_eq!(account(&mut run).map(|(state, _)| state), Some('S'));
        assert!(
            run.counted >= Duration::from_millis(300),
            "{:?}",
            run.counted
        );
    }

    #[test]
    fn batch_seeds_differ() {
        assert_ne!(mix(1), mix(2));
        assert_ne!(name_seed("a"), name_seed("b"));
    }
}
