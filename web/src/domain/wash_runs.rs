//! The record of each wash: the campaign's documentation that its list was
//! washed, when, by which token, and how many numbers went in and came out.

use chrono::{DateTime, Utc};
use entity::wash_run;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

pub async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    token_id: i32,
    campaign_id: Option<i32>,
    count_in: u64,
    count_callable: u64,
) -> Result<(), DbErr> {
    wash_run::Entity::insert(wash_run::ActiveModel {
        at: Set(at),
        token_id: Set(token_id),
        campaign_id: Set(campaign_id),
        count_in: Set(i64::try_from(count_in).unwrap_or(i64::MAX)),
        count_callable: Set(i64::try_from(count_callable).unwrap_or(i64::MAX)),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
