//! `ping` and `traceroute` as they run: probes sent one at a time on the lab clock over the lab
//! network's one rule ([`Network::reach`]), each answer printed as it comes, in the output of the
//! Linux tools ACNS runs underneath (iputils `ping`, LBL `traceroute`; texts in
//! [`crate::text::net`]). A real clock waits between probes (with the lab's speed); a virtual
//! clock does not, as a scenario's clock only moves when its runner moves it.
//!
//! Round-trip times are the network's latency with a small deterministic spread per probe, so a
//! run can be compared with another and a test can know the figures.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use crate::device::Device;
use crate::network::{Network, Reach};
use crate::text::net as text;

/// Bytes of one ping on the wire (56 of data, 8 of ICMP header, 20 of IP header).
const PING_BYTES: u64 = 84;
/// Hops `traceroute` tries before it gives up. [recalled: LBL traceroute default]
pub const MAX_HOPS: u8 = 30;
/// Probes per hop. [recalled: LBL traceroute default]
const PROBES_PER_HOP: usize = 3;
/// How long a hop that never answers holds `traceroute` up, on the lab clock. [ours: the real tool
/// waits 5 s per probe, 15 s a hop; the lab's waits are shorter so that 30 silent hops take half a
/// minute]
const SILENT_HOP: Duration = Duration::from_secs(1);
/// What ARP resolution takes before it gives up on a neighbour (Linux: 3 tries a second apart).
const ARP_TIMEOUT: Duration = Duration::from_secs(3);

/// A destination as the user named it and as it resolved.
struct Target {
    /// `images (10.1.1.100)` for a name, `10.1.1.100` for an address.
    shown: String,
    name: String,
    ip: Ipv4Addr,
}

impl Target {
    fn resolve(network: &Network, host: &str) -> Option<Target> {
        let ip = network.resolve(host)?;
        let shown = if host.parse::<Ipv4Addr>().is_ok() {
            ip.to_string()
        } else {
            format!("{host} ({ip})")
        };
        Some(Target {
            shown,
            name: host.to_string(),
            ip,
        })
    }
}

/// Waits `duration` of lab time on a real clock; nothing on a virtual one.
async fn wait(device: &Device, duration: Duration) {
    if !device.clock().is_virtual() {
        device.clock().sleep(duration).await;
    }
}

/// A round trip with its spread: 85% to 115% of `rtt`, the same for the same probe.
fn spread(rtt: Duration, to: Ipv4Addr, probe: u32) -> Duration {
    let h = (u32::from(to) ^ probe.wrapping_mul(0x9E37_79B1))
        .wrapping_mul(0x85EB_CA6B)
        .rotate_left(13)
        .wrapping_mul(0xC2B2_AE35);
    rtt.mul_f64(0.85 + 0.3 * f64::from(h >> 8) / f64::from(1u32 << 24))
}

/// Milliseconds as iputils prints a reply's time: 3 significant digits, at most 3 decimals.
pub fn reply_ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    match ms {
        ms if ms >= 100.0 => format!("{ms:.0}"),
        ms if ms >= 10.0 => format!("{ms:.1}"),
        ms if ms >= 1.0 => format!("{ms:.2}"),
        ms => format!("{ms:.3}"),
    }
}

/// The last line of a run: `round-trip min/avg/max` in milliseconds, 3 decimals [recalled,
/// contract §12].
fn rtt_summary(rtts: &[Duration]) -> Option<String> {
    let ms: Vec<f64> = rtts.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    let min = ms.iter().copied().reduce(f64::min)?;
    let max = ms.iter().copied().reduce(f64::max)?;
    let avg = ms.iter().sum::<f64>() / ms.len() as f64;
    Some(format!(
        "round-trip min/avg/max = {min:.3}/{avg:.3}/{max:.3} ms"
    ))
}

/// The TTL a reply arrives with: a Cisco router starts at 255, Linux hosts at 64.
fn reply_ttl(network: &Network, ip: Ipv4Addr) -> u8 {
    if network.lan().gateway == Some(ip) {
        255
    } else {
        64
    }
}

/// `ping [count N] HOST` from `device`. Returns whether any reply came back.
pub async fn ping(
    device: &Arc<Device>,
    network: Option<&Network>,
    host: &str,
    count: u32,
    out: &mut (dyn FnMut(&str) + Send),
) -> bool {
    let Some(network) = network else {
        out(&format!("{}\n", text::PING_NO_ROUTE));
        return false;
    };
    let me = device.identity.ip;
    let Some(target) = Target::resolve(network, host) else {
        out(&format!("{}{host}\n", text::PING_UNKNOWN_HOST));
        return false;
    };
    if network.reach(me, target.ip) == Reach::NoRoute {
        out(&format!("{}\n", text::PING_NO_ROUTE));
        return false;
    }
    out(&format!(
        "PING {} ({}) from {me} : {}\n",
        target.name,
        target.ip,
        text::PING_DATA
    ));
    let lan = network.lan();
    let (mut rtts, mut errors) = (Vec::new(), 0u32);
    for seq in 1..=count {
        if seq > 1 {
            wait(device, Duration::from_secs(1)).await;
        }
        match network.reach(me, target.ip) {
            Reach::Reply { rtt } => {
                let rtt = spread(rtt, target.ip, seq);
                network.traffic().count(me, target.ip, PING_BYTES);
                network.traffic().count(target.ip, me, PING_BYTES);
                out(&format!(
                    "64 bytes from {}: icmp_seq={seq} ttl={} time={} ms\n",
                    target.shown,
                    reply_ttl(network, target.ip),
                    reply_ms(rtt)
                ));
                rtts.push(rtt);
            }
            Reach::NoHost => {
                errors += 1;
                let (from, why) = match lan.gateway {
                    Some(gateway) if !lan.same_subnet(me, target.ip) => {
                        network.traffic().count(me, gateway, PING_BYTES);
                        (gateway, text::NET_UNREACHABLE)
                    }
                    _ => (me, text::HOST_UNREACHABLE),
                };
                out(&format!("From {from} icmp_seq={seq} {why}\n"));
            }
            Reach::Lost => network.traffic().count(me, target.ip, PING_BYTES),
            // the interface went down during the run
            Reach::NoRoute => {
                errors += 1;
                out(&format!("{}\n", text::PING_SENDMSG));
            }
        }
    }
    let received = rtts.len() as u32;
    let loss = (count - received) * 100 / count.max(1);
    let errors = if errors > 0 {
        format!(", +{errors} errors")
    } else {
        String::new()
    };
    let mut summary = format!(
        "\n--- {} ping statistics ---\n{count} packets transmitted, {received} packets received{errors}, {loss}% packet loss\n",
        target.name,
    );
    if let Some(rtt) = rtt_summary(&rtts) {
        summary.push_str(&rtt);
        summary.push('\n');
    }
    out(&summary);
    received > 0
}

/// One hop of `traceroute`: who answers and how.
enum Hop {
    /// `responder` answers after `rtt`; `mark` follows each time (`!H`, `!N`) when it reports
    /// the destination unreachable.
    Answer {
        responder: Ipv4Addr,
        rtt: Duration,
        mark: &'static str,
    },
    /// Nothing answers: `* * *`.
    Silent,
}

/// `traceroute HOST` from `device`. Returns whether the destination answered.
pub async fn traceroute(
    device: &Arc<Device>,
    network: Option<&Network>,
    host: &str,
    out: &mut (dyn FnMut(&str) + Send),
) -> bool {
    let Some(network) = network else {
        out(&format!("{}\n", text::TRACEROUTE_NO_ROUTE));
        return false;
    };
    let me = device.identity.ip;
    let Some(target) = Target::resolve(network, host) else {
        out(&format!("{}{host}\n", text::TRACEROUTE_UNKNOWN_HOST));
        return false;
    };
    out(&format!(
        "traceroute to {} ({}), {MAX_HOPS} hops max, 38 byte packets\n",
        target.name, target.ip
    ));
    let lan = network.lan();
    let via = lan.gateway.filter(|_| !lan.same_subnet(me, target.ip));
    for ttl in 1..=MAX_HOPS {
        let hop = match (via, ttl) {
            // off the subnet, the gateway is the first hop
            (Some(gateway), 1) => match network.reach(me, gateway) {
                Reach::Reply { rtt } => Hop::Answer {
                    responder: gateway,
                    rtt,
                    mark: "",
                },
                Reach::NoRoute => return no_route(out),
                _ => Hop::Silent,
            },
            _ => match network.reach(me, target.ip) {
                Reach::Reply { rtt } => Hop::Answer {
                    responder: target.ip,
                    rtt,
                    mark: "",
                },
                Reach::NoRoute => return no_route(out),
                Reach::NoHost => match via {
                    Some(gateway) => Hop::Answer {
                        responder: gateway,
                        rtt: lan.latency_of(me) * 4,
                        mark: " !N",
                    },
                    None => Hop::Answer {
                        responder: me,
                        rtt: ARP_TIMEOUT,
                        mark: " !H",
                    },
                },
                Reach::Lost => Hop::Silent,
            },
        };
        match hop {
            Hop::Answer {
                responder,
                rtt,
                mark,
            } => {
                let mut line = format!("{ttl:2}  {responder} ({responder})");
                for probe in 0..PROBES_PER_HOP {
                    let rtt = spread(rtt, responder, u32::from(ttl) * 8 + probe as u32);
                    network.traffic().count(me, responder, 38);
                    network.traffic().count(responder, me, 56);
                    line.push_str(&format!("  {:.3} ms{mark}", rtt.as_secs_f64() * 1000.0));
                }
                out(&format!("{line}\n"));
                if responder == target.ip {
                    return true;
                }
                if !mark.is_empty() {
                    return false;
                }
            }
            Hop::Silent => {
                wait(device, SILENT_HOP).await;
                out(&format!("{ttl:2}  * * *\n"));
            }
        }
    }
    false
}

fn no_route(out: &mut (dyn FnMut(&str) + Send)) -> bool {
    out(&format!("{}\n", text::TRACEROUTE_NO_ROUTE));
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_printed_as_iputils_prints_them() {
        assert_eq!(reply_ms(Duration::from_micros(512)), "0.512");
        assert_eq!(reply_ms(Duration::from_micros(1020)), "1.02");
        assert_eq!(reply_ms(Duration::from_micros(40_500)), "40.5");
        assert_eq!(reply_ms(Duration::from_millis(150)), "150");
    }

    #[test]
    fn the_spread_stays_within_fifteen_percent_and_repeats() {
        let rtt = Duration::from_millis(1);
        let ip = Ipv4Addr::new(10, 1, 1, 100);
        for probe in 1..100 {
            let d = spread(rtt, ip, probe);
            assert!(d >= rtt.mul_f64(0.85) && d <= rtt.mul_f64(1.15), "{d:?}");
            assert_eq!(d, spread(rtt, ip, probe));
        }
        assert_ne!(spread(rtt, ip, 1), spread(rtt, ip, 2));
    }

    #[test]
    fn the_summary_gives_min_avg_max() {
        let rtts = [1.0, 2.0, 4.0]
            .map(Duration::from_secs_f64)
            .map(|d| d / 1000);
        assert_eq!(
            rtt_summary(&rtts).unwrap(),
            "round-trip min/avg/max = 1.000/2.333/4.000 ms"
        );
        assert_eq!(rtt_summary(&[]), None);
    }
}
