//! Whether a packet from one lab address reaches another, and how long its round trip takes: the
//! one rule that CMS messages, downloads, `ping` and `traceroute` all follow.
//!
//! A node is *attached* to the lab network when it is an image server, the lab's gateway, or a
//! device that is running with an interface up that holds its lab address (a `shutdown` interface,
//! or one whose address was removed or changed, takes the device off the network exactly as a cut
//! cable would). A packet from a device passes when the device is attached, something on the lab
//! network has the address, the link between the two is not cut and the other end is attached. Each
//! node's link has a one-way latency (topology `latency_ms`); a round trip crosses both links twice.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use crate::device::{Device, Power};

use super::Network;

/// What becomes of a packet a device sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A reply comes back after `rtt`.
    Reply { rtt: Duration },
    /// The device cannot send: its interface is shut down or holds no lab address (Linux says
    /// `Network is unreachable`).
    NoRoute,
    /// Nothing on the lab network answers for the address: nobody has it, or the device that has
    /// it is down, booting or shut down (on a LAN both look the same: ARP gets no answer).
    NoHost,
    /// The packet leaves and nothing comes back: the link is cut.
    Lost,
}

/// The shape of the lab network: its gateway and prefix, and the latency of each node's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lan {
    /// The router every device's default route points at (it answers pings).
    pub gateway: Option<Ipv4Addr>,
    /// Prefix length of the lab subnet.
    pub prefix: u8,
    /// One-way latency of a link with no latency of its own.
    pub latency: Duration,
    /// Links with a latency of their own, by address.
    pub latencies: HashMap<Ipv4Addr, Duration>,
}

impl Default for Lan {
    fn default() -> Self {
        Lan {
            gateway: None,
            prefix: 24,
            latency: Duration::from_micros(250),
            latencies: HashMap::new(),
        }
    }
}

impl Lan {
    /// The one-way latency of the link of the node at `ip`.
    pub fn latency_of(&self, ip: Ipv4Addr) -> Duration {
        self.latencies.get(&ip).copied().unwrap_or(self.latency)
    }

    /// The netmask of the lab subnet.
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(
            u32::MAX
                .checked_shl(32 - u32::from(self.prefix))
                .unwrap_or(0),
        )
    }

    /// Whether two addresses are on the same subnet (no router between them).
    pub fn same_subnet(&self, a: Ipv4Addr, b: Ipv4Addr) -> bool {
        let mask = u32::from(self.netmask());
        u32::from(a) & mask == u32::from(b) & mask
    }
}

/// The round trip from a node to itself (the loopback of its own stack).
const LOOPBACK_RTT: Duration = Duration::from_micros(40);

/// Whether `device` is attached to the lab network: running, with an interface up that holds its
/// lab address.
pub fn attached(device: &Device) -> bool {
    let state = device.state();
    state.power == Power::Running
        && state
            .running
            .interfaces
            .values()
            .any(|i| !i.shutdown && i.address.map(|(a, _)| a) == Some(device.identity.ip))
}

impl Network {
    /// Sets the shape of the lab network (gateway, prefix, latencies).
    pub fn set_lan(&mut self, lan: Lan) {
        self.lan = lan;
    }

    /// The shape of the lab network.
    pub fn lan(&self) -> &Lan {
        &self.lan
    }

    /// Whether something on the lab network has the address `ip` (a device, a server, the gateway).
    pub fn has_node(&self, ip: Ipv4Addr) -> bool {
        self.devices.contains_key(&ip)
            || self.servers.contains_key(&ip)
            || self.lan.gateway == Some(ip)
    }

    /// The device at a lab address.
    pub fn device_at(&self, ip: Ipv4Addr) -> Option<&std::sync::Arc<Device>> {
        self.devices.get(&ip)
    }

    /// Whether the node at `ip` is attached (servers and the gateway always are; an unknown
    /// address never is).
    fn node_attached(&self, ip: Ipv4Addr) -> bool {
        match self.devices.get(&ip) {
            Some(device) => attached(device),
            None => self.has_node(ip),
        }
    }

    /// What becomes of a packet sent from the node at `from` to `to`. The device at `from` must not
    /// be locked by the caller.
    pub fn reach(&self, from: Ipv4Addr, to: Ipv4Addr) -> Reach {
        // an address that is not a device's (a test's outside host) sends as it likes
        if self.devices.get(&from).is_some_and(|d| !attached(d)) {
            return Reach::NoRoute;
        }
        if from == to {
            return Reach::Reply { rtt: LOOPBACK_RTT };
        }
        if !self.has_node(to) {
            return Reach::NoHost;
        }
        if self.is_cut(from, to) {
            return Reach::Lost;
        }
        // a device that is down or shut answers no ARP: as if nobody had the address
        if !self.node_attached(to) {
            return Reach::NoHost;
        }
        Reach::Reply {
            rtt: (self.lan.latency_of(from) + self.lan.latency_of(to)) * 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::ServerEndpoints;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn the_round_trip_crosses_both_links_twice_and_a_cut_loses_the_packet() {
        let mut network = Network::new([]);
        network.add_server("images", ip("10.1.1.100"), ServerEndpoints::default());
        let mut lan = Lan {
            gateway: Some(ip("10.1.1.1")),
            ..Lan::default()
        };
        lan.latencies
            .insert(ip("10.1.1.100"), Duration::from_millis(20));
        network.set_lan(lan);
        let (host, server, gateway) = (ip("10.1.1.50"), ip("10.1.1.100"), ip("10.1.1.1"));
        assert_eq!(
            network.reach(host, server),
            Reach::Reply {
                rtt: Duration::from_micros(40_500)
            }
        );
        assert_eq!(
            network.reach(host, gateway),
            Reach::Reply {
                rtt: Duration::from_micros(1000)
            }
        );
        assert_eq!(network.reach(host, ip("10.1.1.99")), Reach::NoHost);
        network.cut(host, server);
        assert_eq!(network.reach(host, server), Reach::Lost);
        assert_eq!(
            network.reach(server, host),
            Reach::NoHost,
            "the host is no node"
        );
    }

    #[test]
    fn subnets_follow_the_prefix() {
        let lan = Lan::default();
        assert_eq!(lan.netmask(), ip("255.255.255.0"));
        assert!(lan.same_subnet(ip("10.1.1.10"), ip("10.1.1.254")));
        assert!(!lan.same_subnet(ip("10.1.1.10"), ip("10.1.2.1")));
    }
}
