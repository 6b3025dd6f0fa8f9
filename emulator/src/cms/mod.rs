//! The CMS database of a CDM: a real SQLite file in the device's folder. This module owns its whole
//! life: create, delete, backup to a `.dump`, restore, validate, migrate up on boot, downgrade, and the
//! data itself (devices, groups, update files, jobs, settings) with the change log that replication
//! ships to a standby (`replication`). Every write is one SQLite transaction (a savepoint, so that
//! a batch, [`Cms::begin_batch`], can gather many in one); files are replaced by rename, so a
//! killed process leaves either the old or the new database, never a broken one.
//! It knows nothing about sessions, sockets or the network.

mod conform;
pub mod dump;
pub mod replication;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::persist::write_atomic;
use crate::release::{Schema, Version};
use dump::{DumpError, DumpHeader};

/// Why a CMS database operation failed. Messages are the text after `% Error: `.
#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error("no CMS database exists")]
    NoDatabase,
    #[error("a CMS database already exists")]
    Exists,
    #[error("{0}")]
    Dump(#[from] DumpError),
    #[error("the backup has schema {0}, which this software does not know")]
    UnknownSchema(Schema),
    #[error("no conversion from schema {from} to {to}")]
    NoPath { from: Schema, to: Schema },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the database is damaged: {0}")]
    Damaged(String),
    #[error("the database does not have the tables of schema {schema}: {problems}")]
    WrongShape { schema: Schema, problems: String },
    #[error("{0} backups were already taken this minute; try again in a minute")]
    NoFreeName(u32),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CmsError + '_ {
    move |source| CmsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One row of the replication log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub seq: u64,
    pub table: String,
    pub key: String,
    /// The row after the change; `None` when it was deleted.
    pub row: Option<Map<String, Value>>,
}

/// A device as the CDM's device table holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceRow {
    pub name: String,
    pub kind: String,
    pub ip: String,
    pub version: String,
    pub status: String,
    pub last_seen: String,
}

/// The CMS database of one CDM (present or not).
pub struct Cms {
    path: PathBuf,
    conn: Option<Connection>,
    /// Held for reading by a backup (which runs outside the device's lock), for writing while the
    /// database file is created, removed or replaced: a backup never reads a file going away.
    files: FilesGuard,
    /// The CDMs of the device table (name, address), by name, while no write can have changed
    /// them: every registration asks for them, and the query reads the whole table (the schema
    /// has no index on `kind`, and a database must have exactly its schema's objects).
    cdms: std::cell::RefCell<Option<Vec<(String, String)>>>,
    /// Whether a batch's transaction is open ([`Cms::begin_batch`]).
    batch: bool,
}

/// See [`Cms::files`].
type FilesGuard = Arc<std::sync::RwLock<()>>;

impl std::fmt::Debug for Cms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cms")
            .field("path", &self.path)
            .field("exists", &self.exists())
            .finish()
    }
}

impl Cms {
    /// Opens the database at `path` if the file exists; otherwise the CDM has no database.
    pub fn open(path: &Path) -> Result<Self, CmsError> {
        let _ = std::fs::remove_file(path.with_extension("db.new"));
        remove_backup_images(path);
        let conn = if path.exists() {
            Some(connect(path)?)
        } else {
            None
        };
        Ok(Cms {
            path: path.to_path_buf(),
            conn,
            files: FilesGuard::default(),
            cdms: Default::default(),
            batch: false,
        })
    }

    pub fn exists(&self) -> bool {
        self.conn.is_some()
    }

    /// Gathers the writes that follow into one transaction, committed by [`Cms::end_batch`]: the
    /// first round of a lab's start registers thousands of devices, and a commit each would write
    /// the same pages again and again. Each write stays a savepoint of its own (a failed one
    /// changes nothing). Nothing without a database.
    pub fn begin_batch(&mut self) -> Result<(), CmsError> {
        if let (Some(conn), false) = (&self.conn, self.batch) {
            conn.execute_batch("BEGIN")?;
            self.batch = true;
        }
        Ok(())
    }

    /// Commits the writes gathered since [`Cms::begin_batch`].
    pub fn end_batch(&mut self) -> Result<(), CmsError> {
        if std::mem::take(&mut self.batch) {
            self.conn()?.execute_batch("COMMIT")?;
        }
        Ok(())
    }

    fn conn(&self) -> Result<&Connection, CmsError> {
        self.conn.as_ref().ok_or(CmsError::NoDatabase)
    }

    /// The database's schema version.
    pub fn schema(&self) -> Result<Schema, CmsError> {
        let text = meta(self.conn()?, "schema_version")?
            .ok_or_else(|| CmsError::Damaged("no schema version".into()))?;
        text.parse()
            .map_err(|_| CmsError::Damaged(format!("bad schema version {text:?}")))
    }

    /// Creates an empty database of `schema` (built beside the final file, then renamed into place).
    pub fn create(&mut self, schema: Schema, now: &str) -> Result<(), CmsError> {
        if self.exists() {
            return Err(CmsError::Exists);
        }
        let files = self.files.clone();
        let _replacing = files.write().unwrap_or_else(|p| p.into_inner());
        self.cdms.take();
        self.batch = false;
        let steps = schema::path_up(schema::BASE, schema).ok_or(CmsError::UnknownSchema(schema))?;
        let staging = self.path.with_extension("db.new");
        let _ = std::fs::remove_file(&staging);
        {
            let conn = connect(&staging)?;
            conn.execute_batch(schema::BASE_SQL)?;
            for sql in steps {
                conn.execute_batch(sql)?;
            }
            set_meta(&conn, "schema_version", &schema.to_string())?;
            set_meta(&conn, "created", now)?;
            set_meta(&conn, "epoch", &new_epoch())?;
        }
        std::fs::rename(&staging, &self.path).map_err(io(&self.path))?;
        self.conn = Some(connect(&self.path)?);
        Ok(())
    }

    /// Removes the database and all its tables.
    pub fn delete(&mut self) -> Result<(), CmsError> {
        let files = self.files.clone();
        let _removing = files.write().unwrap_or_else(|p| p.into_inner());
        self.cdms.take();
        self.end_batch()?;
        let conn = self.conn.take().ok_or(CmsError::NoDatabase)?;
        drop(conn);
        std::fs::remove_file(&self.path).map_err(io(&self.path))?;
        for leftover in ["db-journal", "db-wal", "db-shm"] {
            let _ = std::fs::remove_file(self.path.with_extension(leftover));
        }
        Ok(())
    }

    /// Writes a backup of the database to `dest` (atomically); returns its size in bytes.
    pub fn backup(&self, dest: &Path, software: Version, now: &str) -> Result<u64, CmsError> {
        self.backup_source()
            .ok_or(CmsError::NoDatabase)?
            .backup(dest, software, now)
    }

    /// What a backup reads, to take out of the device's lock (`None` without a database).
    pub fn backup_source(&self) -> Option<BackupSource> {
        self.exists().then(|| BackupSource {
            path: self.path.clone(),
            files: self.files.clone(),
        })
    }

    /// Reads a dump and checks it completely (header, checksum, SQLite integrity, schema) without
    /// touching the current database; returns the header and the image.
    pub fn check_dump(&self, src: &Path) -> Result<(DumpHeader, Vec<u8>), CmsError> {
        let bytes = std::fs::read(src).map_err(io(src))?;
        let (header, body) = dump::decode(&bytes)?;
        if !schema::is_known(header.schema) {
            return Err(CmsError::UnknownSchema(header.schema));
        }
        let probe = self.path.with_extension("db.probe");
        write_atomic(&probe, body).map_err(io(&probe))?;
        let verdict = (|| {
            let conn = Connection::open(&probe)?;
            let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            let schema = meta(&conn, "schema_version")?;
            let shape = conform::differences(&conn, header.schema)?;
            Ok::<_, CmsError>((ok, schema, shape))
        })();
        let _ = std::fs::remove_file(&probe);
        let (ok, schema, shape) = verdict.map_err(|e| CmsError::Damaged(e.to_string()))?;
        if ok != "ok" || schema.as_deref() != Some(&header.schema.to_string()) {
            return Err(CmsError::Damaged(format!("integrity check: {ok}")));
        }
        wrong_shape(header.schema, shape)?;
        Ok((header, body.to_vec()))
    }

    /// Recreates the database from a dump (which keeps its own schema version). Refuses when a
    /// database exists; a bad dump changes nothing.
    pub fn restore(&mut self, src: &Path) -> Result<DumpHeader, CmsError> {
        if self.exists() {
            return Err(CmsError::Exists);
        }
        let (header, body) = self.check_dump(src)?;
        let files = self.files.clone();
        let _replacing = files.write().unwrap_or_else(|p| p.into_inner());
        self.cdms.take();
        let staging = self.path.with_extension("db.new");
        write_atomic(&staging, &body).map_err(io(&staging))?;
        {
            let conn = connect(&staging)?;
            set_meta(&conn, "epoch", &new_epoch())?;
        }
        std::fs::rename(&staging, &self.path).map_err(io(&self.path))?;
        self.conn = Some(connect(&self.path)?);
        Ok(header)
    }

    /// Integrity and schema check; returns the schema on success.
    pub fn validate(&self) -> Result<Schema, CmsError> {
        let conn = self.conn()?;
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(CmsError::Damaged(ok));
        }
        let schema = self.schema()?;
        if !schema::is_known(schema) {
            return Err(CmsError::UnknownSchema(schema));
        }
        wrong_shape(schema, conform::differences(conn, schema)?)?;
        Ok(schema)
    }

    /// Migrates the schema up to `to` in one transaction (boot of newer software). Returns the old
    /// schema when something was migrated; an older target leaves the database alone.
    pub fn migrate_up(&mut self, to: Schema) -> Result<Option<Schema>, CmsError> {
        let from = self.schema()?;
        if from >= to {
            return Ok(None);
        }
        let steps = schema::path_up(from, to).ok_or(CmsError::NoPath { from, to })?;
        self.convert(steps, to)?;
        Ok(Some(from))
    }

    /// `cms database downgrade`: converts the schema down to `to`. Returns the old schema.
    pub fn downgrade(&mut self, to: Schema) -> Result<Schema, CmsError> {
        let from = self.schema()?;
        let steps = schema::path_down(from, to).ok_or(CmsError::NoPath { from, to })?;
        self.convert(steps, to)?;
        Ok(from)
    }

    fn convert(&mut self, steps: Vec<&str>, to: Schema) -> Result<(), CmsError> {
        self.cdms.take();
        let conn = self.conn.as_mut().ok_or(CmsError::NoDatabase)?;
        let tx = conn.savepoint()?;
        for sql in steps {
            tx.execute_batch(sql)?;
        }
        set_meta(&tx, "schema_version", &to.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// The database's identity: changes when it is created or restored, so a standby knows its
    /// copy belongs to another database and needs a full update.
    pub fn epoch(&self) -> Result<String, CmsError> {
        Ok(meta(self.conn()?, "epoch")?.unwrap_or_default())
    }

    /// The highest change sequence number.
    pub fn last_seq(&self) -> Result<u64, CmsError> {
        let seq: Option<i64> = self
            .conn()?
            .query_row("SELECT max(seq) FROM changes", [], |r| r.get(0))?;
        Ok(seq.unwrap_or(0) as u64)
    }

    /// Inserts or replaces a row of a replicated table and logs the change, in one transaction;
    /// returns the change's sequence number.
    pub fn put(&mut self, table: &str, row: Map<String, Value>) -> Result<u64, CmsError> {
        let key_column = key_column(table)?;
        let key = row.get(key_column).map(value_text).unwrap_or_default();
        self.write(table, [(key, Some(row))])
    }

    /// Inserts or replaces many rows of a table in one transaction, logging each change; returns
    /// the last sequence number.
    pub fn put_many(
        &mut self,
        table: &str,
        rows: impl IntoIterator<Item = Map<String, Value>>,
    ) -> Result<u64, CmsError> {
        let key_column = key_column(table)?;
        let keyed = rows.into_iter().map(|row| {
            (
                row.get(key_column).map(value_text).unwrap_or_default(),
                Some(row),
            )
        });
        self.write(table, keyed)
    }

    /// Deletes a row of a replicated table by key and logs the change.
    /// Removes a device and everything the CDM keeps about it (`cms deregister`): its row, its
    /// group memberships, its upgrade jobs and their history; a later registration is a new device.
    /// Every removal is a replicated change, so the standby forgets it too.
    pub fn forget_device(&mut self, name: &str) -> Result<(), CmsError> {
        let text = |r: &Map<String, Value>, k: &str| r.get(k).map(value_text).unwrap_or_default();
        let memberships: Vec<String> = self
            .rows("group_members")?
            .iter()
            .filter(|r| text(r, "device") == name)
            .map(|r| text(r, "id"))
            .collect();
        let jobs: Vec<String> = self
            .rows("jobs")?
            .iter()
            .filter(|r| text(r, "device") == name)
            .map(|r| text(r, "id"))
            .collect();
        let history: Vec<String> = self
            .rows("job_history")?
            .iter()
            .filter(|r| jobs.contains(&text(r, "job")))
            .map(|r| text(r, "id"))
            .collect();
        let gone = |keys: Vec<String>| keys.into_iter().map(|k| (k, None));
        self.write("job_history", gone(history))?;
        self.write("jobs", gone(jobs))?;
        self.write("group_members", gone(memberships))?;
        self.write("devices", gone(vec![name.to_string()]))?;
        Ok(())
    }

    pub fn remove(&mut self, table: &str, key: &str) -> Result<u64, CmsError> {
        key_column(table)?;
        self.write(table, [(key.to_string(), None)])
    }

    /// The one write path: each (key, row or deletion) is applied and logged with the next sequence
    /// number, all in one transaction.
    fn write(
        &mut self,
        table: &str,
        changes: impl IntoIterator<Item = (String, Option<Map<String, Value>>)>,
    ) -> Result<u64, CmsError> {
        let conn = self.conn.as_mut().ok_or(CmsError::NoDatabase)?;
        let tx = conn.savepoint()?;
        let mut last = next_seq(&tx)?.saturating_sub(1);
        for (seq, (key, row)) in (last + 1..).zip(changes) {
            if table == "devices" && touches_cdms(self.cdms.get_mut(), &key, row.as_ref()) {
                self.cdms.take();
            }
            let change = Change {
                seq,
                table: table.into(),
                key,
                row,
            };
            replication::apply_one(&tx, &change)?;
            replication::log(&tx, &change)?;
            last = seq;
        }
        tx.commit()?;
        Ok(last)
    }

    /// All rows of a table as JSON objects, ordered by key.
    pub fn rows(&self, table: &str) -> Result<Vec<Map<String, Value>>, CmsError> {
        let key = key_column(table)?;
        replication::table_rows(self.conn()?, table, key)
    }

    /// One row of a replicated table by its key.
    pub fn row(&self, table: &str, key: &str) -> Result<Option<Map<String, Value>>, CmsError> {
        let key_column = key_column(table)?;
        replication::table_row(self.conn()?, table, key_column, key)
    }

    /// The addresses of the CDMs in the device table, in the order of their names.
    pub fn cdm_addresses(&self) -> Result<Vec<String>, CmsError> {
        if let Some(cdms) = self.cdms.borrow().as_ref() {
            return Ok(cdms.iter().map(|(_, ip)| ip.clone()).collect());
        }
        let mut stmt = self
            .conn()?
            .prepare_cached("SELECT name, ip FROM devices WHERE kind = 'CDM' ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let cdms: Vec<(String, String)> = rows.collect::<Result<_, _>>()?;
        let addresses = cdms.iter().map(|(_, ip)| ip.clone()).collect();
        *self.cdms.borrow_mut() = Some(cdms);
        Ok(addresses)
    }

    /// Number of rows of a table.
    pub fn count(&self, table: &str) -> Result<u64, CmsError> {
        key_column(table)?;
        let n: i64 = self
            .conn()?
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Registers or refreshes a device in the device table.
    pub fn upsert_device(&mut self, device: &DeviceRow) -> Result<u64, CmsError> {
        let row = serde_json::to_value(device)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        self.put("devices", row)
    }

    /// The device table.
    pub fn devices(&self) -> Result<Vec<DeviceRow>, CmsError> {
        Ok(self
            .rows("devices")?
            .into_iter()
            .filter_map(|row| serde_json::from_value(Value::Object(row)).ok())
            .collect())
    }

    /// The number this CDM knows a device by (the device table's row id): the `Device Id` of
    /// `show cms info`.
    pub fn device_id(&self, name: &str) -> Result<Option<i64>, CmsError> {
        Ok(self
            .conn()?
            .prepare_cached("SELECT id FROM devices WHERE name = ?1")?
            .query_row(params![name], |r| r.get(0))
            .optional()?)
    }

    /// One device's row.
    pub fn device(&self, name: &str) -> Result<Option<DeviceRow>, CmsError> {
        let row = self
            .conn()?
            .prepare_cached(
                "SELECT name, kind, ip, version, status, last_seen FROM devices WHERE name = ?1",
            )?
            .query_row(params![name], |r| {
                Ok(DeviceRow {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    ip: r.get(2)?,
                    version: r.get(3)?,
                    status: r.get(4)?,
                    last_seen: r.get(5)?,
                })
            })
            .optional()?;
        Ok(row)
    }

    /// Size of the database file in bytes.
    pub fn file_size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    /// The connection, to write through (replication): what is kept of the tables is dropped.
    pub(crate) fn connection_mut(&mut self) -> Result<&mut Connection, CmsError> {
        self.cdms.take();
        self.conn.as_mut().ok_or(CmsError::NoDatabase)
    }

    pub(crate) fn connection(&self) -> Result<&Connection, CmsError> {
        self.conn()
    }
}

/// A CMS database to back up without holding the device: the backup opens a connection of its
/// own, which in WAL mode reads one consistent state while the CDM goes on writing.
#[derive(Debug, Clone)]
pub struct BackupSource {
    path: PathBuf,
    files: FilesGuard,
}

impl PartialEq for BackupSource {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && Arc::ptr_eq(&self.files, &other.files)
    }
}

impl Eq for BackupSource {}

/// The names a backup taken at `now` may get, in order: the guide's
/// `acns-db-M-D-YYYY-HH-MM.dump` [seen naming], then `acns-db-M-D-YYYY-HH-MM_2.dump`, `_3`, ... for
/// later backups of the same minute [ours], so that a backup never replaces another.
pub fn dump_names(now: chrono::DateTime<chrono::Utc>) -> impl Iterator<Item = String> {
    let stem = now.format("acns-db-%-m-%-d-%Y-%H-%M").to_string();
    (1..=MAX_DUMPS_PER_MINUTE).map(move |n| match n {
        1 => format!("{stem}.dump"),
        n => format!("{stem}_{n}.dump"),
    })
}

/// How many backups one minute may hold before a backup is refused.
const MAX_DUMPS_PER_MINUTE: u32 = 999;

impl BackupSource {
    /// Writes a backup of the database to `dest` (atomically); returns its size in bytes.
    pub fn backup(&self, dest: &Path, software: Version, now: &str) -> Result<u64, CmsError> {
        let bytes = self.dump(software, now)?;
        write_atomic(dest, &bytes).map_err(io(dest))?;
        Ok(bytes.len() as u64)
    }

    /// Writes a backup taken at `now` into `dir` under the first of [`dump_names`] that no file
    /// has; never replaces a file. Returns the name and the size in bytes.
    pub fn backup_into(
        &self,
        dir: &Path,
        software: Version,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(String, u64), CmsError> {
        let bytes = self.dump(software, &now.to_rfc3339())?;
        for name in dump_names(now) {
            let dest = dir.join(&name);
            match crate::persist::write_atomic_no_replace(&dest, &bytes) {
                Ok(()) => return Ok((name, bytes.len() as u64)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io(&dest)(e)),
            }
        }
        Err(CmsError::NoFreeName(MAX_DUMPS_PER_MINUTE))
    }

    /// The dump of the database as it is now: header and image.
    fn dump(&self, software: Version, now: &str) -> Result<Vec<u8>, CmsError> {
        // The file stays while this is held (a delete, create or restore waits for the backup).
        let _reading = self.files.read().unwrap_or_else(|p| p.into_inner());
        // Never create the file: the database may have been deleted since the command ran.
        let conn = Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|_| CmsError::NoDatabase)?;
        // A name of its own: two backups may run at once.
        let image = self
            .path
            .with_extension(format!("db.image-{:08x}", rand::random::<u32>()));
        // The header's schema is read from the image itself, so header and body always agree.
        // VACUUM INTO fills an empty file: made first, private.
        let taken = crate::persist::write_new(&image, b"")
            .map_err(io(&image))
            .and_then(|()| {
                conn.execute("VACUUM INTO ?1", params![image.to_string_lossy()])
                    .map_err(CmsError::from)
            })
            .and_then(|_| {
                let schema = meta(&Connection::open(&image)?, "schema_version")?;
                let body = std::fs::read(&image).map_err(io(&image))?;
                Ok((schema, body))
            });
        let _ = std::fs::remove_file(&image);
        drop(conn);
        let (schema_text, body) = taken?;
        let schema_text =
            schema_text.ok_or_else(|| CmsError::Damaged("no schema version".into()))?;
        let schema = schema_text
            .parse()
            .map_err(|_| CmsError::Damaged(format!("bad schema version {schema_text:?}")))?;
        let header = DumpHeader {
            schema,
            software,
            created: now.to_string(),
        };
        Ok(dump::encode(&header, &body))
    }
}

/// Removes the temporary images of backups a killed process left beside the database.
fn remove_backup_images(path: &Path) {
    let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) else {
        return;
    };
    let prefix = format!("{}.db.image-", stem.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The error for a database whose tables are not those of `schema` (`problems` from
/// `conform::differences`), if there are any.
fn wrong_shape(schema: Schema, problems: Vec<String>) -> Result<(), CmsError> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(CmsError::WrongShape {
        schema,
        problems: problems.join("; "),
    })
}

fn connect(path: &Path) -> Result<Connection, CmsError> {
    let conn = Connection::open(path)?;
    // Before the WAL files exist: SQLite gives them the database file's mode.
    crate::persist::make_private(path).map_err(io(path))?;
    // WAL with synchronous=NORMAL: a killed process (or an OS crash) leaves a consistent database
    // that SQLite recovers on the next open; only a power loss may lose the last commits. It saves
    // the fsyncs of every transaction, which upgrade jobs make many of.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;",
    )?;
    Ok(conn)
}

fn meta(conn: &Connection, key: &str) -> Result<Option<String>, CmsError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()?)
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), CmsError> {
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
        params![key, value],
    )?;
    Ok(())
}

/// Whether writing `row` (`None`: deleting) under `key` in the device table may change the CDMs
/// kept in `cdms`: a CDM's row, a row that was a CDM's, or a deletion.
fn touches_cdms(
    cdms: &Option<Vec<(String, String)>>,
    key: &str,
    row: Option<&Map<String, Value>>,
) -> bool {
    let Some(cdms) = cdms else { return false };
    let is_cdm = |row: &Map<String, Value>| row.get("kind").and_then(Value::as_str) == Some("CDM");
    row.is_none_or(is_cdm) || cdms.iter().any(|(name, _)| name == key)
}

fn next_seq(conn: &Connection) -> Result<u64, CmsError> {
    let seq: Option<i64> = conn.query_row("SELECT max(seq) FROM changes", [], |r| r.get(0))?;
    Ok(seq.unwrap_or(0) as u64 + 1)
}

fn key_column(table: &str) -> Result<&'static str, CmsError> {
    schema::REPLICATED
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, k)| *k)
        .ok_or_else(|| CmsError::Damaged(format!("no replicated table {table}")))
}

/// A JSON value as the text of a key.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn new_epoch() -> String {
    format!("{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str) -> DeviceRow {
        DeviceRow {
            name: name.into(),
            kind: "CE".into(),
            ip: "10.1.1.10".into(),
            version: "5.1.3".into(),
            status: "Online".into(),
            last_seen: String::new(),
        }
    }

    #[test]
    fn the_cdm_addresses_follow_every_change_of_the_device_table() {
        let dir = tempfile::tempdir().unwrap();
        let mut cms = Cms::open(&dir.path().join("cms.db")).unwrap();
        cms.create(Schema(5, 1), "now").unwrap();
        let cdm = |name: &str, ip: &str| DeviceRow {
            kind: "CDM".into(),
            ip: ip.into(),
            ..device(name)
        };
        assert!(cms.cdm_addresses().unwrap().is_empty());
        cms.upsert_device(&cdm("cdm2", "10.1.1.6")).unwrap();
        cms.upsert_device(&device("ce1")).unwrap();
        assert_eq!(cms.cdm_addresses().unwrap(), ["10.1.1.6"]);
        cms.upsert_device(&cdm("cdm1", "10.1.1.5")).unwrap();
        assert_eq!(cms.cdm_addresses().unwrap(), ["10.1.1.5", "10.1.1.6"]);
        // a CDM's row changed to another kind, a CDM's address changed, a CDM forgotten
        cms.upsert_device(&device("cdm2")).unwrap();
        assert_eq!(cms.cdm_addresses().unwrap(), ["10.1.1.5"]);
        cms.upsert_device(&cdm("cdm1", "10.1.1.7")).unwrap();
        assert_eq!(cms.cdm_addresses().unwrap(), ["10.1.1.7"]);
        cms.forget_device("cdm1").unwrap();
        assert!(cms.cdm_addresses().unwrap().is_empty());
        // a database replaced by a restore
        cms.upsert_device(&cdm("cdm1", "10.1.1.5")).unwrap();
        let dump = dir.path().join("b.dump");
        cms.backup(&dump, Version::new(5, 1, 3), "now").unwrap();
        cms.upsert_device(&cdm("cdm3", "10.1.1.8")).unwrap();
        assert_eq!(cms.cdm_addresses().unwrap(), ["10.1.1.5", "10.1.1.8"]);
        cms.delete().unwrap();
        assert!(cms.cdm_addresses().is_err());
        cms.restore(&dump).unwrap();
        assert_eq!(cms.cdm_addresses().unwrap(), ["10.1.1.5"]);
    }

    #[test]
    fn a_batch_commits_its_writes_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cms.db");
        let mut cms = Cms::open(&path).unwrap();
        cms.create(Schema(5, 1), "now").unwrap();
        let other = Connection::open(&path).unwrap();
        let seen = || -> i64 {
            other
                .query_row("SELECT count(*) FROM devices", [], |r| r.get(0))
                .unwrap()
        };
        cms.begin_batch().unwrap();
        cms.upsert_device(&device("ce1")).unwrap();
        cms.upsert_device(&device("ce2")).unwrap();
        assert!(cms.put("no_such_table", Map::new()).is_err());
        assert_eq!(cms.devices().unwrap().len(), 2);
        assert_eq!(seen(), 0, "nothing is committed before the batch ends");
        cms.end_batch().unwrap();
        assert_eq!(seen(), 2);
        assert_eq!(cms.last_seq().unwrap(), 2);
        // after the batch each write is its own transaction again
        cms.upsert_device(&device("ce3")).unwrap();
        assert_eq!(seen(), 3);
        // a database deleted during a batch commits it first
        cms.begin_batch().unwrap();
        cms.upsert_device(&device("ce4")).unwrap();
        cms.delete().unwrap();
        cms.end_batch().unwrap();
    }

    #[test]
    fn create_backup_delete_restore_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut cms = Cms::open(&dir.path().join("cms.db")).unwrap();
        assert!(!cms.exists());
        cms.create(Schema(5, 1), "now").unwrap();
        cms.upsert_device(&device("ce1")).unwrap();
        cms.upsert_device(&device("ce2")).unwrap();
        let dump = dir.path().join("b.dump");
        cms.backup(&dump, Version::new(5, 1, 3), "now").unwrap();
        cms.delete().unwrap();
        assert!(!cms.exists() && !dir.path().join("cms.db").exists());
        let header = cms.restore(&dump).unwrap();
        assert_eq!(header.schema, Schema(5, 1));
        assert_eq!(cms.devices().unwrap().len(), 2);
        assert_eq!(cms.validate().unwrap(), Schema(5, 1));
        assert_eq!(cms.last_seq().unwrap(), 2);
    }

    #[test]
    fn a_backup_reads_the_database_while_its_owner_goes_on_writing() {
        let dir = tempfile::tempdir().unwrap();
        let mut cms = Cms::open(&dir.path().join("cms.db")).unwrap();
        cms.create(Schema(5, 1), "now").unwrap();
        cms.upsert_device(&device("ce1")).unwrap();
        // The source is taken out of the owner (the device's lock); the owner keeps writing.
        let source = cms.backup_source().unwrap();
        cms.upsert_device(&device("ce2")).unwrap();
        let dump = dir.path().join("b.dump");
        let written = std::thread::scope(|s| {
            s.spawn(|| source.backup(&dump, Version::new(5, 1, 3), "now"))
                .join()
                .unwrap()
        });
        assert!(written.unwrap() > 0);
        cms.upsert_device(&device("ce3")).unwrap();
        cms.delete().unwrap();
        cms.restore(&dump).unwrap();
        assert_eq!(
            cms.devices().unwrap().len(),
            2,
            "the state when the backup ran"
        );
        assert!(Cms::open(&dir.path().join("none.db"))
            .unwrap()
            .backup_source()
            .is_none());
    }

    #[test]
    fn backups_of_one_minute_get_the_next_name_and_never_replace_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let disk = dir.path().join("local1");
        std::fs::create_dir(&disk).unwrap();
        let mut cms = Cms::open(&dir.path().join("cms.db")).unwrap();
        cms.create(Schema(5, 1), "now").unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T21:08:14Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let v = Version::new(5, 1, 3);
        let (first, _) = cms
            .backup_source()
            .unwrap()
            .backup_into(&disk, v, now)
            .unwrap();
        cms.upsert_device(&device("ce1")).unwrap();
        let (second, _) = cms
            .backup_source()
            .unwrap()
            .backup_into(&disk, v, now)
            .unwrap();
        let (third, _) = cms
            .backup_source()
            .unwrap()
            .backup_into(&disk, v, now)
            .unwrap();
        assert_eq!(first, "acns-db-12-1-2026-21-08.dump");
        assert_eq!(second, "acns-db-12-1-2026-21-08_2.dump");
        assert_eq!(third, "acns-db-12-1-2026-21-08_3.dump");
        // each keeps the database it was taken of
        cms.delete().unwrap();
        cms.restore(&disk.join(&first)).unwrap();
        assert_eq!(cms.devices().unwrap().len(), 0);
        cms.delete().unwrap();
        cms.restore(&disk.join(&second)).unwrap();
        assert_eq!(cms.devices().unwrap().len(), 1);
        // nothing else is left in either folder
        let names = |d: &Path| {
            let mut n: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with("cms.db"))
                .collect();
            n.sort();
            n
        };
        assert_eq!(names(&disk), vec![first, second, third]);
        assert_eq!(names(dir.path()), vec!["local1".to_string()]);
    }

    #[test]
    fn a_backup_of_a_database_deleted_meanwhile_fails_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut cms = Cms::open(&dir.path().join("cms.db")).unwrap();
        cms.create(Schema(5, 1), "now").unwrap();
        let source = cms.backup_source().unwrap();
        cms.delete().unwrap();
        let dump = dir.path().join("b.dump");
        assert!(matches!(
            source.backup(&dump, Version::new(5, 1, 3), "now"),
            Err(CmsError::NoDatabase)
        ));
        assert!(!dir.path().join("cms.db").exists() && !dump.exists());
        assert!(!Cms::open(&dir.path().join("cms.db")).unwrap().exists());
    }

    #[test]
    fn images_a_killed_backup_left_are_removed_when_the_database_opens() {
        let dir = tempfile::tempdir().unwrap();
        let left = dir.path().join("cms.db.image-0badf00d");
        std::fs::write(&left, b"half an image").unwrap();
        let other = dir.path().join("other.db.image-0badf00d");
        std::fs::write(&other, b"not ours").unwrap();
        Cms::open(&dir.path().join("cms.db")).unwrap();
        assert!(!left.exists());
        assert!(other.exists());
    }

    #[test]
    fn truncated_dump_is_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut cms = Cms::open(&dir.path().join("cms.db")).unwrap();
        cms.create(Schema(5, 1), "now").unwrap();
        cms.upsert_device(&device("ce1")).unwrap();
        let dump = dir.path().join("b.dump");
        cms.backup(&dump, Version::new(5, 1, 3), "now").unwrap();
        let bytes = std::fs::read(&dump).unwrap();
        std::fs::write(&dump, &bytes[..bytes.len() / 2]).unwrap();
        cms.delete().unwrap();
        assert!(matches!(
            cms.restore(&dump),
            Err(CmsError::Dump(DumpError::Damaged(_)))
        ));
        assert!(!cms.exists());
        assert!(!dir.path().join("cms.db").exists());
    }

    #[test]
    fn migrate_up_and_downgrade_change_the_schema_and_keep_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut cms = Cms::open(&dir.path().join("cms.db")).unwrap();
        cms.create(Schema(5, 1), "now").unwrap();
        cms.upsert_device(&device("ce1")).unwrap();
        assert_eq!(cms.migrate_up(Schema(5, 3)).unwrap(), Some(Schema(5, 1)));
        assert_eq!(cms.schema().unwrap(), Schema(5, 3));
        assert_eq!(
            cms.migrate_up(Schema(5, 1)).unwrap(),
            None,
            "never down on boot"
        );
        assert_eq!(cms.downgrade(Schema(5, 1)).unwrap(), Schema(5, 3));
        assert_eq!(cms.validate().unwrap(), Schema(5, 1));
        assert_eq!(cms.devices().unwrap(), vec![device("ce1")]);
    }
}
