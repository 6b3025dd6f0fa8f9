//! What the measuring commands, `acnslab bench` (`bench/`) and `acnslab soak` (`soak/`), share:
//! the generated topology they start (`topology`), latency percentiles (`percentiles`), a
//! process's memory and CPU time read from /proc and getrusage (`process`), and how their clients
//! type a line on a device (`cli`). Nothing here starts a lab or prints a report.

pub mod cli;
pub mod percentiles;
pub mod process;
pub mod topology;
