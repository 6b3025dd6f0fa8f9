//! A CLI session on one device: the mode stack (EXEC, configuration, interface), the privilege level,
//! terminal settings, and questions waiting for an answer (`Password:`, `[confirm]`). It takes whole
//! lines and returns a [`Reply`] (text and an [`Action`] for the edge); it is synchronous and never
//! touches sockets, so SSH, the local console and tests drive it the same way.

use std::sync::Arc;

use cli_grammar::{render_error, render_help, Parsed};

use crate::commands::configure::{self, ConfigMode};
use crate::commands::exec::{self, Outcome, TermSettings};
use crate::commands::show::{self, ShowCtx};
use crate::commands::{grammar, Cmd, Grammar};
use crate::device::{Device, Power};
use crate::text::{msg, prompt};

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Exec,
    Config(ConfigMode),
}

/// A question the session is waiting to have answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    EnablePassword,
    SaveBeforeReload,
    ConfirmReload,
    ConfirmCmsDelete,
    /// `copy ftp ...` asks the FTP login, then the password.
    FtpUser(FtpCopy),
    FtpPassword(FtpCopy, String),
}

/// A `copy ftp ...` / `copy disk ftp` waiting for its login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpCopy {
    pub host: String,
    pub dir: String,
    pub file: String,
    /// `None`: install; `Some(local)`: keep on disk as `local` (or, for an upload, the source).
    pub local: Option<String>,
    pub upload: bool,
}

/// How the next input line should be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A command: echo, history, `?` and Tab.
    Command,
    /// A password: no echo, no history.
    Secret,
    /// An answer to a question: echo, no history, no `?`/Tab.
    Answer,
}

/// The questions a session asks, as printed before the cursor, and how their answer is read.
pub const QUESTIONS: [(&str, InputKind); 6] = [
    (prompt::PASSWORD, InputKind::Secret),
    (prompt::SAVE_BEFORE_RELOAD, InputKind::Answer),
    (prompt::PROCEED_WITH_RELOAD, InputKind::Answer),
    (crate::text::cms::CONFIRM_DELETE, InputKind::Answer),
    (crate::text::install::ASK_FTP_USER, InputKind::Answer),
    (crate::text::install::ASK_FTP_PASSWORD, InputKind::Secret),
];

/// What a device waits for when the text it sent so far ends with the unfinished line `last_line`
/// (trailing spaces ignored): a command at a mode prompt (`ce1#`, `ce1>`, `ce1(config)#`,
/// `ce1(config-if)#`), an answer to one of the [`QUESTIONS`], or `None` while more output may come.
/// A client that only sees bytes (the SSH runner) uses it to know that a reply is complete.
pub fn waiting_for(last_line: &str) -> Option<InputKind> {
    let line = last_line.trim_end_matches(' ');
    if let Some((_, kind)) = QUESTIONS.iter().find(|(q, _)| q.trim_end() == line) {
        return Some(*kind);
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
    user: String,
    privilege: u8,
    mode: Mode,
    pending: Option<Pending>,
    term: TermSettings,
    history: Vec<String>,
    id: u64,
}

const HISTORY_KEPT: usize = 20;

impl Session {
    /// Opens a session for `user` (already authenticated) with `privilege`, from `peer`.
    pub fn new(device: Arc<Device>, user: &str, privilege: u8, peer: &str) -> Self {
        let id = device.open_session(user, peer);
        Session {
            device,
            user: user.to_string(),
            privilege,
            mode: Mode::Exec,
            pending: None,
            term: TermSettings::default(),
            history: Vec::new(),
            id,
        }
    }

    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn privilege(&self) -> u8 {
        self.privilege
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn term(&self) -> TermSettings {
        self.term
    }

    /// What is printed before the cursor: the mode prompt, or the pending question.
    pub fn prompt(&self) -> String {
        match self.pending {
            Some(Pending::EnablePassword) => prompt::PASSWORD.to_string(),
            Some(Pending::SaveBeforeReload) => prompt::SAVE_BEFORE_RELOAD.to_string(),
            Some(Pending::ConfirmReload) => prompt::PROCEED_WITH_RELOAD.to_string(),
            Some(Pending::ConfirmCmsDelete) => crate::text::cms::CONFIRM_DELETE.to_string(),
            Some(Pending::FtpUser(_)) => crate::text::install::ASK_FTP_USER.to_string(),
            Some(Pending::FtpPassword(..)) => crate::text::install::ASK_FTP_PASSWORD.to_string(),
            None => {
                let host = self.device.hostname();
                match self.mode {
                    Mode::Exec if self.privilege >= 15 => format!("{host}#"),
                    Mode::Exec => format!("{host}>"),
                    Mode::Config(ConfigMode::Global) => format!("{host}(config)#"),
                    Mode::Config(ConfigMode::Interface(..)) => format!("{host}(config-if)#"),
                }
            }
        }
    }

    pub fn input_kind(&self) -> InputKind {
        match self.pending {
            None => InputKind::Command,
            Some(Pending::EnablePassword | Pending::FtpPassword(..)) => InputKind::Secret,
            Some(_) => InputKind::Answer,
        }
    }

    fn grammar(&self) -> Grammar {
        match self.mode {
            Mode::Exec if self.privilege >= 15 => Grammar::PrivExec,
            Mode::Exec => Grammar::UserExec,
            Mode::Config(m) => m.grammar(),
        }
    }

    /// `?` after `line`: the rendered help (or the parse error of the text before the `?`).
    pub fn help(&self, line: &str) -> String {
        if self.pending.is_some() {
            return String::new();
        }
        match grammar(self.grammar(), self.device.identity.kind).help(line) {
            Ok(help) => render_help(&help),
            Err(e) => render_error(&e, self.prompt().chars().count(), line),
        }
    }

    /// Tab after `line`: the completed line.
    pub fn complete(&self, line: &str) -> String {
        if self.pending.is_some() {
            return line.to_string();
        }
        grammar(self.grammar(), self.device.identity.kind)
            .complete(line)
            .line
    }

    /// Ctrl-C: abandons a pending question (and nothing else).
    pub fn interrupt(&mut self) {
        self.pending = None;
    }

    /// Ctrl-Z: back to privileged EXEC from configuration (like `end`).
    pub fn suspend(&mut self) {
        self.pending = None;
        if matches!(self.mode, Mode::Config(_)) {
            self.mode = Mode::Exec;
        }
    }

    /// Runs one input line: a command, or the answer to the pending question.
    pub fn execute(&mut self, line: &str) -> Reply {
        if let Some(pending) = self.pending.take() {
            return self.answer(pending, line.trim());
        }
        if self.device.state().power != Power::Running {
            return Reply::fail(msg::DEVICE_BUSY);
        }
        let kind = self.device.identity.kind;
        let parsed = grammar(self.grammar(), kind).parse(line);
        let m = match parsed {
            Parsed::Empty => return Reply::text(""),
            Parsed::Error(e) => {
                return Reply::fail(render_error(&e, self.prompt().chars().count(), line))
            }
            Parsed::Match(m) => m,
        };
        self.remember(line);
        tracing::debug!(device = %self.device.identity.name, command = ?m.id, "command");
        match self.mode {
            Mode::Exec => self.exec_command(&m),
            Mode::Config(config_mode) => self.config_command(&m, config_mode),
        }
    }

    fn remember(&mut self, line: &str) {
        if self.history.len() == HISTORY_KEPT {
            self.history.remove(0);
        }
        self.history.push(line.trim().to_string());
    }

    fn exec_command(&mut self, m: &cli_grammar::Match<Cmd>) -> Reply {
        if is_show(m.id) {
            let ctx = ShowCtx {
                device: &self.device,
                privilege: self.privilege,
                session_id: self.id,
                term_length: self.term.length,
                term_width: self.term.width,
                history: &self.history,
            };
            return match show::run(m, &ctx) {
                Ok(text) => Reply::text(text),
                Err(e) => Reply::fail(e),
            };
        }
        match exec::run(m, &self.device, self.privilege, &mut self.term) {
            Outcome::Print(text) => Reply::text(text),
            Outcome::Fail(text) => Reply::fail(text),
            Outcome::EnterConfig => {
                self.mode = Mode::Config(ConfigMode::Global);
                Reply::text("")
            }
            Outcome::AskEnablePassword => self.ask(Pending::EnablePassword),
            Outcome::Disable => {
                self.privilege = self.privilege.min(1);
                Reply::text("")
            }
            Outcome::Close => Reply::action(Action::Close, ""),
            Outcome::AskSaveBeforeReload => self.ask(Pending::SaveBeforeReload),
            Outcome::AskConfirmReload => self.ask(Pending::ConfirmReload),
            Outcome::Reload => Reply::action(Action::Reload, format!("{}\n", msg::RELOADING)),
            Outcome::AskDeleteCms => self.ask(Pending::ConfirmCmsDelete),
            Outcome::AskFtpLogin(copy) => self.ask(Pending::FtpUser(copy)),
            Outcome::Run(task) => Reply::action(Action::Run(task), ""),
            Outcome::Installed(text) => Reply::action(Action::Reload, text),
        }
    }

    fn ask(&mut self, pending: Pending) -> Reply {
        self.pending = Some(pending);
        Reply::text("")
    }

    fn config_command(&mut self, m: &cli_grammar::Match<Cmd>, config_mode: ConfigMode) -> Reply {
        match m.id {
            Cmd::Exit => {
                self.mode = match config_mode {
                    ConfigMode::Interface(..) => Mode::Config(ConfigMode::Global),
                    ConfigMode::Global => Mode::Exec,
                };
                return Reply::text("");
            }
            Cmd::End => {
                self.mode = Mode::Exec;
                return Reply::text("");
            }
            Cmd::Do => return self.run_do(m.arg("LINE").unwrap_or_default()),
            _ => {}
        }
        let kind = self.device.identity.kind;
        let mut notice = String::new();
        if m.id == Cmd::CdmRole && m.has("primary") {
            if let Err(e) = crate::commands::cms::check_takeover(&self.device) {
                return Reply::fail(e);
            }
        }
        if m.id == Cmd::CmsEnable {
            match crate::commands::cms::check_enable(&self.device) {
                Ok(text) => notice = text.unwrap_or_default(),
                Err(e) => return Reply::fail(e),
            }
        }
        let result = {
            let mut state = self.device.state();
            let mut candidate = state.running.clone();
            let result = configure::apply(m, &mut candidate, config_mode, kind);
            if result.is_ok() {
                state.running = candidate;
            }
            result
        };
        match result {
            Ok(applied) => {
                if let Some(next) = applied.enter {
                    self.mode = Mode::Config(next);
                }
                self.device.kick();
                notice.extend(applied.notice.map(|n| format!("{n}\n")));
                Reply::text(notice)
            }
            Err(e) => Reply::fail(e),
        }
    }

    /// `do LINE`: an EXEC command from configuration mode, keeping the mode.
    fn run_do(&mut self, line: &str) -> Reply {
        let saved = self.mode;
        // The caret counts the configuration prompt the line was typed after.
        let offset = self.prompt().chars().count() + "do ".len();
        self.mode = Mode::Exec;
        let parsed = grammar(self.grammar(), self.device.identity.kind).parse(line);
        let reply = match parsed {
            Parsed::Match(m) if m.id == Cmd::Configure || m.id == Cmd::Exit => Reply::text(""),
            Parsed::Match(m) => self.exec_command(&m),
            Parsed::Empty => Reply::text(""),
            Parsed::Error(e) => Reply::fail(render_error(&e, offset, line)),
        };
        if self.pending.is_none() {
            self.mode = saved;
        }
        reply
    }

    fn answer(&mut self, pending: Pending, answer: &str) -> Reply {
        let lower = answer.to_ascii_lowercase();
        let yes = |default: bool| match lower.as_str() {
            "" => Some(default),
            "y" | "ye" | "yes" => Some(true),
            "n" | "no" => Some(false),
            _ => None,
        };
        match pending {
            Pending::EnablePassword => {
                let accepted = {
                    let state = self.device.state();
                    state
                        .running
                        .users
                        .values()
                        .any(|u| u.privilege >= 15 && u.password == answer)
                };
                if accepted {
                    self.privilege = 15;
                    Reply::text("")
                } else {
                    Reply::fail(msg::BAD_SECRET)
                }
            }
            Pending::SaveBeforeReload => match yes(true) {
                Some(true) => match exec::save(&self.device) {
                    Outcome::Fail(e) => Reply::fail(e),
                    _ => self.ask(Pending::ConfirmReload),
                },
                Some(false) => self.ask(Pending::ConfirmReload),
                None => Reply::fail(msg::ANSWER_YES_OR_NO),
            },
            Pending::FtpUser(copy) => self.ask(Pending::FtpPassword(copy, answer.to_string())),
            Pending::FtpPassword(copy, user) => {
                let password = answer.to_string();
                let task = if copy.upload {
                    crate::tasks::Task::Upload {
                        user,
                        password,
                        host: copy.host,
                        dir: copy.dir,
                        file: copy.file,
                        local: copy.local.unwrap_or_default(),
                    }
                } else {
                    crate::tasks::Task::Download {
                        via: crate::tasks::Via::Ftp { user, password },
                        host: copy.host,
                        dir: copy.dir,
                        file: copy.file,
                        then: copy
                            .local
                            .map(crate::tasks::Then::Keep)
                            .unwrap_or(crate::tasks::Then::Install),
                    }
                };
                Reply::action(Action::Run(task), "")
            }
            Pending::ConfirmCmsDelete => match yes(false) {
                Some(true) => match crate::commands::cms::delete(&self.device) {
                    Outcome::Print(text) => Reply::text(text),
                    Outcome::Fail(text) => Reply::fail(text),
                    _ => Reply::text(""),
                },
                Some(false) => Reply::text(format!("{}\n", crate::text::cms::DELETE_ABORTED)),
                None => Reply::fail(msg::ANSWER_YES_OR_NO),
            },
            Pending::ConfirmReload => match yes(true) {
                Some(true) => Reply::action(Action::Reload, format!("{}\n", msg::RELOADING)),
                _ => Reply::text(format!("{}\n", msg::RELOAD_ABORTED)),
            },
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.device.close_session(self.id);
    }
}

fn is_show(cmd: Cmd) -> bool {
    matches!(
        cmd,
        Cmd::ShowVersion
            | Cmd::ShowRunningConfig
            | Cmd::ShowStartupConfig
            | Cmd::ShowClock
            | Cmd::ShowHardware
            | Cmd::ShowDisksDetails
            | Cmd::ShowDeviceMode
            | Cmd::ShowPrivilege
            | Cmd::ShowUsers
            | Cmd::ShowTerminal
            | Cmd::ShowHistory
            | Cmd::ShowLogging
            | Cmd::Dir
            | Cmd::ShowCmsInfo
            | Cmd::ShowCmsDatabase
            | Cmd::ShowCmsDevices
    )
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
            waiting_for(prompt::PROCEED_WITH_RELOAD),
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
