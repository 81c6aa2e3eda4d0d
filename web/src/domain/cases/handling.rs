//! A handler's day: the next case that needs them, the queue's preview of
//! who wrote and what about, and "don't call me again" reserved from the
//! case in one step (norm 4.4.4).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::enums::{CaseStatus, Direction, ReservationSource};
use entity::{case, message};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::domain::Error;
use crate::domain::dialer::reservations;
use crate::domain::phone::E164;
use crate::domain::privacy::audit::{self, Actor, Entry};

/// The case that needs handler `me` next: the oldest due among the open
/// cases assigned to them and the unassigned ones, leaving out `except`
/// (the one just handled) and cases whose answer is waiting to be sent.
pub async fn next_for(
    conn: &impl ConnectionTrait,
    me: i32,
    except: Option<i32>,
) -> Result<Option<case::Model>, DbErr> {
    let mut q = case::Entity::find()
        .filter(case::Column::Status.eq(CaseStatus::Open))
        .filter(
            Condition::any()
                .add(case::Column::AssigneeId.eq(me))
                .add(case::Column::AssigneeId.is_null()),
        )
        .filter(
            Condition::any()
                .add(case::Column::DeliveryFlag.is_null())
                .add(case::Column::DeliveryFlag.ne("queued")),
        );
    if let Some(id) = except {
        q = q.filter(case::Column::Id.ne(id));
    }
    q.order_by_asc(case::Column::DueAt)
        .order_by_asc(case::Column::Id)
        .one(conn)
        .await
}

/// Longest preview of a message in the queue, in characters.
pub const PREVIEW_CHARS: usize = 120;

/// The first non-empty line of `body`, cut to [`PREVIEW_CHARS`].
pub fn first_line(body: &str) -> String {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() > PREVIEW_CHARS {
        let cut: String = line.chars().take(PREVIEW_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_string()
    }
}

/// The first line of the latest message from the consumer, per case.
pub async fn previews(
    conn: &impl ConnectionTrait,
    case_ids: &[i32],
) -> Result<HashMap<i32, String>, DbErr> {
    if case_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, String)> = message::Entity::find()
        .select_only()
        .column(message::Column::CaseId)
        .column(message::Column::Body)
        .filter(message::Column::CaseId.is_in(case_ids.to_vec()))
        .filter(message::Column::Direction.eq(Direction::Inbound))
        .order_by_desc(message::Column::CreatedAt)
        .order_by_desc(message::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = HashMap::new();
    for (id, body) in rows {
        out.entry(id).or_insert_with(|| first_line(&body));
    }
    Ok(out)
}

/// What reserving from a case did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservedFromCase {
    /// False when the number was already in the register.
    pub newly_added: bool,
}

/// Puts the consumer's own number (the one on the case, never the caller
/// number that called them) in the internal register (norm 4.4.4), audited,
/// and notes it in the case, all in one transaction. `note` is the note's
/// text, in the handler's language.
pub async fn reserve_from_case(
    db: &DatabaseConnection,
    c: &case::Model,
    by: &Actor,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ReservedFromCase, Error> {
    let phone = c
        .consumer_phone
        .as_deref()
        .ok_or(Error::Refused("case-reserve-no-phone"))?;
    let n = E164::parse(phone).map_err(|_| Error::Refused("case-reserve-no-phone"))?;
    let txn = crate::db::begin_write(db).await?;
    let r = reservations::reserve(&txn, &n, ReservationSource::Staff, now).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("reservation.add")
            .object("case", &c.reference)
            .detail(if r.newly_added {
                "case"
            } else {
                "case-already"
            }),
    )
    .await?;
    message::ActiveModel {
        case_id: Set(c.id),
        direction: Set(Direction::Note),
        channel: Set(c.channel),
        body: Set(note.to_string()),
        created_at: Set(now),
        author_id: Set(by.id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::domain::search::enqueue(&txn, crate::domain::search::Doc::Case(c.id)).await?;
    txn.commit().await?;
    Ok(ReservedFromCase {
        newly_added: r.newly_added,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_is_the_first_non_empty_line_cut_short() {
        assert_eq!(first_line("\n  Hei,  \nandre linje"), "Hei,");
        let long = "a".repeat(300);
        let p = first_line(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS);
        assert!(p.ends_with('…'));
        assert_eq!(first_line(""), "");
    }
}
