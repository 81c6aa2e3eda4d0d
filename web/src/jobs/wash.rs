//! Back-office washes (norm 4.4.4): the run that washes a job's stored list
//! into its result once the upload is in, or again after "Start again".
//! Started through [`start`], as part of this process's jobs: a shutdown
//! stops the run between two pieces and leaves the job to be started again
//! (`wash_jobs::stopped`), on any instance.

use crate::auth::Staff;
use crate::domain::dialer::coverage::NationalUse;
use crate::domain::dialer::wash::Registers;
use crate::domain::dialer::wash_jobs::{self, RunError};
use crate::domain::dialer::wash_runs::{self, WashRecord, WashedBy};
use crate::state::AppState;

/// One run of a back-office wash: the job, its attempt and what it was
/// uploaded with.
pub struct WashRun {
    pub id: String,
    /// The attempt the job was claimed with (1 after the upload).
    pub attempt: i32,
    pub only_callable: bool,
    pub national: NationalUse,
    pub campaign_id: Option<i32>,
    pub registers: Registers,
    /// Who washes: the run and the audit entry name them.
    pub staff: Staff,
    /// This instance's mark that it washes the job (taken before the job was
    /// marked running); held until the run ends.
    pub running: wash_jobs::Running,
}

/// Washes `run` in the background.
pub fn start(s: &AppState, run: WashRun) {
    s.jobs.spawn(wash(s.clone(), run));
}

async fn wash(s: AppState, run: WashRun) {
    let stop = s.jobs.stop_signal();
    let WashRun {
        id,
        attempt,
        only_callable,
        national,
        campaign_id,
        registers,
        staff,
        running,
    } = run;
    let outcome = async {
        let w = wash_jobs::run(
            &s.db,
            s.clock.as_ref(),
            &id,
            attempt,
            only_callable,
            registers,
            &stop,
        )
        .await?;
        record(&s, campaign_id, national, &staff, &w).await?;
        wash_jobs::finished(&s.db, &id, attempt, &w, s.clock.now()).await
    }
    .await;
    match outcome {
        Ok(()) => {}
        Err(RunError::Lost) => {
            tracing::warn!("a back-office wash was taken over or deleted while it ran");
        }
        Err(RunError::Stopped) => {
            tracing::info!("a back-office wash stopped for the shutdown; it can be started again");
            if let Err(e) = wash_jobs::stopped(&s.db, &id, attempt, s.clock.now()).await {
                // Shown cut off a minute after its last heartbeat instead.
                tracing::warn!(error = %e, "a stopped back-office wash could not be released");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "a back-office wash failed");
            if let Err(e) = wash_jobs::failed(&s.db, &id, attempt, s.clock.now()).await {
                tracing::error!(error = %e, "a failed back-office wash could not be marked failed");
            }
        }
    }
    drop(running);
}

/// The campaign's documentation: the run, and an audit entry (counts only).
async fn record(
    s: &AppState,
    campaign_id: Option<i32>,
    national: NationalUse,
    staff: &Staff,
    w: &wash_jobs::Washed,
) -> Result<(), sea_orm::DbErr> {
    let record = WashRecord {
        campaign_id,
        count_in: w.count_in,
        count_callable: w.count_callable,
        reserved: w.reserved,
        national,
        national_version: w.national_version.clone(),
        register_version: w.register_version,
    };
    wash_runs::record_run(
        &s.db,
        s.clock.now(),
        WashedBy::User(staff.id()),
        &staff.actor(),
        &record,
    )
    .await
    .map(|_| ())
}
