//! Everything a handler or job needs, cloned cheaply.

use std::ops::Deref;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::catalogue::memory::Catalogue;
use crate::domain::dialer::registers::RegisterCache;
use crate::domain::dialer::wash_jobs::WashJobs;
use crate::domain::search::Search;
use crate::domain::staff::users::PasswordChecks;
use crate::jobs::JobsHandle;
use crate::mail::Mailer;
use crate::ratelimit::RateLimits;
use crate::sms::Twilio;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: DatabaseConnection,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub mailer: Mailer,
    pub limits: RateLimits,
    pub twilio: Twilio,
    /// In-memory copies of the reservation registers for the wash.
    pub registers: RegisterCache,
    /// The public catalogue (centre, clients, campaigns, caller numbers).
    pub catalogue: Catalogue,
    /// Case and client search: Meilisearch when configured, else the database.
    pub search: Search,
    /// This instance's part in the back-office washes (its id and the jobs
    /// it is washing); the jobs themselves live in the database.
    pub wash_jobs: WashJobs,
    /// Password checks made at sign-in (argon2, off the async workers).
    pub password_checks: PasswordChecks,
    /// One outbox run at a time in this instance: a run kicked by a request
    /// and the periodic one queue up instead of racing for the same rows
    /// (other instances are kept apart by the claim).
    pub outbox_run: tokio::sync::Mutex<()>,
    /// Starts background work that a shutdown waits for or stops.
    pub jobs: JobsHandle,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let mailer = Mailer::new(config.smtp_url.as_deref(), &config.mail_from)?;
        let limits = RateLimits::new(&config);
        let twilio = Twilio::new(config.twilio_settings())?;
        let search = Search::new(config.meili.as_ref())?;
        Ok(AppState(Arc::new(Inner {
            db,
            config,
            clock,
            mailer,
            limits,
            twilio,
            registers: RegisterCache::default(),
            catalogue: Catalogue::default(),
            search,
            wash_jobs: WashJobs::default(),
            password_checks: PasswordChecks::default(),
            outbox_run: tokio::sync::Mutex::new(()),
            jobs: JobsHandle::default(),
        })))
    }

    /// After a back-office write to the catalogue on this instance: the
    /// next request here reloads it, so staff see their change at once
    /// (other instances within 2 seconds).
    pub fn catalogue_changed(&self) {
        self.catalogue.check_soon();
    }

    /// Delivers queued mail now, in the background (the periodic job would
    /// otherwise pick it up within half a minute).
    pub fn kick_outbox(&self) {
        let s = self.clone();
        self.jobs.spawn(async move {
            if let Err(e) = crate::jobs::outbox::dispatch_due(&s).await {
                tracing::error!(error = %crate::scrub::scrub(&format!("{e:#}")), "mail outbox run failed");
            }
        });
    }
}
