//! Which registers a wash applies (norm 10): the centre's internal register
//! always, for every campaign, existing customers included; the client's
//! register when a campaign is given; the national register
//! (Reservasjonsregisteret) when the campaign is telemarketing and not
//! exempt, or, without a campaign, unless the caller declines it. Until the
//! first import the wash runs as before and says so.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use entity::campaign;
use entity::enums::CampaignKind;

use crate::domain::dialer::national::{self, NationalCopy};

/// Whether the national register applies to a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignNational {
    Applies,
    /// Not telemarketing (a survey), or switched off by an admin.
    NotApplied,
    /// Calls to the client's existing customers (markedsføringsloven § 12).
    Exempt,
}

/// The default for a campaign kind: yes for sales, fundraising and
/// customer service; no for surveys (not telemarketing).
pub fn default_for(kind: CampaignKind) -> bool {
    !matches!(kind, CampaignKind::Survey)
}

pub fn for_campaign(c: &campaign::Model) -> CampaignNational {
    if c.national_exempt_reason
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty())
    {
        return CampaignNational::Exempt;
    }
    if c.national_register.unwrap_or_else(|| default_for(c.kind)) {
        CampaignNational::Applies
    } else {
        CampaignNational::NotApplied
    }
}

/// What the wash did with the national register; recorded on the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "kebab-case")]
pub enum NationalUse {
    Applied,
    /// The campaign does not need it.
    NotApplied,
    Exempt,
    /// `national=false` on a wash without a campaign.
    Declined,
    /// The centre never imported it (the changeover).
    NotImported,
}

impl NationalUse {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// Why a wash is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The copy in use is more than one month old at the planned time.
    Stale {
        extract_date: NaiveDate,
        usable_through: NaiveDate,
    },
    /// `national=false` for a campaign the national register applies to.
    CampaignRequires,
}

/// Decides the national register for one wash: `declined` is the API's
/// `national=false`, `at` the planned call time.
pub fn decide(
    campaign: Option<&campaign::Model>,
    declined: bool,
    copy: Option<&Arc<NationalCopy>>,
    at: DateTime<Utc>,
) -> Result<NationalUse, Refusal> {
    let wanted = match campaign.map(for_campaign) {
        Some(CampaignNational::Applies) if declined => return Err(Refusal::CampaignRequires),
        Some(CampaignNational::Applies) => true,
        Some(CampaignNational::NotApplied) => return Ok(NationalUse::NotApplied),
        Some(CampaignNational::Exempt) => return Ok(NationalUse::Exempt),
        None => !declined,
    };
    let Some(copy) = copy else {
        return Ok(NationalUse::NotImported);
    };
    if !wanted {
        return Ok(NationalUse::Declined);
    }
    let extract_date = copy.version.extract_date;
    if !national::is_fresh(extract_date, at) {
        return Err(Refusal::Stale {
            extract_date,
            usable_through: national::usable_through(extract_date),
        });
    }
    Ok(NationalUse::Applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dialer::national::NationalSet;

    fn camp(kind: CampaignKind, on: Option<bool>, exempt: Option<&str>) -> campaign::Model {
        campaign::Model {
            id: 1,
            client_id: 1,
            code: "C".into(),
            name: "C".into(),
            purpose: String::new(),
            kind,
            starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: None,
            dialer_mode: entity::enums::DialerMode::Power,
            created_at: DateTime::UNIX_EPOCH,
            national_register: on,
            national_exempt_reason: exempt.map(str::to_string),
        }
    }

    fn copy(extract: &str) -> Arc<NationalCopy> {
        Arc::new(NationalCopy {
            version: entity::national_register_version::Model {
                id: 1,
                extract_date: NaiveDate::parse_from_str(extract, "%Y-%m-%d").unwrap(),
                imported_at: DateTime::UNIX_EPOCH,
                imported_by: String::new(),
                count: 0,
                invalid_lines: 0,
                checksum: String::new(),
                state: "current".into(),
            },
            set: NationalSet::default(),
        })
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn norm_10_the_kind_decides_unless_an_admin_says_otherwise() {
        use CampaignKind::*;
        assert_eq!(
            for_campaign(&camp(Sales, None, None)),
            CampaignNational::Applies
        );
        assert_eq!(
            for_campaign(&camp(Fundraising, None, None)),
            CampaignNational::Applies
        );
        assert_eq!(
            for_campaign(&camp(CustomerService, None, None)),
            CampaignNational::Applies
        );
        assert_eq!(
            for_campaign(&camp(Survey, None, None)),
            CampaignNational::NotApplied
        );
        assert_eq!(
            for_campaign(&camp(Survey, Some(true), None)),
            CampaignNational::Applies
        );
        assert_eq!(
            for_campaign(&camp(Sales, None, Some("existing customers"))),
            CampaignNational::Exempt
        );
        assert_eq!(
            for_campaign(&camp(Sales, None, Some("  "))),
            CampaignNational::Applies
        );
    }

    #[test]
    fn without_a_campaign_the_national_register_applies_unless_declined() {
        let c = copy("2026-11-01");
        let now = at("2026-11-20T10:00:00+01:00");
        assert_eq!(decide(None, false, Some(&c), now), Ok(NationalUse::Applied));
        assert_eq!(decide(None, true, Some(&c), now), Ok(NationalUse::Declined));
        assert_eq!(decide(None, false, None, now), Ok(NationalUse::NotImported));
        let sales = camp(CampaignKind::Sales, None, None);
        assert_eq!(
            decide(Some(&sales), true, Some(&c), now),
            Err(Refusal::CampaignRequires)
        );
    }

    #[test]
    fn a_stale_copy_refuses_only_where_the_national_register_applies() {
        let c = copy("2026-10-15");
        let sales = camp(CampaignKind::Sales, None, None);
        let survey = camp(CampaignKind::Survey, None, None);
        let ok = at("2026-11-15T20:00:00+01:00");
        let late = at("2026-11-16T09:00:00+01:00");
        assert_eq!(
            decide(Some(&sales), false, Some(&c), ok),
            Ok(NationalUse::Applied)
        );
        assert!(matches!(
            decide(Some(&sales), false, Some(&c), late),
            Err(Refusal::Stale { .. })
        ));
        assert_eq!(
            decide(Some(&survey), false, Some(&c), late),
            Ok(NationalUse::NotApplied)
        );
    }
}

/// Why a wash cannot start.
#[derive(Debug)]
pub enum PlanError {
    Refused(Refusal),
    Db(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for PlanError {
    fn from(e: sea_orm::DbErr) -> Self {
        PlanError::Db(e)
    }
}

/// The registers one wash reads and what it does with the national one: the
/// dialer API and the back office wash alike. `at` is the planned call
/// time, `now` the time of the wash.
pub async fn plan(
    cache: &crate::domain::dialer::registers::RegisterCache,
    db: &sea_orm::DatabaseConnection,
    campaign: Option<&campaign::Model>,
    declined: bool,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    agent_required_days: u32,
) -> Result<(crate::domain::dialer::wash::Registers, NationalUse), PlanError> {
    let copy = cache.national.get(db).await?;
    // Freshness is judged at the later of now and the planned time: a
    // planned time in the past never makes an old copy usable.
    let used =
        decide(campaign, declined, copy.as_ref(), at.max(now)).map_err(PlanError::Refused)?;
    let mut registers = cache
        .for_wash(db, campaign.map(|c| c.client_id), agent_required_days, now)
        .await?;
    if used == NationalUse::Applied {
        registers.national = copy;
    }
    Ok((registers, used))
}
