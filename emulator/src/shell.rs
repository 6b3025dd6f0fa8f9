//! An interactive shell: the line editor, the session and the pager put together. Bytes from the
//! client go in; echo, output and prompts come out, with an [`Action`] when the edge must do something
//! (close the channel, reload the device). Synchronous and socket-free: the SSH handler, the local
//! console and the tests all drive the same shell.

use crate::session::{Action, InputKind, Session};
use crate::terminal::{to_crlf, Event, LineEditor, Pager};

/// What one call to [`Shell::input`] produced.
#[derive(Debug, Default)]
pub struct Output {
    pub bytes: Vec<u8>,
    /// `Some` when the edge must act; input after it was not processed.
    pub action: Option<Action>,
}

/// One interactive CLI on a channel.
pub struct Shell {
    editor: LineEditor,
    session: Session,
    pager: Option<Pager>,
    /// A long task runs: input is queued, not read, until [`Shell::finish`].
    busy: bool,
    /// When the client last sent something, or a long task ended (lab clock): `exec-timeout`
    /// counts from there.
    last_activity: chrono::DateTime<chrono::Utc>,
}

impl Shell {
    pub fn new(session: Session) -> Self {
        let last_activity = session.device().clock().now();
        Shell {
            editor: LineEditor::new(),
            session,
            pager: None,
            busy: false,
            last_activity,
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The first bytes of the shell: the prompt, sent as soon as the shell opens.
    pub fn start(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_prompt(&mut out);
        out
    }

    /// Whether a long task runs (its output is streamed by the edge).
    pub fn is_busy(&self) -> bool {
        self.busy
    }

    /// A long task ended (its output already streamed by the edge): prints the prompt, then reads
    /// what was typed meanwhile; or, if the task asks for a reload, hands that to the edge.
    pub fn finish(&mut self, ran: crate::driver::Ran) -> Output {
        self.busy = false;
        self.last_activity = self.session.device().clock().now();
        let mut out = Output::default();
        if ran.after == crate::driver::After::Reload {
            out.action = Some(Action::Reload);
            return out;
        }
        self.write_prompt(&mut out.bytes);
        let more = self.input(&[]);
        out.bytes.extend(more.bytes);
        out.action = more.action;
        out
    }

    /// Since when the shell is idle: `None` while a long task runs (a download is not idleness).
    pub fn idle_since(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        (!self.busy).then_some(self.last_activity)
    }

    /// Feeds client bytes and runs everything they complete.
    pub fn input(&mut self, data: &[u8]) -> Output {
        self.last_activity = self.session.device().clock().now();
        self.editor.feed(data);
        let mut out = Output::default();
        while !self.busy {
            if let Some(pager) = self.pager.as_mut() {
                let Some(key) = self.editor.next_byte() else {
                    break;
                };
                if !pager.key(key, &mut out.bytes) {
                    self.pager = None;
                    self.write_prompt(&mut out.bytes);
                }
                continue;
            }
            let Some(event) = self.editor.next_event(&mut out.bytes) else {
                break;
            };
            match event {
                Event::Line(line) => {
                    let reply = self.session.execute(&line);
                    if reply.action != Action::None {
                        out.bytes.extend(to_crlf(&reply.text));
                        self.busy = matches!(reply.action, Action::Run(_));
                        out.action = Some(reply.action);
                        return out;
                    }
                    self.write_paged(&reply.text, &mut out.bytes);
                }
                Event::Help(line) => {
                    out.bytes.extend(to_crlf(&self.session.help(&line)));
                    self.editor.redraw(&self.session.prompt(), &mut out.bytes);
                }
                Event::Complete(line) => {
                    let completed = self.session.complete(&line);
                    self.editor.replace_buffer(&completed, &mut out.bytes);
                }
                Event::Interrupt => {
                    self.session.interrupt();
                    self.write_prompt(&mut out.bytes);
                }
                Event::Suspend => {
                    self.session.suspend();
                    self.write_prompt(&mut out.bytes);
                }
                Event::Eof => {}
            }
        }
        out
    }

    fn write_paged(&mut self, text: &str, out: &mut Vec<u8>) {
        let length = self.session.term().length as usize;
        let mut pager = Pager::new(text, length);
        if pager.start(out) {
            self.pager = Some(pager);
        } else {
            self.write_prompt(out);
        }
    }

    fn write_prompt(&mut self, out: &mut Vec<u8>) {
        let kind = self.session.input_kind();
        self.editor.set_echo(kind != InputKind::Secret);
        self.editor.set_history(kind == InputKind::Command);
        self.editor.set_special_keys(kind == InputKind::Command);
        out.extend_from_slice(self.session.prompt().as_bytes());
    }
}
