//! The IOS-style CLI over real SSH (`ssh -tt`): abbreviations, `?` help, Tab completion and the three
//! error kinds with the caret in the right column.

use acnslab_tests::{caret_column, Terminal, TestLab, CE1_VERSION_LINE};

const INVALID: &str = "% Invalid input detected at '^' marker.";

#[test]
fn abbreviations() {
    let lab = TestLab::start();
    let mut term = Terminal::open(lab.port("ce1"), "ce1#");

    let out = term.run("term len 0", "ce1#");
    assert_eq!(out, "term len 0\r\nce1#");
    let out = term.run("sh term", "ce1#");
    assert!(
        out.contains("Length: 0"),
        "terminal length applied: {out:?}"
    );

    let out = term.run("term width 512", "ce1#");
    assert_eq!(out, "term width 512\r\nce1#");

    let out = term.run("sh ver", "ce1#");
    assert!(out.contains(CE1_VERSION_LINE), "{out:?}");

    let out = term.run("sh priv", "ce1#");
    assert!(out.contains("Current privilege level is 15"), "{out:?}");

    let out = term.run("conf t", "ce1(config)#");
    assert_eq!(out, "conf t\r\nce1(config)#");
    let out = term.run("int Gig 1/0", "ce1(config-if)#");
    assert_eq!(out, "int Gig 1/0\r\nce1(config-if)#");
    term.run("ex", "ce1(config)#");
    let out = term.run("do sh ver", "ce1(config)#");
    assert!(out.contains(CE1_VERSION_LINE), "{out:?}");
    term.run("end", "ce1#");

    let out = term.run("wr", "ce1#");
    assert!(out.contains("[OK]"), "{out:?}");
}

#[test]
fn question_mark_help() {
    let lab = TestLab::start();
    let mut term = Terminal::open(lab.port("ce1"), "ce1#");

    // `?` on an empty line: every command of the mode, then the prompt again.
    term.send("?");
    let out = term.expect_end("ce1#");
    assert!(out.starts_with("?\r\n"), "{out:?}");
    for word in ["configure", "show", "reload", "terminal", "write"] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(word)),
            "no {word} in {out:?}"
        );
    }

    // `?` after a keyword: its next words with their help, then the line is redrawn.
    term.send("show ?");
    let out = term.expect_end("ce1#show ");
    assert!(
        out.contains("  version  ") || out.contains(" version "),
        "{out:?}"
    );
    assert!(
        out.contains("System software version and uptime"),
        "{out:?}"
    );
    assert!(out.contains("running-config"), "{out:?}");
    // The redrawn line can be completed and run.
    let out = term.run("version", "ce1#");
    assert!(out.contains(CE1_VERSION_LINE), "{out:?}");

    // `?` right after a partial word: the words it could be.
    term.send("c?");
    let out = term.expect_end("ce1#c");
    assert!(out.contains("configure") && out.contains("copy"), "{out:?}");
    let out = term.run("onf t", "ce1(config)#");
    assert!(out.starts_with("onf t\r\n"), "{out:?}");

    // Help is per mode.
    term.send("?");
    let out = term.expect_end("ce1(config)#");
    assert!(out.contains("hostname"), "{out:?}");
    assert!(
        !out.contains("reload"),
        "EXEC command in config help: {out:?}"
    );
}

#[test]
fn tab_completion() {
    let lab = TestLab::start();
    let mut term = Terminal::open(lab.port("ce1"), "ce1#");

    term.send("sh\t");
    let echo = term.expect_end("show ");
    assert_eq!(
        echo, "show ",
        "only the completed suffix is echoed after the typed text"
    );
    term.send("ver\t");
    let echo = term.expect_end("version ");
    assert_eq!(echo, "version ");
    let out = term.run("", "ce1#");
    assert!(out.contains(CE1_VERSION_LINE), "{out:?}");

    // An ambiguous word (configure, copy) is left as it is; once it is unique it completes.
    term.send("co\t");
    let echo = term.expect_end("co");
    assert_eq!(echo, "co");
    term.send("nf\t");
    let echo = term.expect_end("nfigure ");
    assert_eq!(echo, "nfigure ");
    term.send("t\t");
    let echo = term.expect_end("terminal ");
    assert_eq!(echo, "terminal ");
    let out = term.run("", "ce1(config)#");
    assert!(out.ends_with("ce1(config)#"), "{out:?}");
}

#[test]
fn errors_with_caret_under_the_bad_word() {
    let lab = TestLab::start();
    let mut term = Terminal::open(lab.port("ce1"), "ce1#");

    // Invalid input: the caret sits under the first character of the bad word, counting the
    // prompt that is on the same terminal line.
    let out = term.run("show verzion", "ce1#");
    assert!(out.contains(INVALID), "{out:?}");
    assert_eq!(caret_column(&out), Some("ce1#show ".len()), "{out:?}");

    let out = term.run("bogus", "ce1#");
    assert!(out.contains(INVALID), "{out:?}");
    assert_eq!(caret_column(&out), Some("ce1#".len()), "{out:?}");

    let out = term.run("show version extra", "ce1#");
    assert!(out.contains(INVALID), "{out:?}");
    assert_eq!(
        caret_column(&out),
        Some("ce1#show version ".len()),
        "{out:?}"
    );

    // Incomplete and ambiguous commands.
    let out = term.run("show", "ce1#");
    assert_eq!(out, "show\r\n% Incomplete command.\r\nce1#");
    let out = term.run("di", "ce1#");
    assert_eq!(out, "di\r\n% Ambiguous command: \"di\"\r\nce1#");

    // In configuration mode the prompt is longer, and the caret moves with it.
    term.run("configure terminal", "ce1(config)#");
    let out = term.run("hostnme edge", "ce1(config)#");
    assert!(out.contains(INVALID), "{out:?}");
    assert_eq!(caret_column(&out), Some("ce1(config)#".len()), "{out:?}");
    let out = term.run("hostname edge!", "ce1(config)#");
    assert!(out.contains("% "), "a bad hostname is refused: {out:?}");
    let out = term.run("hostname", "ce1(config)#");
    assert!(out.contains("% Incomplete command."), "{out:?}");
    let out = term.run("interface GigabitEthernet 1/0 x", "ce1(config)#");
    assert_eq!(
        caret_column(&out),
        Some("ce1(config)#interface GigabitEthernet 1/0 ".len()),
        "{out:?}"
    );
    // `do` adds its own width.
    let out = term.run("do show verzion", "ce1(config)#");
    assert_eq!(
        caret_column(&out),
        Some("ce1(config)#do show ".len()),
        "{out:?}"
    );
    // A failed command changed nothing.
    let out = term.run("do show running-config", "ce1(config)#");
    assert!(out.contains("hostname ce1"), "{out:?}");
}
