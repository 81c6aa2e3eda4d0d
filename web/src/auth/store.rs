//! A tower-sessions store on the project's own `sessions` table (no published
//! store fits sea-orm 2). The table keeps the SHA-256 of the session id, so a
//! copy of the database hands out no live session.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::session;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        DbSessionStore { db }
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

fn expires(r: &Record) -> DateTime<Utc> {
    DateTime::from_timestamp(r.expiry_date.unix_timestamp(), 0).unwrap_or_else(Utc::now)
}

/// The signed-in user a session belongs to, kept in its own column so all of
/// a user's sessions can be ended at once.
fn owner(r: &Record) -> Option<i32> {
    r.data
        .get(super::USER_KEY)
        .and_then(|v| v.as_i64())
        .and_then(|v| i32::try_from(v).ok())
}

fn row(r: &Record) -> session_store::Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id_hash: Set(hash(&r.id)),
        data: Set(serde_json::to_string(&r.data).map_err(backend)?),
        expires_at: Set(expires(r)),
        user_id: Set(owner(r)),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id on collision: insert only when the id is new.
        for _ in 0..8 {
            let inserted = session::Entity::insert(row(record)?)
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
        let r = row(record)?;
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

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(r) = session::Entity::find_by_id(hash(id))
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp(r.expires_at.timestamp()).map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&r.data).map_err(backend)?,
            expiry_date,
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
