//! Byte-level line editing and paging for SSH channels.
//!
//! An SSH exec/shell channel without a TTY gives us raw bytes only, so
//! line-editing crates such as rustyline or reedline cannot be used. This
//! module owns the terminal side of a session:
//!
//! * [`LineEditor`] turns queued input bytes into editing [`Event`]s (a
//!   completed line, `?` help, Tab completion, Ctrl-C, Ctrl-Z, Ctrl-D) and
//!   produces the echo bytes the remote terminal expects. The cursor is
//!   always at the end of the line: the echo never contains ANSI escape
//!   sequences, only printable text, `\r\n` and backspace-space-backspace
//!   erasures. Command history (Up/Down, Ctrl-P/Ctrl-N) is kept here too.
//! * [`Pager`] splits command output into pages for `terminal length N`
//!   and drives the ` --More-- ` prompt.
//! * [`to_crlf`] converts `\n` line ends to the `\r\n` a terminal needs.
//!
//! Nothing here touches sockets or channels: callers [`LineEditor::feed`]
//! bytes in and write the bytes collected in the `out` buffers themselves.
//! Every function accepts any byte sequence without panicking, and a line is
//! capped at [`MAX_LINE_BYTES`] bytes.

use std::collections::VecDeque;

/// Maximum number of bytes a line buffer can hold; further input is ignored.
pub const MAX_LINE_BYTES: usize = 4096;

/// Number of history entries kept by a new [`LineEditor`].
pub const DEFAULT_HISTORY_CAPACITY: usize = 20;

/// The pager prompt, written after each page while more output remains.
pub const MORE_PROMPT: &str = " --More-- ";

/// Longest CSI parameter run accepted before the sequence is abandoned.
const MAX_CSI_PARAM_BYTES: usize = 32;

/// Echo for erasing one character at the end of the line.
const ERASE_CHAR: &[u8] = b"\x08 \x08";

const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const BACKSPACE: u8 = 0x08;
const TAB: u8 = 0x09;
const CTRL_N: u8 = 0x0e;
const CTRL_P: u8 = 0x10;
const CTRL_U: u8 = 0x15;
const CTRL_W: u8 = 0x17;
const CTRL_Z: u8 = 0x1a;
const ESC: u8 = 0x1b;
const DEL: u8 = 0x7f;

/// Something the session has to act on, produced by [`LineEditor::next_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Enter pressed: the completed line (without line terminator).
    Line(String),
    /// `?` pressed: the buffer text typed so far (the `?` is not added).
    Help(String),
    /// Tab pressed: the buffer text typed so far.
    Complete(String),
    /// Ctrl-C: the buffer has been discarded.
    Interrupt,
    /// Ctrl-Z: the buffer has been discarded (the session treats it as `end`).
    Suspend,
    /// Ctrl-D on an empty buffer.
    Eof,
}

/// Where we are inside an escape sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EscState {
    Normal,
    /// Saw ESC.
    Esc,
    /// Inside `ESC [`, with this many parameter/intermediate bytes so far.
    Csi(usize),
    /// Saw `ESC O`; the next byte ends the sequence.
    Ss3,
}

/// Line editor for one SSH session: raw bytes in, [`Event`]s and echo out.
#[derive(Debug, Clone)]
pub struct LineEditor {
    queue: VecDeque<u8>,
    buf: String,
    /// Bytes of an incomplete UTF-8 character.
    utf8: Vec<u8>,
    /// Total length of the UTF-8 character being collected in `utf8`.
    utf8_need: usize,
    esc: EscState,
    /// The last byte taken from the queue was `\r` (a following `\n` is swallowed).
    after_cr: bool,
    echo: bool,
    history_on: bool,
    special_keys: bool,
    history: Vec<String>,
    history_capacity: usize,
    /// Index into `history` while browsing with Up/Down.
    history_pos: Option<usize>,
    /// What the user had typed before starting to browse history.
    draft: String,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    /// A new editor: echo on, history on, special keys on, 20 history entries.
    pub fn new() -> Self {
        LineEditor {
            queue: VecDeque::new(),
            buf: String::new(),
            utf8: Vec::with_capacity(4),
            utf8_need: 0,
            esc: EscState::Normal,
            after_cr: false,
            echo: true,
            history_on: true,
            special_keys: true,
            history: Vec::new(),
            history_capacity: DEFAULT_HISTORY_CAPACITY,
            history_pos: None,
            draft: String::new(),
        }
    }

    /// Queue raw input bytes.
    pub fn feed(&mut self, input: &[u8]) {
        self.queue.extend(input.iter().copied());
    }

    /// Number of queued bytes not yet consumed.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Consume queued bytes, appending echo to `out`, until one event
    /// completes (it is returned and later bytes stay queued) or the queue
    /// is empty (`None`; a partial line is kept).
    pub fn next_event(&mut self, out: &mut Vec<u8>) -> Option<Event> {
        while let Some(b) = self.pop() {
            if let Some(ev) = self.process(b, out) {
                return Some(ev);
            }
        }
        None
    }

    /// Take one raw queued byte (for the pager and single-key prompts).
    /// A `\n` directly following a `\r` is swallowed, as in [`next_event`](Self::next_event).
    pub fn next_byte(&mut self) -> Option<u8> {
        self.pop()
    }

    /// Turn echo of typed characters on or off (off while a password is typed).
    pub fn set_echo(&mut self, on: bool) {
        self.echo = on;
    }

    /// Whether typed characters are echoed.
    pub fn echo(&self) -> bool {
        self.echo
    }

    /// Turn history recording and browsing on or off (off for prompts).
    pub fn set_history(&mut self, on: bool) {
        self.history_on = on;
        self.history_pos = None;
        self.draft.clear();
    }

    /// When off, `?` and Tab are ordinary characters.
    pub fn set_special_keys(&mut self, on: bool) {
        self.special_keys = on;
    }

    /// Change how many history entries are kept (oldest dropped first).
    pub fn set_history_capacity(&mut self, capacity: usize) {
        self.history_capacity = capacity;
        self.trim_history();
        self.history_pos = None;
    }

    /// The text typed so far on the current line.
    pub fn buffer(&self) -> &str {
        &self.buf
    }

    /// Replace the buffer (after Tab completion), echoing the change: when
    /// `new` starts with the current text only the new suffix is written,
    /// otherwise the old text is erased character by character and `new`
    /// is written. `new` is cut to [`MAX_LINE_BYTES`].
    pub fn replace_buffer(&mut self, new: &str, out: &mut Vec<u8>) {
        let new = truncate_to_boundary(new, MAX_LINE_BYTES);
        if new.starts_with(self.buf.as_str()) {
            let suffix = &new[self.buf.len()..];
            if self.echo {
                out.extend_from_slice(suffix.as_bytes());
            }
        } else {
            self.erase_echo(self.buf.chars().count(), out);
            if self.echo {
                out.extend_from_slice(new.as_bytes());
            }
        }
        self.buf.clear();
        self.buf.push_str(new);
    }

    /// Write `prompt` followed by the buffer (after `?` help was printed).
    pub fn redraw(&self, prompt: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(prompt.as_bytes());
        if self.echo {
            out.extend_from_slice(self.buf.as_bytes());
        }
    }

    /// Drop the buffer (and any history browsing) without echo.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.utf8.clear();
        self.history_pos = None;
        self.draft.clear();
    }

    /// Recorded lines, oldest first.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Take one byte from the queue, swallowing a `\n` right after a `\r`.
    fn pop(&mut self) -> Option<u8> {
        loop {
            let b = self.queue.pop_front()?;
            if self.after_cr && b == b'\n' {
                self.after_cr = false;
                continue;
            }
            self.after_cr = b == b'\r';
            return Some(b);
        }
    }

    fn process(&mut self, b: u8, out: &mut Vec<u8>) -> Option<Event> {
        // Escape sequences first; a control byte aborts the sequence and is
        // then handled as ordinary input.
        match self.esc {
            EscState::Normal => {}
            EscState::Esc => {
                self.esc = EscState::Normal;
                match b {
                    b'[' => {
                        self.esc = EscState::Csi(0);
                        return None;
                    }
                    b'O' => {
                        self.esc = EscState::Ss3;
                        return None;
                    }
                    // ESC + printable (Alt-key): ignored.
                    0x20..=0x7e => return None,
                    _ => {}
                }
            }
            EscState::Csi(n) => match b {
                0x20..=0x3f => {
                    self.esc = if n + 1 >= MAX_CSI_PARAM_BYTES {
                        EscState::Normal
                    } else {
                        EscState::Csi(n + 1)
                    };
                    return None;
                }
                0x40..=0x7e => {
                    self.esc = EscState::Normal;
                    match b {
                        b'A' => self.history_up(out),
                        b'B' => self.history_down(out),
                        _ => {}
                    }
                    return None;
                }
                _ => self.esc = EscState::Normal,
            },
            EscState::Ss3 => {
                self.esc = EscState::Normal;
                match b {
                    b'A' => {
                        self.history_up(out);
                        return None;
                    }
                    b'B' => {
                        self.history_down(out);
                        return None;
                    }
                    0x20..=0x7e => return None,
                    _ => {}
                }
            }
        }

        // Continuation of a multi-byte UTF-8 character.
        if !self.utf8.is_empty() {
            if (0x80..=0xbf).contains(&b) {
                self.utf8.push(b);
                if self.utf8.len() >= self.utf8_need {
                    let bytes = std::mem::take(&mut self.utf8);
                    if let Ok(s) = std::str::from_utf8(&bytes) {
                        self.insert(s, out);
                    }
                    self.utf8 = bytes;
                    self.utf8.clear();
                }
                return None;
            }
            // Incomplete character: drop it and handle `b` normally.
            self.utf8.clear();
        }

        match b {
            b'\r' | b'\n' => Some(self.enter(out)),
            CTRL_C => {
                out.extend_from_slice(b"\r\n");
                self.clear();
                Some(Event::Interrupt)
            }
            CTRL_Z => {
                if self.echo {
                    out.extend_from_slice(b"^Z");
                }
                out.extend_from_slice(b"\r\n");
                self.clear();
                Some(Event::Suspend)
            }
            CTRL_D => {
                if self.buf.is_empty() {
                    Some(Event::Eof)
                } else {
                    None
                }
            }
            BACKSPACE | DEL => {
                if self.buf.pop().is_some() {
                    self.erase_echo(1, out);
                }
                None
            }
            CTRL_U => {
                let n = self.buf.chars().count();
                self.buf.clear();
                self.erase_echo(n, out);
                None
            }
            CTRL_W => {
                self.erase_word(out);
                None
            }
            CTRL_P => {
                self.history_up(out);
                None
            }
            CTRL_N => {
                self.history_down(out);
                None
            }
            ESC => {
                self.esc = EscState::Esc;
                None
            }
            TAB if self.special_keys => Some(Event::Complete(self.buf.clone())),
            TAB => {
                self.insert("\t", out);
                None
            }
            b'?' if self.special_keys => {
                if self.echo {
                    out.push(b'?');
                }
                out.extend_from_slice(b"\r\n");
                Some(Event::Help(self.buf.clone()))
            }
            0x20..=0x7e => {
                let c = [b];
                // ASCII is always valid UTF-8.
                if let Ok(s) = std::str::from_utf8(&c) {
                    self.insert(s, out);
                }
                None
            }
            0xc2..=0xdf => self.start_utf8(b, 2),
            0xe0..=0xef => self.start_utf8(b, 3),
            0xf0..=0xf4 => self.start_utf8(b, 4),
            // Other control bytes, stray continuation bytes and invalid
            // lead bytes are ignored.
            _ => None,
        }
    }

    fn start_utf8(&mut self, lead: u8, len: usize) -> Option<Event> {
        self.utf8.clear();
        self.utf8.push(lead);
        self.utf8_need = len;
        None
    }

    /// Append text at the end of the buffer (ignored once the cap is reached).
    fn insert(&mut self, s: &str, out: &mut Vec<u8>) {
        if self.buf.len() + s.len() > MAX_LINE_BYTES {
            return;
        }
        self.buf.push_str(s);
        if self.echo {
            out.extend_from_slice(s.as_bytes());
        }
    }

    fn enter(&mut self, out: &mut Vec<u8>) -> Event {
        out.extend_from_slice(b"\r\n");
        let line = std::mem::take(&mut self.buf);
        if self.history_on
            && !line.trim().is_empty()
            && self.history.last().map(String::as_str) != Some(line.as_str())
            && self.history_capacity > 0
        {
            self.history.push(line.clone());
            self.trim_history();
        }
        self.history_pos = None;
        self.draft.clear();
        Event::Line(line)
    }

    fn trim_history(&mut self) {
        if self.history.len() > self.history_capacity {
            let excess = self.history.len() - self.history_capacity;
            self.history.drain(..excess);
        }
    }

    fn erase_echo(&self, chars: usize, out: &mut Vec<u8>) {
        if self.echo {
            for _ in 0..chars {
                out.extend_from_slice(ERASE_CHAR);
            }
        }
    }

    /// Ctrl-W: erase trailing whitespace, then the word before it.
    fn erase_word(&mut self, out: &mut Vec<u8>) {
        let mut cut = self.buf.len();
        let mut removed = 0;
        let mut chars = self.buf.char_indices().rev().peekable();
        while let Some(&(i, c)) = chars.peek() {
            if !c.is_whitespace() {
                break;
            }
            cut = i;
            removed += 1;
            chars.next();
        }
        while let Some(&(i, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            cut = i;
            removed += 1;
            chars.next();
        }
        self.buf.truncate(cut);
        self.erase_echo(removed, out);
    }

    /// Replace the whole buffer, erasing the old text on screen.
    fn show_entry(&mut self, new: &str, out: &mut Vec<u8>) {
        self.erase_echo(self.buf.chars().count(), out);
        self.buf.clear();
        self.buf.push_str(truncate_to_boundary(new, MAX_LINE_BYTES));
        if self.echo {
            out.extend_from_slice(self.buf.as_bytes());
        }
    }

    fn history_up(&mut self, out: &mut Vec<u8>) {
        if !self.history_on || self.history.is_empty() {
            return;
        }
        let pos = match self.history_pos {
            None => {
                self.draft = self.buf.clone();
                self.history.len() - 1
            }
            Some(0) => return,
            Some(p) => (p - 1).min(self.history.len() - 1),
        };
        self.history_pos = Some(pos);
        let entry = self.history[pos].clone();
        self.show_entry(&entry, out);
    }

    fn history_down(&mut self, out: &mut Vec<u8>) {
        if !self.history_on {
            return;
        }
        let Some(pos) = self.history_pos else {
            return;
        };
        if pos + 1 < self.history.len() {
            self.history_pos = Some(pos + 1);
            let entry = self.history[pos + 1].clone();
            self.show_entry(&entry, out);
        } else {
            self.history_pos = None;
            let draft = std::mem::take(&mut self.draft);
            self.show_entry(&draft, out);
        }
    }
}

/// Longest prefix of `s` of at most `max` bytes ending on a char boundary.
fn truncate_to_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Convert `\n` line ends to `\r\n` (an existing `\r\n` is left alone).
pub fn to_crlf(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16 + 2);
    let mut prev = 0u8;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// Pages output text for `terminal length N`, driving the ` --More-- ` prompt.
#[derive(Debug, Clone)]
pub struct Pager {
    lines: Vec<String>,
    length: usize,
    next: usize,
    /// The ` --More-- ` prompt is on screen and keys are expected.
    waiting: bool,
}

impl Pager {
    /// Page `text` (lines separated by `\n`; a final `\n` does not start an
    /// extra empty line) for a terminal of `length` lines; 0 disables paging.
    pub fn new(text: &str, length: usize) -> Self {
        let mut lines: Vec<String> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        if text.is_empty() || text.ends_with('\n') {
            lines.pop();
        }
        Pager {
            lines,
            length,
            next: 0,
            waiting: false,
        }
    }

    /// Lines written per page: `length - 1` (at least 1).
    fn page(&self) -> usize {
        self.length.saturating_sub(1).max(1)
    }

    /// Whether the pager is waiting at a ` --More-- ` prompt.
    pub fn is_waiting(&self) -> bool {
        self.waiting
    }

    /// Number of lines not written yet.
    pub fn remaining(&self) -> usize {
        self.lines.len().saturating_sub(self.next)
    }

    /// Write the first page (`length - 1` lines, each ending `\r\n`). If
    /// more remains, write ` --More-- ` and return true; otherwise write
    /// everything and return false.
    pub fn start(&mut self, out: &mut Vec<u8>) -> bool {
        self.next = 0;
        self.waiting = false;
        let n = if self.length == 0 {
            self.lines.len()
        } else {
            self.page()
        };
        self.write_lines(n, out)
    }

    /// Handle one key while paging. Space: next page; Enter (`\r`/`\n`):
    /// one more line; `q`, `Q`, Ctrl-C: stop. Other keys are ignored (the
    /// prompt stays, nothing is written). The prompt is erased before acting.
    /// Returns true while more remains (` --More-- ` written again).
    pub fn key(&mut self, key: u8, out: &mut Vec<u8>) -> bool {
        if !self.waiting {
            return false;
        }
        let n = match key {
            b' ' => self.page(),
            b'\r' | b'\n' => 1,
            b'q' | b'Q' | CTRL_C => {
                self.erase_prompt(out);
                self.waiting = false;
                self.next = self.lines.len();
                return false;
            }
            _ => return true,
        };
        self.erase_prompt(out);
        self.write_lines(n, out)
    }

    /// Write up to `n` more lines; then the prompt if lines remain.
    fn write_lines(&mut self, n: usize, out: &mut Vec<u8>) -> bool {
        let end = self.next.saturating_add(n).min(self.lines.len());
        for line in &self.lines[self.next..end] {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        self.next = end;
        self.waiting = self.next < self.lines.len();
        if self.waiting {
            out.extend_from_slice(MORE_PROMPT.as_bytes());
        }
        self.waiting
    }

    fn erase_prompt(&self, out: &mut Vec<u8>) {
        let n = MORE_PROMPT.len();
        out.extend(std::iter::repeat_n(BACKSPACE, n));
        out.extend(std::iter::repeat_n(b' ', n));
        out.extend(std::iter::repeat_n(BACKSPACE, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `bytes` and drain every event.
    fn run(ed: &mut LineEditor, bytes: &[u8]) -> (Vec<Event>, Vec<u8>) {
        ed.feed(bytes);
        let mut out = Vec::new();
        let mut events = Vec::new();
        while let Some(ev) = ed.next_event(&mut out) {
            events.push(ev);
        }
        (events, out)
    }

    fn line(s: &str) -> Event {
        Event::Line(s.to_string())
    }

    fn erasures(n: usize) -> Vec<u8> {
        ERASE_CHAR.repeat(n)
    }

    #[test]
    fn default_equals_new() {
        let ed = LineEditor::default();
        assert_eq!(ed.buffer(), "");
        assert!(ed.echo());
        assert!(ed.history().is_empty());
    }

    #[test]
    fn typing_echoes_and_cr_completes_line() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"show version\r");
        assert_eq!(ev, vec![line("show version")]);
        assert_eq!(out, b"show version\r\n");
        assert_eq!(ed.buffer(), "");
    }

    #[test]
    fn lf_alone_is_enter() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"end\n");
        assert_eq!(ev, vec![line("end")]);
        assert_eq!(out, b"end\r\n");
    }

    #[test]
    fn crlf_is_one_enter() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"exit\r\n");
        assert_eq!(ev, vec![line("exit")]);
        assert_eq!(out, b"exit\r\n");
        assert_eq!(ed.pending(), 0);
    }

    #[test]
    fn cr_and_lf_split_across_feeds_is_one_enter() {
        let mut ed = LineEditor::new();
        let (ev, _) = run(&mut ed, b"a\r");
        assert_eq!(ev, vec![line("a")]);
        let (ev, out) = run(&mut ed, b"\n");
        assert!(ev.is_empty());
        assert!(out.is_empty());
        let (ev, _) = run(&mut ed, b"b\n");
        assert_eq!(ev, vec![line("b")]);
    }

    #[test]
    fn two_crs_and_lf_cr_are_two_enters() {
        for input in [&b"\r\r"[..], b"\n\r", b"\n\n", b"\r\n\r\n"] {
            let mut ed = LineEditor::new();
            let (ev, _) = run(&mut ed, input);
            assert_eq!(ev, vec![line(""), line("")], "{input:?}");
        }
    }

    #[test]
    fn two_lines_in_one_feed_come_in_order() {
        let mut ed = LineEditor::new();
        ed.feed(b"terminal length 0\nshow version\n");
        let mut out = Vec::new();
        assert_eq!(ed.next_event(&mut out), Some(line("terminal length 0")));
        assert!(ed.pending() > 0, "later bytes stay queued");
        assert_eq!(out, b"terminal length 0\r\n");
        assert_eq!(ed.next_event(&mut out), Some(line("show version")));
        assert_eq!(ed.next_event(&mut out), None);
    }

    #[test]
    fn partial_line_is_kept_between_feeds() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"sho");
        assert!(ev.is_empty());
        assert_eq!(out, b"sho");
        assert_eq!(ed.buffer(), "sho");
        let (ev, _) = run(&mut ed, b"w run\r");
        assert_eq!(ev, vec![line("show run")]);
    }

    #[test]
    fn echo_off_never_echoes_characters() {
        let mut ed = LineEditor::new();
        ed.set_echo(false);
        let (ev, out) = run(&mut ed, b"s3cr\x7fet?\t\x15pw\x17x\x08y\r");
        assert_eq!(ev.len(), 3); // Help, Complete, Line
        assert_eq!(ev[2], line("y"));
        // Only the line ends of '?' and Enter.
        assert_eq!(out, b"\r\n\r\n");
        let (_, out) = run(&mut ed, b"abc\x1b[A\x1a");
        assert_eq!(out, b"\r\n");
    }

    #[test]
    fn password_mode_special_keys_off() {
        let mut ed = LineEditor::new();
        ed.set_echo(false);
        ed.set_special_keys(false);
        ed.set_history(false);
        let (ev, out) = run(&mut ed, b"a?b\tc\r");
        assert_eq!(ev, vec![line("a?b\tc")]);
        assert_eq!(out, b"\r\n");
        assert!(ed.history().is_empty());
    }

    #[test]
    fn backspace_and_del() {
        let mut ed = LineEditor::new();
        let (_, out) = run(&mut ed, b"abc\x08");
        assert_eq!(ed.buffer(), "ab");
        assert_eq!(out, b"abc\x08 \x08");
        let (_, out) = run(&mut ed, b"\x7f\x7f\x7f\x08");
        assert_eq!(ed.buffer(), "");
        assert_eq!(out, erasures(2), "no echo on empty buffer");
    }

    #[test]
    fn backspace_removes_whole_utf8_char() {
        let mut ed = LineEditor::new();
        let text = "h\u{e9}\u{20ac}\u{1f600}";
        let (_, out) = run(&mut ed, text.as_bytes());
        assert_eq!(ed.buffer(), text);
        assert_eq!(out, text.as_bytes());
        let (_, out) = run(&mut ed, b"\x7f");
        assert_eq!(ed.buffer(), "h\u{e9}\u{20ac}");
        assert_eq!(out, erasures(1));
        run(&mut ed, b"\x7f\x7f");
        assert_eq!(ed.buffer(), "h");
    }

    #[test]
    fn utf8_split_across_feeds() {
        let mut ed = LineEditor::new();
        let euro = "\u{20ac}".as_bytes();
        run(&mut ed, &euro[..1]);
        run(&mut ed, &euro[1..2]);
        assert_eq!(ed.buffer(), "");
        let (_, out) = run(&mut ed, &euro[2..]);
        assert_eq!(ed.buffer(), "\u{20ac}");
        assert_eq!(out, euro);
    }

    #[test]
    fn invalid_utf8_is_ignored() {
        let mut ed = LineEditor::new();
        // 0xff, lone continuation, overlong NUL, surrogate, truncated char.
        let (ev, out) = run(&mut ed, b"a\xff\x80\xc0\x80\xed\xa0\x80\xe2\x82b\r");
        assert_eq!(ev, vec![line("ab")]);
        assert_eq!(out, b"ab\r\n");
    }

    #[test]
    fn other_control_bytes_are_ignored() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"a\x00\x01\x02\x05\x07\x0b\x0c\x1cb\r");
        assert_eq!(ev, vec![line("ab")]);
        assert_eq!(out, b"ab\r\n");
    }

    #[test]
    fn ctrl_u_erases_line() {
        let mut ed = LineEditor::new();
        let (_, out) = run(&mut ed, "sh\u{e9}w\x15".as_bytes());
        assert_eq!(ed.buffer(), "");
        let mut expected = "sh\u{e9}w".as_bytes().to_vec();
        expected.extend(erasures(4));
        assert_eq!(out, expected);
    }

    #[test]
    fn ctrl_w_erases_previous_word() {
        let mut ed = LineEditor::new();
        run(&mut ed, b"show ip  route  ");
        let (_, out) = run(&mut ed, b"\x17");
        assert_eq!(ed.buffer(), "show ip  ");
        assert_eq!(out, erasures(7));
        run(&mut ed, b"\x17");
        assert_eq!(ed.buffer(), "show ");
        run(&mut ed, b"\x17");
        assert_eq!(ed.buffer(), "");
        let (_, out) = run(&mut ed, b"\x17");
        assert!(out.is_empty());
        assert_eq!(ed.buffer(), "");
    }

    #[test]
    fn ctrl_c_interrupts() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"conf t\x03");
        assert_eq!(ev, vec![Event::Interrupt]);
        assert_eq!(out, b"conf t\r\n");
        assert_eq!(ed.buffer(), "");
        assert!(ed.history().is_empty());
        let (ev, _) = run(&mut ed, b"x\r");
        assert_eq!(ev, vec![line("x")]);
    }

    #[test]
    fn ctrl_z_suspends() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"interface\x1a");
        assert_eq!(ev, vec![Event::Suspend]);
        assert_eq!(out, b"interface^Z\r\n");
        assert_eq!(ed.buffer(), "");
    }

    #[test]
    fn ctrl_d_only_on_empty_buffer() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"\x04");
        assert_eq!(ev, vec![Event::Eof]);
        assert!(out.is_empty());
        let (ev, _) = run(&mut ed, b"ab\x04c\r");
        assert_eq!(ev, vec![line("abc")]);
    }

    #[test]
    fn question_mark_returns_help_and_keeps_buffer() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"show ?");
        assert_eq!(ev, vec![Event::Help("show ".into())]);
        assert_eq!(out, b"show ?\r\n");
        assert_eq!(ed.buffer(), "show ");
        let mut out = Vec::new();
        ed.redraw("CE#", &mut out);
        assert_eq!(out, b"CE#show ");
        let (ev, _) = run(&mut ed, b"ver\r");
        assert_eq!(ev, vec![line("show ver")]);
    }

    #[test]
    fn tab_returns_complete_without_echo() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(&mut ed, b"sh\t");
        assert_eq!(ev, vec![Event::Complete("sh".into())]);
        assert_eq!(out, b"sh");
        let mut out = Vec::new();
        ed.replace_buffer("show ", &mut out);
        assert_eq!(out, b"ow ");
        assert_eq!(ed.buffer(), "show ");
        let mut out = Vec::new();
        ed.replace_buffer("sh", &mut out);
        let mut expected = erasures(5);
        expected.extend_from_slice(b"sh");
        assert_eq!(out, expected);
        assert_eq!(ed.buffer(), "sh");
    }

    #[test]
    fn tab_with_special_keys_off_is_literal() {
        let mut ed = LineEditor::new();
        ed.set_special_keys(false);
        let (ev, out) = run(&mut ed, b"a\tb?\r");
        assert_eq!(ev, vec![line("a\tb?")]);
        assert_eq!(out, b"a\tb?\r\n");
    }

    #[test]
    fn history_up_down_and_back_to_draft() {
        let mut ed = LineEditor::new();
        run(&mut ed, b"one\rtwo\rthree\r");
        assert_eq!(ed.history(), ["one", "two", "three"]);
        let (_, out) = run(&mut ed, b"dr");
        assert_eq!(out, b"dr");
        let (_, out) = run(&mut ed, b"\x1b[A");
        assert_eq!(ed.buffer(), "three");
        let mut expected = erasures(2);
        expected.extend_from_slice(b"three");
        assert_eq!(out, expected);
        run(&mut ed, b"\x1bOA");
        assert_eq!(ed.buffer(), "two");
        run(&mut ed, b"\x10");
        assert_eq!(ed.buffer(), "one");
        let (_, out) = run(&mut ed, b"\x10");
        assert_eq!(ed.buffer(), "one", "Up at the oldest entry stays");
        assert!(out.is_empty());
        run(&mut ed, b"\x1b[B");
        assert_eq!(ed.buffer(), "two");
        run(&mut ed, b"\x0e");
        assert_eq!(ed.buffer(), "three");
        let (_, out) = run(&mut ed, b"\x1bOB");
        assert_eq!(ed.buffer(), "dr", "past the newest entry: the draft");
        let mut expected = erasures(5);
        expected.extend_from_slice(b"dr");
        assert_eq!(out, expected);
        let (_, out) = run(&mut ed, b"\x1b[B");
        assert_eq!(ed.buffer(), "dr");
        assert!(out.is_empty());
        let (ev, _) = run(&mut ed, b"\x1b[A\r");
        assert_eq!(ev, vec![line("three")]);
    }

    #[test]
    fn history_down_to_empty_draft() {
        let mut ed = LineEditor::new();
        run(&mut ed, b"one\r");
        run(&mut ed, b"\x1b[A");
        assert_eq!(ed.buffer(), "one");
        run(&mut ed, b"\x1b[B");
        assert_eq!(ed.buffer(), "");
        let (_, out) = run(&mut ed, b"\x1b[A");
        assert_eq!(out, b"one");
    }

    #[test]
    fn history_recording_rules() {
        let mut ed = LineEditor::new();
        run(&mut ed, b"a\ra\r\r   \rb\ra\r");
        assert_eq!(ed.history(), ["a", "b", "a"]);
        for i in 0..30 {
            run(&mut ed, format!("cmd {i}\r").as_bytes());
        }
        assert_eq!(ed.history().len(), DEFAULT_HISTORY_CAPACITY);
        assert_eq!(ed.history()[0], "cmd 10");
        assert_eq!(ed.history()[19], "cmd 29");
        ed.set_history_capacity(3);
        assert_eq!(ed.history(), ["cmd 27", "cmd 28", "cmd 29"]);
    }

    #[test]
    fn history_off_does_not_record_or_browse() {
        let mut ed = LineEditor::new();
        run(&mut ed, b"enable\r");
        ed.set_history(false);
        let (ev, out) = run(&mut ed, b"\x1b[Ay\r");
        assert_eq!(ev, vec![line("y")]);
        assert_eq!(out, b"y\r\n");
        ed.set_history(true);
        assert_eq!(ed.history(), ["enable"]);
    }

    #[test]
    fn escape_sequences_are_ignored() {
        let mut ed = LineEditor::new();
        let (ev, out) = run(
            &mut ed,
            b"a\x1b[Cb\x1b[Dc\x1b[1~d\x1b[1;5Ce\x1bOPf\x1b[200~g\x1bxh\r",
        );
        assert_eq!(ev, vec![line("abcdefgh")]);
        assert_eq!(out, b"abcdefgh\r\n");
    }

    #[test]
    fn escape_sequences_split_across_feeds() {
        let mut ed = LineEditor::new();
        for chunk in [
            &b"ab\x1b"[..],
            b"[",
            b"1",
            b";5",
            b"C",
            b"\x1b",
            b"O",
            b"D",
            b"c\r",
        ] {
            ed.feed(chunk);
            let mut out = Vec::new();
            if let Some(ev) = ed.next_event(&mut out) {
                assert_eq!(ev, line("abc"));
                return;
            }
            assert!(!out.contains(&b'['));
        }
        panic!("no line");
    }

    #[test]
    fn history_arrow_split_across_feeds() {
        let mut ed = LineEditor::new();
        run(&mut ed, b"show clock\r");
        run(&mut ed, b"\x1b");
        run(&mut ed, b"[");
        assert_eq!(ed.buffer(), "");
        run(&mut ed, b"A");
        assert_eq!(ed.buffer(), "show clock");
    }

    #[test]
    fn control_byte_aborts_escape_sequence() {
        let mut ed = LineEditor::new();
        let (ev, _) = run(&mut ed, b"x\x1b[12\r");
        assert_eq!(ev, vec![line("x")]);
        let (ev, _) = run(&mut ed, b"y\x1b\x03");
        assert_eq!(ev, vec![Event::Interrupt]);
    }

    #[test]
    fn next_byte_reads_raw_and_swallows_lf_after_cr() {
        let mut ed = LineEditor::new();
        ed.feed(b" \r\nq");
        assert_eq!(ed.next_byte(), Some(b' '));
        assert_eq!(ed.next_byte(), Some(b'\r'));
        assert_eq!(ed.next_byte(), Some(b'q'));
        assert_eq!(ed.next_byte(), None);
        // A line ended by CR in next_event: the LF is swallowed by next_byte.
        ed.feed(b"show\r");
        let mut out = Vec::new();
        assert_eq!(ed.next_event(&mut out), Some(line("show")));
        ed.feed(b"\n ");
        assert_eq!(ed.next_byte(), Some(b' '));
        // And the other way round.
        ed.feed(b"\r");
        assert_eq!(ed.next_byte(), Some(b'\r'));
        let (ev, _) = run(&mut ed, b"\nz\r");
        assert_eq!(ev, vec![line("z")]);
    }

    #[test]
    fn clear_drops_buffer_without_echo() {
        let mut ed = LineEditor::new();
        run(&mut ed, b"abc");
        ed.clear();
        assert_eq!(ed.buffer(), "");
        let (ev, out) = run(&mut ed, b"\r");
        assert_eq!(ev, vec![line("")]);
        assert_eq!(out, b"\r\n");
    }

    #[test]
    fn line_is_capped() {
        let mut ed = LineEditor::new();
        let (_, out) = run(&mut ed, &[b'a'; 5000]);
        assert_eq!(ed.buffer().len(), MAX_LINE_BYTES);
        assert_eq!(out.len(), MAX_LINE_BYTES);
        run(&mut ed, b"\x7f");
        run(&mut ed, "\u{20ac}".as_bytes());
        assert_eq!(
            ed.buffer().len(),
            MAX_LINE_BYTES - 1,
            "3-byte char does not fit"
        );
        run(&mut ed, b"z");
        assert_eq!(ed.buffer().len(), MAX_LINE_BYTES);
        let mut out = Vec::new();
        ed.replace_buffer(&"\u{e9}".repeat(3000), &mut out);
        assert_eq!(ed.buffer().len(), MAX_LINE_BYTES);
        let (ev, _) = run(&mut ed, b"\r");
        assert!(matches!(&ev[0], Event::Line(l) if l.len() == MAX_LINE_BYTES));
    }

    #[test]
    fn to_crlf_converts_lf_only() {
        assert_eq!(to_crlf("a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(to_crlf(""), b"");
        assert_eq!(to_crlf("\n\n"), b"\r\n\r\n");
        assert_eq!(to_crlf("x\ry"), b"x\ry");
    }

    fn twelve_lines() -> String {
        (1..=12).map(|i| format!("line{i}\n")).collect()
    }

    fn lines_crlf(range: std::ops::RangeInclusive<usize>) -> Vec<u8> {
        range
            .flat_map(|i| format!("line{i}\r\n").into_bytes())
            .collect()
    }

    fn erase_more() -> Vec<u8> {
        let n = MORE_PROMPT.len();
        let mut v = vec![BACKSPACE; n];
        v.extend(vec![b' '; n]);
        v.extend(vec![BACKSPACE; n]);
        v
    }

    #[test]
    fn pager_pages_with_space_enter_and_q() {
        let mut p = Pager::new(&twelve_lines(), 5);
        let mut out = Vec::new();
        assert!(p.start(&mut out));
        let mut expected = lines_crlf(1..=4);
        expected.extend_from_slice(MORE_PROMPT.as_bytes());
        assert_eq!(out, expected);
        assert!(p.is_waiting());

        // Unknown key: ignored, nothing written.
        let mut out = Vec::new();
        assert!(p.key(b'x', &mut out));
        assert!(out.is_empty());

        // Enter: one line.
        let mut out = Vec::new();
        assert!(p.key(b'\r', &mut out));
        let mut expected = erase_more();
        expected.extend(lines_crlf(5..=5));
        expected.extend_from_slice(MORE_PROMPT.as_bytes());
        assert_eq!(out, expected);

        // Space: next page.
        let mut out = Vec::new();
        assert!(p.key(b' ', &mut out));
        let mut expected = erase_more();
        expected.extend(lines_crlf(6..=9));
        expected.extend_from_slice(MORE_PROMPT.as_bytes());
        assert_eq!(out, expected);
        assert_eq!(p.remaining(), 3);

        // q: stop.
        let mut out = Vec::new();
        assert!(!p.key(b'q', &mut out));
        assert_eq!(out, erase_more());
        assert!(!p.is_waiting());
        let mut out = Vec::new();
        assert!(!p.key(b' ', &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn pager_runs_to_the_end() {
        let mut p = Pager::new(&twelve_lines(), 5);
        let mut out = Vec::new();
        assert!(p.start(&mut out));
        assert!(p.key(b' ', &mut out)); // 5..=8
        assert!(p.key(b'\n', &mut out)); // 9
        assert!(!p.key(b' ', &mut out)); // 10..=12, done
        let text = String::from_utf8(out).unwrap();
        let visible: String = text.replace(MORE_PROMPT, "").replace(['\x08', ' '], "");
        let expected = String::from_utf8(lines_crlf(1..=12)).unwrap();
        assert_eq!(visible, expected);
        assert!(text.ends_with("line12\r\n"));
    }

    #[test]
    fn pager_ctrl_c_and_capital_q_stop() {
        for key in [CTRL_C, b'Q'] {
            let mut p = Pager::new(&twelve_lines(), 5);
            let mut out = Vec::new();
            assert!(p.start(&mut out));
            let mut out = Vec::new();
            assert!(!p.key(key, &mut out));
            assert_eq!(out, erase_more());
        }
    }

    #[test]
    fn pager_length_zero_does_not_page() {
        let mut p = Pager::new(&twelve_lines(), 0);
        let mut out = Vec::new();
        assert!(!p.start(&mut out));
        assert_eq!(out, lines_crlf(1..=12));
        assert!(!p.is_waiting());
    }

    #[test]
    fn pager_short_output_fits() {
        let mut p = Pager::new("a\r\nb", 24);
        let mut out = Vec::new();
        assert!(!p.start(&mut out));
        assert_eq!(out, b"a\r\nb\r\n");
        let mut p = Pager::new("", 24);
        let mut out = Vec::new();
        assert!(!p.start(&mut out));
        assert!(out.is_empty());
        // Exactly one page.
        let mut p = Pager::new("1\n2\n3\n4\n", 5);
        let mut out = Vec::new();
        assert!(!p.start(&mut out));
        assert_eq!(out, b"1\r\n2\r\n3\r\n4\r\n");
    }

    #[test]
    fn pager_length_one_pages_one_line() {
        let mut p = Pager::new("1\n2\n", 1);
        let mut out = Vec::new();
        assert!(p.start(&mut out));
        assert!(!p.key(b' ', &mut out));
    }

    /// xorshift64* generator for the property test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn byte(&mut self) -> u8 {
            const INTERESTING: &[u8] = b"\r\n\x1b[OAB~?\t\x03\x04\x08\x7f\x15\x17\x1a\x10\x0e \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff";
            match self.below(4) {
                0 => INTERESTING[self.below(INTERESTING.len() as u64) as usize],
                1 => b'a' + self.below(26) as u8,
                _ => self.next() as u8,
            }
        }
    }

    #[test]
    fn random_input_never_panics_and_stays_bounded() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..400 {
            let mut ed = LineEditor::new();
            let mut pager: Option<Pager> = None;
            for _ in 0..20 {
                let len = match rng.below(10) {
                    0 => 2000 + rng.below(4000) as usize,
                    _ => rng.below(64) as usize,
                };
                let bytes: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
                ed.feed(&bytes);
                let mut out = Vec::new();
                match rng.below(8) {
                    0 => ed.set_echo(rng.below(2) == 0),
                    1 => ed.set_special_keys(rng.below(2) == 0),
                    2 => ed.set_history(rng.below(2) == 0),
                    _ => {}
                }
                loop {
                    if let Some(p) = pager.as_mut() {
                        match ed.next_byte() {
                            Some(k) => {
                                if !p.key(k, &mut out) {
                                    pager = None;
                                }
                                continue;
                            }
                            None => break,
                        }
                    }
                    match ed.next_event(&mut out) {
                        Some(Event::Line(l)) => {
                            assert!(l.len() <= MAX_LINE_BYTES);
                            if rng.below(4) == 0 {
                                let mut p =
                                    Pager::new(&l.replace(' ', "\n"), rng.below(6) as usize);
                                if p.start(&mut out) {
                                    pager = Some(p);
                                }
                            }
                        }
                        Some(Event::Complete(b)) => {
                            let mut s = b.clone();
                            if rng.below(2) == 0 {
                                s.push_str("completion ");
                            } else {
                                s = "x".repeat(rng.below(5000) as usize);
                            }
                            ed.replace_buffer(&s, &mut out);
                        }
                        Some(Event::Help(_)) => ed.redraw("CE#", &mut out),
                        Some(_) => {}
                        None => break,
                    }
                    assert!(ed.buffer().len() <= MAX_LINE_BYTES, "round {round}");
                }
                assert!(ed.buffer().len() <= MAX_LINE_BYTES, "round {round}");
                assert!(ed.history().len() <= DEFAULT_HISTORY_CAPACITY);
                // Echo never contains ANSI escapes.
                assert!(!out.contains(&ESC), "round {round}");
            }
        }
    }
}
