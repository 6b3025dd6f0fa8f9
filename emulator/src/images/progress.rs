//! How far this process's image writes are: bytes to write and bytes written, for a front end's
//! progress bar (`acnslab up` on a terminal: the first start of a lab with large images writes
//! gigabytes). Process-wide counters, because the writes happen deep inside a lab's start and the
//! bar is drawn by the binary; they only ever feed a display.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of images to write and written since the process started.
#[derive(Debug, Default)]
pub struct WriteProgress {
    total: AtomicU64,
    written: AtomicU64,
}

/// The image writes of this process.
pub static IMAGE_WRITES: WriteProgress = WriteProgress {
    total: AtomicU64::new(0),
    written: AtomicU64::new(0),
};

impl WriteProgress {
    /// An image of `size` bytes is about to be written.
    pub fn begin(&self, size: u64) {
        self.total.fetch_add(size, Ordering::Relaxed);
    }

    /// `n` more bytes were written (or given up on: a failed write counts what it did not write,
    /// so the total is always reached).
    pub fn advance(&self, n: u64) {
        self.written.fetch_add(n, Ordering::Relaxed);
    }

    /// (written, total) so far.
    pub fn now(&self) -> (u64, u64) {
        (
            self.written.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_add_up_to_their_total() {
        let p = WriteProgress::default();
        p.begin(10);
        p.begin(5);
        p.advance(4);
        assert_eq!(p.now(), (4, 15));
        p.advance(11);
        assert_eq!(p.now(), (15, 15));
    }
}
