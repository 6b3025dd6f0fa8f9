//! What an EXEC command asks the session to do next: print, fail, ask a question, close, reload,
//! or run a long task. A question is data: its prompt, how the answer is read, and what happens
//! with the answer (a continuation that returns the next [`Outcome`]), so a command's questions
//! live with the command and the session only holds the one pending.

use crate::tasks::Task;

use super::context::Ctx;

/// How the next input line is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A command: echo, history, `?` and Tab.
    Command,
    /// A password: no echo, no history.
    Secret,
    /// An answer to a question: echo, no history, no `?`/Tab.
    Answer,
}

/// A question as the device prints it before the cursor, and how its answer is read.
#[derive(Debug, PartialEq, Eq)]
pub struct Ask {
    pub prompt: &'static str,
    pub input: Input,
}

/// What to do with the answer to a question.
pub type Then = Box<dyn FnOnce(&str, &mut Ctx<'_>) -> Outcome + Send>;

/// A question waiting for its answer.
pub struct Question {
    pub ask: &'static Ask,
    pub then: Then,
    /// Printed before the prompt (a question asked again says why).
    pub note: String,
}

impl std::fmt::Debug for Question {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Question({:?})", self.ask.prompt)
    }
}

/// What an EXEC command, or the answer to its question, leads to.
#[derive(Debug)]
pub enum Outcome {
    /// Print this text (may be empty).
    Print(String),
    /// Print this `% ...` error; the command failed.
    Fail(String),
    /// Ask a question; the answer runs the continuation.
    Ask(Question),
    /// Close the session.
    Close,
    /// Print this text, then reload the device (closes every session of it).
    Reload(String),
    /// Run a long task (download, upload) outside the caller's thread.
    Run(Task),
}

impl Outcome {
    /// Asks `ask`; `then` gets the (trimmed) answer.
    pub fn ask(
        ask: &'static Ask,
        then: impl FnOnce(&str, &mut Ctx<'_>) -> Outcome + Send + 'static,
    ) -> Self {
        Outcome::ask_after(String::new(), ask, then)
    }

    /// Prints `note`, then asks `ask` (a question asked again after an answer it cannot take).
    pub fn ask_after(
        note: String,
        ask: &'static Ask,
        then: impl FnOnce(&str, &mut Ctx<'_>) -> Outcome + Send + 'static,
    ) -> Self {
        Outcome::Ask(Question {
            ask,
            then: Box::new(then),
            note,
        })
    }

    /// Nothing to print.
    pub fn done() -> Self {
        Outcome::Print(String::new())
    }
}

/// A yes/no answer as IOS reads it: empty takes `default`, `y`/`ye`/`yes`, `n`/`no`; anything
/// else is `None`.
pub fn yes_no(answer: &str, default: bool) -> Option<bool> {
    match answer.to_ascii_lowercase().as_str() {
        "" => Some(default),
        "y" | "ye" | "yes" => Some(true),
        "n" | "no" => Some(false),
        _ => None,
    }
}
