//! Progress on stderr for a long replay or inspection, as cargo and rr show it: only when
//! stderr is a terminal, and only once the work has taken a second.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Events between two looks at the clock.
const EVERY: u64 = 4096;
const AFTER: Duration = Duration::from_secs(1);

/// How long the work may take before progress shows: [`AFTER`], or
/// `$WASM_RR_PROGRESS_AFTER_MS` (the tests show it at once).
fn after() -> Duration {
    std::env::var("WASM_RR_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(AFTER, Duration::from_millis)
}
/// The least time between two updates of the line.
const BETWEEN: Duration = Duration::from_millis(100);

pub struct Progress {
    verb: &'static str,
    /// The trace's size, in bytes.
    total: u64,
    start: Instant,
    enabled: bool,
    after: Duration,
    shown: bool,
    /// When the line was last written.
    last: Instant,
}

impl Progress {
    /// Progress through the trace file `path`.
    pub fn for_file(path: &Path, verb: &'static str) -> Progress {
        let total = std::fs::metadata(path).map_or(0, |metadata| metadata.len());
        Progress {
            verb,
            total,
            start: Instant::now(),
            enabled: std::io::stderr().is_terminal(),
            after: after(),
            shown: false,
            last: Instant::now(),
        }
    }

    /// `events` done, of which the trace's first `bytes` (asked only now and then).
    pub fn tick(&mut self, events: u64, bytes: impl FnOnce() -> u64) {
        if !self.enabled || !events.is_multiple_of(EVERY) || self.start.elapsed() < self.after {
            return;
        }
        if self.shown && self.last.elapsed() < BETWEEN {
            return;
        }
        self.last = Instant::now();
        let percent = (bytes() * 100)
            .checked_div(self.total)
            .unwrap_or(0)
            .min(100);
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r{} {events} events ({percent}%)\x1b[K", self.verb);
        let _ = stderr.flush();
        self.shown = true;
    }

    /// Clears the progress line, if one was shown.
    pub fn finish(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.shown = false;
        }
    }
}
