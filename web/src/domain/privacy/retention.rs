//! Retention (norm 4.4.3, 4.3, 8.2.1 b): keep written dialogue at least 6
//! months after a case closed, statistics at least 12 months, recordings no
//! longer than their purpose; then delete, by itself, provably.
//!
//! The policy works in whole Oslo days: on date D everything whose time ran
//! out before the start of D goes. A dry run for D therefore counts exactly
//! what the real run on D deletes. Deletion is in batches, each one
//! transaction; a run that dies half-way leaves whole cases behind (never a
//! message without its case) and the next run finishes the work. Several
//! instances may run at once: every step is idempotent.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use entity::enums::CaseStatus;
use entity::{
    abandoned_call, attachment, audit_log, case, case_fact, inbound_event, mail_outbox, message,
    recording, recording_tombstone, retention_run, retention_settings, session,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::domain::norm::ANSWER_WITHIN;
use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::{Error, FieldErrors};

use crate::domain::norm::{
    AUDIT_MONTHS, DEFAULT_AUDIT_MONTHS, DEFAULT_RECORDING_DAYS, INBOUND_EVENT_DAYS,
    MAX_RETENTION_MONTHS, MIN_DIALOGUE_MONTHS, MIN_STATS_MONTHS, RECORDING_DAYS,
};

mod purge;
pub use purge::{
    Failures, KINDS, RETENTION, Receipt, RunOptions, TwilioDeleter, abandoned_before, run,
    tombstone,
};

const BATCH: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub dialogue_months: i32,
    pub recording_days: i32,
    pub stats_months: i32,
    pub audit_months: i32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            dialogue_months: MIN_DIALOGUE_MONTHS,
            recording_days: DEFAULT_RECORDING_DAYS,
            stats_months: MIN_STATS_MONTHS,
            audit_months: DEFAULT_AUDIT_MONTHS,
        }
    }
}

pub async fn policy(conn: &impl ConnectionTrait) -> Result<Policy, DbErr> {
    Ok(retention_settings::Entity::find()
        .one(conn)
        .await?
        .map(|r| Policy {
            dialogue_months: r.dialogue_months,
            recording_days: r.recording_days,
            stats_months: r.stats_months,
            audit_months: r.audit_months,
        })
        .unwrap_or_default())
}

/// Checks a policy against the legal floors.
pub fn validate(p: &Policy) -> FieldErrors {
    let mut e = Vec::new();
    if p.dialogue_months < MIN_DIALOGUE_MONTHS {
        e.push(("dialog_maaneder", "retention-error-dialogue-floor"));
    }
    if p.stats_months < MIN_STATS_MONTHS {
        e.push(("statistikk_maaneder", "retention-error-stats-floor"));
    }
    if !RECORDING_DAYS.contains(&p.recording_days) {
        e.push(("opptak_dager", "retention-error-recording-days"));
    }
    if !AUDIT_MONTHS.contains(&p.audit_months) {
        e.push(("logg_maaneder", "retention-error-audit-months"));
    }
    if p.dialogue_months > MAX_RETENTION_MONTHS || p.stats_months > MAX_RETENTION_MONTHS {
        e.push(("dialog_maaneder", "retention-error-too-long"));
    }
    FieldErrors(e)
}

/// The policy form as typed, field names as on the page.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct PolicyInput {
    #[serde(default)]
    pub dialog_maaneder: String,
    #[serde(default)]
    pub opptak_dager: String,
    #[serde(default)]
    pub statistikk_maaneder: String,
    #[serde(default)]
    pub logg_maaneder: String,
}

impl PolicyInput {
    /// The form filled with policy `p`.
    pub fn of(p: &Policy) -> Self {
        PolicyInput {
            dialog_maaneder: p.dialogue_months.to_string(),
            opptak_dager: p.recording_days.to_string(),
            statistikk_maaneder: p.stats_months.to_string(),
            logg_maaneder: p.audit_months.to_string(),
        }
    }
    /// The policy typed, each field a whole number, checked against the
    /// legal floors by [`validate`].
    pub fn parse(&self) -> Result<Policy, Error> {
        let mut e = FieldErrors::default();
        let mut num = |field: &'static str, v: &str| {
            v.trim().parse::<i32>().unwrap_or_else(|_| {
                e.push(field, "form-error-number");
                0
            })
        };
        let p = Policy {
            dialogue_months: num("dialog_maaneder", &self.dialog_maaneder),
            recording_days: num("opptak_dager", &self.opptak_dager),
            stats_months: num("statistikk_maaneder", &self.statistikk_maaneder),
            audit_months: num("logg_maaneder", &self.logg_maaneder),
        };
        e.into_result()?;
        validate(&p).into_result()?;
        Ok(p)
    }
}

/// Saves the retention policy typed in the form, audited in the same
/// transaction.
pub async fn save_policy(
    db: &DatabaseConnection,
    input: &PolicyInput,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Policy, Error> {
    let p = input.parse()?;
    let txn = crate::db::begin_write(db).await?;
    let existing = retention_settings::Entity::find().one(&txn).await?;
    let mut am: retention_settings::ActiveModel = match existing.clone() {
        Some(r) => r.into(),
        None => Default::default(),
    };
    am.dialogue_months = Set(p.dialogue_months);
    am.recording_days = Set(p.recording_days);
    am.stats_months = Set(p.stats_months);
    am.audit_months = Set(p.audit_months);
    am.updated_at = Set(now);
    if existing.is_some() {
        am.update(&txn).await?;
    } else {
        am.insert(&txn).await?;
    }
    audit::record(
        &txn,
        now,
        by,
        Entry::new("retention.policy").detail(format!(
            "dialogue {} months, recordings {} days, statistics {} months, audit {} months",
            p.dialogue_months, p.recording_days, p.stats_months, p.audit_months
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(p)
}

/// The instant the policy date starts (Oslo midnight), in UTC.
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    Oslo.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .map(|t| t.to_utc())
        .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")))
}

/// The start (Oslo midnight) of the date `m` months before `as_of`. The
/// months are taken off the Oslo calendar date, then turned into an
/// instant: taken off the UTC instant of Oslo midnight, the cut-off would
/// be an hour off whenever daylight saving differs between the two dates.
fn months_before(as_of: NaiveDate, m: i32) -> DateTime<Utc> {
    day_start(
        as_of
            .checked_sub_months(Months::new(m.max(0) as u32))
            .unwrap_or(as_of),
    )
}

/// The moments before which each kind's time has run out on date `as_of`.
#[derive(Clone, Copy, Debug)]
pub struct Cutoffs {
    pub cases_closed_before: DateTime<Utc>,
    pub recordings_made_before: DateTime<Utc>,
    pub facts_received_before: DateTime<Utc>,
    pub audit_before: DateTime<Utc>,
    pub events_before: DateTime<Utc>,
    pub sessions_expired_before: DateTime<Utc>,
}

/// The cut-offs of policy `p` on date `as_of`. A stored setting below the
/// norm's floors (a row written by hand or by an older version) never cuts
/// earlier than the floor: dialogue is kept at least 6 months (norm 4.4.3),
/// statistics at least 12 (norm 4.3).
pub fn cutoffs(p: &Policy, as_of: NaiveDate) -> Cutoffs {
    let start = day_start(as_of);
    Cutoffs {
        cases_closed_before: months_before(as_of, p.dialogue_months.max(MIN_DIALOGUE_MONTHS)),
        recordings_made_before: day_start(
            as_of
                .checked_sub_days(Days::new(p.recording_days.max(0) as u64))
                .unwrap_or(as_of),
        ),
        facts_received_before: months_before(as_of, p.stats_months.max(MIN_STATS_MONTHS)),
        audit_before: months_before(as_of, p.audit_months),
        events_before: day_start(
            as_of
                .checked_sub_days(Days::new(INBOUND_EVENT_DAYS))
                .unwrap_or(as_of),
        ),
        sessions_expired_before: start,
    }
}

/// What a kind would lose, or lost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub count: u64,
    /// The oldest date among them (Oslo), for the dry run.
    pub oldest: Option<NaiveDate>,
}

pub type Counts = BTreeMap<&'static str, KindCount>;

fn oslo_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Oslo).date_naive()
}

fn expired_cases(c: &Cutoffs) -> sea_orm::Select<case::Entity> {
    case::Entity::find()
        .filter(case::Column::Status.eq(CaseStatus::Closed))
        .filter(case::Column::ClosedAt.lt(c.cases_closed_before))
        .filter(case::Column::LegalHoldReason.is_null())
}

async fn held_case_ids(conn: &impl ConnectionTrait) -> Result<Vec<i32>, DbErr> {
    case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::LegalHoldReason.is_not_null())
        .into_tuple()
        .all(conn)
        .await
}

async fn expired_recordings(
    conn: &impl ConnectionTrait,
    c: &Cutoffs,
) -> Result<sea_orm::Select<recording::Entity>, DbErr> {
    Ok(recording::Entity::find()
        .filter(recording::Column::DeletedAt.is_null())
        .filter(recording::Column::CreatedAt.lt(c.recordings_made_before))
        .filter(recording::Column::CaseId.is_not_in(held_case_ids(conn).await?)))
}

/// The dry run: per kind, how many would go and the oldest date.
pub async fn preview(
    conn: &impl ConnectionTrait,
    p: &Policy,
    as_of: NaiveDate,
    abandoned_days: u32,
) -> Result<Counts, DbErr> {
    let c = cutoffs(p, as_of);
    let mut out = Counts::new();
    let q = expired_cases(&c);
    out.insert(
        "cases",
        KindCount {
            count: q.clone().count(conn).await?,
            oldest: q
                .order_by_asc(case::Column::ClosedAt)
                .one(conn)
                .await?
                .and_then(|x| x.closed_at.map(oslo_date)),
        },
    );
    let q = expired_recordings(conn, &c).await?;
    out.insert(
        "recordings",
        KindCount {
            count: q.clone().count(conn).await?,
            oldest: q
                .order_by_asc(recording::Column::CreatedAt)
                .one(conn)
                .await?
                .map(|x| oslo_date(x.created_at)),
        },
    );
    let q =
        case_fact::Entity::find().filter(case_fact::Column::ReceivedAt.lt(c.facts_received_before));
    out.insert(
        "case_facts",
        KindCount {
            count: q.clone().count(conn).await?,
            oldest: q
                .order_by_asc(case_fact::Column::ReceivedAt)
                .one(conn)
                .await?
                .map(|x| x.received_on),
        },
    );
    let q = audit_log::Entity::find().filter(audit_log::Column::At.lt(c.audit_before));
    out.insert(
        "audit_log",
        KindCount {
            count: q.clone().count(conn).await?,
            oldest: q
                .order_by_asc(audit_log::Column::At)
                .one(conn)
                .await?
                .map(|x| oslo_date(x.at)),
        },
    );
    let q =
        inbound_event::Entity::find().filter(inbound_event::Column::CreatedAt.lt(c.events_before));
    out.insert(
        "inbound_events",
        KindCount {
            count: q.clone().count(conn).await?,
            oldest: q
                .order_by_asc(inbound_event::Column::CreatedAt)
                .one(conn)
                .await?
                .map(|x| oslo_date(x.created_at)),
        },
    );
    let q =
        session::Entity::find().filter(session::Column::ExpiresAt.lt(c.sessions_expired_before));
    out.insert(
        "sessions",
        KindCount {
            count: q.clone().count(conn).await?,
            oldest: q
                .order_by_asc(session::Column::ExpiresAt)
                .one(conn)
                .await?
                .map(|x| oslo_date(x.expires_at)),
        },
    );
    // Tombstones of recordings Twilio has not confirmed deleted yet.
    let q = recording_tombstone::Entity::find();
    let stones = q.clone().count(conn).await?;
    if stones > 0 {
        let r = out.entry("recordings").or_default();
        r.count += stones;
        let oldest = q
            .order_by_asc(recording_tombstone::Column::DueAt)
            .one(conn)
            .await?
            .map(|x| oslo_date(x.due_at));
        r.oldest = r.oldest.min(oldest).or(r.oldest).or(oldest);
    }
    let q = abandoned_call::Entity::find()
        .filter(abandoned_call::Column::At.lt(abandoned_before(as_of, abandoned_days)));
    out.insert(
        "abandoned_calls",
        KindCount {
            count: q.clone().count(conn).await?,
            oldest: q
                .order_by_asc(abandoned_call::Column::At)
                .one(conn)
                .await?
                .map(|x| oslo_date(x.at)),
        },
    );
    let q = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::CaseId.is_null())
        .filter(mail_outbox::Column::CreatedAt.lt(c.events_before));
    out.insert(
        "mail_outbox",
        KindCount {
            count: q.clone().count(conn).await?,
            oldest: q
                .order_by_asc(mail_outbox::Column::CreatedAt)
                .one(conn)
                .await?
                .map(|x| oslo_date(x.created_at)),
        },
    );
    Ok(out)
}

/// The statistical facts of a case, without personal data.
fn facts_of(c: &case::Model) -> case_fact::ActiveModel {
    let first = c
        .first_response_at
        .map(|t| (t - c.received_at).num_seconds());
    case_fact::ActiveModel {
        case_id: Set(c.id),
        received_at: Set(c.received_at),
        received_on: Set(oslo_date(c.received_at)),
        campaign_id: Set(c.campaign_id),
        client_id: Set(c.client_id),
        channel: Set(c.channel),
        category: Set(c.category.clone()),
        answered_within24h: Set(c
            .first_response_at
            .is_some_and(|t| t - c.received_at <= ANSWER_WITHIN)),
        first_response_secs: Set(first),
        closed_without_answer: Set(crate::domain::cases::work::closed_without_answer(c)),
        ..Default::default()
    }
}

/// Deletes whole cases inside the caller's transaction: their facts are
/// written first, then attachments, messages, recordings, queued mail and the
/// case rows. The recordings must already be gone at Twilio.
pub async fn delete_cases(conn: &impl ConnectionTrait, cases: &[case::Model]) -> Result<(), DbErr> {
    if cases.is_empty() {
        return Ok(());
    }
    case_fact::Entity::insert_many(cases.iter().map(facts_of))
        .on_conflict(
            OnConflict::column(case_fact::Column::CaseId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
    let message_ids: Vec<i32> = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .filter(message::Column::CaseId.is_in(ids.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    attachment::Entity::delete_many()
        .filter(attachment::Column::MessageId.is_in(message_ids))
        .exec(conn)
        .await?;
    message::Entity::delete_many()
        .filter(message::Column::CaseId.is_in(ids.clone()))
        .exec(conn)
        .await?;
    recording::Entity::delete_many()
        .filter(recording::Column::CaseId.is_in(ids.clone()))
        .exec(conn)
        .await?;
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::CaseId.is_in(ids.clone()))
        .exec(conn)
        .await?;
    // The index copies go with the rows, queued in this same transaction
    // (norm 7: no personal data may outlive its database copy).
    crate::domain::search::enqueue_delete(
        conn,
        ids.iter().map(|i| crate::domain::search::Doc::Case(*i)),
    )
    .await?;
    case::Entity::delete_many()
        .filter(case::Column::Id.is_in(ids))
        .exec(conn)
        .await?;
    Ok(())
}

/// Receipts, newest first.
pub async fn receipts(conn: &impl ConnectionTrait) -> Result<Vec<retention_run::Model>, DbErr> {
    retention_run::Entity::find()
        .order_by_desc(retention_run::Column::Id)
        .limit(50)
        .all(conn)
        .await
}

/// Whether a real run finished within the last 20 hours (the daily job).
pub async fn ran_recently(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(retention_run::Entity::find()
        .filter(retention_run::Column::DryRun.eq(false))
        .filter(retention_run::Column::FinishedAt.gt(now - chrono::Duration::hours(20)))
        .count(conn)
        .await?
        > 0)
}

/// Places a legal hold on case `reference` (or lifts it with `None`), with
/// a reason (`grunn`) of at least 5 characters; audited in the same
/// transaction. Returns the case; an unknown reference is not found.
pub async fn set_hold(
    db: &DatabaseConnection,
    reference: &str,
    reason: Option<&str>,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<case::Model, Error> {
    let c = crate::domain::cases::work::find(db, reference)
        .await?
        .ok_or(Error::NotFound)?;
    let reason = reason.map(str::trim);
    if reason.is_some_and(|r| r.chars().count() < 5) {
        return Err(Error::invalid("grunn", "hold-error-reason"));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut am: case::ActiveModel = c.clone().into();
    am.legal_hold_reason = Set(reason.map(str::to_string));
    am.legal_hold_at = Set(reason.map(|_| now));
    am.update(&txn).await?;
    let e = match reason {
        Some(r) => Entry::new("case.hold")
            .object("case", &c.reference)
            .detail(r.chars().take(500).collect::<String>()),
        None => Entry::new("case.unhold").object("case", &c.reference),
    };
    audit::record(&txn, now, by, e).await?;
    txn.commit().await?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_settings_a_centre_may_choose_are_held_to_the_norm() {
        assert!(validate(&Policy::default()).is_empty());
        let fields = |p: Policy| {
            validate(&p)
                .0
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        let base = Policy::default();
        // norm 4.4.3 and 4.3: the floors.
        let short = Policy {
            dialogue_months: MIN_DIALOGUE_MONTHS - 1,
            stats_months: MIN_STATS_MONTHS - 1,
            ..base
        };
        assert_eq!(fields(short), ["dialog_maaneder", "statistikk_maaneder"]);
        // The product's ceilings.
        let long = Policy {
            dialogue_months: MAX_RETENTION_MONTHS + 1,
            recording_days: RECORDING_DAYS.end() + 1,
            audit_months: AUDIT_MONTHS.end() + 1,
            ..base
        };
        assert_eq!(
            fields(long),
            ["opptak_dager", "logg_maaneder", "dialog_maaneder"]
        );
        let none = Policy {
            recording_days: 0,
            audit_months: 0,
            ..base
        };
        assert_eq!(fields(none), ["opptak_dager", "logg_maaneder"]);
    }

    #[test]
    fn a_stored_setting_below_the_norm_never_cuts_before_its_floor() {
        let as_of = d(2026, 11, 18);
        let floor = cutoffs(&Policy::default(), as_of);
        assert_eq!(floor.cases_closed_before, months_before(as_of, 6));
        assert_eq!(floor.facts_received_before, months_before(as_of, 12));
        let below = Policy {
            dialogue_months: 1,
            stats_months: 0,
            ..Policy::default()
        };
        let c = cutoffs(&below, as_of);
        assert_eq!(c.cases_closed_before, floor.cases_closed_before);
        assert_eq!(c.facts_received_before, floor.facts_received_before);
        // Longer settings are kept as chosen.
        let longer = Policy {
            dialogue_months: 24,
            ..Policy::default()
        };
        assert_eq!(
            cutoffs(&longer, as_of).cases_closed_before,
            months_before(as_of, 24)
        );
    }

    #[test]
    fn the_cut_off_is_oslo_midnight_of_the_date_months_before_across_daylight_saving() {
        // 18 November (winter time, UTC+1) minus 6 months: 18 May, summer
        // time (UTC+2), whose midnight is 22:00 UTC the day before.
        let c = cutoffs(&Policy::default(), d(2026, 11, 18));
        assert_eq!(
            c.cases_closed_before,
            Utc.with_ymd_and_hms(2026, 5, 17, 22, 0, 0).unwrap()
        );
        // And the other way: 18 May minus 6 months is 18 November, UTC+1.
        let c = cutoffs(&Policy::default(), d(2027, 5, 18));
        assert_eq!(
            c.cases_closed_before,
            Utc.with_ymd_and_hms(2026, 11, 17, 23, 0, 0).unwrap()
        );
    }
}
