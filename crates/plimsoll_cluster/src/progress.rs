//! A progress bar on stderr for audits that take longer than a second; silent when
//! stderr is not a terminal.
//!
//! The bar is drawn nowhere until the delay has passed: a timer thread then shows it,
//! so that one long request (a large list) shows it as well. `finish` clears it and
//! stops the timer.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long an audit runs before the bar shows.
pub const DELAY: Duration = Duration::from_secs(1);

/// A progress bar on stderr that shows only when `enabled`, stderr is a terminal and
/// `delay` has passed (a timer thread shows it then, so that one long step shows it
/// too); `finish` (or dropping it) clears it and stops the timer. `check` uses it too.
pub struct DelayedBar {
    bar: Option<ProgressBar>,
    /// Set by `finish`, under the lock the timer takes to show the bar.
    finished: Arc<Mutex<bool>>,
    stop: Mutex<Option<mpsc::Sender<()>>>,
}

impl DelayedBar {
    /// A bar in the style of `template` until it is given another.
    pub fn new(enabled: bool, delay: Duration, template: &str) -> DelayedBar {
        let finished = Arc::new(Mutex::new(false));
        let mut stop = None;
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
            let (tx, rx) = mpsc::channel::<()>();
            stop = Some(tx);
            let (shown, finished) = (bar.clone(), Arc::clone(&finished));
            std::thread::spawn(move || {
                if rx.recv_timeout(delay) == Err(RecvTimeoutError::Timeout) {
                    let finished = finished.lock().expect("progress lock");
                    if !*finished {
                        shown.set_draw_target(ProgressDrawTarget::stderr());
                        shown.enable_steady_tick(Duration::from_millis(120));
                        shown.tick();
                    }
                }
            });
            bar
        });
        DelayedBar {
            bar,
            finished,
            stop: Mutex::new(stop),
        }
    }

    /// The bar, when it may show at all.
    pub fn bar(&self) -> Option<&ProgressBar> {
        self.bar.as_ref()
    }

    pub fn finish(&self) {
        let mut finished = self.finished.lock().expect("progress lock");
        *finished = true;
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        // wakes the timer, which then ends
        self.stop.lock().expect("progress lock").take();
    }
}

impl Drop for DelayedBar {
    fn drop(&mut self) {
        self.finish();
    }
}

pub struct Progress {
    bar: DelayedBar,
    objects: AtomicUsize,
}

impl Progress {
    /// A bar that shows after `delay` when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool, delay: Duration) -> Progress {
        Progress {
            bar: DelayedBar::new(enabled, delay, "{spinner} connecting to the cluster"),
            objects: AtomicUsize::new(0),
        }
    }

    /// The number of resources to list, once discovery has named them.
    pub fn resources(&self, n: usize) {
        if let Some(bar) = self.bar.bar() {
            bar.set_length(n as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} reading the cluster [{bar:30}] {pos}/{len} resources, {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message(format!("{} objects", self.objects.load(Ordering::Relaxed)));
        }
    }

    pub fn resource_done(&self) {
        if let Some(bar) = self.bar.bar() {
            bar.inc(1);
        }
    }

    pub fn objects(&self, n: usize) {
        let total = self.objects.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(bar) = self.bar.bar() {
            bar.set_message(format!("{total} objects"));
        }
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}
