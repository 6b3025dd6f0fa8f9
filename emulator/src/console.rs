//! The local console of `acnslab console` and `acnslab record`: a rustyline editor on the user's
//! terminal (or plain lines from a pipe) in front of a [`ConsoleClient`] session on one device.
//! A line ending in `?` asks the device for help and offers the line again; Tab asks the device to
//! complete the line; answers to questions are not kept in the history, and what is typed at a
//! secret prompt (`Password:`) is not shown. It owns no device state:
//! everything goes through the control socket.

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use rustyline::completion::Completer;
use rustyline::config::Configurer;
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{ColorMode, Context, Editor, Helper};

use crate::control::{ConsoleClient, ControlError, Reply, Request};

/// What the operator typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A line to send to the device (a command or an answer).
    Line(String),
    /// Ctrl-D, or the end of a piped input.
    End,
}

/// Why the console stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error("{0}")]
    Editor(#[from] ReadlineError),
}

/// A console on one device.
pub struct Console {
    editor: Editor<Completion, DefaultHistory>,
    client: Rc<RefCell<ConsoleClient>>,
}

impl Console {
    /// Opens `device` of the lab in `state_dir`; returns the console and the first reply (the prompt).
    pub fn open(state_dir: &Path, device: &str) -> Result<(Console, Reply), ConsoleError> {
        let (client, first) = ConsoleClient::open(state_dir, device)?;
        let client = Rc::new(RefCell::new(client));
        let mut editor: Editor<Completion, DefaultHistory> = Editor::new()?;
        editor.set_helper(Some(Completion {
            client: client.clone(),
            masking: false,
        }));
        Ok((Console { editor, client }, first))
    }

    /// Replaces the session (after the device reloaded and was opened again).
    pub fn reconnect(&mut self, client: ConsoleClient) {
        *self.client.borrow_mut() = client;
    }

    /// Sends one request on the session.
    pub fn request(&mut self, request: &Request) -> Result<Reply, ControlError> {
        self.client.borrow_mut().request(request)
    }

    /// The lab clock's time now.
    pub fn now(&mut self) -> Result<chrono::DateTime<chrono::Utc>, ControlError> {
        self.client.borrow_mut().now()
    }

    /// Reads the next line to send at `reply`'s prompt. Help (`?` at a mode prompt) is asked and
    /// printed here, then the line is offered again; Ctrl-C discards the line.
    pub fn read(&mut self, reply: &Reply) -> Result<Input, ConsoleError> {
        let mut initial = String::new();
        loop {
            self.mask(reply.secret);
            let read = if initial.is_empty() {
                self.editor.readline(&reply.prompt)
            } else {
                self.editor
                    .readline_with_initial(&reply.prompt, (&initial, ""))
            };
            self.mask(false);
            let line = match read {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => {
                    initial.clear();
                    continue;
                }
                Err(ReadlineError::Eof) => return Ok(Input::End),
                Err(e) => return Err(e.into()),
            };
            if reply.question {
                return Ok(Input::Line(line));
            }
            match line.strip_suffix('?') {
                Some(before) => {
                    let help = self.request(&Request::Help(before.to_string()))?;
                    if let Some(e) = help.error {
                        return Err(ControlError::Refused(e).into());
                    }
                    print!("{}", help.output);
                    initial = before.to_string();
                }
                None => {
                    if !line.trim().is_empty() {
                        let _ = self.editor.add_history_entry(line.as_str());
                    }
                    return Ok(Input::Line(line));
                }
            }
        }
    }

    /// Hides what is typed (a secret prompt) or shows it again.
    fn mask(&mut self, on: bool) {
        if let Some(helper) = self.editor.helper_mut() {
            helper.masking = on;
        }
        self.editor.set_color_mode(if on {
            ColorMode::Forced
        } else {
            ColorMode::Enabled
        });
    }
}

/// Tab: the device completes the line up to the cursor. Masking: the line is drawn as blanks.
struct Completion {
    client: Rc<RefCell<ConsoleClient>>,
    masking: bool,
}

impl Completer for Completion {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let before = line.get(..pos).unwrap_or(line);
        let Ok(mut client) = self.client.try_borrow_mut() else {
            return Ok((pos, Vec::new()));
        };
        match client.request(&Request::Complete(before.to_string())) {
            Ok(Reply {
                line: Some(done), ..
            }) if done != before => Ok((0, vec![done])),
            _ => Ok((pos, Vec::new())),
        }
    }
}

impl Hinter for Completion {
    type Hint = String;
}

impl Highlighter for Completion {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.masking {
            Cow::Owned(" ".repeat(line.chars().count()))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.masking && kind != CmdKind::MoveCursor
    }
}

impl Validator for Completion {}

impl Helper for Completion {}

/// `acnslab console DEVICE`: a console until Ctrl-D or the session closes.
pub fn run(state_dir: &Path, device: &str) -> Result<(), ConsoleError> {
    let (mut console, mut reply) = Console::open(state_dir, device)?;
    loop {
        let line = match console.read(&reply)? {
            Input::End => return Ok(()),
            Input::Line(line) => line,
        };
        let next = console.request(&Request::Line(line))?;
        print!("{}", next.output);
        if let Some(e) = next.error {
            return Err(ControlError::Refused(e).into());
        }
        if next.closed {
            return Ok(());
        }
        reply = next;
    }
}
