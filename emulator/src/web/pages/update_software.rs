//! The Update Software window (CDN Settings > Software Upgrade/Downgrade) of a device or a group: a
//! meta file URL from the drop-down list and Submit, and each registered file with a radio button
//! and Delete (asks to confirm); the form it posts and the note of a started upgrade. Templates and
//! form types only; the handlers are in `devices` and `groups`.

use maud::{html, Markup};
use serde::Deserialize;

use crate::text::gui as text;
use crate::upgrade::FileView;

/// The Update Software window's Submit: the chosen file.
#[derive(Deserialize)]
pub(in crate::web) struct UpgradeForm {
    pub file: i64,
}

/// The Update Software window titled `title`, whose Submit posts to `action`.
pub(super) fn update_software(action: &str, title: &str, files: &[FileView]) -> Markup {
    html! {
        h2 #window { (title) }
        @if files.is_empty() {
            p #no-files { (text::NO_FILES) }
        } @else {
            form #update method="post" action=(action) {
                label {
                    (text::META_URL) " "
                    select name="file" {
                        @for f in files { option value=(f.id) { (f.url) } }
                    }
                }
                " "
                button type="submit" { (text::SUBMIT) }
            }
            form #delete-file method="post" action="/software/delete"
                onsubmit={ "return confirm('" (text::CONFIRM_DELETE) "');" } {
                table {
                    @for (i, f) in files.iter().enumerate() {
                        tr {
                            td { input type="radio" name="id" value=(f.id) checked[i == 0]; }
                            td { (f.url) }
                            td { (f.version) }
                        }
                    }
                }
                button type="submit" { (text::DELETE) }
            }
        }
    }
}

/// The note of a started upgrade: its job ids.
pub(super) fn started(ids: Vec<i64>) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("{} {}", text::STARTED, ids.join(", "))
}
