//! Bearer tokens for the dialer API (the wash of norm 4.4.4, the abandoned
//! calls of norm 4.6.3). A token is shown once, at creation; the
//! database keeps only its SHA-256, so a copy of the database does not hand
//! out working tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::api_token;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use crate::domain::Error;
use crate::domain::privacy::audit::{self, Actor, Entry};

/// Every token starts with this, so a leaked one is easy to recognise (and
/// secret scanners can be taught to find it).
pub const PREFIX: &str = "inn_";

/// Hex SHA-256 of a token: what the database stores.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Creates a token named `name`; returns its row and the token itself, which
/// is not kept anywhere.
pub async fn create(
    conn: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(api_token::Model, String), DbErr> {
    let token = new_token();
    let row = api_token::ActiveModel {
        name: Set(name.trim().to_string()),
        token_hash: Set(hash(&token)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok((row, token))
}

/// An admin issues a token named as typed (`navn`); audited in the same
/// transaction. Returns the row and the token, shown once.
pub async fn issue(
    db: &DatabaseConnection,
    name: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(api_token::Model, String), Error> {
    let name = parse_name(name).map_err(|key| Error::invalid("navn", key))?;
    let txn = crate::db::begin_write(db).await?;
    let (row, token) = create(&txn, &name, now).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("api_token.create")
            .object("api_token", row.id)
            .detail(format!("name={}", row.name)),
    )
    .await?;
    txn.commit().await?;
    Ok((row, token))
}

/// An admin revokes token `id`; audited in the same transaction. An
/// unknown or already revoked token is not found.
pub async fn withdraw(
    db: &DatabaseConnection,
    id: i32,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let txn = crate::db::begin_write(db).await?;
    if !revoke(&txn, id, now).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &txn,
        now,
        by,
        Entry::new("api_token.revoke").object("api_token", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Longest token name.
pub const MAX_NAME: usize = 100;

/// A name for a new token: trimmed, not empty, at most [`MAX_NAME`]
/// characters; otherwise the translation key of what is wrong.
pub fn parse_name(name: &str) -> Result<String, &'static str> {
    let n = name.trim();
    if n.is_empty() {
        Err("tokens-error-name-empty")
    } else if n.chars().count() > MAX_NAME {
        Err("tokens-error-name-long")
    } else {
        Ok(n.to_string())
    }
}

/// Every token, live ones first, newest first.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<api_token::Model>, DbErr> {
    let mut all = api_token::Entity::find()
        .order_by_desc(api_token::Column::CreatedAt)
        .order_by_desc(api_token::Column::Id)
        .all(conn)
        .await?;
    all.sort_by_key(|t| t.revoked_at.is_some());
    Ok(all)
}

/// The live (not revoked) token matching `token`, with its last use noted.
pub async fn authenticate(
    conn: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<api_token::Model>, DbErr> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(conn)
        .await?;
    if let Some(t) = &found {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(t.id))
            .exec(conn)
            .await?;
    }
    Ok(found)
}

/// Revokes token `id`; false when there is no such live token.
pub async fn revoke(
    conn: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_name_is_trimmed_and_must_be_short_and_present() {
        assert_eq!(parse_name("  dialer-prod "), Ok("dialer-prod".into()));
        assert_eq!(parse_name("   "), Err("tokens-error-name-empty"));
        assert_eq!(parse_name(&"x".repeat(101)), Err("tokens-error-name-long"));
        assert_eq!(parse_name(&"ø".repeat(100)).map(|n| n.len()), Ok(200));
    }

    #[test]
    fn tokens_are_random_prefixed_and_hash_to_64_hex() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX));
        assert_eq!(a.len(), PREFIX.len() + 43);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }
}
