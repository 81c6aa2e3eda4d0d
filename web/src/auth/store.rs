//! A tower-sessions store on the project's own `sessions` table (no published
//! store fits sea-orm 2). The table keeps the SHA-256 of the session id, so a
//! copy of the database hands out no live session.
//!
//! A session ends [`IDLE`] after its last use, not after it was last
//! changed: each load moves the expiry on (written at most once a
//! [`SLIDE_STEP`], so a busy handler costs one small write a minute). Times
//! come from the app's clock.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use entity::session;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::clock::Clock;

/// A staff session ends this long after its last use.
pub const IDLE: Duration = Duration::hours(8);
/// A use moves the expiry on only when the last move is at least this old.
pub const SLIDE_STEP: Duration = Duration::minutes(1);

#[derive(Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore").finish_non_exhaustive()
    }
}

impl DbSessionStore {
    /// A store that reads "now" from `clock` (the app's; tests freeze it).
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        DbSessionStore { db, clock }
    }

    /// Removes expired sessions (run by the periodic job).
    pub async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64, sea_orm::DbErr> {
        Ok(session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

fn hash(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn offset(t: DateTime<Utc>) -> session_store::Result<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(backend)
}

/// The signed-in user a session belongs to, kept in its own column so all of
/// a user's sessions can be ended at once.
fn owner(r: &Record) -> Option<i32> {
    r.data
        .get(super::USER_KEY)
        .and_then(|v| v.as_i64())
        .and_then(|v| i32::try_from(v).ok())
}

/// The row of `r`, expiring [`IDLE`] after `now` (this use).
fn row(r: &Record, now: DateTime<Utc>) -> session_store::Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id_hash: Set(hash(&r.id)),
        data: Set(serde_json::to_string(&r.data).map_err(backend)?),
        expires_at: Set(now + IDLE),
        user_id: Set(owner(r)),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id on collision: insert only when the id is new.
        for _ in 0..8 {
            let inserted = session::Entity::insert(row(record, self.clock.now())?)
                .on_conflict(
                    OnConflict::column(session::Column::IdHash)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(backend("could not find a free session id"))
    }

    /// Updates an existing session only. A session ended meanwhile (its
    /// user's password was reset, the user deactivated, or the session
    /// signed out elsewhere) stays ended: a request that began before and
    /// changes the session afterwards must not write it back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let r = row(record, self.clock.now())?;
        session::Entity::update_many()
            .set(session::ActiveModel {
                data: r.data,
                expires_at: r.expires_at,
                user_id: r.user_id,
                ..Default::default()
            })
            .filter(session::Column::IdHash.eq(hash(&record.id)))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// A live session, its expiry moved to [`IDLE`] from now (written when
    /// the stored one is at least [`SLIDE_STEP`] behind).
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now();
        let Some(r) = session::Entity::find_by_id(hash(id))
            .filter(session::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let mut expires_at = r.expires_at;
        if now + IDLE - r.expires_at >= SLIDE_STEP {
            // Conditional on the row still being there: a session ended
            // meanwhile stays ended.
            session::Entity::update_many()
                .col_expr(
                    session::Column::ExpiresAt,
                    sea_orm::sea_query::Expr::value(now + IDLE),
                )
                .filter(session::Column::IdHash.eq(r.id_hash.clone()))
                .filter(session::Column::ExpiresAt.lt(now + IDLE))
                .exec(&self.db)
                .await
                .map_err(backend)?;
            expires_at = now + IDLE;
        }
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&r.data).map_err(backend)?,
            expiry_date: offset(expires_at)?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(hash(id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
