//! The CMS database schema of each release line, as a table: the base schema (4.2) and one step per
//! newer line with the SQL that migrates up and the SQL that `cms database downgrade` runs to come
//! back. Creating a database of schema S is the base plus every step up to S. Only data: the
//! functions that run it are in `cms::mod`.

use crate::release::Schema;

/// The oldest schema: ACNS 4.2.
pub const BASE: Schema = Schema(4, 2);

/// Tables of the base schema. `changes` is the replication log (§8): every write on a primary adds a
/// row; a standby applies them in `seq` order.
pub const BASE_SQL: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    ip TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    last_seen TEXT NOT NULL DEFAULT ''
);
CREATE TABLE device_groups (name TEXT PRIMARY KEY, description TEXT NOT NULL DEFAULT '');
CREATE TABLE group_members (
    id TEXT PRIMARY KEY,
    group_name TEXT NOT NULL,
    device TEXT NOT NULL
);
CREATE TABLE update_files (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    registered_at TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT ''
);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    update_file INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE job_history (id TEXT PRIMARY KEY, job INTEGER NOT NULL, at TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE changes (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, key TEXT NOT NULL, row TEXT);
";

/// One step between adjacent schema versions.
pub struct Step {
    pub from: Schema,
    pub to: Schema,
    /// Migration up (on boot of newer software).
    pub up: &'static str,
    /// Conversion down (`cms database downgrade`).
    pub down: &'static str,
}

/// The steps, oldest first. [ours: the columns are invented; what matters is that each release line
/// has a distinguishable schema and the conversions both ways are real SQL]
pub const STEPS: &[Step] = &[
    Step {
        from: Schema(4, 2),
        to: Schema(5, 1),
        up: "ALTER TABLE devices ADD COLUMN model TEXT NOT NULL DEFAULT '';",
        down: "ALTER TABLE devices DROP COLUMN model;",
    },
    Step {
        from: Schema(5, 1),
        to: Schema(5, 2),
        up: "ALTER TABLE update_files ADD COLUMN checksum TEXT NOT NULL DEFAULT '';",
        down: "ALTER TABLE update_files DROP COLUMN checksum;",
    },
    Step {
        from: Schema(5, 2),
        to: Schema(5, 3),
        up: "ALTER TABLE devices ADD COLUMN location TEXT NOT NULL DEFAULT '';",
        down: "ALTER TABLE devices DROP COLUMN location;",
    },
];

/// Whether `schema` is one this table knows.
pub fn is_known(schema: Schema) -> bool {
    schema == BASE || STEPS.iter().any(|s| s.to == schema)
}

/// The SQL to go from `from` up to `to`, in order; `None` if there is no such path.
pub fn path_up(from: Schema, to: Schema) -> Option<Vec<&'static str>> {
    let mut at = from;
    let mut sql = Vec::new();
    while at < to {
        let step = STEPS.iter().find(|s| s.from == at)?;
        sql.push(step.up);
        at = step.to;
    }
    (at == to).then_some(sql)
}

/// The SQL to go from `from` down to `to`, in order; `None` if there is no such path.
pub fn path_down(from: Schema, to: Schema) -> Option<Vec<&'static str>> {
    let mut at = from;
    let mut sql = Vec::new();
    while at > to {
        let step = STEPS.iter().find(|s| s.to == at)?;
        sql.push(step.down);
        at = step.from;
    }
    (at == to).then_some(sql)
}

/// Tables whose rows the replication log carries, with their key column.
pub const REPLICATED: &[(&str, &str)] = &[
    ("devices", "name"),
    ("device_groups", "name"),
    ("group_members", "id"),
    ("update_files", "id"),
    ("jobs", "id"),
    ("job_history", "id"),
    ("settings", "key"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cover_every_known_schema_both_ways() {
        assert_eq!(path_up(Schema(4, 2), Schema(5, 3)).unwrap().len(), 3);
        assert_eq!(path_down(Schema(5, 3), Schema(5, 1)).unwrap().len(), 2);
        assert_eq!(path_up(Schema(5, 1), Schema(5, 1)).unwrap().len(), 0);
        assert!(path_up(Schema(5, 1), Schema(6, 0)).is_none());
        assert!(is_known(Schema(5, 2)) && !is_known(Schema(5, 9)));
    }
}
