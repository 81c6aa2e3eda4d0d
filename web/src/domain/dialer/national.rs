//! The national reservation register (Reservasjonsregisteret, kept by
//! Brønnøysundregistrene; norm 10): consumers reserve there against all
//! telemarketing. Brønnøysund delivers the whole register as a file, so the
//! centre imports a copy; a list must be washed against a copy no more than
//! one month old when it is called (Oslo calendar dates).
//!
//! Storage: each import writes its numbers under a new version id, then one
//! write flips the `national` row of `register_versions` to that id, so a
//! failed import leaves the old copy in place and a reader sees one copy or
//! the other. In memory the copy is a bitmap over the national significant
//! numbers (8 digits): 12.5 MB whatever the count, a lookup is one read.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use chrono::{DateTime, Months, NaiveDate, Utc};
use entity::{national_register_version as version, national_reservation, register_version};
use futures_util::TryStreamExt;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};

use crate::domain::dialer::registers::parse_key;
use crate::domain::dialer::wash::{ListReader, trim_line};
use crate::domain::privacy::audit::{self, Actor, Entry};

/// The `register_versions` row that points at the copy in use (0: none yet).
pub const POINTER: &str = "national";
/// The screen warns from this age (days since the extract date).
pub const WARN_AFTER_DAYS: i64 = 25;
/// Numbers inserted per statement and per write transaction.
const BATCH: usize = 5_000;
/// Invalid line numbers kept for the report (the rest are counted).
const MAX_INVALID_SHOWN: usize = 1_000;

/// E.164 keys of Norwegian numbers: 47 and eight digits.
const NO_MIN: u64 = 4_700_000_000;
const NO_MAX: u64 = 4_800_000_000;

/// The national significant number of a Norwegian E.164 key; None for a
/// number of another country.
pub fn nsn_of(key: u64) -> Option<u32> {
    (NO_MIN..NO_MAX)
        .contains(&key)
        .then(|| u32::try_from(key - NO_MIN).ok())
        .flatten()
}

/// The last Oslo calendar date a copy extracted on `extract` may be used:
/// one calendar month later, or the month's last day when it is shorter
/// (15 Oct → 15 Nov, 31 Jan → 28/29 Feb).
pub fn usable_through(extract: NaiveDate) -> NaiveDate {
    extract
        .checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

/// Whether a copy extracted on `extract` may be used for calls at `at`.
pub fn is_fresh(extract: NaiveDate, at: DateTime<Utc>) -> bool {
    crate::domain::time::oslo_today(at) <= usable_through(extract)
}

/// Days from the extract date to `now`'s Oslo date.
pub fn age_days(extract: NaiveDate, now: DateTime<Utc>) -> i64 {
    (crate::domain::time::oslo_today(now) - extract).num_days()
}

/// What the back office warns about the national register: a translation
/// key with its `date` (extract date) and `through` (last usable date).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub key: &'static str,
    pub date: Option<NaiveDate>,
    pub through: Option<NaiveDate>,
}

/// The warning for the copy in use at `now`: none imported, stale, or
/// [`WARN_AFTER_DAYS`] old; None when all is well.
pub fn notice(current: Option<&version::Model>, now: DateTime<Utc>) -> Option<Notice> {
    let Some(v) = current else {
        return Some(Notice {
            key: "national-notice-not-imported",
            date: None,
            through: None,
        });
    };
    let (date, through) = (Some(v.extract_date), Some(usable_through(v.extract_date)));
    if !is_fresh(v.extract_date, now) {
        Some(Notice {
            key: "national-notice-stale",
            date,
            through,
        })
    } else if age_days(v.extract_date, now) >= WARN_AFTER_DAYS {
        Some(Notice {
            key: "national-notice-aging",
            date,
            through,
        })
    } else {
        None
    }
}

/// National significant numbers have eight digits: one bit each for
/// 0..10^8.
const NSN_SPACE: usize = 100_000_000;

/// The copy's numbers as a bitmap over every eight-digit national number:
/// 12.5 MB whatever the count (a sorted `Vec<u32>` of 3,000,000 numbers
/// takes 12 MB as well, but a lookup there is a binary search of 22 steps;
/// here it is one memory read).
#[derive(Clone, Debug, Default)]
pub struct NationalSet {
    /// Empty for an empty set; else `NSN_SPACE / 64` words.
    bits: Vec<u64>,
    len: usize,
}

impl NationalSet {
    pub fn from_numbers(n: Vec<u32>) -> NationalSet {
        let mut set = NationalSet::default();
        for x in n {
            set.insert(x);
        }
        set
    }

    /// Adds national number `n` (numbers of more than eight digits are no
    /// national numbers and are left out).
    pub fn insert(&mut self, n: u32) {
        let n = n as usize;
        if n >= NSN_SPACE {
            return;
        }
        if self.bits.is_empty() {
            // Zeroed pages are only backed by memory once written to.
            self.bits = vec![0; NSN_SPACE.div_ceil(64)];
        }
        let (word, bit) = (n / 64, 1u64 << (n % 64));
        if self.bits[word] & bit == 0 {
            self.bits[word] |= bit;
            self.len += 1;
        }
    }

    /// Whether the number with E.164 key `key` is reserved.
    pub fn contains(&self, key: u64) -> bool {
        nsn_of(key).is_some_and(|n| {
            let n = n as usize;
            self.bits
                .get(n / 64)
                .is_some_and(|w| w & (1u64 << (n % 64)) != 0)
        })
    }

    /// [`NationalSet::contains`] for each of `keys` into `found`, the
    /// words read side by side (see [`KeySet::contains_each`]).
    ///
    /// [`KeySet::contains_each`]: crate::domain::dialer::registers::KeySet::contains_each
    pub fn contains_each(&self, keys: &[u64], found: &mut [bool]) {
        let mut words = [0u64; crate::domain::dialer::registers::LANES];
        let mut bits = [0u64; crate::domain::dialer::registers::LANES];
        for ((w, b), &k) in words.iter_mut().zip(bits.iter_mut()).zip(keys) {
            if let Some(n) = nsn_of(k) {
                let n = n as usize;
                *w = self.bits.get(n / 64).copied().unwrap_or(0);
                *b = 1u64 << (n % 64);
            }
        }
        for ((o, w), b) in found.iter_mut().zip(words).zip(bits) {
            *o = w & b != 0;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of memory the numbers take.
    pub fn bytes(&self) -> usize {
        self.bits.capacity() * std::mem::size_of::<u64>()
    }
}

/// The copy in use, in memory.
#[derive(Debug)]
pub struct NationalCopy {
    pub version: version::Model,
    pub set: NationalSet,
}

/// The id of the copy in use; 0 when none was ever imported.
pub async fn pointer(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(register_version::Entity::find_by_id(POINTER.to_string())
        .one(conn)
        .await?
        .map_or(0, |r| r.version))
}

/// The version record of the copy in use.
pub async fn current(conn: &impl ConnectionTrait) -> Result<Option<version::Model>, DbErr> {
    let id = pointer(conn).await?;
    if id == 0 {
        return Ok(None);
    }
    version::Entity::find_by_id(i32::try_from(id).unwrap_or(0))
        .one(conn)
        .await
}

/// Every import, newest first.
pub async fn versions(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<version::Model>, DbErr> {
    version::Entity::find()
        .order_by_desc(version::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Reads the copy in use into memory; None when none was imported. Reads
/// again when the copy was replaced while it read (its rows are deleted
/// after the flip), so the result is always one whole copy.
pub async fn load(db: &DatabaseConnection) -> Result<Option<NationalCopy>, DbErr> {
    loop {
        let Some(v) = current(db).await? else {
            return Ok(None);
        };
        let rows = national_reservation::Entity::find()
            .select_only()
            .column(national_reservation::Column::Number)
            .filter(national_reservation::Column::VersionId.eq(v.id))
            .into_tuple::<i32>()
            .stream(db)
            .await?;
        futures_util::pin_mut!(rows);
        let mut set = NationalSet::default();
        while let Some(n) = rows.try_next().await? {
            if let Ok(n) = u32::try_from(n) {
                set.insert(n);
            }
        }
        let still = pointer(db).await? == i64::from(v.id);
        if still && set.len() as i64 == v.count {
            return Ok(Some(NationalCopy { version: v, set }));
        }
        if still {
            return Err(DbErr::Custom(format!(
                "national register copy {} holds {} numbers, its record says {}",
                v.id,
                set.len(),
                v.count
            )));
        }
    }
}

/// In-memory copy of the national register, replaced behind an `Arc` when
/// the pointer moves: a wash holding the old copy finishes with it.
#[derive(Default)]
pub struct NationalCache(tokio::sync::Mutex<Option<Arc<NationalCopy>>>);

impl NationalCache {
    /// The copy in use; None when none was ever imported.
    pub async fn get(&self, db: &DatabaseConnection) -> Result<Option<Arc<NationalCopy>>, DbErr> {
        let id = pointer(db).await?;
        let mut c = self.0.lock().await;
        if id == 0 {
            *c = None;
            return Ok(None);
        }
        if let Some(copy) = c.as_ref()
            && i64::from(copy.version.id) == id
        {
            return Ok(Some(copy.clone()));
        }
        let fresh = load(db).await?.map(Arc::new);
        c.clone_from(&fresh);
        Ok(fresh)
    }
}

/// How far an import has come.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub bytes: u64,
    pub numbers: u64,
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    pub version_id: i32,
    /// Distinct numbers in the new copy.
    pub count: u64,
    /// Lines that held no Norwegian number (the first 1,000 line numbers).
    pub invalid_lines: Vec<u64>,
    pub invalid_count: u64,
    pub checksum: String,
}

/// Why an import did not replace the copy.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file holds no valid Norwegian number; the copy in use is kept")]
    Empty { invalid_count: u64 },
    #[error("reading the file failed: {0}")]
    Io(#[from] std::io::Error),
    /// Another import is under way (one at a time, enforced by the
    /// database: see [`begin_import`]).
    #[error("another import of the national register is under way; wait until it has finished")]
    Busy,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Starts an import: a version record in state `importing`, whose `count`
/// shows the progress. The admin screen starts it first, then runs
/// [`import_into`] in the background. One import at a time, whoever starts
/// it (the screen, the command line, another instance): a unique index lets
/// one version only be `importing`, and a second start is refused with
/// [`ImportError::Busy`]. An import left behind by a process that died
/// (older than [`IMPORT_ABANDONED_AFTER`]) is failed first, so it blocks
/// nothing.
pub async fn begin_import(
    db: &DatabaseConnection,
    extract_date: NaiveDate,
    by: &str,
    now: DateTime<Utc>,
) -> Result<version::Model, ImportError> {
    fail_abandoned_imports(db, now).await?;
    let txn = crate::db::begin_write(db).await?;
    let inserted = version::ActiveModel {
        extract_date: Set(extract_date),
        imported_at: Set(now),
        imported_by: Set(by.to_string()),
        count: Set(0),
        invalid_lines: Set(0),
        checksum: Set(String::new()),
        state: Set("importing".into()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(v) => {
            txn.commit().await?;
            Ok(v)
        }
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            txn.rollback().await?;
            Err(ImportError::Busy)
        }
        Err(e) => Err(e.into()),
    }
}

async fn insert_batch(
    db: &DatabaseConnection,
    version_id: i32,
    batch: &mut Vec<u32>,
    seen: u64,
) -> Result<u64, DbErr> {
    if batch.is_empty() {
        return Ok(0);
    }
    batch.sort_unstable();
    batch.dedup();
    let rows = batch.drain(..).map(|n| national_reservation::ActiveModel {
        version_id: Set(version_id),
        number: Set(i32::try_from(n).unwrap_or(i32::MAX)),
    });
    let txn = crate::db::begin_write(db).await?;
    let inserted = national_reservation::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                national_reservation::Column::VersionId,
                national_reservation::Column::Number,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    version::Entity::update_many()
        .col_expr(
            version::Column::Count,
            sea_orm::sea_query::Expr::value(i64::try_from(seen).unwrap_or(i64::MAX)),
        )
        .filter(version::Column::Id.eq(version_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(inserted)
}

/// Reads the file into the started version `v` and, when all went well,
/// makes it the copy in use in one write (with its audit entry); the old
/// copy's numbers are deleted after. On failure the version is marked
/// `failed`, its numbers deleted, and the copy in use stays.
pub async fn import_into(
    db: &DatabaseConnection,
    v: version::Model,
    input: impl Read,
    actor: &Actor,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportReport, ImportError> {
    let id = v.id;
    let result = read_into(db, id, input, progress).await;
    match result {
        Ok(report) if report.count > 0 => {
            flip(db, v, &report, actor, now).await?;
            Ok(report)
        }
        other => {
            let (err, invalid) = match other {
                Ok(r) => (
                    ImportError::Empty {
                        invalid_count: r.invalid_count,
                    },
                    r.invalid_count,
                ),
                Err(e) => (e, 0),
            };
            let _ = fail(db, id, invalid, actor, now).await;
            Err(err)
        }
    }
}

async fn read_into(
    db: &DatabaseConnection,
    id: i32,
    input: impl Read,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportReport, ImportError> {
    let mut reader = BufReader::with_capacity(
        256 * 1024,
        Hashing {
            inner: input,
            hasher: Sha256::new(),
            bytes: 0,
        },
    );
    let mut report = ImportReport {
        version_id: id,
        ..Default::default()
    };
    let mut list = ListReader::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut line = Vec::with_capacity(256);
    let mut seen = 0u64;
    let mut lineno = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        lineno += 1;
        let Some(text) = list.number(trim_line(&line)) else {
            continue;
        };
        let text = text.trim_ascii();
        if text.is_empty() {
            continue; // A blank line is no number, and no error either.
        }
        let nsn = std::str::from_utf8(text)
            .ok()
            .and_then(parse_key)
            .and_then(nsn_of);
        match nsn {
            Some(n) => {
                batch.push(n);
                seen += 1;
            }
            None => {
                report.invalid_count += 1;
                if report.invalid_lines.len() < MAX_INVALID_SHOWN {
                    report.invalid_lines.push(lineno);
                }
            }
        }
        if batch.len() >= BATCH {
            report.count += insert_batch(db, id, &mut batch, seen).await?;
            progress(Progress {
                bytes: reader.get_ref().bytes,
                numbers: report.count,
            });
        }
    }
    report.count += insert_batch(db, id, &mut batch, seen).await?;
    let h = reader.into_inner();
    progress(Progress {
        bytes: h.bytes,
        numbers: report.count,
    });
    report.checksum = hex::encode(h.hasher.finalize());
    Ok(report)
}

/// Makes version `v` the copy in use: one write transaction moves the
/// pointer, closes the version record and audits; the numbers of the copy
/// it replaces (and of failed imports) go after, never those of another
/// version.
async fn flip(
    db: &DatabaseConnection,
    v: version::Model,
    report: &ImportReport,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let old = pointer(&txn).await?;
    let mut am = v.into_active_model();
    am.count = Set(i64::try_from(report.count).unwrap_or(i64::MAX));
    am.invalid_lines = Set(i64::try_from(report.invalid_count).unwrap_or(i64::MAX));
    am.checksum = Set(report.checksum.clone());
    am.state = Set("current".into());
    let v = am.update(&txn).await?;
    if old != 0 {
        version::Entity::update_many()
            .col_expr(
                version::Column::State,
                sea_orm::sea_query::Expr::value("replaced"),
            )
            .filter(version::Column::Id.eq(i32::try_from(old).unwrap_or(0)))
            .exec(&txn)
            .await?;
    }
    register_version::Entity::update_many()
        .col_expr(
            register_version::Column::Version,
            sea_orm::sea_query::Expr::value(i64::from(v.id)),
        )
        .filter(register_version::Column::Name.eq(POINTER))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        actor,
        Entry::new("national_register.import")
            .object("national_register_version", v.id)
            .detail(format!(
                "extract_date={} count={} invalid={} sha256={}",
                v.extract_date, report.count, report.invalid_count, report.checksum
            )),
    )
    .await?;
    txn.commit().await?;
    delete_numbers_of_finished_copies(db).await
}

/// Deletes the numbers of the copies that are done with: replaced or
/// failed. Never the copy in use, nor an import under way.
async fn delete_numbers_of_finished_copies(db: &DatabaseConnection) -> Result<(), DbErr> {
    let finished: Vec<i32> = version::Entity::find()
        .select_only()
        .column(version::Column::Id)
        .filter(version::Column::State.is_in(["replaced", "failed"]))
        .into_tuple()
        .all(db)
        .await?;
    if finished.is_empty() {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    national_reservation::Entity::delete_many()
        .filter(national_reservation::Column::VersionId.is_in(finished))
        .exec(&txn)
        .await?;
    txn.commit().await
}

async fn fail(
    db: &DatabaseConnection,
    id: i32,
    invalid: u64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    version::Entity::update_many()
        .col_expr(
            version::Column::State,
            sea_orm::sea_query::Expr::value("failed"),
        )
        .col_expr(
            version::Column::InvalidLines,
            sea_orm::sea_query::Expr::value(i64::try_from(invalid).unwrap_or(i64::MAX)),
        )
        .filter(version::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    national_reservation::Entity::delete_many()
        .filter(national_reservation::Column::VersionId.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        actor,
        Entry::new("national_register.import_failed").object("national_register_version", id),
    )
    .await?;
    txn.commit().await
}

/// Imports a whole copy: starts the version, reads it, flips the pointer.
pub async fn import(
    db: &DatabaseConnection,
    extract_date: NaiveDate,
    input: impl Read,
    actor: &Actor,
    by: &str,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportReport, ImportError> {
    let v = begin_import(db, extract_date, by, now).await?;
    import_into(db, v, input, actor, now, progress).await
}

/// How long an import may stay `importing` before it counts as left behind
/// by a process that died (the screen stops showing it as under way then).
pub const IMPORT_ABANDONED_AFTER: chrono::Duration = chrono::Duration::hours(6);

/// Marks imports left behind by a process that died as failed and deletes
/// the numbers they had written (up to a whole copy). The copy in use is
/// never touched. Idempotent; returns how many imports it failed.
pub async fn fail_abandoned_imports(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let stale = version::Entity::find()
        .filter(version::Column::State.eq("importing"))
        .filter(version::Column::ImportedAt.lt(now - IMPORT_ABANDONED_AFTER))
        .all(db)
        .await?;
    let system = Actor {
        id: None,
        email: None,
    };
    for v in &stale {
        let invalid = u64::try_from(v.invalid_lines).unwrap_or(0);
        fail(db, v.id, invalid, &system, now).await?;
    }
    Ok(stale.len())
}

/// The newest import still in state `importing` (under way, or left behind
/// by a process that died: the screen only trusts recent ones).
pub async fn importing(conn: &impl ConnectionTrait) -> Result<Option<version::Model>, DbErr> {
    version::Entity::find()
        .filter(version::Column::State.eq("importing"))
        .order_by_desc(version::Column::Id)
        .one(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Noon in Oslo on date `s`.
    fn noon(s: &str) -> DateTime<Utc> {
        use chrono::TimeZone;
        chrono_tz::Europe::Oslo
            .from_local_datetime(&d(s).and_hms_opt(12, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_copy_may_be_used_through_the_same_date_next_month() {
        assert_eq!(usable_through(d("2026-10-15")), d("2026-11-15"));
        assert!(is_fresh(d("2026-10-15"), noon("2026-11-15")));
        assert!(!is_fresh(d("2026-10-15"), noon("2026-11-16")));
    }

    #[test]
    fn a_copy_from_the_last_of_january_lasts_through_the_last_of_february() {
        assert_eq!(usable_through(d("2026-01-31")), d("2026-02-28"));
        assert_eq!(usable_through(d("2028-01-31")), d("2028-02-29"));
        assert!(is_fresh(d("2026-01-31"), noon("2026-02-28")));
        assert!(!is_fresh(d("2026-01-31"), noon("2026-03-01")));
    }

    #[test]
    fn the_line_is_drawn_on_oslo_dates_not_utc() {
        use chrono::TimeZone;
        // 23:30 in Oslo on 15 November is 22:30 UTC the same day: usable;
        // 00:30 in Oslo on 16 November is still 15 November in UTC: not.
        let late = chrono_tz::Europe::Oslo
            .with_ymd_and_hms(2026, 11, 15, 23, 30, 0)
            .unwrap()
            .with_timezone(&Utc);
        let after = chrono_tz::Europe::Oslo
            .with_ymd_and_hms(2026, 11, 16, 0, 30, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert!(is_fresh(d("2026-10-15"), late));
        assert!(!is_fresh(d("2026-10-15"), after));
    }

    #[test]
    fn only_norwegian_numbers_have_a_national_number() {
        assert_eq!(nsn_of(4_791_234_567), Some(91_234_567));
        assert_eq!(nsn_of(46_812_345_678), None);
        assert_eq!(nsn_of(4_812_345_678), None);
        let s = NationalSet::from_numbers(vec![91_234_567, 22_334_455, 91_234_567]);
        assert_eq!(s.len(), 2);
        assert!(s.contains(4_791_234_567));
        assert!(!s.contains(4_791_234_568));
        assert!(!s.contains(4_691_234_567));
    }

    #[test]
    fn the_bitmap_holds_exactly_its_numbers_one_by_one_and_side_by_side() {
        let numbers = [0, 1, 63, 64, 91_234_567, 99_999_999, 22_334_455];
        let s = NationalSet::from_numbers(numbers.iter().chain(&numbers).copied().collect());
        assert_eq!(s.len(), numbers.len());
        assert_eq!(s.bytes(), 12_500_000);
        let keys: Vec<u64> = [
            0u64, 1, 2, 62, 63, 64, 65, 91_234_567, 91_234_568, 99_999_999,
        ]
        .iter()
        .map(|n| NO_MIN + n)
        .chain([46_812_345_678, 4_812_345_678, 0])
        .collect();
        let mut found = [true; 13];
        s.contains_each(&keys, &mut found);
        for (k, f) in keys.iter().zip(found) {
            let n = k.checked_sub(NO_MIN).filter(|_| *k < NO_MAX);
            let expected = n.is_some_and(|n| numbers.contains(&(n as u32)));
            assert_eq!(s.contains(*k), expected, "{k}");
            assert_eq!(f, expected, "{k}");
        }
        let empty = NationalSet::default();
        assert!(!empty.contains(NO_MIN + 1) && empty.bytes() == 0);
        let mut found = [true; 1];
        empty.contains_each(&[NO_MIN + 1], &mut found);
        assert!(!found[0]);
    }
}
