//! Primary-to-standby replication of the CMS database (spec §8). The primary logs every write in
//! `changes` (sequence number, table, key, row image). A standby asks for the changes after the last
//! one it applied, tagged with the primary database's epoch; a different epoch (a recreated or
//! restored primary database), or a standby asking for a full update, gets a full snapshot instead.
//! Batches are applied in one transaction and skip sequence numbers already applied, so a batch
//! delivered twice, or cut off by a crash, is never applied twice or half.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{schema, Change, Cms, CmsError};

/// What a standby sends to the primary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateRequest {
    /// The primary epoch the standby's copy follows (empty: none).
    pub epoch: String,
    /// The last sequence number applied.
    pub applied: u64,
    /// Ask for everything (after `cms enable` on a standby).
    pub full: bool,
}

/// What the primary answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UpdateReply {
    /// The changes after `applied`, oldest first.
    Changes { epoch: String, changes: Vec<Change> },
    /// The whole replicated content.
    Full(Snapshot),
}

/// The replicated content of a database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub epoch: String,
    pub last_seq: u64,
    pub tables: Vec<(String, Vec<Map<String, Value>>)>,
}

/// Most changes shipped in one reply.
pub const BATCH: usize = 100_000;

/// The primary's side: the reply to a standby's request.
pub fn serve(cms: &Cms, request: &UpdateRequest) -> Result<UpdateReply, CmsError> {
    let epoch = cms.epoch()?;
    if request.full || request.epoch != epoch || request.applied > cms.last_seq()? {
        return Ok(UpdateReply::Full(snapshot(cms)?));
    }
    Ok(UpdateReply::Changes {
        epoch,
        changes: changes_since(cms.connection()?, request.applied, BATCH)?,
    })
}

/// The standby's side: applies a reply; returns how many changes (or rows, for a snapshot) it applied.
pub fn apply_reply(cms: &mut Cms, reply: &UpdateReply) -> Result<usize, CmsError> {
    match reply {
        UpdateReply::Changes { epoch, changes } => apply_changes(cms, epoch, changes),
        UpdateReply::Full(snapshot) => load_snapshot(cms, snapshot),
    }
}

/// Where this database's copy of a primary stands: (epoch, last applied sequence).
pub fn position(cms: &Cms) -> Result<(String, u64), CmsError> {
    let conn = cms.connection()?;
    let get = |key: &str| -> Result<Option<String>, CmsError> {
        Ok(rusqlite::OptionalExtension::optional(conn.query_row(
            "SELECT value FROM meta WHERE key = ?1",
            params![key],
            |r| r.get::<_, String>(0),
        ))?)
    };
    let epoch = get("replica_epoch")?.unwrap_or_default();
    let applied = get("replica_seq")?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((epoch, applied))
}

fn set_position(conn: &Connection, epoch: &str, applied: u64) -> Result<(), CmsError> {
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('replica_epoch', ?1)",
        params![epoch],
    )?;
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('replica_seq', ?1)",
        params![applied.to_string()],
    )?;
    Ok(())
}

fn apply_changes(cms: &mut Cms, epoch: &str, changes: &[Change]) -> Result<usize, CmsError> {
    let (_, mut applied) = position(cms)?;
    let conn = cms.connection_mut()?;
    let tx = conn.savepoint()?;
    let mut count = 0;
    for change in changes {
        if change.seq <= applied {
            continue;
        }
        apply_one(&tx, change)?;
        log(&tx, change)?;
        applied = change.seq;
        count += 1;
    }
    set_position(&tx, epoch, applied)?;
    tx.commit()?;
    Ok(count)
}

fn load_snapshot(cms: &mut Cms, snapshot: &Snapshot) -> Result<usize, CmsError> {
    let conn = cms.connection_mut()?;
    let tx = conn.savepoint()?;
    let mut count = 0;
    for (table, _) in schema::REPLICATED {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    tx.execute("DELETE FROM changes", [])?;
    for (table, rows) in &snapshot.tables {
        let key = schema::REPLICATED
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, k)| *k)
            .ok_or_else(|| CmsError::Damaged(format!("snapshot has unknown table {table}")))?;
        for row in rows {
            let change = Change {
                seq: 0,
                table: table.clone(),
                key: row.get(key).map(super::value_text).unwrap_or_default(),
                row: Some(row.clone()),
            };
            apply_one(&tx, &change)?;
            count += 1;
        }
    }
    set_position(&tx, &snapshot.epoch, snapshot.last_seq)?;
    tx.commit()?;
    Ok(count)
}

/// The whole replicated content.
pub fn snapshot(cms: &Cms) -> Result<Snapshot, CmsError> {
    let conn = cms.connection()?;
    let mut tables = Vec::new();
    for (table, key) in schema::REPLICATED {
        tables.push((table.to_string(), table_rows(conn, table, key)?));
    }
    Ok(Snapshot {
        epoch: cms.epoch()?,
        last_seq: cms.last_seq()?,
        tables,
    })
}

/// Changes after `seq`, oldest first, at most `limit`.
pub fn changes_since(conn: &Connection, seq: u64, limit: usize) -> Result<Vec<Change>, CmsError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, tbl, key, row FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![seq as i64, limit as i64], |r| {
        let row: Option<String> = r.get(3)?;
        Ok(Change {
            seq: r.get::<_, i64>(0)? as u64,
            table: r.get(1)?,
            key: r.get(2)?,
            row: row.and_then(|text| serde_json::from_str(&text).ok()),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Applies one change to its table (insert-or-replace, or delete by key).
pub(crate) fn apply_one(conn: &Connection, change: &Change) -> Result<(), CmsError> {
    let key_column = schema::REPLICATED
        .iter()
        .find(|(t, _)| *t == change.table)
        .map(|(_, k)| *k)
        .ok_or_else(|| CmsError::Damaged(format!("change for unknown table {}", change.table)))?;
    match &change.row {
        None => {
            let sql = format!("DELETE FROM {} WHERE {key_column} = ?1", change.table);
            conn.prepare_cached(&sql)?.execute(params![change.key])?;
        }
        Some(row) => {
            let columns: Vec<&str> = row.keys().map(String::as_str).collect();
            if columns
                .iter()
                .any(|c| !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            {
                return Err(CmsError::Damaged(format!(
                    "bad column in change {}",
                    change.seq
                )));
            }
            let marks = vec!["?"; columns.len()].join(", ");
            // an update keeps the row (and its rowid: a device's id stays its id), where
            // INSERT OR REPLACE would delete it and insert a new one
            let updates: Vec<String> = columns
                .iter()
                .filter(|c| **c != key_column)
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            let on_conflict = if updates.is_empty() {
                "DO NOTHING".to_string()
            } else {
                format!("DO UPDATE SET {}", updates.join(", "))
            };
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({marks}) ON CONFLICT({key_column}) {on_conflict}",
                change.table,
                columns.join(", ")
            );
            let values: Vec<SqlValue> = row.values().map(to_sql).collect();
            conn.prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(values))?;
        }
    }
    Ok(())
}

/// Adds a change to the log.
pub(crate) fn log(conn: &Connection, change: &Change) -> Result<(), CmsError> {
    let row = change
        .row
        .as_ref()
        .map(|r| Value::Object(r.clone()).to_string());
    conn.prepare_cached(
        "INSERT OR REPLACE INTO changes(seq, tbl, key, row) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![change.seq as i64, change.table, change.key, row])?;
    Ok(())
}

/// The row of `table` whose `key_column` is `key`.
pub(crate) fn table_row(
    conn: &Connection,
    table: &str,
    key_column: &str,
    key: &str,
) -> Result<Option<Map<String, Value>>, CmsError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT * FROM {table} WHERE {key_column} = ?1"))?;
    let names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let mut rows = stmt.query(params![key])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let mut map = Map::new();
    for (i, name) in names.iter().enumerate() {
        map.insert(name.clone(), from_sql(r.get::<_, SqlValue>(i)?));
    }
    Ok(Some(map))
}

/// All rows of `table` as JSON objects, ordered by `key`.
pub(crate) fn table_rows(
    conn: &Connection,
    table: &str,
    key: &str,
) -> Result<Vec<Map<String, Value>>, CmsError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT * FROM {table} ORDER BY {key}"))?;
    let names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let rows = stmt.query_map([], |r| {
        let mut map = Map::new();
        for (i, name) in names.iter().enumerate() {
            map.insert(name.clone(), from_sql(r.get::<_, SqlValue>(i)?));
        }
        Ok(map)
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(SqlValue::Integer)
            .unwrap_or_else(|| SqlValue::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

fn from_sql(v: SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::from(i),
        SqlValue::Real(f) => Value::from(f),
        SqlValue::Text(s) => Value::String(s),
        SqlValue::Blob(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cms::DeviceRow;
    use crate::release::Schema;

    fn pair() -> (tempfile::TempDir, Cms, Cms) {
        let dir = tempfile::tempdir().unwrap();
        let mut primary = Cms::open(&dir.path().join("p.db")).unwrap();
        let mut standby = Cms::open(&dir.path().join("s.db")).unwrap();
        primary.create(Schema(5, 1), "now").unwrap();
        standby.create(Schema(5, 1), "now").unwrap();
        (dir, primary, standby)
    }

    fn row(name: &str, status: &str) -> DeviceRow {
        DeviceRow {
            name: name.into(),
            kind: "CE".into(),
            ip: "10.0.0.1".into(),
            version: "5.1.3".into(),
            status: status.into(),
            last_seen: String::new(),
        }
    }

    fn sync(primary: &Cms, standby: &mut Cms, full: bool) -> usize {
        let (epoch, applied) = position(standby).unwrap();
        let reply = serve(
            primary,
            &UpdateRequest {
                epoch,
                applied,
                full,
            },
        )
        .unwrap();
        apply_reply(standby, &reply).unwrap()
    }

    #[test]
    fn first_sync_is_full_then_incremental_and_never_twice() {
        let (_d, mut primary, mut standby) = pair();
        primary.upsert_device(&row("ce1", "Online")).unwrap();
        assert_eq!(
            sync(&primary, &mut standby, false),
            1,
            "full snapshot: one row"
        );
        primary.upsert_device(&row("ce1", "Offline")).unwrap();
        primary.upsert_device(&row("ce2", "Online")).unwrap();
        primary.remove("devices", "ce2").unwrap();
        let (epoch, applied) = position(&standby).unwrap();
        let reply = serve(
            &primary,
            &UpdateRequest {
                epoch,
                applied,
                full: false,
            },
        )
        .unwrap();
        assert!(matches!(&reply, UpdateReply::Changes { changes, .. } if changes.len() == 3));
        assert_eq!(apply_reply(&mut standby, &reply).unwrap(), 3);
        assert_eq!(
            apply_reply(&mut standby, &reply).unwrap(),
            0,
            "a repeated batch applies nothing"
        );
        assert_eq!(standby.devices().unwrap(), primary.devices().unwrap());
        assert_eq!(standby.devices().unwrap(), vec![row("ce1", "Offline")]);
    }

    #[test]
    fn a_recreated_primary_gets_a_full_update() {
        let (_d, mut primary, mut standby) = pair();
        primary.upsert_device(&row("ce1", "Online")).unwrap();
        sync(&primary, &mut standby, false);
        primary.delete().unwrap();
        primary.create(Schema(5, 1), "now").unwrap();
        primary.upsert_device(&row("ce9", "Online")).unwrap();
        sync(&primary, &mut standby, false);
        assert_eq!(standby.devices().unwrap(), vec![row("ce9", "Online")]);
    }
}
