//! A voicemail recording held at Twilio, belonging to a case.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recordings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub case_id: i32,
    /// Twilio's RecordingSid (`RE...`).
    #[sea_orm(unique)]
    pub sid: String,
    /// Twilio's RecordingUrl, as delivered.
    pub url: String,
    pub duration_secs: i32,
    pub created_at: DateTimeUtc,
    /// Set when the recording was deleted here and at Twilio.
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
