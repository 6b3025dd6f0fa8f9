//! Gives memory back to the system once connections have gone. A thousand SSH sessions take the
//! lab from ~15 MB to ~75 MB; when they close, glibc's allocator keeps the freed pages in its
//! arenas, so the lab's RSS stayed at its peak. Every [`CHECK_EVERY`] this task looks at the
//! number of connections the lab holds and, when it fell, asks the allocator to return what is
//! free at the top of its heaps and unused whole pages (`malloc_trim`).

use std::sync::Arc;
use std::time::Duration;

use crate::admission::Gate;

/// How often the number of connections is looked at (an atomic load; trimming is rarer).
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Runs until cancelled with the lab's tasks.
pub async fn return_memory(connections: Arc<Gate>) {
    let mut before = connections.taken();
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let now = connections.taken();
        if now < before {
            // off the async workers: a trim walks the heaps
            let _ = tokio::task::spawn_blocking(trim).await;
        }
        before = now;
    }
}

/// Returns free memory to the system; nothing where the allocator has no such call.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own heaps.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}
