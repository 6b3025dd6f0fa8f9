//! The lab network seen from a device: `ping`, `traceroute` (tasks that run probe by probe, see
//! `crate::probe`), `dnslookup`, `show interface`, `show ip routes` and `show arp`. Everything
//! comes from the device's running configuration and the lab network's one rule
//! (`Network::reach`), so a `shutdown` interface shows down here exactly as its traffic stops.
//! Layouts are in `crate::text::net`, [recalled] from WAAS 4.x and the Linux tools of ACNS.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::args::Args;
use super::configure::H_IP;
use super::outcome::Outcome;
use super::show::H_SHOW;
use super::unit::ExecCommand;
use crate::config::Interface;
use crate::device::Device;
use crate::network::{attached, Network};
use crate::tasks::Task;
use crate::text::net as text;

pub(super) static EXEC: &[&ExecCommand] = &[
    &PING,
    &TRACEROUTE,
    &DNSLOOKUP,
    &SHOW_INTERFACE,
    &SHOW_IP_ROUTES,
    &SHOW_ARP,
];

/// Pings a run sends unless told otherwise. [recalled: WAAS 4.x sends 5]
const DEFAULT_PINGS: u32 = 5;

static PING: ExecCommand = ExecCommand::new(
    "ping [count (1-1000)$count] HOST",
    &[
        "Send echo messages",
        "Number of echo messages to send (default 5)",
        "Number of echo messages",
        "Hostname or A.B.C.D of the remote system",
    ],
    |args: &Args<'_>, _| {
        Outcome::Run(Task::Ping {
            host: args.word("host").to_string(),
            count: args
                .opt_number("count")
                .map_or(DEFAULT_PINGS, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        })
    },
);

static TRACEROUTE: ExecCommand = ExecCommand::new(
    "traceroute HOST",
    &[
        "Trace the route to a remote host",
        "Hostname or A.B.C.D of the remote host",
    ],
    |args: &Args<'_>, _| {
        Outcome::Run(Task::Traceroute {
            host: args.word("host").to_string(),
        })
    },
);

static DNSLOOKUP: ExecCommand = ExecCommand::new(
    "dnslookup HOST",
    &[
        "Resolve a host or domain name to an IP address",
        "Hostname or A.B.C.D to look up",
    ],
    |args: &Args<'_>, ctx| {
        let host = args.word("host");
        match ctx.network.and_then(|n| lookup(n, host)) {
            Some((name, ip)) => Outcome::Print(format!(
                "{}{name}\n{}{ip}\n",
                text::OFFICIAL_HOSTNAME,
                text::ADDRESS
            )),
            None => Outcome::Fail(format!("{}{host}", text::LOOKUP_FAILED)),
        }
    },
);

/// The lab's DNS: a name of a server or device to its address, or an address to its name.
fn lookup(network: &Network, host: &str) -> Option<(String, Ipv4Addr)> {
    let ip = network.resolve(host)?;
    match host.parse::<Ipv4Addr>() {
        Ok(_) => network.name_of(ip).map(|name| (name, ip)),
        Err(_) => Some((host.to_ascii_lowercase(), ip)),
    }
}

static SHOW_INTERFACE: ExecCommand = ExecCommand::new(
    "show interface GigabitEthernet S/P$interface",
    &[
        H_SHOW,
        "Interface information",
        "Gigabit Ethernet interface",
        "Slot/port of the interface",
    ],
    |args: &Args<'_>, ctx| {
        let (slot, port) = args.slot_port("interface");
        let (Ok(slot), Ok(port)) = (u8::try_from(slot), u8::try_from(port)) else {
            return Outcome::Fail(format!("{}{slot}/{port}", text::NO_INTERFACE));
        };
        match interface_text(ctx.device, ctx.network, slot, port) {
            Some(text) => Outcome::Print(text),
            None => Outcome::Fail(format!("{}{slot}/{port}", text::NO_INTERFACE)),
        }
    },
);

/// A made-up but stable Ethernet address for interface `slot`/`port` of the device at `ip`.
/// [ours: 00:14:5E is IBM's prefix, the maker of the xSeries the CE-565 is built on]
pub fn mac_of(ip: Ipv4Addr, slot: u8, port: u8) -> String {
    let [_, b, c, d] = ip.octets();
    let last = d ^ (slot.wrapping_sub(1) << 7) ^ port;
    format!("00:14:5E:{b:02X}:{c:02X}:{last:02X}")
}

/// A stable Ethernet address for the other nodes of the lab (gateway, servers): Cisco's 00:0D:BC
/// for the gateway, 00:50:56 (VMware) for servers. [ours]
fn neighbour_mac(network: &Network, ip: Ipv4Addr) -> String {
    let [_, b, c, d] = ip.octets();
    if network.lan().gateway == Some(ip) {
        format!("00:0D:BC:{b:02X}:{c:02X}:{d:02X}")
    } else if network.device_at(ip).is_some() {
        mac_of(ip, 1, 0)
    } else {
        format!("00:50:56:{b:02X}:{c:02X}:{d:02X}")
    }
}

/// `show interface GigabitEthernet S/P` [recalled: WAAS 4.x layout], `None` for an interface the
/// device does not have.
fn interface_text(
    device: &Device,
    network: Option<&Network>,
    slot: u8,
    port: u8,
) -> Option<String> {
    let iface: Interface = device
        .state()
        .running
        .interfaces
        .get(&(slot, port))?
        .clone();
    let ip = device.identity.ip;
    // the counters belong to the interface that carries the lab address
    let lab_interface = iface.address.map(|(a, _)| a) == Some(ip);
    let counters = match network {
        Some(n) if lab_interface => n.traffic().counters(ip),
        _ => Default::default(),
    };
    let up = !iface.shutdown;
    let running = up && lab_interface && attached(device);
    let mut out = String::new();
    out.push_str("Description:\nType:Ethernet\n");
    let _ = writeln!(out, "Ethernet address:{}", mac_of(ip, slot, port));
    if let Some((addr, mask)) = iface.address {
        let broadcast = Ipv4Addr::from(u32::from(addr) | !u32::from(mask));
        let _ = writeln!(out, "Internet address:{addr}");
        let _ = writeln!(out, "Broadcast address:{broadcast}");
        let _ = writeln!(out, "Netmask:{mask}");
    }
    out.push_str("Maximum Transfer Unit Size:1500\nMetric:1\n");
    let _ = writeln!(out, "Packets Received: {}", counters.rx_packets);
    out.push_str("Input Errors: 0\nInput Packets Dropped: 0\nInput Packets Overruns: 0\nInput Packets Frames: 0\n");
    let _ = writeln!(out, "Packet Sent: {}", counters.tx_packets);
    out.push_str("Output Errors: 0\nOutput Packets Dropped: 0\nOutput Packets Overruns: 0\nOutput Packets Carrier: 0\n");
    out.push_str("Output Queue Length:1000\nCollisions: 0\n");
    let _ = writeln!(
        out,
        "Interrupts:{}",
        16 + 2 * u32::from(slot) + u32::from(port)
    );
    let flags = match (up, running) {
        (true, true) => "UP BROADCAST RUNNING MULTICAST",
        (true, false) => "UP BROADCAST MULTICAST",
        (false, _) => "BROADCAST MULTICAST",
    };
    let _ = writeln!(out, "Flags:{flags}");
    let mode = if running {
        "autoselect, full-duplex, 1000baseTX"
    } else {
        "autoselect, no link"
    };
    let _ = writeln!(out, "Mode: {mode}");
    Some(out)
}

static SHOW_IP_ROUTES: ExecCommand = ExecCommand::new(
    "show ip routes",
    &[H_SHOW, H_IP, "IP routing table"],
    |_, ctx| Outcome::Print(routes_text(ctx.device)),
);

/// The routing table: one route per interface that is up with an address, and the default route
/// when its gateway is on one of them (Linux drops a down interface's routes). [recalled layout]
fn routes_text(device: &Device) -> String {
    let config = device.state().running.clone();
    let mut out = format!("{}\n", text::ROUTES_HEADER);
    let up: Vec<(Ipv4Addr, Ipv4Addr)> = config
        .interfaces
        .values()
        .filter(|i| !i.shutdown)
        .filter_map(|i| i.address)
        .collect();
    let row = |out: &mut String, dest: Ipv4Addr, gateway: Ipv4Addr, mask: Ipv4Addr| {
        let _ = writeln!(
            out,
            "{:<16} {:<16} {}",
            dest.to_string(),
            gateway.to_string(),
            mask
        );
    };
    for (addr, mask) in &up {
        let net = Ipv4Addr::from(u32::from(*addr) & u32::from(*mask));
        row(&mut out, net, Ipv4Addr::UNSPECIFIED, *mask);
    }
    let on_link = |gw: Ipv4Addr| {
        up.iter()
            .any(|(a, m)| u32::from(*a) & u32::from(*m) == u32::from(gw) & u32::from(*m))
    };
    if let Some(gw) = config.default_gateway.filter(|gw| on_link(*gw)) {
        row(&mut out, Ipv4Addr::UNSPECIFIED, gw, Ipv4Addr::UNSPECIFIED);
    }
    out
}

static SHOW_ARP: ExecCommand = ExecCommand::new("show arp", &[H_SHOW, "ARP table"], |_, ctx| {
    Outcome::Print(arp_text(ctx.device, ctx.network))
});

/// The ARP cache: the neighbours on the lab subnet this device has exchanged packets with, while
/// its lab interface is up. [recalled layout]
fn arp_text(device: &Device, network: Option<&Network>) -> String {
    let mut out = format!("{}\n", text::ARP_HEADER);
    let Some(network) = network.filter(|_| attached(device)) else {
        return out;
    };
    let me = device.identity.ip;
    for ip in network.traffic().neighbours(me) {
        if ip == me || !network.lan().same_subnet(me, ip) || !network.has_node(ip) {
            continue;
        }
        let _ = writeln!(
            out,
            "Internet  {:<16} Adj        {} ARPA  GigabitEthernet1/0",
            ip.to_string(),
            neighbour_mac(network, ip)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_interface_has_its_own_stable_address() {
        let ip = Ipv4Addr::new(10, 1, 1, 10);
        assert_eq!(mac_of(ip, 1, 0), "00:14:5E:01:01:0A");
        assert_eq!(mac_of(ip, 2, 0), "00:14:5E:01:01:8A");
        assert_eq!(mac_of(ip, 1, 0), mac_of(ip, 1, 0));
    }
}
