//! `htx-server copy --from A --to B`: moves a deployment between databases
//! (a province's SQLite file into PostgreSQL) with nothing lost. Every table
//! of the schema is copied row by row in one transaction on the target, then
//! both databases are read again and each table's row count and content
//! hash compared; the target must hold no data before.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use sqlx::{Column, Row, ValueRef};

use super::{begin_exclusive, begin_read, connect, kind, migrate, Db, Kind, Location};

/// Every table of the schema, parents before children (foreign keys).
/// `_sqlx_migrations` is each backend's own.
pub const TABLES: [&str; 16] = [
    "meta",
    "users",
    "user_places",
    "user_scopes",
    "sessions",
    "organisations",
    "changes",
    "visit_revisions",
    "visit_conflicts",
    "reviews",
    "blobs",
    "audit_log",
    "visit_index",
    "rubrics",
    "visit_owners",
    "visit_photos",
];

/// One table's figures, the same in both databases after a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCheck {
    pub table: &'static str,
    pub rows: u64,
    /// Hex SHA-256 over the sorted hashes of its rows (each row: its
    /// columns by name, typed), so row order and backend do not matter.
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct CopyReport {
    pub tables: Vec<TableCheck>,
}

impl CopyReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// A column value as both backends hold it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

fn value(row: &AnyRow, i: usize) -> anyhow::Result<Value> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    Ok(match raw.type_info().kind() {
        AnyTypeInfoKind::Bool => Value::Int(i64::from(row.try_get::<bool, _>(i)?)),
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            Value::Int(row.try_get(i)?)
        }
        AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => Value::Real(row.try_get(i)?),
        AnyTypeInfoKind::Text => Value::Text(row.try_get(i)?),
        AnyTypeInfoKind::Blob => Value::Bytes(row.try_get(i)?),
        AnyTypeInfoKind::Null => Value::Null,
    })
}

/// A row as column name -> value (names sorted: the backends may order
/// columns added by ALTER TABLE differently).
fn row_values(row: &AnyRow) -> anyhow::Result<BTreeMap<String, Value>> {
    (0..row.len())
        .map(|i| Ok((row.column(i).name().to_owned(), value(row, i)?)))
        .collect()
}

fn row_hash(values: &BTreeMap<String, Value>) -> [u8; 32] {
    let mut h = Sha256::new();
    for (name, v) in values {
        h.update(name.as_bytes());
        h.update([0]);
        match v {
            Value::Null => h.update([b'n']),
            Value::Int(n) => {
                h.update([b'i']);
                h.update(n.to_le_bytes());
            }
            Value::Real(x) => {
                h.update([b'r']);
                h.update(x.to_le_bytes());
            }
            Value::Text(s) => {
                h.update([b't']);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Value::Bytes(b) => {
                h.update([b'b']);
                h.update((b.len() as u64).to_le_bytes());
                h.update(b);
            }
        }
    }
    h.finalize().into()
}

/// Counts and hashes every table of `db` in one snapshot.
pub async fn check(db: &Db) -> anyhow::Result<Vec<TableCheck>> {
    let mut tx = begin_read(db).await?;
    let mut checks = Vec::new();
    for table in TABLES {
        let mut hashes = Vec::new();
        let sql = format!("SELECT * FROM {table}");
        let mut rows = sqlx::query(&sql).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            hashes.push(row_hash(&row_values(&row)?));
        }
        drop(rows);
        hashes.sort_unstable();
        let mut h = Sha256::new();
        for r in &hashes {
            h.update(r);
        }
        checks.push(TableCheck {
            table,
            rows: hashes.len() as u64,
            sha256: hex::encode(h.finalize()),
        });
    }
    tx.commit().await?;
    Ok(checks)
}

/// The first table that holds data, if any. A database just migrated holds
/// one row, migration 0008's cursor in `meta`, which the copy replaces.
async fn holds_data(tx: &mut super::Tx) -> anyhow::Result<Option<&'static str>> {
    for table in TABLES {
        let sql = if table == "meta" {
            "SELECT COUNT(*) FROM meta WHERE key <> 'visit_index_upto'".to_owned()
        } else {
            format!("SELECT COUNT(*) FROM {table}")
        };
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut **tx).await?;
        if n > 0 {
            return Ok(Some(table));
        }
    }
    Ok(None)
}

/// Rows per INSERT: under both backends' limit of bound values (SQLite
/// 32,766, PostgreSQL 65,535) for the widest table, and few enough photos.
const ROWS_PER_INSERT: usize = 200;
const BYTES_PER_INSERT: usize = 8 << 20;

/// The target's type of each column of a table, for the type of a bound
/// NULL: PostgreSQL refuses a text NULL for a BIGINT column (SQLite takes
/// any NULL, and its rows do not say which type a NULL would have had).
async fn null_types(
    tx: &mut super::Tx,
    kind: Kind,
    table: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    if kind == Kind::Sqlite {
        return Ok(BTreeMap::new());
    }
    let types: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    Ok(types.into_iter().collect())
}

async fn insert_rows(
    tx: &mut super::Tx,
    kind: Kind,
    table: &str,
    columns: &[String],
    null_types: &BTreeMap<String, String>,
    rows: &mut Vec<BTreeMap<String, Value>>,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let placeholders = super::query_builder::Placeholders::for_backend(kind);
    let mut qb = super::query_builder::QueryBuilder::with_placeholders(
        placeholders,
        format!("INSERT INTO {table} ({}) ", columns.join(", ")),
    );
    qb.push_values(rows.drain(..), |mut b, mut row| {
        for c in columns {
            match row.remove(c).unwrap_or(Value::Null) {
                Value::Null => match null_types.get(c).map(String::as_str) {
                    Some("bigint" | "integer" | "smallint") => b.push_bind(None::<i64>),
                    Some("double precision" | "real") => b.push_bind(None::<f64>),
                    Some("bytea") => b.push_bind(None::<Vec<u8>>),
                    _ => b.push_bind(None::<String>),
                },
                Value::Int(n) => b.push_bind(n),
                Value::Real(x) => b.push_bind(x),
                Value::Text(s) => b.push_bind(s),
                Value::Bytes(v) => b.push_bind(v),
            };
        }
    });
    qb.build()
        .execute(&mut **tx)
        .await
        .with_context(|| format!("writing rows of {table}"))?;
    Ok(())
}

/// Copies `table` from the source snapshot into the target transaction.
async fn copy_table(
    from: &mut super::Tx,
    to: &mut super::Tx,
    kind: Kind,
    table: &'static str,
) -> anyhow::Result<()> {
    let null_types = null_types(to, kind, table).await?;
    let sql = format!("SELECT * FROM {table}");
    let mut rows = sqlx::query(&sql).fetch(&mut **from);
    let mut columns: Vec<String> = Vec::new();
    let mut pending = Vec::new();
    let mut bytes = 0;
    while let Some(row) = rows.try_next().await? {
        let mut values = row_values(&row)?;
        if columns.is_empty() {
            columns = values.keys().cloned().collect();
        }
        if table == "organisations" {
            // An organisation may be merged into one copied after it: the
            // link is written once every organisation is there.
            values.insert("merged_into".into(), Value::Null);
        }
        bytes += values
            .values()
            .map(|v| match v {
                Value::Text(s) => s.len(),
                Value::Bytes(b) => b.len(),
                _ => 8,
            })
            .sum::<usize>();
        pending.push(values);
        if pending.len() >= ROWS_PER_INSERT || bytes >= BYTES_PER_INSERT {
            insert_rows(to, kind, table, &columns, &null_types, &mut pending).await?;
            bytes = 0;
        }
    }
    drop(rows);
    insert_rows(to, kind, table, &columns, &null_types, &mut pending).await?;
    if table == "organisations" {
        let merged: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, merged_into FROM organisations WHERE merged_into IS NOT NULL",
        )
        .fetch_all(&mut **from)
        .await?;
        for (id, into) in merged {
            sqlx::query("UPDATE organisations SET merged_into = $1 WHERE id = $2")
                .bind(into)
                .bind(id)
                .execute(&mut **to)
                .await?;
        }
    }
    Ok(())
}

/// PostgreSQL's identity columns go on from the copied rows' largest value
/// (SQLite's AUTOINCREMENT follows inserted ids by itself).
async fn continue_sequences(to: &mut super::Tx) -> anyhow::Result<()> {
    for (table, column) in [
        ("changes", "seq"),
        ("visit_revisions", "id"),
        ("visit_conflicts", "id"),
        ("audit_log", "id"),
    ] {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
             COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {table}"
        ))
        .execute(&mut **to)
        .await?;
    }
    Ok(())
}

/// Copies every table of `from` into `to` (both migrated first), then
/// checks both hold the same rows. Refuses a target that holds data.
pub async fn copy(from: &Location, to: &Location) -> anyhow::Result<CopyReport> {
    if from == to {
        bail!("--from and --to name the same database");
    }
    let source = connect(from, 2).await?;
    let target = connect(to, 2).await?;
    let result = async {
        migrate(&source).await.context("the source database")?;
        migrate(&target).await.context("the target database")?;
        let mut write = begin_exclusive(&target).await?;
        // Checked inside the write lock: no server fills it meanwhile.
        if let Some(table) = holds_data(&mut write).await? {
            bail!(
                "refused: {to} already holds data (table {table}); copy into a new, empty \
                 database"
            );
        }
        sqlx::query("DELETE FROM meta").execute(&mut *write).await?;
        let mut read = begin_read(&source).await?;
        for table in TABLES {
            copy_table(&mut read, &mut write, kind(&target), table).await?;
        }
        read.commit().await?;
        if kind(&target) == Kind::Postgres {
            continue_sequences(&mut write).await?;
        }
        write.commit().await?;
        let (expected, copied) = (check(&source).await?, check(&target).await?);
        for (a, b) in expected.iter().zip(&copied) {
            if a != b {
                bail!(
                    "the copy differs in table {}: {} rows (sha256 {}) in {from}, {} rows \
                     (sha256 {}) in {to}",
                    a.table,
                    a.rows,
                    a.sha256,
                    b.rows,
                    b.sha256
                );
            }
        }
        Ok(CopyReport { tables: copied })
    }
    .await;
    source.close().await;
    target.close().await;
    result
}
