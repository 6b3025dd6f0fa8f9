//! A CLI session on one device: the mode stack (EXEC, configuration, interface), the privilege level,
//! terminal settings, and the question waiting for an answer (`Password:`, `[confirm]`). It takes
//! whole lines, runs them through the grammar of its mode and the matched command's handler, and
//! returns a [`Reply`] (text and an [`Action`] for the edge); it is synchronous and never touches
//! sockets, so SSH, the local console and tests drive it the same way. Which commands exist, what
//! they ask and what they do is the business of `commands`; the session only carries it out.

use std::sync::Arc;

use cli_grammar::{render_error, render_help, Help, HelpItem, ParseError, Parsed};

use crate::commands::pipe::{self, PipeError};
use crate::commands::{
    self, Applied, Args, ConfigMode, Ctx, Mode, Next, Outcome, Place, Question, SessionState,
    TermSettings,
};
use crate::device::{Device, Power};
use crate::network::LabLink;
use crate::text::msg;

pub use crate::commands::Input as InputKind;

/// What a device waits for when the text it sent so far ends with the unfinished line `last_line`
/// (trailing spaces ignored): a command at a mode prompt (`ce1#`, `ce1>`, `ce1(config)#`,
/// `ce1(config-if)#`), an answer to one of the questions commands ask ([`commands::questions`]),
/// or `None` while more output may come. A client that only sees bytes (the SSH runner) uses it to
/// know that a reply is complete.
pub fn waiting_for(last_line: &str) -> Option<InputKind> {
    let line = last_line.trim_end_matches(' ');
    if let Some(ask) = commands::questions().find(|q| q.prompt.trim_end() == line) {
        return Some(ask.input);
    }
    let body = line.strip_suffix(['#', '>'])?;
    let host = ["(config)", "(config-if)"]
        .iter()
        .find_map(|mode| body.strip_suffix(mode))
        .unwrap_or(body);
    let sound = host
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    sound.then_some(InputKind::Command)
}

/// What the edge must do after a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    /// Close this session (`exit` in EXEC).
    Close,
    /// Reload the device (closes every session of it).
    Reload,
    /// Run a long task (download, upload) outside the SSH callback, then hand its result back.
    Run(crate::tasks::Task),
}

/// The result of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Output, lines ending with `\n`.
    pub text: String,
    /// The command failed (an `exec` channel exits with status 1).
    pub failed: bool,
    pub action: Action,
}

impl Reply {
    fn text(text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            failed: false,
            action: Action::None,
        }
    }
    fn fail(text: impl Into<String>) -> Self {
        let mut text = text.into();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Reply {
            text,
            failed: true,
            action: Action::None,
        }
    }
    fn action(action: Action, text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            failed: false,
            action,
        }
    }
}

/// One CLI session.
pub struct Session {
    device: Arc<Device>,
    /// The lab the device is on (`None` outside a lab): its network for the commands and tasks.
    lab: Option<Arc<LabLink>>,
    state: SessionState,
    /// The question the next line answers, and the command that asked it.
    pending: Option<(Question, &'static commands::ExecCommand)>,
}

const HISTORY_KEPT: usize = 20;

impl Session {
    /// Opens a session on `device` of `lab` for `user` (already authenticated) with `privilege`,
    /// from `peer`.
    pub fn new(
        device: Arc<Device>,
        lab: Option<Arc<LabLink>>,
        user: &str,
        privilege: u8,
        peer: &str,
    ) -> Self {
        let id = device.open_session(user, peer);
        Session {
            device,
            lab,
            state: SessionState {
                id,
                user: user.to_string(),
                privilege,
                mode: Mode::Exec,
                term: TermSettings::default(),
                history: Vec::new(),
                cwd: crate::disk_path::DiskPath::root(),
            },
            pending: None,
        }
    }

    /// The lab the device is on (`None` outside a lab).
    pub fn lab(&self) -> Option<&Arc<LabLink>> {
        self.lab.as_ref()
    }

    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    pub fn user(&self) -> &str {
        &self.state.user
    }

    pub fn privilege(&self) -> u8 {
        self.state.privilege
    }

    pub fn mode(&self) -> Mode {
        self.state.mode
    }

    pub fn term(&self) -> TermSettings {
        self.state.term
    }

    /// What is printed before the cursor: the mode prompt, or the pending question.
    pub fn prompt(&self) -> String {
        if let Some((question, _)) = &self.pending {
            return question.ask.prompt.to_string();
        }
        let host = self.device.hostname();
        match self.state.mode {
            Mode::Exec if self.state.privilege >= 15 => format!("{host}#"),
            Mode::Exec => format!("{host}>"),
            Mode::Config(ConfigMode::Global) => format!("{host}(config)#"),
            Mode::Config(ConfigMode::Interface(..)) => format!("{host}(config-if)#"),
        }
    }

    pub fn input_kind(&self) -> InputKind {
        match &self.pending {
            None => InputKind::Command,
            Some((question, _)) => question.ask.input,
        }
    }

    fn privileged(&self) -> bool {
        self.state.privilege >= 15
    }

    /// `?` after `line`: the rendered help (or the parse error of the text before the `?`).
    pub fn help(&self, line: &str) -> String {
        if self.pending.is_some() {
            return String::new();
        }
        let kind = self.device.identity.kind;
        let prompt_width = self.prompt().chars().count();
        if let (Mode::Exec, (command, Some(at))) = (self.state.mode, pipe::split(line)) {
            // after a show command's `|`: the modifiers, then the pattern
            let grammar = commands::exec_grammar(self.privileged(), kind);
            return match grammar.parse(command) {
                Parsed::Match(m) if pipe::follows(m.id.syntax) => {
                    let (rows, partial) = pipe::help(line, at);
                    let items = rows
                        .into_iter()
                        .map(|(token, help)| HelpItem { token, help })
                        .collect();
                    render_help(&Help { items, partial })
                }
                Parsed::Error(e) => render_error(&e, prompt_width, line),
                _ => render_error(&ParseError::Invalid { at: at - 1 }, prompt_width, line),
            };
        }
        let help = match self.state.mode {
            Mode::Exec => commands::exec_grammar(self.privileged(), kind).help(line),
            Mode::Config(mode) => commands::config_grammar(mode, kind).help(line),
        };
        match help {
            Ok(mut help) => {
                // a complete show command may be followed by an output modifier
                let ends_a_show = matches!(self.state.mode, Mode::Exec)
                    && help.items.iter().any(|i| i.token == "<cr>")
                    && matches!(
                        commands::exec_grammar(self.privileged(), kind).parse(line),
                        Parsed::Match(m) if pipe::follows(m.id.syntax)
                    );
                if ends_a_show && !help.partial {
                    let at = help.items.len() - 1;
                    help.items.insert(
                        at,
                        HelpItem {
                            token: "|".into(),
                            help: pipe::PIPE_HELP.into(),
                        },
                    );
                }
                render_help(&help)
            }
            Err(e) => render_error(&e, prompt_width, line),
        }
    }

    /// Tab after `line`: the completed line.
    pub fn complete(&self, line: &str) -> String {
        if self.pending.is_some() {
            return line.to_string();
        }
        let kind = self.device.identity.kind;
        match self.state.mode {
            Mode::Exec => commands::exec_grammar(self.privileged(), kind).complete(line),
            Mode::Config(mode) => commands::config_grammar(mode, kind).complete(line),
        }
        .line
    }

    /// Ctrl-C: abandons a pending question (and nothing else).
    pub fn interrupt(&mut self) {
        self.pending = None;
    }

    /// Ctrl-Z: back to privileged EXEC from configuration (like `end`).
    pub fn suspend(&mut self) {
        self.pending = None;
        if matches!(self.state.mode, Mode::Config(_)) {
            self.state.mode = Mode::Exec;
        }
    }

    /// Runs one input line: a command, or the answer to the pending question.
    pub fn execute(&mut self, line: &str) -> Reply {
        if let Some((question, command)) = self.pending.take() {
            let mut ctx = Ctx {
                device: &self.device,
                network: self.lab.as_deref().map(|l| &l.network),
                session: &mut self.state,
            };
            let outcome = (question.then)(line.trim(), &mut ctx);
            return self.carry_out(outcome, command);
        }
        if self.device.state().power != Power::Running {
            return Reply::fail(msg::DEVICE_BUSY);
        }
        if !line.trim().is_empty() {
            self.device.counters().command_run();
        }
        match self.state.mode {
            Mode::Exec => self.exec_line(line, self.prompt().chars().count(), true),
            Mode::Config(mode) => self.config_line(line, mode),
        }
    }

    fn remember(&mut self, line: &str) {
        if self.state.history.len() == HISTORY_KEPT {
            self.state.history.remove(0);
        }
        self.state.history.push(line.trim().to_string());
    }

    /// An EXEC line; `caret_offset` is the width of what precedes it on the screen; `remember`:
    /// whether it goes into the history (not the line of a `do`, whose `do ...` line is there).
    fn exec_line(&mut self, line: &str, caret_offset: usize, remember: bool) -> Reply {
        let kind = self.device.identity.kind;
        // `show ... | include PATTERN`: the command before the `|`, the modifier after it
        let (command_text, pipe_at) = pipe::split(line);
        let m = match commands::exec_grammar(self.privileged(), kind).parse(command_text) {
            Parsed::Empty if pipe_at.is_none() => return Reply::text(""),
            Parsed::Empty => None,
            Parsed::Error(e) => return Reply::fail(render_error(&e, caret_offset, line)),
            Parsed::Match(m) => Some(m),
        };
        let syntax = m.as_ref().map(|m| m.id.syntax);
        let pipe = match pipe_at.map(|at| pipe::parse(syntax, line, at)) {
            None => None,
            Some(Ok(pipe)) => Some(pipe),
            Some(Err(e)) => return Reply::fail(render_pipe_error(&e, caret_offset, line)),
        };
        // (an empty command before a `|` was refused by the modifier's parse)
        let Some(m) = m else {
            return Reply::text("");
        };
        if remember {
            self.remember(line);
        }
        let (command, matched) = m.into_parts();
        tracing::debug!(device = %self.device.identity.name, command = command.syntax, "command");
        let mut ctx = Ctx {
            device: &self.device,
            network: self.lab.as_deref().map(|l| &l.network),
            session: &mut self.state,
        };
        let outcome = (command.run)(&Args::new(&matched, command.syntax), &mut ctx);
        let outcome = match (outcome, pipe) {
            (Outcome::Print(text), Some(pipe)) => Outcome::Print(pipe.apply(&text)),
            (outcome, _) => outcome,
        };
        self.carry_out(outcome, command)
    }

    /// Turns what a command (or an answer) led to into a reply.
    fn carry_out(&mut self, outcome: Outcome, command: &'static commands::ExecCommand) -> Reply {
        match outcome {
            Outcome::Print(text) => Reply::text(text),
            Outcome::Fail(text) => Reply::fail(text),
            Outcome::Ask(mut question) => {
                debug_assert!(
                    command.asks.contains(&question.ask),
                    "command `{}` asks {:?} without declaring it in `asks`",
                    command.syntax,
                    question.ask.prompt
                );
                let note = std::mem::take(&mut question.note);
                self.pending = Some((question, command));
                Reply::text(note)
            }
            Outcome::Close => Reply::action(Action::Close, ""),
            Outcome::Reload(text) => Reply::action(Action::Reload, text),
            Outcome::Run(task) => Reply::action(Action::Run(task), ""),
        }
    }

    fn config_line(&mut self, line: &str, mode: ConfigMode) -> Reply {
        let kind = self.device.identity.kind;
        let m = match commands::config_grammar(mode, kind).parse(line) {
            Parsed::Empty => return Reply::text(""),
            Parsed::Error(e) => {
                return Reply::fail(render_error(&e, self.prompt().chars().count(), line))
            }
            Parsed::Match(m) => m,
        };
        self.remember(line);
        let (command, matched) = m.into_parts();
        tracing::debug!(device = %self.device.identity.name, command = command.syntax, "command");
        let args = Args::new(&matched, command.syntax);
        let mut notice = String::new();
        if let Some(check) = command.check {
            match check(&args, &self.device, self.lab.as_deref().map(|l| &l.network)) {
                Ok(text) => notice = text.unwrap_or_default(),
                Err(e) => return Reply::fail(e),
            }
        }
        let result = {
            let mut state = self.device.state();
            let mut candidate = state.running.clone();
            let result = (command.apply)(&args, &mut candidate, Place { mode, kind });
            if result.is_ok() {
                state.running = candidate;
            }
            result
        };
        let Applied { notice: more, next } = match result {
            Ok(applied) => applied,
            Err(e) => return Reply::fail(e),
        };
        match next {
            Next::Stay => {}
            Next::Enter(sub) => self.state.mode = Mode::Config(sub),
            Next::Up => {
                self.state.mode = match mode {
                    ConfigMode::Interface(..) => Mode::Config(ConfigMode::Global),
                    ConfigMode::Global => Mode::Exec,
                };
                return Reply::text(notice);
            }
            Next::End => {
                self.state.mode = Mode::Exec;
                return Reply::text(notice);
            }
            Next::Exec(exec_line) => return self.run_do(&exec_line),
        }
        // the configuration may have changed: the device's agent acts on it now
        self.device.kick();
        notice.extend(more.map(|n| format!("{n}\n")));
        Reply::text(notice)
    }

    /// `do LINE`: an EXEC command from configuration mode, keeping the mode. `configure` and `exit`
    /// do nothing there.
    fn run_do(&mut self, line: &str) -> Reply {
        let saved = self.state.mode;
        // The caret counts the configuration prompt the line was typed after.
        let offset = self.prompt().chars().count() + "do ".len();
        self.state.mode = Mode::Exec;
        let mut reply = self.exec_line(line, offset, false);
        if reply.action == Action::Close {
            reply = Reply::text("");
        }
        if self.pending.is_none() {
            self.state.mode = saved;
        }
        reply
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.device.close_session(self.state.id);
    }
}

/// A modifier's error as the CLI prints it: the grammar's caret and messages, and for a pattern
/// that is not a regular expression the caret under it and why.
fn render_pipe_error(e: &PipeError, caret_offset: usize, line: &str) -> String {
    match e {
        PipeError::Invalid { at } => {
            render_error(&ParseError::Invalid { at: *at }, caret_offset, line)
        }
        PipeError::Incomplete => render_error(&ParseError::Incomplete, caret_offset, line),
        PipeError::BadPattern { at, why } => {
            let caret = render_error(&ParseError::Invalid { at: *at }, caret_offset, line);
            let caret = caret.lines().next().unwrap_or_default();
            format!("{caret}\n{}{why}\n", msg::BAD_PATTERN)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_prompts_and_questions_end_a_reply() {
        for p in [
            "ce1#",
            "ce1>",
            "edge-1.lab(config)#",
            "cdm1(config-if)#",
            "ce1# ",
        ] {
            assert_eq!(waiting_for(p), Some(InputKind::Command), "{p}");
        }
        assert_eq!(waiting_for("Password:"), Some(InputKind::Secret));
        assert_eq!(
            waiting_for(crate::text::install::ASK_FTP_PASSWORD),
            Some(InputKind::Secret)
        );
        assert_eq!(
            waiting_for(crate::text::prompt::PROCEED_WITH_RELOAD),
            Some(InputKind::Answer)
        );
    }

    #[test]
    fn output_that_only_looks_like_a_prompt_does_not() {
        // download progress, partial prompts, comments, empty lines
        for p in [
            "####",
            "",
            "ce1(con",
            "ce1",
            "! comment#",
            "#",
            "(config)#",
            "a b#",
        ] {
            assert_eq!(waiting_for(p), None, "{p:?}");
        }
    }
}
