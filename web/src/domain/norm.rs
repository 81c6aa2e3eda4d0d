//! The norm in one place (bransjenorm for callcentere, norm 4.2 i, 4.3,
//! 4.4.3, 4.6.2, 4.6.3, 7, 8.2.1 b): every limit the norm sets and every
//! default the product chooses where the norm leaves a number open, each
//! with its clause. Everything else uses these names.
//!
//! What a centre may choose stays where it is and is checked against these
//! limits: the environment variables in `config.rs`
//! (`ABANDONED_RATE_LIMIT_PERCENT`, `ABANDONED_AGENT_REQUIRED_DAYS`) and the
//! retention settings in the database (`privacy::retention::validate`; the
//! purge never deletes before the norm's floors even if a stored setting is
//! below them).
//!
//! Where each rule is carried out: search the code for its section
//! (`norm 4.4.3`); every capability module names its sections in its first
//! doc line.

use std::ops::RangeInclusive;

use chrono::Duration;

// ---------------------------------------------------------------------------
// norm 4.4.3: answering inquiries
// ---------------------------------------------------------------------------

/// norm 4.4.3: every inquiry is answered within 24 hours ("besvares innen
/// 24 timer"). Exactly 24 hours, not "the same time tomorrow": across a
/// daylight-saving change the Oslo wall-clock deadline moves by an hour.
pub const ANSWER_WITHIN: Duration = Duration::hours(24);

/// Product choice (norm 4.4.3): a case is *at risk* once this share of
/// [`ANSWER_WITHIN`] has passed without an answer, as numerator and
/// denominator: 3/4. The queue marks it and the SLA alert goes out.
pub const AT_RISK_SHARE: (i64, i64) = (3, 4);

/// [`AT_RISK_SHARE`] of [`ANSWER_WITHIN`] after a case came in (18 hours):
/// from then on it is at risk.
pub const AT_RISK_AFTER: Duration =
    Duration::seconds(ANSWER_WITHIN.num_seconds() * AT_RISK_SHARE.0 / AT_RISK_SHARE.1);

/// The rest of the clock once a case is at risk (6 hours): a case due
/// within this is at risk.
pub const AT_RISK_BEFORE_DUE: Duration =
    Duration::seconds(ANSWER_WITHIN.num_seconds() - AT_RISK_AFTER.num_seconds());

/// norm 4.4.3: written dialogue with a consumer is kept at least 6 months
/// ("ta vare på skriftlig dialog med forbruker i minimum 6 måneder"),
/// counted from the case's close. The floor of the retention setting.
pub const MIN_DIALOGUE_MONTHS: i32 = 6;

// ---------------------------------------------------------------------------
// norm 4.3: daily statistics per campaign
// ---------------------------------------------------------------------------

/// norm 4.3: the daily statistics are kept at least 12 months ("minimum 12
/// måneder"). The floor of the retention setting, and the window the norm
/// overview checks for gaps.
pub const MIN_STATS_MONTHS: i32 = 12;

// ---------------------------------------------------------------------------
// norm 4.2 i: calling hours
// ---------------------------------------------------------------------------

/// norm 4.2 i: private persons are not called before 09:00 on weekdays
/// (Oslo wall clock), and never on Saturdays, Sundays or public holidays.
pub const CALLING_OPENS_HOUR: u32 = 9;
/// norm 4.2 i: nor later than 21:00: the calling day ends at 21:00 sharp
/// (21:00 itself is too late).
pub const CALLING_CLOSES_HOUR: u32 = 21;

// ---------------------------------------------------------------------------
// norm 4.6.2 and 4.6.3: abandoned calls
// ---------------------------------------------------------------------------

/// norm 4.6.2: abandoned calls never exceed 5 % per campaign, computed on
/// established calls in the same campaign and interval. The ceiling of
/// `ABANDONED_RATE_LIMIT_PERCENT` (a centre may hold itself to less) and
/// its default.
pub const MAX_ABANDONED_PERCENT: f64 = 5.0;

/// Product choice (norm 4.6.2): the norm overview looks for campaigns over
/// the limit in the last 30 days.
pub const ABANDONED_OVERVIEW_DAYS: i64 = 30;

/// Product choice (norm 4.6.3: after an abandoned call the next call to the
/// number must not be abandoned again): for 30 days after an abandoned
/// call the wash answers `agent-required` for the number, and the record is
/// kept that long. Default of `ABANDONED_AGENT_REQUIRED_DAYS`.
pub const DEFAULT_AGENT_REQUIRED_DAYS: u32 = 30;
/// What a centre may set `ABANDONED_AGENT_REQUIRED_DAYS` to: at least a day
/// (norm 4.6.3 needs the record until the next attempt), at most ten years.
pub const AGENT_REQUIRED_DAYS: RangeInclusive<u32> = 1..=3650;

// ---------------------------------------------------------------------------
// norm 8.2.1 b: recordings
// ---------------------------------------------------------------------------

/// Product choice (norm 8.2.1 b: recordings are deleted as soon as their
/// purpose is met; the centre documents why its period is needed): 90
/// days, the period of the recording policy in the reference texts. The
/// default of the retention setting.
pub const DEFAULT_RECORDING_DAYS: i32 = 90;
/// What a centre may set the recording period to, in days.
pub const RECORDING_DAYS: RangeInclusive<i32> = 1..=3650;

// ---------------------------------------------------------------------------
// norm 7: personal data kept no longer than needed (product choices)
// ---------------------------------------------------------------------------

/// The longest a centre may keep written dialogue or statistics, in months
/// (ten years): personal data is not kept for ever (norm 7).
pub const MAX_RETENTION_MONTHS: i32 = 120;
/// How long the audit log of staff actions is kept by default (norm 7).
pub const DEFAULT_AUDIT_MONTHS: i32 = 12;
/// What a centre may set the audit log's period to, in months.
pub const AUDIT_MONTHS: RangeInclusive<i32> = 1..=MAX_RETENTION_MONTHS;
/// Provider delivery ids (to recognise webhook retries) and undeliverable
/// staff alerts are kept 30 days (norm 7).
pub const INBOUND_EVENT_DAYS: u64 = 30;
/// A calling list uploaded for a back-office wash, and its result, are kept
/// an hour at most (norm 7: they hold people's numbers).
pub const WASH_FILES_KEEP_FOR: std::time::Duration = std::time::Duration::from_secs(60 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_at_risk_mark_is_three_quarters_of_the_24_hours() {
        assert_eq!(ANSWER_WITHIN, Duration::hours(24));
        assert_eq!(AT_RISK_AFTER, Duration::hours(18));
        assert_eq!(AT_RISK_BEFORE_DUE, Duration::hours(6));
        assert_eq!(AT_RISK_AFTER + AT_RISK_BEFORE_DUE, ANSWER_WITHIN);
    }

    #[test]
    fn defaults_lie_within_what_a_centre_may_choose() {
        assert!(AGENT_REQUIRED_DAYS.contains(&DEFAULT_AGENT_REQUIRED_DAYS));
        assert!(RECORDING_DAYS.contains(&DEFAULT_RECORDING_DAYS));
        assert!(AUDIT_MONTHS.contains(&DEFAULT_AUDIT_MONTHS));
        const {
            assert!(MIN_DIALOGUE_MONTHS <= MAX_RETENTION_MONTHS);
            assert!(MIN_STATS_MONTHS <= MAX_RETENTION_MONTHS);
            assert!(CALLING_OPENS_HOUR < CALLING_CLOSES_HOUR);
        };
    }
}
