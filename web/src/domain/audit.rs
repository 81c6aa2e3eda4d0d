//! The audit log: who did what, when. `detail` holds counts and ids, never
//! personal data such as phone numbers.

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

/// Appends one row to the audit log.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor_id: Option<i32>,
    actor_email: Option<&str>,
    action: &str,
    object_type: Option<&str>,
    object_id: Option<String>,
    detail: Option<String>,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        at: Set(at),
        actor_id: Set(actor_id),
        actor_email: Set(actor_email.map(str::to_string)),
        action: Set(action.to_string()),
        object_type: Set(object_type.map(str::to_string)),
        object_id: Set(object_id),
        detail: Set(detail),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
