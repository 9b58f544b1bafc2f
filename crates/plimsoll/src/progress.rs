//! A progress indicator on stderr for checks that take longer than a second: the files
//! read and the objects found, then the objects checked. Silent when stderr is not a
//! terminal, so that CI logs and pipes never see it.
//!
//! Nothing is drawn until the delay has passed: a timer thread then shows the bar, so
//! that one long step (a large file, the rules over a large input) shows it as well.
//! `finish` clears it before the report is written and stops the timer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::ProgressStyle;
use plimsoll_cluster::DelayedBar;

/// How long a check runs before the indicator shows.
pub const DELAY: Duration = Duration::from_secs(1);

pub struct Progress {
    bar: DelayedBar,
    objects: AtomicUsize,
}

impl Progress {
    /// An indicator that shows after `delay` when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool, delay: Duration) -> Progress {
        Progress {
            bar: DelayedBar::new(enabled, delay, "{spinner} finding the inputs"),
            objects: AtomicUsize::new(0),
        }
    }

    /// A progress that never shows (commands other than `check`).
    pub fn hidden() -> Progress {
        Progress::new(false, DELAY)
    }

    /// Reading and parsing `n` files.
    pub fn reading(&self, n: usize) {
        if let Some(bar) = self.bar.bar() {
            bar.set_length(n as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} reading [{bar:30}] {pos}/{len} files, {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message("0 objects");
        }
    }

    /// A file read, with the objects it held.
    pub fn file_done(&self, objects: usize) {
        let total = self.objects.fetch_add(objects, Ordering::Relaxed) + objects;
        if let Some(bar) = self.bar.bar() {
            bar.inc(1);
            bar.set_message(format!("{total} objects"));
        }
    }

    /// Checking `objects` objects with `rules` rules.
    pub fn checking(&self, objects: usize, rules: usize) {
        if let Some(bar) = self.bar.bar() {
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
            bar.set_message(format!("checking {objects} objects with {rules} rules"));
        }
    }

    /// Clears the indicator (before the report is written) and stops the timer.
    pub fn finish(&self) {
        self.bar.finish();
    }
}
