//! The reservation registers as the wash sees them: the centre's own register
//! (every client), each client's register, and recently abandoned calls
//! (norm 4.4.4, 4.6.3). Kept in memory as hash sets of number keys
//! ([`KeySet`]), brought up to date when the registers' version counter
//! moves: every write bumps it.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{abandoned_call, client, client_reservation, register_version, reservation};
use futures_util::TryStreamExt;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
};

use crate::domain::dialer::wash::{ListReader, Registers, trim_line};
use crate::domain::phone::{E164, e164_key, parse_common_norwegian, parse_common_norwegian_bytes};

/// The name of the counter shared by every reservation register.
pub const RESERVATIONS: &str = "reservations";

/// Notes that a reservation register changed, so in-memory copies reload.
pub async fn bump(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    register_version::Entity::update_many()
        .col_expr(
            register_version::Column::Version,
            Expr::col(register_version::Column::Version).add(1),
        )
        .filter(register_version::Column::Name.eq(RESERVATIONS))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn version(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(
        register_version::Entity::find_by_id(RESERVATIONS.to_string())
            .one(conn)
            .await?
            .map_or(0, |r| r.version),
    )
}

/// A set of numbers as [`e164_key`]s in an open-addressing hash table
/// (linear probing, at most half full): one cache miss a lookup, 16 bytes a
/// number. Key 0 is never a number (E.164 has no leading zero), so 0 marks
/// an empty slot.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    slots: Vec<u64>,
    len: usize,
}

impl KeySet {
    pub fn from_keys(keys: Vec<u64>) -> KeySet {
        let cap = (keys.len() * 2).max(8).next_power_of_two();
        let mut set = KeySet {
            slots: vec![0; cap],
            len: 0,
        };
        for k in keys {
            set.insert(k);
        }
        set
    }

    /// Adds keys, growing the table to stay at most half full.
    pub fn extend(&mut self, keys: impl IntoIterator<Item = u64>) {
        for k in keys {
            if (self.len + 1) * 2 > self.slots.len() {
                let old = std::mem::take(&mut self.slots);
                let cap = (old.len() * 2).max(16);
                self.slots = vec![0; cap];
                self.len = 0;
                for o in old.into_iter().filter(|&o| o != 0) {
                    self.insert(o);
                }
            }
            self.insert(k);
        }
    }

    fn slot(&self, key: u64) -> usize {
        // Fibonacci hashing: the top bits of key × 2^64/φ.
        let bits = self.slots.len().trailing_zeros();
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    fn insert(&mut self, key: u64) {
        if key == 0 {
            return;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = key;
                    self.len += 1;
                    return;
                }
                k if k == key => return,
                _ => i = (i + 1) & mask,
            }
        }
    }

    pub fn contains(&self, key: u64) -> bool {
        if self.slots.is_empty() || key == 0 {
            return false;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            match self.slots[i] {
                0 => return false,
                k if k == key => return true,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// [`KeySet::contains`] for each of `keys` (at most [`LANES`]) into
    /// `found`. The first slot of every key is read before any is compared:
    /// those reads do not wait on one another, so the memory serves them
    /// side by side instead of one cache miss after the other (a table of
    /// 1,000,000 numbers is 16 MB, far beyond the CPU's caches).
    pub fn contains_each(&self, keys: &[u64], found: &mut [bool]) {
        if self.slots.is_empty() {
            found.iter_mut().for_each(|f| *f = false);
            return;
        }
        let mut first = [0u64; LANES];
        for (f, &k) in first.iter_mut().zip(keys) {
            *f = self.slots[self.slot(k)];
        }
        for ((o, &k), &f) in found.iter_mut().zip(keys).zip(&first) {
            // Most keys are decided by their first slot: the key, or empty.
            *o = k != 0 && (f == k || (f != 0 && self.contains(k)));
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// How many keys [`KeySet::contains_each`] looks up side by side.
pub const LANES: usize = 16;

async fn collect_keys<S>(rows: S) -> Result<KeySet, DbErr>
where
    S: futures_util::Stream<Item = Result<String, DbErr>>,
{
    let mut keys = Vec::new();
    futures_util::pin_mut!(rows);
    while let Some(e164) = rows.try_next().await? {
        // Only parsed numbers are stored; skip anything else rather than fail.
        if let Some(k) = e164_key(&e164) {
            keys.push(k);
        }
    }
    Ok(KeySet::from_keys(keys))
}

/// The centre's register in memory, with what is needed to catch up on
/// new rows alone: the highest row id read and the number of rows read.
#[derive(Clone, Debug, Default)]
struct CentreCopy {
    /// The register version this copy is current for.
    version: i64,
    set: Arc<KeySet>,
    max_id: i32,
    rows: u64,
}

async fn load_centre(db: &DatabaseConnection) -> Result<CentreCopy, DbErr> {
    let rows = reservation::Entity::find()
        .select_only()
        .column(reservation::Column::Id)
        .column(reservation::Column::E164)
        .into_tuple::<(i32, String)>()
        .stream(db)
        .await?;
    futures_util::pin_mut!(rows);
    let (mut keys, mut max_id, mut n) = (Vec::new(), 0, 0u64);
    while let Some((id, e164)) = rows.try_next().await? {
        max_id = std::cmp::max(max_id, id);
        n += 1;
        if let Some(k) = e164_key(&e164) {
            keys.push(k);
        }
    }
    Ok(CentreCopy {
        version: 0,
        set: Arc::new(KeySet::from_keys(keys)),
        max_id,
        rows: n,
    })
}

/// Brings `old` up to date by reading only rows added since. Falls back to a
/// full read when the row count shows anything else happened (a row
/// committed out of id order, a row removed).
async fn catch_up_centre(
    db: &DatabaseConnection,
    mut old: CentreCopy,
) -> Result<CentreCopy, DbErr> {
    let new: Vec<(i32, String)> = reservation::Entity::find()
        .select_only()
        .column(reservation::Column::Id)
        .column(reservation::Column::E164)
        .filter(reservation::Column::Id.gt(old.max_id))
        .into_tuple()
        .all(db)
        .await?;
    let total = PaginatorTrait::count(reservation::Entity::find(), db).await?;
    if total != old.rows.saturating_add(new.len() as u64) {
        return load_centre(db).await;
    }
    if !new.is_empty() {
        old.max_id = new.iter().map(|(id, _)| *id).max().unwrap_or(old.max_id);
        old.rows = total;
        // Copies the table only if a wash is still reading the old one.
        Arc::make_mut(&mut old.set).extend(new.iter().filter_map(|(_, e)| e164_key(e)));
    }
    Ok(old)
}

async fn load_client(db: &DatabaseConnection, client_id: i32) -> Result<KeySet, DbErr> {
    let rows = client_reservation::Entity::find()
        .select_only()
        .column(client_reservation::Column::E164)
        .filter(client_reservation::Column::ClientId.eq(client_id))
        .into_tuple::<String>()
        .stream(db)
        .await?;
    collect_keys(rows).await
}

/// Numbers whose call was abandoned at or after `since` (norm 4.6.3).
pub async fn abandoned_since(
    db: &DatabaseConnection,
    since: DateTime<Utc>,
) -> Result<KeySet, DbErr> {
    let rows = abandoned_call::Entity::find()
        .select_only()
        .column(abandoned_call::Column::E164)
        .filter(abandoned_call::Column::At.gte(since))
        .into_tuple::<String>()
        .stream(db)
        .await?;
    collect_keys(rows).await
}

#[derive(Default)]
struct Cached {
    centre: Option<CentreCopy>,
    /// The version the client copies are current for.
    clients_version: i64,
    clients: HashMap<i32, Arc<KeySet>>,
}

/// Shared in-memory copies of the registers, one per version.
///
/// `serve` loads them at start ([`RegisterCache::refresh`] in the
/// background; `/readyz` answers 503 until the first load is done) and
/// refreshes them every second when the version counter moved, so a wash
/// finds them current: it reads the counter once and takes the copies. Only
/// a wash that starts between a write and the next refresh brings the copy
/// up to date itself (a wash never misses a committed reservation, norm
/// 4.4.4), and a wash before the first load waits for it.
#[derive(Default)]
pub struct RegisterCache {
    cached: tokio::sync::Mutex<Cached>,
    /// The centre's copy as last brought up to date, with its version: what
    /// a wash takes without waiting on `cached`.
    latest: std::sync::RwLock<Option<(i64, Arc<KeySet>)>>,
    /// The first [`RegisterCache::refresh`] has completed.
    ready: std::sync::atomic::AtomicBool,
    /// The national register's copy in use (its own lock: loading it does
    /// not hold up the others).
    pub national: crate::domain::dialer::national::NationalCache,
}

impl RegisterCache {
    /// The centre's register as of now. One small query checks the version;
    /// after a write, only the rows added since are read.
    pub async fn centre(&self, db: &DatabaseConnection) -> Result<Arc<KeySet>, DbErr> {
        // Read the version before the rows: a write racing with the load
        // leaves a newer version behind, so the next call looks again.
        let v = version(db).await?;
        self.centre_at(db, v).await
    }

    /// The copy in memory when it is current for version `v` (no query, no
    /// lock held for long).
    fn latest_centre(&self, v: i64) -> Option<Arc<KeySet>> {
        let latest = self.latest.read().unwrap_or_else(|e| e.into_inner());
        match latest.as_ref() {
            Some((version, set)) if *version >= v => Some(set.clone()),
            _ => None,
        }
    }

    /// The centre's register brought up to version `v` (read before).
    async fn centre_at(&self, db: &DatabaseConnection, v: i64) -> Result<Arc<KeySet>, DbErr> {
        let mut c = self.cached.lock().await;
        // The counter only grows: a copy brought up to a later version by
        // another caller meanwhile is current for `v` too.
        let mut copy = match c.centre.take() {
            Some(copy) if copy.version >= v => copy,
            Some(stale) => catch_up_centre(db, stale).await?,
            None => load_centre(db).await?,
        };
        copy.version = std::cmp::max(copy.version, v);
        let set = copy.set.clone();
        *self.latest.write().unwrap_or_else(|e| e.into_inner()) = Some((copy.version, set.clone()));
        c.centre = Some(copy);
        Ok(set)
    }

    /// Client `client_id`'s own register as of now (read whole after any
    /// write: client registers are small next to the centre's).
    pub async fn client(
        &self,
        db: &DatabaseConnection,
        client_id: i32,
    ) -> Result<Arc<KeySet>, DbErr> {
        let v = version(db).await?;
        self.client_at(db, client_id, v).await
    }

    async fn client_at(
        &self,
        db: &DatabaseConnection,
        client_id: i32,
        v: i64,
    ) -> Result<Arc<KeySet>, DbErr> {
        let mut c = self.cached.lock().await;
        if c.clients_version < v {
            c.clients_version = v;
            c.clients.clear();
        }
        if let Some(s) = c.clients.get(&client_id) {
            return Ok(s.clone());
        }
        let s = Arc::new(load_client(db, client_id).await?);
        c.clients.insert(client_id, s.clone());
        Ok(s)
    }

    /// Brings every copy in memory up to date: the centre's register (read
    /// whole the first time, then only what was added), the client
    /// registers washed against before (read again when the version moved),
    /// and the national copy (read again when an import replaced it). Cheap
    /// when nothing changed: two one-row reads. `serve` runs it at start and
    /// then every second (the register refresh job).
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let v = version(db).await?;
        self.centre_at(db, v).await?;
        let stale: Vec<i32> = {
            let c = self.cached.lock().await;
            if c.clients_version >= v {
                Vec::new()
            } else {
                c.clients.keys().copied().collect()
            }
        };
        for id in stale {
            self.client_at(db, id, v).await?;
        }
        self.national.get(db).await?;
        self.ready.store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// The version of the centre's copy in memory (None before the first
    /// load): behind [`version`] between a write and the next refresh.
    pub fn loaded_version(&self) -> Option<i64> {
        let latest = self.latest.read().unwrap_or_else(|e| e.into_inner());
        latest.as_ref().map(|(v, _)| *v)
    }

    /// Whether the registers were loaded once ([`RegisterCache::refresh`]).
    pub fn is_ready(&self) -> bool {
        self.ready.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The registers a wash reads: the centre's, the client's when the
    /// campaign has one, and the numbers with a call abandoned in the last
    /// `agent_required_days` days (norm 4.6.3). The dialer API and the back
    /// office wash against the same.
    ///
    /// One read of the version counter; the copies come from memory when
    /// they are of that version (the background refresh keeps them so).
    /// Abandoned calls are read per wash: their window moves with `now`,
    /// and an index on the time keeps that read to the few recent rows.
    pub async fn for_wash(
        &self,
        db: &DatabaseConnection,
        client_id: Option<i32>,
        agent_required_days: u32,
        now: DateTime<Utc>,
    ) -> Result<Registers, DbErr> {
        let register_version = version(db).await?;
        let centre = match self.latest_centre(register_version) {
            Some(set) => set,
            None => self.centre_at(db, register_version).await?,
        };
        let client = match client_id {
            Some(id) => Some(self.client_at(db, id, register_version).await?),
            None => None,
        };
        let since = now - chrono::Duration::days(i64::from(agent_required_days));
        let abandoned = abandoned_since(db, since).await?;
        Ok(Registers {
            centre,
            client,
            abandoned: Arc::new(abandoned),
            // Set by the caller when the national register applies.
            national: None,
            version: register_version,
        })
    }
}

/// Parses one written number, fast for the common Norwegian forms.
pub fn parse_key(s: &str) -> Option<u64> {
    match parse_common_norwegian(s) {
        Some(r) => r.ok(),
        None => E164::parse(s).ok().and_then(|e| e164_key(e.as_str())),
    }
}

/// [`parse_key`] on the bytes of a line: the fast path first, the full
/// parser only for a line that is UTF-8 and not in a common form.
pub fn parse_key_bytes(b: &[u8]) -> Option<u64> {
    match parse_common_norwegian_bytes(b) {
        Some(r) => r.ok(),
        None => std::str::from_utf8(b)
            .ok()
            .and_then(|s| E164::parse(s).ok())
            .and_then(|e| e164_key(e.as_str())),
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: u64,
    /// Numbers already in the register, or repeated in the input.
    pub already_present: u64,
    /// 1-based line numbers of lines that held no valid number.
    pub invalid_lines: Vec<u64>,
}

const BATCH: usize = 500;

async fn insert_client_batch(
    conn: &impl ConnectionTrait,
    client_id: i32,
    batch: &mut Vec<u64>,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    if batch.is_empty() {
        return Ok(());
    }
    // Numbers repeated in the file count as already present.
    let n = batch.len() as u64;
    batch.sort_unstable();
    batch.dedup();
    let rows = batch.drain(..).map(|k| client_reservation::ActiveModel {
        client_id: Set(client_id),
        e164: Set(crate::domain::phone::key_to_e164(k)),
        created_at: Set(now),
        ..Default::default()
    });
    let inserted = client_reservation::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                client_reservation::Column::ClientId,
                client_reservation::Column::E164,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    report.added += inserted;
    report.already_present += n - inserted;
    Ok(())
}

/// Imports a client's reservation register from CSV: one number per line, or
/// a header line with a `number` column. Idempotent: numbers already there
/// stay as they were. Invalid lines are reported by line number.
pub async fn import_client_register(
    db: &impl ConnectionTrait,
    client_id: i32,
    input: impl BufRead,
    now: DateTime<Utc>,
) -> anyhow::Result<ImportReport> {
    if client::Entity::find_by_id(client_id)
        .one(db)
        .await?
        .is_none()
    {
        anyhow::bail!("no client with id {client_id}");
    }
    let mut report = ImportReport::default();
    let mut reader = ListReader::default();
    let mut batch = Vec::with_capacity(BATCH);
    for (i, line) in input.split(b'\n').enumerate() {
        let line = line?;
        let Some(text) = reader.number(trim_line(&line)) else {
            continue;
        };
        let key = parse_key_bytes(text);
        match key {
            Some(k) => batch.push(k),
            None => report.invalid_lines.push(i as u64 + 1),
        }
        if batch.len() >= BATCH {
            insert_client_batch(db, client_id, &mut batch, now, &mut report).await?;
        }
    }
    insert_client_batch(db, client_id, &mut batch, now, &mut report).await?;
    if report.added > 0 {
        bump(db).await?;
    }
    Ok(report)
}

/// Empties client `client_id`'s own register; returns how many numbers it held.
pub async fn clear_client_register(
    conn: &impl ConnectionTrait,
    client_id: i32,
) -> Result<u64, DbErr> {
    let r = client_reservation::Entity::delete_many()
        .filter(client_reservation::Column::ClientId.eq(client_id))
        .exec(conn)
        .await?;
    if r.rows_affected > 0 {
        bump(conn).await?;
    }
    Ok(r.rows_affected)
}

/// How many numbers each client's own register holds (clients without any
/// are left out).
pub async fn client_register_sizes(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<i32, u64>, DbErr> {
    let rows: Vec<(i32, i64)> = client_reservation::Entity::find()
        .select_only()
        .column(client_reservation::Column::ClientId)
        .column_as(Expr::col(client_reservation::Column::Id).count(), "n")
        .group_by(client_reservation::Column::ClientId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(c, n)| (c, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Records calls the dialer abandoned (norm 4.6.3) at `now`.
pub async fn record_abandoned(
    conn: &impl ConnectionTrait,
    numbers: &[u64],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in numbers.chunks(BATCH) {
        let rows = chunk.iter().map(|k| abandoned_call::ActiveModel {
            e164: Set(crate::domain::phone::key_to_e164(*k)),
            at: Set(now),
            ..Default::default()
        });
        abandoned_call::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_set_holds_exactly_its_keys() {
        let keys: Vec<u64> = (0..10_000u64).map(|i| 4_790_000_000 + 3 * i).collect();
        let set = KeySet::from_keys(keys.iter().chain(&keys).copied().collect());
        assert_eq!(set.len(), 10_000);
        for i in 0..30_000u64 {
            assert_eq!(set.contains(4_790_000_000 + i), i % 3 == 0, "{i}");
        }
        assert!(!set.contains(0));
        assert!(!KeySet::default().contains(4_790_000_000));
    }

    #[test]
    fn looking_up_side_by_side_agrees_with_one_by_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        // Dense keys in a small table: long probe runs and collisions.
        let keys: Vec<u64> = (0..5_000).map(|_| rng.random_range(1..20_000u64)).collect();
        let set = KeySet::from_keys(keys);
        for n in 0..=LANES {
            for _ in 0..200 {
                let probe: Vec<u64> = (0..n).map(|_| rng.random_range(0..20_000u64)).collect();
                let mut found = [true; LANES];
                set.contains_each(&probe, &mut found[..n]);
                for (k, f) in probe.iter().zip(&found) {
                    assert_eq!(*f, set.contains(*k), "{k}");
                }
            }
        }
        let mut found = [true; 3];
        KeySet::default().contains_each(&[1, 2, 0], &mut found);
        assert_eq!(found, [false; 3]);
    }

    #[test]
    fn parse_key_bytes_agrees_with_parse_key() {
        for s in [
            "912 34 567",
            "+47 912 34 567",
            "0047 91234567",
            "+46 8 123 456 78",
            "ring meg ikke",
            "",
            "12345678",
            "(+47) 912-34-567",
        ] {
            assert_eq!(parse_key_bytes(s.as_bytes()), parse_key(s), "{s:?}");
        }
        assert_eq!(parse_key_bytes(b"\xff91234567"), None);
    }
}
