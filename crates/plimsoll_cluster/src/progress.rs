//! A progress bar on stderr for audits that take longer than a second; silent when
//! stderr is not a terminal.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: Mutex<bool>,
}

const DELAY: Duration = Duration::from_secs(1);

impl Progress {
    pub fn new(enabled: bool, resources: usize) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(resources as u64), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} reading the cluster [{bar:30}] {pos}/{len} resources, {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: Mutex::new(false),
        }
    }

    fn tick(&self, f: impl FnOnce(&ProgressBar)) {
        let Some(bar) = &self.bar else { return };
        f(bar);
        if self.start.elapsed() >= DELAY {
            let mut shown = self.shown.lock().expect("progress lock");
            if !*shown {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(120));
                *shown = true;
            }
        }
    }

    pub fn resource_done(&self) {
        self.tick(|b| b.inc(1));
    }

    pub fn objects(&self, n: usize) {
        self.tick(|b| {
            let total = b
                .message()
                .split_whitespace()
                .next()
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(0)
                + n;
            b.set_message(format!("{total} objects"));
        });
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
