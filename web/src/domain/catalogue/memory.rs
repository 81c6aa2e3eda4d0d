//! The catalogue in memory: the centre, clients, campaigns and caller numbers
//! as the public side reads them (every public page, `/hvem-ringte`,
//! `/oppdragsgivere`, the open data), so a lookup costs no database round
//! trip.
//!
//! Freshness: every write to those tables bumps the `catalogue` row of
//! `register_versions` in its own transaction ([`bump`]). An instance reads
//! that counter at most once a second (judged by the injected clock), and
//! only one request at a time does the check and the reload while the others
//! go on with the snapshot they have. A change made on any instance is thus
//! seen everywhere within two seconds; the instance that made it checks at
//! its next request ([`Catalogue::check_soon`]). When the database is away during a check,
//! the old snapshot keeps answering.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{caller_number, campaign, client, register_version};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder, Set};

use super::centre::{self, CentreInfo};
use super::lookup::CallerInfo;
use super::open_data::{self, NumbersList};
use super::{PublicClient, public_clients_from};
use crate::domain::phone::E164;

/// The name of the catalogue's counter in `register_versions`.
pub const CATALOGUE: &str = "catalogue";

/// How often (at most) an instance asks whether the catalogue changed.
pub const CHECK_EVERY_MS: i64 = 1000;

/// How long a version check may take before the snapshot answers anyway.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Notes that the catalogue changed (call it in the writing transaction):
/// every instance reloads within two seconds. Creates the counter the first
/// time.
pub async fn bump(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    register_version::Entity::insert(register_version::ActiveModel {
        name: Set(CATALOGUE.to_string()),
        version: Set(1),
    })
    .on_conflict(
        OnConflict::column(register_version::Column::Name)
            .value(
                register_version::Column::Version,
                Expr::col((register_version::Entity, register_version::Column::Version)).add(1),
            )
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The catalogue's counter (0 before the first change).
pub async fn version(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(register_version::Entity::find_by_id(CATALOGUE.to_string())
        .one(conn)
        .await?
        .map_or(0, |r| r.version))
}

/// The catalogue at one version. Immutable; a change makes a new one.
pub struct Snapshot {
    pub version: i64,
    /// The centre as every public page shows it.
    pub centre: Arc<CentreInfo>,
    /// Every client, by name (the database's order).
    clients: Vec<client::Model>,
    /// Every campaign, by start.
    campaigns: Vec<campaign::Model>,
    /// Every caller number, by number, then newest period first.
    numbers: Vec<caller_number::Model>,
    /// Rows of `numbers` per E.164 number, newest period first.
    by_number: HashMap<String, Vec<usize>>,
    campaign_at: HashMap<i32, usize>,
    client_at: HashMap<i32, usize>,
    /// The open-data list and its tag, made once per date.
    open_data: Mutex<Option<Arc<OpenData>>>,
}

/// The published list on one date, with its tag.
pub struct OpenData {
    pub today: NaiveDate,
    pub list: NumbersList,
    pub tag: String,
    /// When the content with this tag was first published, once read
    /// from the database ([`open_data::changed_at`]): per snapshot and
    /// date, so a change in the catalogue reads it again.
    pub changed_at: std::sync::OnceLock<DateTime<Utc>>,
}

impl Snapshot {
    /// A catalogue with nothing in it (for error pages drawn without one).
    pub fn empty(centre: CentreInfo) -> Snapshot {
        Snapshot::new(0, centre, Vec::new(), Vec::new(), Vec::new())
    }

    fn new(
        version: i64,
        centre: CentreInfo,
        clients: Vec<client::Model>,
        campaigns: Vec<campaign::Model>,
        numbers: Vec<caller_number::Model>,
    ) -> Snapshot {
        let mut by_number: HashMap<String, Vec<usize>> = HashMap::with_capacity(numbers.len());
        for (i, n) in numbers.iter().enumerate() {
            by_number.entry(n.e164.clone()).or_default().push(i);
        }
        Snapshot {
            version,
            centre: Arc::new(centre),
            campaign_at: campaigns
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id, i))
                .collect(),
            client_at: clients.iter().enumerate().map(|(i, c)| (c.id, i)).collect(),
            clients,
            campaigns,
            numbers,
            by_number,
            open_data: Mutex::new(None),
        }
    }

    /// Reads the whole catalogue (the counter first: a change made while
    /// reading makes the next check reload again, never hides).
    pub async fn load(conn: &impl ConnectionTrait) -> Result<Snapshot, DbErr> {
        let version = version(conn).await?;
        let centre = centre::get(conn).await?;
        let clients = client::Entity::find()
            .order_by_asc(client::Column::Name)
            .all(conn)
            .await?;
        let campaigns = campaign::Entity::find()
            .order_by_asc(campaign::Column::StartsOn)
            .all(conn)
            .await?;
        let numbers = caller_number::Entity::find()
            .order_by_asc(caller_number::Column::E164)
            .order_by_desc(caller_number::Column::ValidFrom)
            .all(conn)
            .await?;
        Ok(Snapshot::new(version, centre, clients, campaigns, numbers))
    }

    fn campaign(&self, id: i32) -> Option<&campaign::Model> {
        self.campaign_at.get(&id).map(|&i| &self.campaigns[i])
    }

    fn client(&self, id: i32) -> Option<&client::Model> {
        self.client_at.get(&id).map(|&i| &self.clients[i])
    }

    /// Norm 4.4.5: what the call from `n` was about and for which client:
    /// the number's period valid `today`, else its most recent one (a number
    /// used last month still has to be explained).
    pub fn who_called(&self, n: &E164, today: NaiveDate) -> Option<CallerInfo> {
        let rows: Vec<(&caller_number::Model, &campaign::Model, &client::Model)> = self
            .by_number
            .get(n.as_str())?
            .iter()
            .filter_map(|&i| {
                let row = &self.numbers[i];
                let camp = self.campaign(row.campaign_id)?;
                Some((row, camp, self.client(camp.client_id)?))
            })
            .collect();
        let pick = rows
            .iter()
            .position(|(r, _, _)| r.valid_from <= today && r.valid_to.is_none_or(|t| t >= today))
            .unwrap_or(0);
        let (row, camp, cl) = rows.get(pick)?;
        Some(CallerInfo {
            number: n.clone(),
            client_name: cl.name.clone(),
            client_website: cl.website.clone(),
            campaign_name: camp.name.clone(),
            purpose: camp.purpose.clone(),
            kind: camp.kind,
            starts_on: camp.starts_on,
            ends_on: camp.ends_on,
            number_valid_from: row.valid_from,
            number_valid_to: row.valid_to,
        })
    }

    /// Every active client with its campaigns and their numbers in use or
    /// planned on `today` (`/oppdragsgivere`).
    pub fn public_clients(&self, today: NaiveDate) -> Vec<PublicClient> {
        public_clients_from(
            self.clients.iter().filter(|c| c.active).cloned().collect(),
            &self.campaigns,
            &self.numbers,
            today,
        )
    }

    /// The open-data list as published on `today`, with its tag: made once
    /// per snapshot and date, not per request.
    pub fn open_data(&self, today: NaiveDate) -> Arc<OpenData> {
        let mut memo = self.open_data.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = memo.as_ref().filter(|d| d.today == today) {
            return d.clone();
        }
        let (name, org) = if self.centre.configured {
            (self.centre.name.as_str(), self.centre.org_number.as_str())
        } else {
            ("", "")
        };
        let list = open_data::numbers_list_from(
            name,
            org,
            &self.clients,
            &self.campaigns,
            &self.numbers,
            today,
        );
        let tag = list.tag(today);
        let d = Arc::new(OpenData {
            today,
            list,
            tag,
            changed_at: std::sync::OnceLock::new(),
        });
        *memo = Some(d.clone());
        d
    }
}

/// The catalogue an instance serves from, with its freshness check.
pub struct Catalogue {
    current: RwLock<Option<Arc<Snapshot>>>,
    /// The clock's time (ms) of the last version check.
    checked_at_ms: AtomicI64,
    /// Held by the one request that checks or reloads.
    reloading: tokio::sync::Mutex<()>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue {
            current: RwLock::new(None),
            checked_at_ms: AtomicI64::new(i64::MIN),
            reloading: tokio::sync::Mutex::new(()),
        }
    }
}

impl Catalogue {
    /// The snapshot in memory, if one was loaded.
    pub fn loaded(&self) -> Option<Arc<Snapshot>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn store(&self, s: Arc<Snapshot>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(s);
    }

    fn checked_recently(&self, now_ms: i64) -> bool {
        let last = self.checked_at_ms.load(Ordering::Acquire);
        // A clock set back (tests) counts as "not recently".
        now_ms >= last && now_ms.saturating_sub(last) < CHECK_EVERY_MS
    }

    /// The catalogue for a request at `now`: the snapshot, checked against
    /// the database's counter when the last check is a second old. Only the
    /// very first load can fail; later, a failed check keeps the snapshot.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
    ) -> Result<Arc<Snapshot>, DbErr> {
        let now_ms = now.timestamp_millis();
        let Some(snap) = self.loaded() else {
            return self.first_load(db, now_ms).await;
        };
        if self.checked_recently(now_ms) {
            return Ok(snap);
        }
        // One request checks; the others serve what there is meanwhile.
        let Ok(_one) = self.reloading.try_lock() else {
            return Ok(snap);
        };
        if self.checked_recently(now_ms) {
            return Ok(self.loaded().unwrap_or(snap));
        }
        self.checked_at_ms.store(now_ms, Ordering::Release);
        let checked = tokio::time::timeout(CHECK_TIMEOUT, async {
            let v = version(db).await?;
            if v == snap.version {
                return Ok(snap.clone());
            }
            let fresh = Arc::new(Snapshot::load(db).await?);
            self.store(fresh.clone());
            Ok::<_, DbErr>(fresh)
        })
        .await;
        match checked {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, version = snap.version, "catalogue check failed; serving the snapshot in memory");
                Ok(snap)
            }
            Err(_) => {
                tracing::warn!(
                    version = snap.version,
                    "catalogue check timed out; serving the snapshot in memory"
                );
                Ok(snap)
            }
        }
    }

    async fn first_load(
        &self,
        db: &impl ConnectionTrait,
        now_ms: i64,
    ) -> Result<Arc<Snapshot>, DbErr> {
        let _one = self.reloading.lock().await;
        if let Some(s) = self.loaded() {
            return Ok(s);
        }
        let s = Arc::new(Snapshot::load(db).await?);
        self.store(s.clone());
        self.checked_at_ms.store(now_ms, Ordering::Release);
        Ok(s)
    }

    /// Makes the next request check the version whatever the clock says:
    /// after a back-office write on this instance (so staff see their change
    /// at once), or a write by another process such as `innsyn seed-demo`.
    /// A check already under way stored its time before reading, so this
    /// mark is not lost.
    pub fn check_soon(&self) {
        self.checked_at_ms.store(i64::MIN, Ordering::Release);
    }
}
