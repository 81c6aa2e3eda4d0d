//! Store UTC, show Europe/Oslo.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Oslo;

use crate::i18n::Lang;

/// A moment as an Oslo wall-clock time, in the user's language.
pub fn oslo_datetime(t: DateTime<Utc>, lang: Lang) -> String {
    let local = t.with_timezone(&Oslo);
    match lang {
        Lang::Nb => local.format("%d.%m.%Y kl. %H:%M").to_string(),
        Lang::En => local.format("%d/%m/%Y at %H:%M").to_string(),
    }
}

pub fn date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Nb => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.format("%d/%m/%Y").to_string(),
    }
}

/// Today's date in Oslo.
pub fn oslo_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Oslo).date_naive()
}

/// The years a date typed or sent by anyone may have. Outside them a date is
/// refused with a 4xx: the calendar rules (Easter, for one) and the
/// databases are only meant for plausible dates, and nothing typed should
/// reach a panic.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// True when `d` lies in [`YEARS`].
pub fn supported(d: NaiveDate) -> bool {
    use chrono::Datelike;
    YEARS.contains(&d.year())
}

/// A date as typed (`YYYY-MM-DD`, spaces around allowed), in [`YEARS`].
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| supported(*d))
}

/// An RFC 3339 instant (`2026-11-18T10:00:00+01:00`) as UTC, in [`YEARS`]
/// as the caller wrote it (its own offset): `1900-01-01T00:00:00+01:00` is
/// accepted even though it is still 1899 in UTC.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .filter(|t| supported(t.date_naive()))
        .map(|t| t.with_timezone(&Utc))
}

/// An Oslo wall-clock time as typed in a form (`YYYY-MM-DDTHH:MM` from a
/// `datetime-local` field, or with a space), as UTC. In the autumn's
/// repeated hour the earlier instant is taken; a time skipped in spring is
/// refused.
pub fn parse_oslo_local(s: &str) -> Option<DateTime<Utc>> {
    use chrono::{NaiveDateTime, TimeZone};
    let s = s.trim();
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .filter(|n| supported(n.date()))?;
    Oslo.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rfc3339_years_are_read_in_the_callers_own_offset() {
        assert!(parse_rfc3339("1900-01-01T00:00:00+01:00").is_some());
        assert!(parse_rfc3339("2200-12-31T23:59:59-05:00").is_some());
        assert!(parse_rfc3339("1899-12-31T23:59:59+01:00").is_none());
        assert!(parse_rfc3339("2201-01-01T00:00:00+14:00").is_none());
    }

    #[test]
    fn a_typed_oslo_time_becomes_utc() {
        assert_eq!(
            parse_oslo_local("2026-11-18T10:30"),
            Some(Utc.with_ymd_and_hms(2026, 11, 18, 9, 30, 0).unwrap())
        );
        assert_eq!(
            parse_oslo_local(" 2026-07-01 10:00 "),
            Some(Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).unwrap())
        );
        assert_eq!(parse_oslo_local("2026-03-29T02:30"), None);
    }

    #[test]
    fn only_years_1900_to_2200_are_accepted_anywhere() {
        assert_eq!(parse_oslo_local("-0001-03-02T10:00"), None);
        assert_eq!(parse_oslo_local("2201-01-01 10:00"), None);
        assert_eq!(parse_oslo_local("1899-12-31 10:00"), None);
        assert!(parse_oslo_local("1900-01-01 10:00").is_some());
        assert!(parse_oslo_local("2200-12-31 10:00").is_some());
        assert_eq!(parse_date("-2026-01-01"), None);
        assert_eq!(parse_date("+12026-01-01"), None);
        assert_eq!(parse_date("0000-01-01"), None);
        assert_eq!(
            parse_date(" 2026-01-31 "),
            NaiveDate::from_ymd_opt(2026, 1, 31)
        );
        assert_eq!(parse_rfc3339("0001-01-01T10:00:00Z"), None);
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59+01:00"), None);
        assert!(parse_rfc3339("2026-11-18T10:00:00+01:00").is_some());
        assert_eq!(parse_oslo_local("tomorrow"), None);
    }
}
