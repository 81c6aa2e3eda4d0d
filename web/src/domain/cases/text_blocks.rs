//! Saved text blocks (tekstbiter): wording an admin maintains and a handler
//! inserts into an answer, then edits for the one case (norm 4.4.3: every
//! answer is individual; a block is a starting point, never sent as is, and
//! there is no way to send one answer to several people).

use chrono::{DateTime, Utc};
use entity::text_block;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryOrder, Set,
};

use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::{Error, FieldErrors};

pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_BODY_CHARS: usize = 5_000;

/// Every block, by title.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<text_block::Model>, DbErr> {
    text_block::Entity::find()
        .order_by_asc(text_block::Column::Title)
        .order_by_asc(text_block::Column::Id)
        .all(conn)
        .await
}

pub async fn get(conn: &impl ConnectionTrait, id: i32) -> Result<text_block::Model, Error> {
    text_block::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// A block as typed (`tittel`, `tekst`), checked.
pub fn check(title: &str, body: &str) -> Result<(String, String), Error> {
    let (title, body) = (title.trim(), body.trim());
    let mut errs = FieldErrors::default();
    if title.is_empty() {
        errs.push("tittel", "blocks-error-title");
    } else if title.chars().count() > MAX_TITLE_CHARS {
        errs.push("tittel", "blocks-error-title-long");
    }
    if body.is_empty() {
        errs.push("tekst", "blocks-error-body");
    } else if body.chars().count() > MAX_BODY_CHARS {
        errs.push("tekst", "blocks-error-body-long");
    }
    errs.into_result()?;
    Ok((title.to_string(), body.to_string()))
}

/// Saves a new block (`id` none) or changes block `id`; audited.
pub async fn save(
    db: &DatabaseConnection,
    id: Option<i32>,
    title: &str,
    body: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<text_block::Model, Error> {
    let (title, body) = check(title, body)?;
    let txn = crate::db::begin_write(db).await?;
    let saved = match id {
        Some(id) => {
            let mut am = get(&txn, id).await?.into_active_model();
            am.title = Set(title);
            am.body = Set(body);
            am.updated_at = Set(now);
            am.update(&txn).await?
        }
        None => {
            text_block::ActiveModel {
                title: Set(title),
                body: Set(body),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        now,
        by,
        Entry::new("text_block.save").object("text_block", saved.id),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Deletes block `id`; audited. An unknown id is not found.
pub async fn delete(
    db: &DatabaseConnection,
    id: i32,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let txn = crate::db::begin_write(db).await?;
    let res = text_block::Entity::delete_by_id(id).exec(&txn).await?;
    if res.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &txn,
        now,
        by,
        Entry::new("text_block.delete").object("text_block", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The placeholders a block may hold, filled when it is inserted into an
/// answer: `{navn}` (the consumer's name), `{referanse}` (the case's
/// reference) and `{frist}` (the answer deadline, Oslo time, in Norwegian,
/// since the answer goes to the consumer). A placeholder with nothing to
/// fill it (no name on the case) stays, so the answer is refused until the
/// handler writes it in.
pub fn fill(body: &str, name: Option<&str>, reference: &str, due: DateTime<Utc>) -> String {
    let mut out = body.replace("{referanse}", reference).replace(
        "{frist}",
        &crate::domain::time::oslo_datetime(due, crate::i18n::Lang::Nb),
    );
    if let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) {
        out = out.replace("{navn}", name);
    }
    out
}

/// The first placeholder left in `text` (`{…}`: one to forty characters
/// without braces, line breaks or spaces at its ends), if any.
pub fn placeholder_left(text: &str) -> Option<&str> {
    let mut rest = text;
    let mut offset = 0;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find(['{', '}', '\n']) {
            let inner = &after[..close];
            if after[close..].starts_with('}')
                && !inner.is_empty()
                && inner.chars().count() <= 40
                && inner.trim() == inner
            {
                let start = offset + open;
                return Some(&text[start..start + close + 2]);
            }
        }
        offset += open + 1;
        rest = &rest[open + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_found() {
        let due = DateTime::parse_from_rfc3339("2026-12-08T13:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let b = "Hei {navn}! Sak {referanse}, svar innen {frist}.";
        assert_eq!(
            fill(b, Some("Kari"), "K-2026-000001", due),
            "Hei Kari! Sak K-2026-000001, svar innen 08.12.2026 kl. 14:00."
        );
        let unnamed = fill(b, None, "K-1", due);
        assert_eq!(placeholder_left(&unnamed), Some("{navn}"));
        assert_eq!(placeholder_left("ingen klammer"), None);
        assert_eq!(placeholder_left("{ } og {}"), None);
        assert_eq!(placeholder_left("a { b\n} c {x}"), Some("{x}"));
    }
}
