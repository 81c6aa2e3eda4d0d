//! A wash started in the back office (norm 4.4.4): its owner, options,
//! state and progress. The uploaded list and the result are its
//! [`super::wash_job_chunk`]s. Kept in the database so that every instance
//! serves its progress and download, and a restart keeps a finished result.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wash_jobs")]
pub struct Model {
    /// A random id (uuid, 32 hex digits): it is in the job's address.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Only this user sees the job and downloads its result.
    pub user_id: i32,
    pub campaign_id: Option<i32>,
    /// The campaign's code, for the result's file name.
    pub campaign_code: Option<String>,
    /// The result holds the callable numbers alone.
    pub only_callable: bool,
    /// Without a campaign: the user left the national register out.
    pub declined_national: bool,
    /// The planned call time the wash was made for, when given.
    pub planned_at: Option<DateTimeUtc>,
    /// What the wash did with the national register (`NationalUse` code);
    /// empty until planned.
    pub national: String,
    /// `uploading`, `running`, `done`, `failed` or `downloaded`.
    pub state: String,
    /// Numbers in the upload (lines, less a CSV header).
    pub total: i64,
    /// Numbers washed so far.
    pub processed: i64,
    pub count_in: Option<i64>,
    pub count_callable: Option<i64>,
    /// Bumped by every run of the job: a run whose attempt is no longer the
    /// row's stops writing.
    pub attempt: i32,
    /// The instance (process) working on the job.
    pub instance: String,
    /// When that instance last showed it was alive and working on it.
    pub heartbeat_at: DateTimeUtc,
    /// When the list was uploaded: the job is deleted an hour after.
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
