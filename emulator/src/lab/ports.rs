//! The lab's fixed ports checked before anything is bound or written: none may fall in the
//! kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`, 32768-60999 by default),
//! where outgoing connections of any program take their local ports, so a lab there fails to start
//! at random (an exercise start did). The error names the ports and suggests a base that fits.
//! Also whether the lab may listen on privileged ports, which decides the default SSH port of
//! loopback addressing (`lab.ssh_port`).

use crate::topology::Topology;

/// Why the port layout cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PortsError(String);

/// The kernel's ephemeral port range, when it can be read.
pub fn ephemeral_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut numbers = text.split_whitespace().map(|n| n.parse::<u16>().ok());
    Some((numbers.next()??, numbers.next()??))
}

/// The SSH port of a lab with loopback addressing that does not set `lab.ssh_port`: 22 when the
/// process may listen on it, `base_port` otherwise.
pub fn default_ssh_port(base_port: u16) -> u16 {
    let unprivileged_from =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
            .ok()
            .and_then(|t| t.trim().parse().ok());
    let capabilities = std::fs::read_to_string("/proc/self/status").ok();
    if may_listen_on(22, unprivileged_from, capabilities.as_deref()) {
        22
    } else {
        base_port
    }
}

/// `CAP_NET_BIND_SERVICE`, the bit of the capability sets in `/proc/PID/status`.
const CAP_NET_BIND_SERVICE: u32 = 10;

/// Whether a process may listen on `port`: ports from `unprivileged_from`
/// (`net.ipv4.ip_unprivileged_port_start`, 1024 when unknown) are anyone's, the others need
/// `CAP_NET_BIND_SERVICE` in the effective set (`CapEff:` of `status`, the text of
/// `/proc/self/status`).
fn may_listen_on(port: u16, unprivileged_from: Option<u16>, status: Option<&str>) -> bool {
    if port >= unprivileged_from.unwrap_or(1024) {
        return true;
    }
    status
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("CapEff:")))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|effective| effective & (1 << CAP_NET_BIND_SERVICE) != 0)
}

/// Refuses a layout with a fixed port inside `range`.
pub fn check(
    topology: &Topology,
    with_web: bool,
    with_health: bool,
    range: Option<(u16, u16)>,
) -> Result<(), PortsError> {
    if let Some(top) = topology
        .layout_top(with_web, with_health)
        .filter(|top| *top > u32::from(u16::MAX))
    {
        let base = topology.lab.base_port;
        return Err(PortsError(format!(
            "the lab's ports from base port {base} would run up to {top}, past 65535 (SSH, web, image servers and the health port each take a block: docs/topology.md); choose a base port of at most {}",
            u32::from(u16::MAX) - (top - u32::from(base))
        )));
    }
    let Some((low, high)) = range else {
        return Ok(());
    };
    let inside: Vec<(String, u16)> = topology
        .fixed_ports(with_web, with_health)
        .into_iter()
        .filter(|(_, port)| (low..=high).contains(port))
        .collect();
    let Some((first_what, first_port)) = inside.first() else {
        return Ok(());
    };
    let ports = topology.fixed_ports(with_web, with_health);
    let lowest = ports.iter().map(|(_, p)| *p).min().unwrap_or(0);
    let highest = ports.iter().map(|(_, p)| *p).max().unwrap_or(0);
    let span = highest.saturating_sub(lowest);
    let suggestion = if span < low.saturating_sub(2201) {
        " (the default, --base-port 2201, fits)".to_string()
    } else {
        String::new()
    };
    let fall = if inside.len() == 1 { "falls" } else { "fall" };
    Err(PortsError(format!(
        "{} of the lab's ports {fall} in the kernel's ephemeral range {low}-{high} (first: {first_what} on {first_port}); other programs take ports there for their outgoing connections, so the lab would fail to start at random. Choose a base port below {}{suggestion}, or set the ports of the topology below {low}",
        inside.len(),
        low.saturating_sub(span).saturating_sub(1),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(base: u16) -> Topology {
        let mut t = Topology::default_lab();
        t.lab.base_port = base;
        t
    }

    #[test]
    fn ports_in_the_ephemeral_range_are_refused_with_a_base_that_fits() {
        let range = Some((32768, 60999));
        assert!(check(&lab(2201), true, true, range).is_ok());
        assert!(check(&lab(0), true, true, range).is_ok(), "free ports");
        let e = check(&lab(40000), true, true, range)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("10 of the lab's ports fall in the kernel's ephemeral range 32768-60999")
                && e.contains("first: cdm1 SSH on 40000")
                && e.contains("--base-port 2201"),
            "{e}"
        );
        // the servers' ports count too: base + 200, + 201
        let e = check(&lab(32567), true, true, range)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("images FTP on 32767") || e.contains("images HTTP on 32768"),
            "{e}"
        );
    }

    #[test]
    fn the_count_of_ports_in_the_range_agrees_with_its_verb() {
        let t = lab(2201);
        let mut ports: Vec<u16> = t.fixed_ports(true, true).iter().map(|(_, p)| *p).collect();
        ports.sort_unstable();
        let one = check(&t, true, true, Some((ports[0], ports[0])))
            .unwrap_err()
            .to_string();
        assert!(one.starts_with("1 of the lab's ports falls in "), "{one}");
        let three = check(&t, true, true, Some((ports[0], ports[2])))
            .unwrap_err()
            .to_string();
        assert!(
            three.starts_with("3 of the lab's ports fall in "),
            "{three}"
        );
    }

    #[test]
    fn a_layout_past_65535_is_refused_with_the_highest_base_that_fits() {
        // the default lab: health port at base + 300, the top of the layout
        assert!(check(&lab(65235), true, true, None).is_ok());
        let e = check(&lab(65500), true, true, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("would run up to 65800, past 65535")
                && e.contains("choose a base port of at most 65235"),
            "{e}"
        );
    }

    #[test]
    fn port_22_needs_the_capability_or_a_low_unprivileged_start() {
        let root = "Name:\tacnslab\nCapEff:\t000001ffffffffff\n";
        let user = "Name:\tacnslab\nCapEff:\t0000000000000000\n";
        let bind_only = "CapEff:\t0000000000000400\n";
        assert!(may_listen_on(22, Some(1024), Some(root)));
        assert!(may_listen_on(22, Some(1024), Some(bind_only)));
        assert!(!may_listen_on(22, Some(1024), Some(user)));
        assert!(!may_listen_on(22, None, None));
        assert!(
            may_listen_on(22, Some(0), Some(user)),
            "sysctl lowered to 0"
        );
        assert!(may_listen_on(2201, None, None));
    }

    #[test]
    fn the_layout_is_derived_from_the_base() {
        let t = lab(2201);
        let ports: Vec<(String, u16)> = t.fixed_ports(true, true);
        let find = |what: &str| ports.iter().find(|(w, _)| w == what).map(|(_, p)| *p);
        assert_eq!(find("cdm1 SSH"), Some(2201));
        assert_eq!(find("ce1 SSH"), Some(2203));
        assert_eq!(find("cdm1 web"), Some(2301));
        assert_eq!(find("cdm2 web"), Some(2302));
        assert_eq!(find("images FTP"), Some(2401));
        assert_eq!(find("images HTTP"), Some(2402));
        assert_eq!(find("the health port"), Some(2501));
    }
}
