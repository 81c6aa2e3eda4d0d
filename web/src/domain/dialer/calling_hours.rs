//! Calling hours (norm 4.2 i): a private person may be called on weekdays
//! 09:00–21:00 Oslo time, never on Saturdays, Sundays or public holidays.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Europe::Oslo;
use chrono_tz::Tz;

use crate::domain::norm::{CALLING_CLOSES_HOUR as CLOSES, CALLING_OPENS_HOUR as OPENS};

/// Why a call may not be made at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Reason {
    Weekend,
    PublicHoliday,
    #[strum(serialize = "before_09")]
    Before09,
    #[strum(serialize = "after_21")]
    After21,
}

impl Reason {
    /// The code used in the API (`weekend`, `public_holiday`, `before_09`, `after_21`).
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// The answer for one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallWindow {
    pub allowed: bool,
    pub reason: Option<Reason>,
    /// Norwegian name of the public holiday that day, if any.
    pub holiday: Option<&'static str>,
    /// The first instant at or after the asked one when calling is allowed.
    pub next_allowed_at: DateTime<Tz>,
}

/// Easter Sunday of `year` (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a real date")
}

/// The Norwegian public holiday (helligdag / offentlig høytidsdag) on `d`, if any.
/// When two fall on one day (17 May can be Whit Monday), the fixed date's name wins.
pub fn holiday(d: NaiveDate) -> Option<&'static str> {
    let fixed = match (d.month(), d.day()) {
        (1, 1) => Some("Første nyttårsdag"),
        (5, 1) => Some("Offentlig høytidsdag"),
        (5, 17) => Some("Grunnlovsdag"),
        (12, 25) => Some("1. juledag"),
        (12, 26) => Some("2. juledag"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let easter = easter_sunday(d.year());
    match (d - easter).num_days() {
        -3 => Some("Skjærtorsdag"),
        -2 => Some("Langfredag"),
        0 => Some("1. påskedag"),
        1 => Some("2. påskedag"),
        39 => Some("Kristi himmelfartsdag"),
        49 => Some("1. pinsedag"),
        50 => Some("2. pinsedag"),
        _ => None,
    }
}

/// True for a day on which calls may be made at all.
pub fn is_calling_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && holiday(d).is_none()
}

fn oslo_at(d: NaiveDate, hour: u32) -> DateTime<Tz> {
    let naive = d.and_time(NaiveTime::from_hms_opt(hour, 0, 0).expect("valid hour"));
    // DST changes happen at 02:00/03:00, so 09:00 is never skipped or repeated;
    // `earliest` keeps this total anyway.
    Oslo.from_local_datetime(&naive)
        .earliest()
        .expect("09:00 exists every day in Oslo")
}

/// Whether a private person may be called at `at` (norm 4.2 i), and if not,
/// why and when next.
pub fn call_window(at: DateTime<Utc>) -> CallWindow {
    let local = at.with_timezone(&Oslo);
    let day = local.date_naive();
    let hol = holiday(day);
    let hour = local.hour();
    let reason = if hol.is_some() {
        Some(Reason::PublicHoliday)
    } else if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        Some(Reason::Weekend)
    } else if hour < OPENS {
        Some(Reason::Before09)
    } else if hour >= CLOSES {
        Some(Reason::After21)
    } else {
        None
    };
    let next_allowed_at = match reason {
        None => local,
        Some(Reason::Before09) => oslo_at(day, OPENS),
        Some(_) => {
            let mut d = day + Duration::days(1);
            while !is_calling_day(d) {
                d += Duration::days(1);
            }
            oslo_at(d, OPENS)
        }
    };
    CallWindow {
        allowed: reason.is_none(),
        reason,
        holiday: hol,
        next_allowed_at,
    }
}

/// What the public reservation page tells people about calling hours:
/// the rule itself (from `norm::CALLING_OPENS_HOUR` and `CALLING_CLOSES_HOUR`) and whether calls may be
/// made right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicNotice {
    /// `09`: the hour calls may start, two digits.
    pub opens: String,
    /// `21`: the hour calls must have ended, two digits.
    pub closes: String,
    /// No calls right now.
    pub closed_now: bool,
    /// Today's public holiday, if any.
    pub holiday: Option<&'static str>,
}

pub fn public_notice(now: DateTime<Utc>) -> PublicNotice {
    let w = call_window(now);
    PublicNotice {
        opens: format!("{OPENS:02}"),
        closes: format!("{CLOSES:02}"),
        closed_now: !w.allowed,
        holiday: w.holiday,
    }
}

/// How far in the past a planned call time may lie and still count as
/// "now" (the clocks of a dialer and of this server differ a little).
pub const PLANNED_TIME_GRACE: chrono::Duration = chrono::Duration::minutes(5);

/// Whether `at`, a planned call time, lies in the past at `now` (beyond
/// [`PLANNED_TIME_GRACE`]): a wash for a time gone by is refused.
pub fn is_past(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    at < now - PLANNED_TIME_GRACE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn oslo(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Oslo.with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn easter_sunday_matches_the_almanac() {
        for (y, m, day) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2029, 4, 1),
            (2030, 4, 21),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(y), d(y, m, day), "{y}");
        }
    }

    #[test]
    fn norm_4_2_i_the_holidays_of_2026_have_their_norwegian_names() {
        let expected = [
            (d(2026, 1, 1), "Første nyttårsdag"),
            (d(2026, 4, 2), "Skjærtorsdag"),
            (d(2026, 4, 3), "Langfredag"),
            (d(2026, 4, 5), "1. påskedag"),
            (d(2026, 4, 6), "2. påskedag"),
            (d(2026, 5, 1), "Offentlig høytidsdag"),
            (d(2026, 5, 14), "Kristi himmelfartsdag"),
            (d(2026, 5, 17), "Grunnlovsdag"),
            (d(2026, 5, 24), "1. pinsedag"),
            (d(2026, 5, 25), "2. pinsedag"),
            (d(2026, 12, 25), "1. juledag"),
            (d(2026, 12, 26), "2. juledag"),
        ];
        for (day, name) in expected {
            assert_eq!(holiday(day), Some(name), "{day}");
        }
        let mut count = 0;
        let mut day = d(2026, 1, 1);
        while day.year() == 2026 {
            count += usize::from(holiday(day).is_some());
            day += Duration::days(1);
        }
        assert_eq!(count, expected.len(), "no other day of 2026 is a holiday");
    }

    #[test]
    fn norm_4_2_i_whit_monday_2027_falls_on_17_may_and_is_one_holiday() {
        assert_eq!(easter_sunday(2027) + Duration::days(50), d(2027, 5, 17));
        assert_eq!(holiday(d(2027, 5, 17)), Some("Grunnlovsdag"));
        assert_eq!(holiday(d(2027, 5, 16)), Some("1. pinsedag"));
        assert_eq!(holiday(d(2027, 5, 6)), Some("Kristi himmelfartsdag"));
    }

    #[test]
    fn norm_4_2_i_the_minutes_around_09_and_21() {
        // Wednesday 18 November 2026.
        let w = call_window(oslo(2026, 11, 18, 8, 59));
        assert_eq!((w.allowed, w.reason), (false, Some(Reason::Before09)));
        assert_eq!(w.next_allowed_at.to_rfc3339(), "2026-11-18T09:00:00+01:00");
        assert!(call_window(oslo(2026, 11, 18, 9, 0)).allowed);
        assert!(call_window(oslo(2026, 11, 18, 20, 59)).allowed);
        let w = call_window(oslo(2026, 11, 18, 21, 0));
        assert_eq!((w.allowed, w.reason), (false, Some(Reason::After21)));
        assert_eq!(w.next_allowed_at.to_rfc3339(), "2026-11-19T09:00:00+01:00");
        // Friday evening: next is Monday.
        let w = call_window(oslo(2026, 11, 20, 21, 30));
        assert_eq!(w.next_allowed_at.to_rfc3339(), "2026-11-23T09:00:00+01:00");
    }

    #[test]
    fn norm_4_2_i_weekends_and_easter_are_closed_until_the_tuesday() {
        let w = call_window(oslo(2026, 11, 21, 12, 0));
        assert_eq!((w.allowed, w.reason), (false, Some(Reason::Weekend)));
        assert_eq!(w.holiday, None);
        // Maundy Thursday 2026: next allowed is Tuesday after Easter Monday.
        let w = call_window(oslo(2026, 4, 2, 12, 0));
        assert_eq!(w.reason, Some(Reason::PublicHoliday));
        assert_eq!(w.holiday, Some("Skjærtorsdag"));
        assert_eq!(w.next_allowed_at.to_rfc3339(), "2026-04-07T09:00:00+02:00");
        // Christmas Eve 2026 is a Thursday and an ordinary day; the 25th and
        // 26th are holidays, 27th a Sunday.
        let w = call_window(oslo(2026, 12, 24, 21, 0));
        assert_eq!(w.next_allowed_at.to_rfc3339(), "2026-12-28T09:00:00+01:00");
    }

    #[test]
    fn norm_4_2_i_a_dst_night_keeps_oslo_wall_clock() {
        // Clocks go back on Sunday 25 October 2026 at 03:00 CEST -> 02:00 CET.
        // Saturday 24th 22:00 Oslo: next is Monday 26th 09:00 CET (+01:00).
        let w = call_window(oslo(2026, 10, 24, 22, 0));
        assert_eq!(w.next_allowed_at.to_rfc3339(), "2026-10-26T09:00:00+01:00");
        // Clocks go forward on Sunday 29 March 2026; Friday 27th 21:00 CET.
        let w = call_window(oslo(2026, 3, 27, 21, 0));
        assert_eq!(w.next_allowed_at.to_rfc3339(), "2026-03-30T09:00:00+02:00");
        // 07:30 UTC on Monday 30 March 2026 is 09:30 CEST: allowed;
        // the same UTC time a week before was 08:30 CET: not yet.
        assert!(call_window(Utc.with_ymd_and_hms(2026, 3, 30, 7, 30, 0).unwrap()).allowed);
        assert!(!call_window(Utc.with_ymd_and_hms(2026, 3, 23, 7, 30, 0).unwrap()).allowed);
    }
}
