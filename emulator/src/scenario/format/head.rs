//! The head every scenario and exercise file starts with: the YAML read once, unknown top-level
//! keys, `name` (required), `description`, and the lab (`lab`/`topology`/`topology_file`); the
//! required lists that follow it (`steps`, `goals`); and the reading of either file from disk. One
//! reading for both file kinds, so they report the same mistakes in the same words. Knows nothing
//! of steps or goals.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::{lab, Found, ScenarioErrors};
use crate::topology::Topology;
use crate::yaml_parts::{Document, Item};

/// What the head of a file said; each part `None` when it had an error (noted in `Found`).
pub(crate) struct Head {
    pub name: Option<String>,
    pub description: Option<String>,
    pub lab: Option<Topology>,
}

/// Reads a scenario or exercise file and parses it with `parse`; a file that cannot be read is its
/// one error (at line 0).
pub(crate) fn read_file<T>(
    path: &Path,
    parse: fn(&str, &Path) -> Result<T, ScenarioErrors>,
) -> Result<T, ScenarioErrors> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(e) => {
            let mut found = Found::new(path);
            found.at(0, e.to_string());
            Err(found.into_errors())
        }
    }
}

/// Parses `text` and reads its head, every error of it noted; `top_keys` are the keys the file
/// kind knows. Only a YAML syntax error (nothing else can be read) ends the reading here.
pub(crate) fn read_head<'t>(
    text: &'t str,
    path: &Path,
    top_keys: &[&str],
) -> Result<(Document<'t>, Found, Head), ScenarioErrors> {
    let mut found = Found::new(path);
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            found.part(e);
            return Err(found.into_errors());
        }
    };
    for e in doc.unknown_keys(top_keys) {
        found.part(e);
    }
    let name = match doc.field::<String>("name") {
        Some(read) => found.take(read),
        None => {
            found.part(doc.missing("name"));
            None
        }
    };
    let description = doc
        .field::<Option<String>>("description")
        .and_then(|read| found.take(read))
        .flatten();
    let lab = lab::lab_of(&doc, path, &mut found);
    Ok((
        doc,
        found,
        Head {
            name,
            description,
            lab,
        },
    ))
}

/// The items of a list the file must have (`steps`, `goals`): those that were read, or none with
/// the list's error (missing, not a list) noted.
pub(crate) fn required_items<T: DeserializeOwned>(
    doc: &Document,
    key: &str,
    found: &mut Found,
) -> Vec<Item<T>> {
    match doc.items::<T>(key) {
        Some(read) => found.take(read).unwrap_or_default(),
        None => {
            found.part(doc.missing(key));
            Vec::new()
        }
    }
}
