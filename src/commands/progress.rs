//! What a pull (or push) shows on stderr, as podman does: a line per step, and on a terminal
//! one progress bar per blob with its size, rate and time left (indicatif). Nothing with -q.

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use libpod::storage_registry::{PullEvent, Reporter};

pub struct Progress {
    quiet: bool,
    /// The bars, drawn on stderr when indicatif can draw there (a terminal, not TERM=dumb).
    multi: MultiProgress,
    bars_shown: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    announced: bool,
    bars: HashMap<String, ProgressBar>,
}

/// podman's bar: `Copying blob 3e2f1a0b9c8d [=====>-----] 1.2MiB / 2.8MiB | 3.1 MiB/s | 1s`.
const BAR: &str = "Copying blob {prefix} [{bar:30}] {binary_bytes} / {binary_total_bytes} | {binary_bytes_per_sec} | {eta}";

fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    &hex[..hex.len().min(12)]
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let multi = MultiProgress::with_draw_target(if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        });
        Progress {
            quiet,
            bars_shown: !multi.is_hidden(),
            multi,
            state: Mutex::new(State::default()),
        }
    }

    /// A whole line: above the bars while some are drawn, else a plain line (a finished bar
    /// leaves its line behind in this form, so nothing is left half-drawn at an error).
    fn line(&self, st: &State, text: &str) {
        if st.bars.is_empty() {
            eprintln!("{text}");
        } else {
            let _ = self.multi.println(text);
        }
    }

    fn announce(&self, st: &mut State) {
        if !st.announced {
            st.announced = true;
            self.line(st, "Getting image source signatures");
        }
    }

    fn style() -> ProgressStyle {
        // The template is a constant: a bad one is a bug caught by the unit test below.
        ProgressStyle::with_template(BAR)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=>-")
    }
}

impl Reporter for Progress {
    fn event(&self, e: PullEvent<'_>) {
        if self.quiet {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let st = &mut *st;
        match e {
            PullEvent::Trying(name) => self.line(st, &format!("Trying to pull {name}...")),
            PullEvent::BlobExists(d) => {
                self.announce(st);
                self.line(
                    st,
                    &format!("Copying blob {} skipped: already exists", short(d)),
                );
            }
            PullEvent::BlobStart { digest, size } => {
                self.announce(st);
                if self.bars_shown {
                    let bar = self.multi.add(ProgressBar::new(size));
                    bar.set_style(Self::style());
                    bar.set_prefix(short(digest).to_string());
                    st.bars.insert(digest.to_string(), bar);
                }
            }
            PullEvent::BlobBytes { digest, done } => {
                if let Some(bar) = st.bars.get(digest) {
                    bar.set_position(done);
                }
            }
            PullEvent::BlobDone(d) => match st.bars.remove(d) {
                Some(bar) => {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                    self.line(st, &format!("Copying blob {} done   | ", short(d)));
                }
                None => self.line(st, &format!("Copying blob {} done", short(d))),
            },
            PullEvent::Config(d) => {
                self.announce(st);
                self.line(st, &format!("Copying config {} done", short(d)));
            }
            PullEvent::Writing => self.line(st, "Writing manifest to image destination"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bar_templates_parse() {
        assert!(indicatif::ProgressStyle::with_template(super::BAR).is_ok());
    }
}
