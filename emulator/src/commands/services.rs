//! Global configuration of the device's services, each with its `no` form: `clock timezone`, `ntp
//! server`, `ip name-server`, `ip domain-name`, `logging host`, `snmp-server community` and
//! `exec-timeout`. They only change the [`Config`]; `Config::render` writes them back the way ACNS
//! does, and the startup-config replays them through these same handlers.

use std::net::Ipv4Addr;

use super::args::Args;
use super::configure::{H_IP, H_NO};
use super::context::Applied;
use super::unit::ConfigCommand;
use crate::config::{is_hostname, Timezone, MAX_LOGGING_HOSTS, MAX_NAME_SERVERS, MAX_NTP_SERVERS};
use crate::text::msg;

pub(super) static CONFIG: &[&ConfigCommand] = &[
    &CLOCK_TIMEZONE,
    &NO_CLOCK_TIMEZONE,
    &NTP_SERVER,
    &NO_NTP_SERVER,
    &IP_NAME_SERVER,
    &NO_IP_NAME_SERVER,
    &IP_DOMAIN_NAME,
    &NO_IP_DOMAIN_NAME,
    &LOGGING_HOST,
    &NO_LOGGING_HOST,
    &SNMP_COMMUNITY,
    &NO_SNMP_COMMUNITY,
    &EXEC_TIMEOUT,
    &NO_EXEC_TIMEOUT,
];

/// Help of the `clock` keyword (configuration and EXEC).
pub const H_CLOCK: &str = "Configure or set the time-of-day clock";
const H_TIMEZONE: &str = "Configure time zone";
const H_ZONE_NAME: &str = "Name of time zone";
const H_ZONE_HOURS: &str = "Hours offset from UTC (-23 to 23)";
const H_ZONE_MINUTES: &str = "Minutes offset from UTC";
const H_NTP: &str = "Configure NTP";
const H_NTP_SERVER: &str = "Configure NTP servers (up to 4)";
const H_NTP_ADDRESS: &str = "IP address of an NTP server";
const H_NAME_SERVER: &str = "Specify the address of a name server to use (up to 8)";
const H_NAME_SERVER_ADDRESS: &str = "IP address of the name server";
const H_DOMAIN_NAME: &str = "Define the default domain name";
const H_DOMAIN: &str = "Default domain name";
const H_LOGGING: &str = "Configure system logging (syslog)";
const H_LOGGING_HOST: &str = "Configure a remote syslog host (up to 4)";
const H_LOGGING_ADDRESS: &str = "IP address of the syslog host";
const H_SNMP: &str = "Configure the SNMP server";
const H_COMMUNITY: &str = "Define a community string";
const H_COMMUNITY_NAME: &str = "Community string";
const H_RW: &str = "Read-write access with this community string";
const H_EXEC_TIMEOUT: &str = "Configure the EXEC idle timeout";
const H_TIMEOUT_MINUTES: &str = "Timeout in minutes (0 for no timeout; default 15)";

static CLOCK_TIMEZONE: ConfigCommand = ConfigCommand::new(
    "clock timezone NAME HOURS (0-59)$minutes",
    &[
        H_CLOCK,
        H_TIMEZONE,
        H_ZONE_NAME,
        H_ZONE_HOURS,
        H_ZONE_MINUTES,
    ],
    |args, config, _| {
        let name = args.word("name");
        if !is_hostname(name) {
            return Err(msg::BAD_TIMEZONE_NAME.into());
        }
        let hours = args
            .word("hours")
            .parse::<i8>()
            .ok()
            .filter(|h| (-23..=23).contains(h))
            .ok_or_else(|| format!("{}{}", msg::BAD_TIMEZONE_HOURS, args.word("hours")))?;
        config.timezone = Some(Timezone {
            name: name.to_string(),
            hours,
            minutes: args.number("minutes") as u8,
        });
        Ok(Applied::default())
    },
);

static NO_CLOCK_TIMEZONE: ConfigCommand = ConfigCommand::new(
    "no clock timezone [NAME HOURS (0-59)$minutes]",
    &[
        H_NO,
        H_CLOCK,
        H_TIMEZONE,
        H_ZONE_NAME,
        H_ZONE_HOURS,
        H_ZONE_MINUTES,
    ],
    |_, config, _| {
        config.timezone = None;
        Ok(Applied::default())
    },
);

/// Up to four addresses in one line; the syntax spells them out since a placeholder does not
/// repeat.
const NTP_ADDRESSES: [&str; 4] = ["server1", "server2", "server3", "server4"];

/// The addresses given to `ntp server` or `no ntp server`, in order.
fn ntp_addresses(args: &Args<'_>) -> Vec<Ipv4Addr> {
    std::iter::once(args.ipv4(NTP_ADDRESSES[0]))
        .chain(
            NTP_ADDRESSES[1..]
                .iter()
                .filter_map(|name| args.opt_ipv4(name)),
        )
        .collect()
}

static NTP_SERVER: ConfigCommand = ConfigCommand::new(
    "ntp server A.B.C.D$server1 [A.B.C.D$server2 [A.B.C.D$server3 [A.B.C.D$server4]]]",
    &[
        H_NTP,
        H_NTP_SERVER,
        H_NTP_ADDRESS,
        H_NTP_ADDRESS,
        H_NTP_ADDRESS,
        H_NTP_ADDRESS,
    ],
    |args, config, _| {
        add_bounded(
            &mut config.ntp_servers,
            ntp_addresses(args),
            MAX_NTP_SERVERS,
            msg::TOO_MANY_NTP_SERVERS,
        )
    },
);

static NO_NTP_SERVER: ConfigCommand = ConfigCommand::new(
    "no ntp server A.B.C.D$server1 [A.B.C.D$server2 [A.B.C.D$server3 [A.B.C.D$server4]]]",
    &[
        H_NO,
        H_NTP,
        H_NTP_SERVER,
        H_NTP_ADDRESS,
        H_NTP_ADDRESS,
        H_NTP_ADDRESS,
        H_NTP_ADDRESS,
    ],
    |args, config, _| {
        let gone = ntp_addresses(args);
        config.ntp_servers.retain(|s| !gone.contains(s));
        Ok(Applied::default())
    },
);

static IP_NAME_SERVER: ConfigCommand = ConfigCommand::new(
    "ip name-server A.B.C.D$server",
    &[H_IP, H_NAME_SERVER, H_NAME_SERVER_ADDRESS],
    |args, config, _| {
        add_bounded(
            &mut config.name_servers,
            [args.ipv4("server")],
            MAX_NAME_SERVERS,
            msg::TOO_MANY_NAME_SERVERS,
        )
    },
);

static NO_IP_NAME_SERVER: ConfigCommand = ConfigCommand::new(
    "no ip name-server A.B.C.D$server",
    &[H_NO, H_IP, H_NAME_SERVER, H_NAME_SERVER_ADDRESS],
    |args, config, _| {
        let gone = args.ipv4("server");
        config.name_servers.retain(|s| *s != gone);
        Ok(Applied::default())
    },
);

static IP_DOMAIN_NAME: ConfigCommand = ConfigCommand::new(
    "ip domain-name WORD$domain",
    &[H_IP, H_DOMAIN_NAME, H_DOMAIN],
    |args, config, _| {
        let domain = args.word("domain");
        if !is_hostname(domain) {
            return Err(msg::BAD_DOMAIN_NAME.into());
        }
        config.domain_name = Some(domain.to_string());
        Ok(Applied::default())
    },
);

static NO_IP_DOMAIN_NAME: ConfigCommand = ConfigCommand::new(
    "no ip domain-name [WORD$domain]",
    &[H_NO, H_IP, H_DOMAIN_NAME, H_DOMAIN],
    |_, config, _| {
        config.domain_name = None;
        Ok(Applied::default())
    },
);

static LOGGING_HOST: ConfigCommand = ConfigCommand::new(
    "logging host A.B.C.D$host",
    &[H_LOGGING, H_LOGGING_HOST, H_LOGGING_ADDRESS],
    |args, config, _| {
        add_bounded(
            &mut config.logging_hosts,
            [args.ipv4("host")],
            MAX_LOGGING_HOSTS,
            msg::TOO_MANY_LOGGING_HOSTS,
        )
    },
);

static NO_LOGGING_HOST: ConfigCommand = ConfigCommand::new(
    "no logging host A.B.C.D$host",
    &[H_NO, H_LOGGING, H_LOGGING_HOST, H_LOGGING_ADDRESS],
    |args, config, _| {
        let gone = args.ipv4("host");
        config.logging_hosts.retain(|h| *h != gone);
        Ok(Applied::default())
    },
);

static SNMP_COMMUNITY: ConfigCommand = ConfigCommand::new(
    "snmp-server community WORD$community [rw]",
    &[H_SNMP, H_COMMUNITY, H_COMMUNITY_NAME, H_RW],
    |args, config, _| {
        let community = args.word("community");
        if !is_hostname(community) {
            return Err(msg::BAD_COMMUNITY.into());
        }
        config
            .snmp_communities
            .insert(community.to_string(), args.has("rw"));
        Ok(Applied::default())
    },
);

static NO_SNMP_COMMUNITY: ConfigCommand = ConfigCommand::new(
    "no snmp-server community WORD$community [rw]",
    &[H_NO, H_SNMP, H_COMMUNITY, H_COMMUNITY_NAME, H_RW],
    |args, config, _| {
        config.snmp_communities.remove(args.word("community"));
        Ok(Applied::default())
    },
);

static EXEC_TIMEOUT: ConfigCommand = ConfigCommand::new(
    "exec-timeout (0-44640)$minutes",
    &[H_EXEC_TIMEOUT, H_TIMEOUT_MINUTES],
    |args, config, _| {
        config.exec_timeout = Some(args.number("minutes") as u16);
        Ok(Applied::default())
    },
);

static NO_EXEC_TIMEOUT: ConfigCommand = ConfigCommand::new(
    "no exec-timeout [(0-44640)$minutes]",
    &[H_NO, H_EXEC_TIMEOUT, H_TIMEOUT_MINUTES],
    |_, config, _| {
        config.exec_timeout = None;
        Ok(Applied::default())
    },
);

/// Appends the addresses of `new` that `list` does not have yet, in order, unless the list would
/// then hold more than `max` (ACNS's limit for that list): then `too_many` and nothing changes.
fn add_bounded(
    list: &mut Vec<Ipv4Addr>,
    new: impl IntoIterator<Item = Ipv4Addr>,
    max: usize,
    too_many: &str,
) -> Result<Applied, String> {
    let mut grown = list.clone();
    for address in new {
        if !grown.contains(&address) {
            grown.push(address);
        }
    }
    if grown.len() > max {
        return Err(too_many.into());
    }
    *list = grown;
    Ok(Applied::default())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::run;
    use crate::config::DeviceKind;

    #[test]
    fn services_show_in_the_running_config_and_go_with_no() {
        let out = run(
            DeviceKind::Ce,
            &[
                "configure",
                "clock timezone JST 9 0",
                "ntp server 10.1.1.100 10.1.1.101",
                "ip name-server 10.1.1.53",
                "ip domain-name lab.example",
                "logging host 10.1.1.99",
                "snmp-server community public",
                "snmp-server community private rw",
                "exec-timeout 30",
                "end",
                "show running-config",
            ],
        );
        let config = &out[10];
        for line in [
            "\nclock timezone JST 9 0\n",
            "\nntp server 10.1.1.100 10.1.1.101\n",
            "\nip name-server 10.1.1.53\n",
            "\nip domain-name lab.example\n",
            "\nlogging host 10.1.1.99\n",
            "\nsnmp-server community private rw\nsnmp-server community public\n",
            "\nexec-timeout 30\n",
        ] {
            assert!(config.contains(line), "{line:?} in {config}");
        }
        let out = run(
            DeviceKind::Cr,
            &[
                "configure",
                "ntp server 10.1.1.100 10.1.1.101",
                "no ntp server 10.1.1.100",
                "clock timezone JST 9 0",
                "no clock timezone",
                "exec-timeout 30",
                "no exec-timeout",
                "end",
                "show running-config",
            ],
        );
        let config = &out[8];
        assert!(config.contains("\nntp server 10.1.1.101\n"), "{config}");
        assert!(!config.contains("clock timezone"), "{config}");
        assert!(!config.contains("exec-timeout"), "{config}");
    }

    #[test]
    fn limits_and_bad_values_are_refused() {
        let out = run(
            DeviceKind::Cdm,
            &[
                "configure",
                "ntp server 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4",
                "ntp server 10.0.0.5",
                "clock timezone JST 24 0",
                "clock timezone JST x 0",
            ],
        );
        assert_eq!(out[1], "");
        assert!(out[2].starts_with("% Error:"), "{}", out[2]);
        assert!(out[3].starts_with("% Error:"), "{}", out[3]);
        assert!(out[4].starts_with("% Error:"), "{}", out[4]);
    }
}
