//! How a case's person can be reached, and whether they asked not to be
//! called (norm 4.4.4: "ikke ring meg" goes into the reservation register).

use std::collections::{HashMap, HashSet};

use entity::enums::Direction;
use entity::{case, message, reservation};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

/// The ways a written answer can reach the person on a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    /// The case has an e-mail address.
    pub email: bool,
    /// The case has a phone number and SMS is set up.
    pub sms: bool,
    /// The case has a phone number (to call, or to reserve).
    pub phone: bool,
}

impl Reach {
    /// What case `c` offers, given whether SMS is set up.
    pub fn of(c: &case::Model, sms_ready: bool) -> Reach {
        let phone = c.consumer_phone.is_some();
        Reach {
            email: c.consumer_email.is_some(),
            sms: phone && sms_ready,
            phone,
        }
    }
    /// Some written answer can be sent at all.
    pub fn can_write(&self) -> bool {
        self.email || self.sms
    }
}

/// Words by which a person asks not to be called again (lower case).
const OPT_OUT_WORDS: &[&str] = &[
    "ikke ring",
    "ring meg ikke",
    "ring ikke",
    "stopp",
    "reserver",
    "slett nummeret",
    "slett nummeret mitt",
    "don't call",
    "do not call",
];

/// Categories that by themselves say the person wants no calls.
/// (`unwanted_call` is "Jeg vil ikke bli ringt" on the form.)
const OPT_OUT_CATEGORIES: &[&str] = &["unwanted_call", "reserved_but_called"];

/// The category or one of the texts asks not to be called.
pub fn asks_not_to_be_called<'a>(category: &str, texts: impl IntoIterator<Item = &'a str>) -> bool {
    OPT_OUT_CATEGORIES.contains(&category)
        || texts.into_iter().any(|t| {
            let t = t.to_lowercase();
            OPT_OUT_WORDS.iter().any(|w| t.contains(w))
        })
}

/// Of `cases`, the ids of those whose category or consumer's messages ask
/// not to be called.
pub async fn opt_out_requests(
    conn: &impl ConnectionTrait,
    cases: &[&case::Model],
) -> Result<HashSet<i32>, DbErr> {
    let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<(i32, String)> = message::Entity::find()
        .select_only()
        .column(message::Column::CaseId)
        .column(message::Column::Body)
        .filter(message::Column::CaseId.is_in(ids))
        .filter(message::Column::Direction.eq(Direction::Inbound))
        .into_tuple()
        .all(conn)
        .await?;
    let mut bodies: HashMap<i32, Vec<String>> = HashMap::new();
    for (id, body) in rows {
        bodies.entry(id).or_default().push(body);
    }
    Ok(cases
        .iter()
        .filter(|c| {
            let texts = bodies.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
            asks_not_to_be_called(&c.category, texts.iter().map(String::as_str))
        })
        .map(|c| c.id)
        .collect())
}

/// Of the phone numbers `phones` (E.164), those in the internal register.
pub async fn reserved_numbers(
    conn: &impl ConnectionTrait,
    phones: Vec<String>,
) -> Result<HashSet<String>, DbErr> {
    if phones.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<String> = reservation::Entity::find()
        .select_only()
        .column(reservation::Column::E164)
        .filter(reservation::Column::E164.is_in(phones))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Case `c` (with its `messages`) asks not to be called and its number is
/// not in the register: closing it without reserving needs a confirmation.
pub async fn opt_out_pending(
    conn: &impl ConnectionTrait,
    c: &case::Model,
    messages: &[message::Model],
) -> Result<bool, DbErr> {
    let asks = asks_not_to_be_called(
        &c.category,
        messages
            .iter()
            .filter(|m| m.direction == Direction::Inbound)
            .map(|m| m.body.as_str()),
    );
    let Some(phone) = c.consumer_phone.clone().filter(|_| asks) else {
        return Ok(false);
    };
    Ok(reserved_numbers(conn, vec![phone]).await?.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_and_the_reserved_category_ask_not_to_be_called() {
        assert!(asks_not_to_be_called("other", ["Stopp å ringe meg"]));
        assert!(asks_not_to_be_called(
            "other",
            ["Vennligst IKKE RING meg mer"]
        ));
        assert!(asks_not_to_be_called("other", ["Slett nummeret mitt"]));
        assert!(asks_not_to_be_called("other", ["Reserver meg"]));
        assert!(asks_not_to_be_called("reserved_but_called", [""]));
        assert!(asks_not_to_be_called("unwanted_call", [""]));
        assert!(!asks_not_to_be_called("who_called", ["Hvem ringte meg?"]));
    }
}
