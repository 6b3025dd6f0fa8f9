//! The arguments of a matched command, typed and named by its declaration: `A.B.C.D$gateway` is
//! read with `args.ipv4("gateway")`, `(0-512)$lines` with `args.number("lines")`, `FILE` with
//! `args.word("file")`. The grammar has already checked every value, so a required argument is
//! always there; asking for a name the declaration does not have is a bug in the command, which
//! the test that runs every declared command finds (the accessor panics naming both).

use std::net::Ipv4Addr;

use cli_grammar::Match;

/// The typed, named arguments of one matched line.
pub struct Args<'a> {
    matched: &'a Match<()>,
    syntax: &'static str,
}

impl<'a> Args<'a> {
    pub fn new(matched: &'a Match<()>, syntax: &'static str) -> Self {
        Args { matched, syntax }
    }

    fn missing(&self, name: &str) -> ! {
        panic!(
            "command `{}`: no placeholder named `{name}` was matched",
            self.syntax
        )
    }

    /// Whether the keyword `keyword` (in full) was typed: optional keywords and alternatives.
    pub fn has(&self, keyword: &str) -> bool {
        self.matched.has(keyword)
    }

    /// A word placeholder's text (`FILE`, `WORD$name`, `LINE`).
    pub fn word(&self, name: &str) -> &'a str {
        self.matched.arg(name).unwrap_or_else(|| self.missing(name))
    }

    /// An optional word placeholder's text.
    pub fn opt_word(&self, name: &str) -> Option<&'a str> {
        self.matched.arg(name)
    }

    /// An `A.B.C.D` placeholder's address.
    pub fn ipv4(&self, name: &str) -> Ipv4Addr {
        self.matched
            .ipv4(name)
            .unwrap_or_else(|| self.missing(name))
    }

    /// An optional `A.B.C.D` placeholder's address.
    pub fn opt_ipv4(&self, name: &str) -> Option<Ipv4Addr> {
        self.matched.ipv4(name)
    }

    /// A `(LO-HI)` placeholder's number.
    pub fn number(&self, name: &str) -> u64 {
        self.matched
            .number(name)
            .unwrap_or_else(|| self.missing(name))
    }

    /// An optional `(LO-HI)` placeholder's number.
    pub fn opt_number(&self, name: &str) -> Option<u64> {
        self.matched.number(name)
    }

    /// An `S/P` placeholder's slot and port.
    pub fn slot_port(&self, name: &str) -> (u64, u64) {
        self.matched
            .slot_port(name)
            .unwrap_or_else(|| self.missing(name))
    }
}
