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

/// An Oslo wall-clock time as typed in a form (`YYYY-MM-DDTHH:MM` from a
/// `datetime-local` field, or with a space), as UTC. In the autumn's
/// repeated hour the earlier instant is taken; a time skipped in spring is
/// refused.
pub fn parse_oslo_local(s: &str) -> Option<DateTime<Utc>> {
    use chrono::{NaiveDateTime, TimeZone};
    let s = s.trim();
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
    Oslo.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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
        assert_eq!(parse_oslo_local("tomorrow"), None);
    }
}
