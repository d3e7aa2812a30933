//! [`Progress`]: what a run tells whoever watches it (the binary draws progress bars). Every
//! method does nothing by default; [`Silent`] is the watcher that watches nothing.

/// A watcher of a run.
pub trait Progress {
    /// A stage of the run begins (building the world, draining, auditing).
    fn stage(&mut self, _what: &str) {}
    /// Day `day` of `days` begins.
    fn day_started(&mut self, _day: u32, _days: u32) {}
    /// `done` of the day's `total` cardholder-halves are done.
    fn day_progress(&mut self, _done: u64, _total: u64) {}
    /// Day `day` is over (its window closed).
    fn day_finished(&mut self, _day: u32) {}
    /// `records` more records were uploaded.
    fn uploaded(&mut self, _records: u64) {}
}

/// Watches nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {}
