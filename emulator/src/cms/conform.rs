//! Whether a CMS database has exactly the shape its schema version says: the tables, each
//! table's columns (name, declared type, NOT NULL, default, primary key, hidden) and constraints
//! (UNIQUE and primary-key indexes, CHECK and REFERENCES clauses), and no other object (index,
//! view, trigger). The reference is built from `schema.rs` in an in-memory database, the way
//! `Cms::create` builds a real one. Used by `restore` (before anything changes) and `validate`;
//! reads only.

use std::collections::BTreeSet;

use rusqlite::Connection;

use super::schema;
use crate::release::Schema;

/// What differs between `conn` and a database of `schema`, one phrase each; empty when nothing.
pub fn differences(conn: &Connection, schema: Schema) -> Result<Vec<String>, rusqlite::Error> {
    let Some(steps) = schema::path_up(schema::BASE, schema) else {
        return Ok(vec![format!(
            "schema {schema} is not one this software knows"
        )]);
    };
    let reference = Connection::open_in_memory()?;
    reference.execute_batch(schema::BASE_SQL)?;
    for sql in steps {
        reference.execute_batch(sql)?;
    }
    let (want, have) = (objects(&reference)?, objects(conn)?);
    let mut found = Vec::new();
    for (kind, name) in want.difference(&have) {
        found.push(format!("{kind} {name} is missing"));
    }
    for (kind, name) in have.difference(&want) {
        found.push(format!("{kind} {name} should not be there"));
    }
    for (kind, table) in want.intersection(&have) {
        if kind != "table" {
            continue;
        }
        let (want_cols, have_cols) = (columns(&reference, table)?, columns(conn, table)?);
        for c in want_cols.difference(&have_cols) {
            let other = have_cols.iter().find(|h| h.0 == c.0);
            found.push(match other {
                Some(h) => format!("table {table}: column {} is {} (want {})", c.0, h.1, c.1),
                None => format!("table {table}: column {} ({}) is missing", c.0, c.1),
            });
        }
        for h in have_cols.difference(&want_cols) {
            if !want_cols.iter().any(|c| c.0 == h.0) {
                found.push(format!("table {table}: column {} should not be there", h.0));
            }
        }
        let (want_keys, have_keys) = (keys(&reference, table)?, keys(conn, table)?);
        for k in want_keys.difference(&have_keys) {
            found.push(format!("table {table}: constraint {k} is missing"));
        }
        for k in have_keys.difference(&want_keys) {
            found.push(format!("table {table}: constraint {k} should not be there"));
        }
        let (want_clauses, have_clauses) = (clauses(&reference, table)?, clauses(conn, table)?);
        for c in have_clauses.difference(&want_clauses) {
            found.push(format!(
                "table {table}: a {c} constraint should not be there"
            ));
        }
    }
    Ok(found)
}

/// The schema objects other than SQLite's own (`sqlite_sequence`, `sqlite_stat1`) and the
/// automatic indexes (compared through [`keys`]): (kind, name).
fn objects(conn: &Connection) -> Result<BTreeSet<(String, String)>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// A column as it is compared: name, then a description of the rest.
type Column = (String, String);

fn columns(conn: &Connection, table: &str) -> Result<BTreeSet<Column>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1)",
    )?;
    let rows = stmt.query_map([table], |r| {
        let (name, kind): (String, String) = (r.get(0)?, r.get(1)?);
        let (not_null, default, pk, hidden): (bool, Option<String>, i64, i64) =
            (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        let mut shape = if kind.is_empty() {
            "untyped".to_string()
        } else {
            kind.to_ascii_uppercase()
        };
        if not_null {
            shape.push_str(" NOT NULL");
        }
        if let Some(d) = default {
            shape.push_str(&format!(" DEFAULT {d}"));
        }
        if pk > 0 {
            shape.push_str(&format!(" PRIMARY KEY({pk})"));
        }
        if hidden != 0 {
            shape.push_str(" hidden or generated");
        }
        Ok((name, shape))
    })?;
    rows.collect()
}

/// The table's UNIQUE and PRIMARY KEY constraints (its automatic indexes), as `UNIQUE(a, b)`.
fn keys(conn: &Connection, table: &str) -> Result<BTreeSet<String>, rusqlite::Error> {
    let mut list = conn.prepare("SELECT name, \"unique\", origin FROM pragma_index_list(?1)")?;
    let indexes: Vec<(String, bool, String)> = list
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut keys = BTreeSet::new();
    for (index, unique, origin) in indexes {
        let mut info = conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?;
        let cols: Vec<String> = info
            .query_map([&index], |r| r.get::<_, Option<String>>(0))?
            .map(|c| c.map(Option::unwrap_or_default))
            .collect::<Result<_, _>>()?;
        let kind = match (origin.as_str(), unique) {
            ("pk", _) => "PRIMARY KEY",
            (_, true) => "UNIQUE",
            _ => "INDEX",
        };
        keys.insert(format!("{kind}({})", cols.join(", ")));
    }
    Ok(keys)
}

/// The kinds of clause SQLite keeps only in the table's text: CHECK and REFERENCES.
fn clauses(conn: &Connection, table: &str) -> Result<BTreeSet<&'static str>, rusqlite::Error> {
    let sql: String = conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )?;
    let flat: String = sql
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    Ok(["CHECK(", "REFERENCES", "COLLATE", "GENERATEDALWAYS"]
        .into_iter()
        .filter(|word| flat.contains(word))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(schema: Schema) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema::BASE_SQL).unwrap();
        for sql in schema::path_up(schema::BASE, schema).unwrap() {
            conn.execute_batch(sql).unwrap();
        }
        conn
    }

    #[test]
    fn a_database_made_or_migrated_by_the_code_conforms() {
        for schema in [Schema(4, 2), Schema(5, 1), Schema(5, 2), Schema(5, 3)] {
            assert_eq!(
                differences(&database(schema), schema).unwrap(),
                Vec::<String>::new()
            );
        }
        // down and up again
        let conn = database(Schema(5, 3));
        for sql in schema::path_down(Schema(5, 3), Schema(5, 1)).unwrap() {
            conn.execute_batch(sql).unwrap();
        }
        assert!(differences(&conn, Schema(5, 1)).unwrap().is_empty());
        assert!(!differences(&conn, Schema(5, 3)).unwrap().is_empty());
    }

    #[test]
    fn every_kind_of_difference_is_named() {
        let cases: [(&str, &str); 7] = [
            ("DROP TABLE jobs;", "table jobs is missing"),
            ("CREATE TABLE extra (a);", "table extra should not be there"),
            ("ALTER TABLE devices DROP COLUMN location;", "table devices: column location (TEXT NOT NULL DEFAULT '') is missing"),
            ("ALTER TABLE devices ADD COLUMN colour TEXT;", "table devices: column colour should not be there"),
            (
                "DROP TABLE settings; CREATE TABLE settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
                "table settings: column value is INTEGER NOT NULL (want TEXT NOT NULL)",
            ),
            (
                "DROP TABLE device_groups; CREATE TABLE device_groups (name TEXT, description TEXT NOT NULL DEFAULT '');",
                "table device_groups: constraint PRIMARY KEY(name) is missing",
            ),
            ("CREATE TRIGGER t AFTER INSERT ON jobs BEGIN DELETE FROM devices; END;", "trigger t should not be there"),
        ];
        for (sql, expected) in cases {
            let conn = database(Schema(5, 3));
            conn.execute_batch(sql).unwrap();
            let found = differences(&conn, Schema(5, 3)).unwrap();
            assert!(found.iter().any(|f| f == expected), "{sql}: {found:?}");
        }
        let conn = database(Schema(5, 3));
        conn.execute_batch("DROP TABLE settings; CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL CHECK (length(value) < 2));").unwrap();
        let found = differences(&conn, Schema(5, 3)).unwrap();
        assert_eq!(
            found,
            ["table settings: a CHECK( constraint should not be there"]
        );
    }
}
