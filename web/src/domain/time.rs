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
