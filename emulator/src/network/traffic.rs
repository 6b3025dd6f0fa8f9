//! What each lab address has sent and received, and which neighbours it has exchanged packets with:
//! the figures behind `show interface` (packet and byte counters) and `show arp` (the neighbours on
//! its subnet). Counted where traffic passes the network's one rule ([`super::Network::reach`]):
//! CMS messages, pings and traceroutes, downloads and uploads. Held in memory for the lab's life.

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::sync::{Mutex, MutexGuard};

/// Counters of one address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

/// The traffic of every address.
#[derive(Debug, Default)]
pub struct Traffic {
    inner: Mutex<TrafficState>,
}

#[derive(Debug, Default)]
struct TrafficState {
    counters: HashMap<Ipv4Addr, Counters>,
    neighbours: HashMap<Ipv4Addr, BTreeSet<Ipv4Addr>>,
}

/// The payload an Ethernet frame carries at most (bytes are counted in frames of this size).
const FRAME_PAYLOAD: u64 = 1500;

impl Traffic {
    fn state(&self) -> MutexGuard<'_, TrafficState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts `bytes` sent from `from` to `to` (in as many frames as they need, at least one).
    pub fn count(&self, from: Ipv4Addr, to: Ipv4Addr, bytes: u64) {
        let packets = bytes.div_ceil(FRAME_PAYLOAD).max(1);
        let mut state = self.state();
        let out = state.counters.entry(from).or_default();
        out.tx_packets += packets;
        out.tx_bytes += bytes;
        let into = state.counters.entry(to).or_default();
        into.rx_packets += packets;
        into.rx_bytes += bytes;
        state.neighbours.entry(from).or_default().insert(to);
        state.neighbours.entry(to).or_default().insert(from);
    }

    /// The counters of an address.
    pub fn counters(&self, ip: Ipv4Addr) -> Counters {
        self.state().counters.get(&ip).copied().unwrap_or_default()
    }

    /// The addresses `ip` has exchanged packets with.
    pub fn neighbours(&self, ip: Ipv4Addr) -> Vec<Ipv4Addr> {
        self.state()
            .neighbours
            .get(&ip)
            .map(|n| n.iter().copied().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_count_and_learn_each_other() {
        let traffic = Traffic::default();
        let (a, b) = (Ipv4Addr::new(10, 1, 1, 10), Ipv4Addr::new(10, 1, 1, 100));
        traffic.count(a, b, 84);
        traffic.count(b, a, 3001);
        let ca = traffic.counters(a);
        assert_eq!((ca.tx_packets, ca.tx_bytes), (1, 84));
        assert_eq!((ca.rx_packets, ca.rx_bytes), (3, 3001));
        assert_eq!(traffic.neighbours(b), vec![a]);
        assert_eq!(
            traffic.counters(Ipv4Addr::new(10, 9, 9, 9)),
            Counters::default()
        );
    }
}
