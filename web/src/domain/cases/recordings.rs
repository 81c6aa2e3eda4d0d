//! Voicemail recordings (norm 8.2): kept at Twilio and fetched with the
//! account's credentials when a handler plays one; every play is audited;
//! deleting one deletes it at Twilio too.

use chrono::{DateTime, Utc};
use entity::{attachment, recording};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::sms::{SmsError, Twilio};

pub async fn for_case(
    conn: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<recording::Model>, DbErr> {
    recording::Entity::find()
        .filter(recording::Column::CaseId.eq(case_id))
        .order_by_asc(recording::Column::Id)
        .all(conn)
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("no such recording on this case")]
    NotFound,
    #[error("the recording has been deleted")]
    Deleted,
    #[error(transparent)]
    Twilio(#[from] SmsError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<RecordingError> for crate::domain::Error {
    fn from(e: RecordingError) -> Self {
        match e {
            RecordingError::NotFound | RecordingError::Deleted => crate::domain::Error::NotFound,
            RecordingError::Twilio(e) => crate::domain::Error::internal(e),
            RecordingError::Db(e) => e.into(),
        }
    }
}

async fn find(
    conn: &impl ConnectionTrait,
    case_id: i32,
    id: i32,
) -> Result<recording::Model, RecordingError> {
    let r = recording::Entity::find_by_id(id)
        .filter(recording::Column::CaseId.eq(case_id))
        .one(conn)
        .await?
        .ok_or(RecordingError::NotFound)?;
    if r.deleted_at.is_some() {
        return Err(RecordingError::Deleted);
    }
    Ok(r)
}

/// The audio, for a staff member; the play is written to the audit log first.
pub async fn play(
    db: &DatabaseConnection,
    twilio: &Twilio,
    case_id: i32,
    reference: &str,
    id: i32,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, crate::domain::Error> {
    let r = find(db, case_id, id).await?;
    audit::record(
        db,
        now,
        by,
        Entry::new("recording.play")
            .object("recording", r.id)
            .detail(format!("case {reference}")),
    )
    .await?;
    Ok(twilio
        .fetch_recording(&r.sid)
        .await
        .map_err(RecordingError::from)?)
}

/// Deletes at Twilio, then marks the row (so a failed call at Twilio leaves
/// it listed and can be tried again).
pub async fn delete(
    db: &DatabaseConnection,
    twilio: &Twilio,
    case_id: i32,
    id: i32,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(), crate::domain::Error> {
    let r = find(db, case_id, id).await?;
    twilio
        .delete_recording(&r.sid)
        .await
        .map_err(RecordingError::from)?;
    let rid = r.id;
    let txn = crate::db::begin_write(db).await?;
    let mut am = r.into_active_model();
    am.deleted_at = Set(Some(now));
    am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("recording.delete").object("recording", rid),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Attachments of a case's messages, without their contents.
pub async fn attachments(
    conn: &impl ConnectionTrait,
    message_ids: Vec<i32>,
) -> Result<Vec<(i32, i32, String, String, i32)>, DbErr> {
    attachment::Entity::find()
        .select_only()
        .columns([
            attachment::Column::Id,
            attachment::Column::MessageId,
            attachment::Column::Filename,
            attachment::Column::ContentType,
            attachment::Column::Size,
        ])
        .filter(attachment::Column::MessageId.is_in(message_ids))
        .order_by_asc(attachment::Column::Id)
        .into_tuple()
        .all(conn)
        .await
}

/// One attachment's file, when it belongs to one of `message_ids`.
pub async fn attachment_file(
    db: &DatabaseConnection,
    message_ids: Vec<i32>,
    id: i32,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<attachment::Model>, DbErr> {
    let a = attachment::Entity::find_by_id(id)
        .filter(attachment::Column::MessageId.is_in(message_ids))
        .one(db)
        .await?;
    if let Some(a) = &a {
        audit::record(
            db,
            now,
            by,
            Entry::new("attachment.open").object("attachment", a.id),
        )
        .await?;
    }
    Ok(a)
}
