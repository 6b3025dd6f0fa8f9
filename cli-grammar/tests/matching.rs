//! Rule-by-rule tests of parsing, `?` help and Tab completion against the
//! shared fixture command set.

use crate::common::{exec_mode, must_match, Cmd};
use cli_grammar::{CommandSet, HelpItem, ParseError, Parsed};

fn error_of(line: &str) -> ParseError {
    match exec_mode().parse(line) {
        Parsed::Error(error) => error,
        other => panic!("{line:?} unexpectedly parsed: {other:?}"),
    }
}

fn help_tokens(line: &str) -> Vec<String> {
    let help = exec_mode().help(line).expect("help succeeds");
    help.items.into_iter().map(|item| item.token).collect()
}

#[test]
fn blank_lines_are_empty() {
    let set = exec_mode();
    assert_eq!(set.parse(""), Parsed::Empty);
    assert_eq!(set.parse(" \t  "), Parsed::Empty);
}

#[test]
fn full_keywords_match() {
    let matched = must_match(&exec_mode(), "show version");
    assert_eq!(matched.id, Cmd::ShowVersion);
    assert_eq!(matched.keywords(), ["show", "version"]);
    assert!(matched.args().is_empty());
    assert_eq!(matched.words[1].span, 5..12);
    assert!(matched.words[1].is_keyword);
}

#[test]
fn unique_prefixes_abbreviate() {
    let set = exec_mode();
    let matched = must_match(&set, "sh ru");
    assert_eq!(matched.id, Cmd::ShowRunning);
    assert_eq!(matched.words[1].text, "running-config");
    assert_eq!(matched.words[1].token, "running-config");
    assert_eq!(must_match(&set, "cop r s").id, Cmd::CopyRunStart);
    assert_eq!(must_match(&set, "conf t").id, Cmd::Configure);
}

#[test]
fn exact_keyword_beats_prefix() {
    let set = exec_mode();
    assert_eq!(
        must_match(&set, "ip route 10.0.0.0 255.0.0.0").id,
        Cmd::IpRoute
    );
    assert_eq!(must_match(&set, "ipv en").id, Cmd::Ipv6Enable);
}

#[test]
fn prefix_of_several_keywords_is_ambiguous() {
    assert_eq!(
        error_of("  c  "),
        ParseError::Ambiguous { input: "c".into() }
    );
    assert_eq!(
        error_of("co running-config startup-config"),
        ParseError::Ambiguous {
            input: "co running-config startup-config".into()
        }
    );
    assert_eq!(
        error_of("i route 1.1.1.1 1.1.1.1"),
        ParseError::Ambiguous {
            input: "i route 1.1.1.1 1.1.1.1".into()
        }
    );
}

#[test]
fn shared_keyword_is_not_ambiguous() {
    let set = exec_mode();
    assert_eq!(must_match(&set, "s v").id, Cmd::ShowVersion);
    assert_eq!(error_of("s"), ParseError::Incomplete);
}

#[test]
fn unfinished_commands_are_incomplete() {
    assert_eq!(error_of("show"), ParseError::Incomplete);
    assert_eq!(error_of("show interface"), ParseError::Incomplete);
    assert_eq!(
        error_of("copy ftp install host dir"),
        ParseError::Incomplete
    );
    assert_eq!(error_of("terminal length"), ParseError::Incomplete);
}

#[test]
fn invalid_points_at_the_offending_word() {
    assert_eq!(error_of("shw version"), ParseError::Invalid { at: 0 });
    assert_eq!(error_of("show versoin"), ParseError::Invalid { at: 5 });
    assert_eq!(
        error_of("show version extra"),
        ParseError::Invalid { at: 13 }
    );
    assert_eq!(error_of("  show   bogus"), ParseError::Invalid { at: 9 });
    assert_eq!(error_of("reload now"), ParseError::Invalid { at: 7 });
}

#[test]
fn optional_groups_may_be_left_out() {
    let set = exec_mode();
    let bare = must_match(&set, "reload");
    assert_eq!(bare.id, Cmd::Reload);
    assert!(!bare.has("force"));
    let forced = must_match(&set, "reload f");
    assert_eq!(forced.id, Cmd::Reload);
    assert!(forced.has("force"));
    assert_eq!(forced.keywords(), ["reload", "force"]);
    assert_eq!(must_match(&set, "configure").id, Cmd::Configure);
    assert!(must_match(&set, "configure terminal").has("terminal"));
}

#[test]
fn required_alternatives_pick_their_branch() {
    let set = exec_mode();
    let slot = must_match(&set, "show int gig 1/0");
    assert_eq!(slot.id, Cmd::ShowInterface);
    assert!(slot.has("gigabitethernet"));
    assert_eq!(slot.arg("slot"), Some("1/0"));
    assert_eq!(slot.slot_port("slot"), Some((1, 0)));
    assert_eq!(slot.number("channel"), None);
    let channel = must_match(&set, "show int port 3");
    assert_eq!(channel.number("channel"), Some(3));
    assert_eq!(channel.arg("channel"), Some("3"));
    assert_eq!(error_of("show int gig 1-0"), ParseError::Invalid { at: 13 });
}

#[test]
fn range_is_checked() {
    let set = exec_mode();
    let matched = must_match(&set, "terminal length 0");
    assert_eq!(matched.number("lines"), Some(0));
    assert_eq!(must_match(&set, "term len 512").number("lines"), Some(512));
    assert_eq!(
        error_of("terminal length 513"),
        ParseError::Invalid { at: 16 }
    );
    assert_eq!(
        error_of("terminal length -1"),
        ParseError::Invalid { at: 16 }
    );
    assert_eq!(
        error_of("terminal length lots"),
        ParseError::Invalid { at: 16 }
    );
}

#[test]
fn ipv4_is_validated() {
    let set = exec_mode();
    assert_eq!(
        must_match(&set, "ping 192.168.1.254").arg("target"),
        Some("192.168.1.254")
    );
    assert_eq!(
        must_match(&set, "ping 192.168.1.254").ipv4("target"),
        Some(std::net::Ipv4Addr::new(192, 168, 1, 254))
    );
    for bad in [
        "ping 192.168.1.256",
        "ping 1.2.3",
        "ping host",
        "ping 1.2.3.4.5",
    ] {
        assert_eq!(error_of(bad), ParseError::Invalid { at: 5 }, "{bad}");
    }
}

#[test]
fn typed_placeholder_beats_loose_placeholder() {
    let set = exec_mode();
    let by_address = must_match(&set, "copy ftp install 10.0.0.1 /pub image.bin");
    assert_eq!(by_address.arg("address"), Some("10.0.0.1"));
    assert_eq!(by_address.arg("host"), None);
    assert_eq!(by_address.args(), ["10.0.0.1", "/pub", "image.bin"]);
    let by_name = must_match(&set, "copy ftp install 10.0.0.300 /pub image.bin");
    assert_eq!(by_name.arg("host"), Some("10.0.0.300"));
    assert_eq!(by_name.arg("address"), None);
    assert_eq!(by_name.arg("remotefile"), Some("image.bin"));
}

#[test]
fn line_takes_the_raw_rest() {
    let set = exec_mode();
    let line = "echo  Hello,   World! \t";
    let matched = must_match(&set, line);
    assert_eq!(matched.id, Cmd::Echo);
    assert_eq!(matched.arg("line"), Some("Hello,   World!"));
    assert_eq!(matched.words[1].span, 6..21);
    assert_eq!(error_of("echo"), ParseError::Incomplete);
}

#[test]
fn keywords_are_case_insensitive_placeholders_keep_case() {
    let set = exec_mode();
    let matched = must_match(&set, "SHOW Ver");
    assert_eq!(matched.id, Cmd::ShowVersion);
    assert_eq!(matched.words[0].text, "show");
    let ftp = must_match(&set, "Copy FTP Install MyHost Dir File");
    assert_eq!(ftp.args(), ["MyHost", "Dir", "File"]);
}

#[test]
fn keyword_is_preferred_over_placeholder_and_line() {
    let mut set = CommandSet::new();
    set.add(1, "say LINE", &["s", "l"]).expect("valid");
    set.add(2, "say hello WORD", &["s", "h", "w"])
        .expect("valid");
    let kw = match set.parse("say hello there") {
        Parsed::Match(m) => m,
        other => panic!("{other:?}"),
    };
    assert_eq!(kw.id, 2);
    let line = match set.parse("say goodbye there") {
        Parsed::Match(m) => m,
        other => panic!("{other:?}"),
    };
    assert_eq!((line.id, line.arg("line")), (1, Some("goodbye there")));
}

#[test]
fn first_declared_wins_between_equal_matches() {
    let mut set = CommandSet::new();
    set.add("first", "name WORD", &["n", "w"]).expect("valid");
    set.add("second", "name NAME", &["n", "w"]).expect("valid");
    match set.parse("name x") {
        Parsed::Match(matched) => assert_eq!(matched.id, "first"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_declarations_are_spec_errors() {
    let mut set: CommandSet<u8> = CommandSet::default();
    let error = set
        .add(1, "show [version", &["s", "v"])
        .expect_err("unbalanced");
    assert!(error.to_string().contains("show [version"), "{error}");
    let error = set.add(1, "show version", &["s"]).expect_err("help count");
    assert!(error.to_string().contains("show version"), "{error}");
    assert!(set.add(1, "Sh@w", &["s"]).is_err());
    assert!(set.add(1, "echo LINE WORD", &["e", "l", "w"]).is_err());
    assert!(set.add(1, "port (10-1)", &["p", "r"]).is_err());
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert!(!boxed.to_string().is_empty());
}

#[test]
fn help_lists_first_keywords() {
    assert_eq!(
        help_tokens(""),
        [
            "configure",
            "copy",
            "echo",
            "ip",
            "ipv6",
            "ping",
            "reload",
            "show",
            "terminal"
        ]
    );
}

#[test]
fn help_lists_what_follows() {
    assert_eq!(
        help_tokens("show "),
        ["interface", "running-config", "startup-config", "version"]
    );
    assert_eq!(help_tokens("reload "), ["force", "<cr>"]);
    assert_eq!(help_tokens("sh int "), ["gigabitethernet", "portchannel"]);
    assert_eq!(help_tokens("sh int gi "), ["S/P"]);
    assert_eq!(help_tokens("terminal length "), ["<0-512>"]);
    assert_eq!(help_tokens("copy ftp install "), ["A.B.C.D", "HOST"]);
    assert_eq!(help_tokens("sh ver "), ["<cr>"]);
    assert_eq!(help_tokens("echo hi "), ["<cr>"]);
}

#[test]
fn help_keeps_first_declared_help_text() {
    let help = exec_mode().help("").expect("help");
    let show = help.items.iter().find(|item| item.token == "show");
    assert_eq!(
        show,
        Some(&HelpItem {
            token: "show".into(),
            help: "Show running system information".into()
        })
    );
}

#[test]
fn partial_help_lists_matching_keywords() {
    let set = exec_mode();
    let help = set.help("co").expect("partial");
    assert!(help.partial);
    assert_eq!(help_tokens("co"), ["configure", "copy"]);
    assert_eq!(help_tokens("sh"), ["show"]);
    assert_eq!(help_tokens("ip"), ["ip", "ipv6"]);
    assert_eq!(help_tokens("show s"), ["startup-config"]);
    assert_eq!(help_tokens("terminal length 5"), ["<0-512>"]);
    assert_eq!(set.help("show x"), Err(ParseError::Invalid { at: 5 }));
    assert_eq!(
        set.help("terminal length 999"),
        Err(ParseError::Invalid { at: 16 })
    );
}

#[test]
fn help_reports_errors_before_the_last_word() {
    let set = exec_mode();
    assert_eq!(set.help("shw "), Err(ParseError::Invalid { at: 0 }));
    assert_eq!(
        set.help("c ver"),
        Err(ParseError::Ambiguous {
            input: "c ver".into()
        })
    );
    assert_eq!(
        set.help("show version x "),
        Err(ParseError::Invalid { at: 13 })
    );
}

#[test]
fn tab_completes_unique_keyword() {
    let set = exec_mode();
    let completion = set.complete("sh");
    assert_eq!(completion.line, "show ");
    assert_eq!(completion.candidates, ["show"]);
    assert_eq!(set.complete("sh r").line, "sh running-config ");
    assert_eq!(set.complete("SH").line, "show ");
    assert_eq!(set.complete("  cop f").line, "  cop ftp ");
}

#[test]
fn tab_completes_common_prefix() {
    let set = exec_mode();
    let completion = set.complete("c");
    assert_eq!(completion.line, "co");
    assert_eq!(completion.candidates, ["configure", "copy"]);
    let completion = set.complete("co");
    assert_eq!(completion.line, "co");
    assert_eq!(completion.candidates, ["configure", "copy"]);
    assert_eq!(set.complete("i").line, "ip");
}

#[test]
fn tab_leaves_line_alone_otherwise() {
    let set = exec_mode();
    for line in [
        "",
        "show ",
        "zz",
        "show zz",
        "shw v",
        "terminal length 5",
        "ping 1",
    ] {
        let completion = set.complete(line);
        assert_eq!(completion.line, line);
        assert!(completion.candidates.is_empty(), "{line:?}");
    }
}

#[test]
fn mixed_case_keywords_show_as_declared_and_match_any_case() {
    let mut set: CommandSet<u8> = CommandSet::default();
    set.add(1, "interface GigabitEthernet S/P$port", &["i", "g", "s"])
        .unwrap();
    for line in [
        "interface GigabitEthernet 1/0",
        "int gi 1/0",
        "INT GIGABIT 1/0",
    ] {
        let Parsed::Match(m) = set.parse(line) else {
            panic!("{line}")
        };
        assert_eq!(m.words[1].text, "GigabitEthernet");
        assert_eq!(m.slot_port("port"), Some((1, 0)));
    }
    assert_eq!(set.complete("int gig").line, "int GigabitEthernet ");
}

#[test]
fn every_example_line_parses_to_its_command() {
    let set = exec_mode();
    let examples = set.examples();
    assert!(
        examples.len() > crate::common::DECLARATIONS.len(),
        "{examples:?}"
    );
    for (id, line) in examples {
        assert_eq!(must_match(&set, &line).id, id, "{line}");
    }
}
