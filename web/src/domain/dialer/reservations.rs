//! The internal reservation register (norm 4.4.4 and 10): one row per number,
//! read against every client's calls.

use chrono::{DateTime, Utc};
use entity::enums::ReservationSource;
use entity::reservation;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::domain::phone::E164;

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
