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
