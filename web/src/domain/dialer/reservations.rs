//! The internal reservation register (norm 4.4.4 and 10): one row per number,
//! read against every client's calls.

use chrono::{DateTime, Utc};
use entity::enums::ReservationSource;
use entity::reservation;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::domain::Error;
use crate::domain::phone::E164;
use crate::domain::privacy::audit::{self, Actor, Entry};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reserved {
    /// False when the number was already in the register.
    pub newly_added: bool,
    /// When the number first entered the register.
    pub since: DateTime<Utc>,
}

/// Puts `n` in the register. Idempotent: a number already there keeps its
/// one row and its original date.
pub async fn reserve(
    conn: &impl ConnectionTrait,
    n: &E164,
    source: ReservationSource,
    now: DateTime<Utc>,
) -> Result<Reserved, DbErr> {
    let inserted = reservation::Entity::insert(reservation::ActiveModel {
        e164: Set(n.as_str().to_string()),
        source: Set(source),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(reservation::Column::E164)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 1 {
        // The wash keeps the register in memory: tell it to reload.
        crate::domain::dialer::registers::bump(conn).await?;
    }
    let row = find(conn, n)
        .await?
        .ok_or_else(|| DbErr::Custom("reservation vanished after insert".into()))?;
    Ok(Reserved {
        newly_added: inserted == 1,
        since: row.created_at,
    })
}

pub async fn find(
    conn: &impl ConnectionTrait,
    n: &E164,
) -> Result<Option<reservation::Model>, DbErr> {
    reservation::Entity::find()
        .filter(reservation::Column::E164.eq(n.as_str()))
        .one(conn)
        .await
}

/// The register searched by staff: the number itself when `q` is one, else
/// every number containing its digits (at most 200, newest first).
pub async fn search(
    conn: &impl ConnectionTrait,
    q: &str,
) -> Result<Vec<reservation::Model>, DbErr> {
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let mut find = reservation::Entity::find().order_by_desc(reservation::Column::CreatedAt);
    if let Ok(n) = E164::parse(q) {
        find = find.filter(reservation::Column::E164.eq(n.as_str()));
    } else if !digits.is_empty() {
        find = find.filter(reservation::Column::E164.contains(digits));
    }
    find.limit(200).all(conn).await
}

/// A staff member puts the number typed (`nummer`) in the register,
/// audited in the same transaction; true when it was not there before.
pub async fn add_by_staff(
    db: &DatabaseConnection,
    number: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = E164::parse(number).map_err(|e| Error::invalid("nummer", e.message_key()))?;
    let txn = crate::db::begin_write(db).await?;
    let r = reserve(&txn, &n, ReservationSource::Staff, now).await?;
    audit::record(&txn, now, by, Entry::new("reservation.add")).await?;
    txn.commit().await?;
    Ok(r.newly_added)
}

/// Removes reservation `id`; the reason (`grunn`, at least 5 characters)
/// is kept in the audit log. An unknown id is not found.
pub async fn remove(
    db: &DatabaseConnection,
    id: i32,
    reason: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if reservation::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(Error::NotFound);
    }
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Err(Error::invalid("grunn", "reservation-error-reason"));
    }
    let txn = crate::db::begin_write(db).await?;
    let gone = reservation::Entity::delete_by_id(id).exec(&txn).await?;
    if gone.rows_affected != 1 {
        return Err(Error::NotFound);
    }
    // The wash's copy of the register must notice the removal.
    crate::domain::dialer::registers::bump(&txn).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("reservation.remove")
            .object("reservation", id)
            .detail(reason.chars().take(500).collect::<String>()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
