//! The note or error a form's answer carries to the next window: a redirect with `?note=` or
//! `?error=` (so reloading never repeats an action), and the query the window reads it from.
//! Owns no state; it must not render HTML (the frame shows the message).

use axum::response::{IntoResponse, Redirect, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

use crate::upgrade::UpgradeError;

/// `?note=...` / `?error=...` after a form.
#[derive(Deserialize, Default)]
pub(super) struct Flash {
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// What is left as it is in a query value or a path segment: RFC 3986's unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query value or a path segment.
pub(super) fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Back to `page` with the outcome of a form: its note, or the error.
pub(super) fn back(page: &str, result: Result<String, UpgradeError>) -> Response {
    let sep = if page.contains('?') { '&' } else { '?' };
    match result {
        Ok(note) => Redirect::to(&format!("{page}{sep}note={}", encode(&note))),
        Err(e) => Redirect::to(&format!("{page}{sep}error={}", encode(&e.to_string()))),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a b/é&"), "a%20b%2F%C3%A9%26");
        assert_eq!(encode("A-z_0.9~"), "A-z_0.9~");
    }

    #[test]
    fn back_carries_the_note_or_the_error() {
        let location = |r: Response| r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(
            location(back("/groups", Ok("done: 1".into()))),
            "/groups?note=done%3A%201"
        );
        assert_eq!(
            location(back("/x?pane=a", Err(UpgradeError::NotFound("no".into())))),
            "/x?pane=a&error=no"
        );
    }
}
