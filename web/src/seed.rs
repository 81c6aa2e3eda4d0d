//! `innsyn seed-demo`: a believable centre with three clients, so a newcomer
//! sees a real site. Idempotent: it does nothing on a database with clients.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{CampaignKind, DialerMode};
use entity::{caller_number, campaign, centre, client};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

use crate::domain::phone::E164;
use crate::domain::time::oslo_today;

pub const DEMO_CENTRE: &str = "Nordlys Kundedialog AS";

struct DemoCampaign {
    code: &'static str,
    name: &'static str,
    purpose: &'static str,
    kind: CampaignKind,
    mode: DialerMode,
    numbers: &'static [&'static str],
}

struct DemoClient {
    name: &'static str,
    org: &'static str,
    description: &'static str,
    website: &'static str,
    campaign: DemoCampaign,
}

const CLIENTS: &[DemoClient] = &[
    DemoClient {
        name: "Vestlandsstraum AS",
        org: "912 345 678",
        description: "Strømleverandør for husholdninger på Vestlandet.",
        website: "https://vestlandsstraum.example",
        campaign: DemoCampaign {
            code: "VS-FASTPRIS",
            name: "Fastpris vinter",
            purpose: "Vi ringer eksisterende kunder av Vestlandsstraum for å tilby fastprisavtale på strøm for vinteren.",
            kind: CampaignKind::Sales,
            mode: DialerMode::Predictive,
            numbers: &["+4721000010", "+4721000011"],
        },
    },
    DemoClient {
        name: "Stiftelsen Hjertelaget",
        org: "998 765 432",
        description: "Frivillig organisasjon som støtter familier med hjertesyke barn.",
        website: "https://hjertelaget.example",
        campaign: DemoCampaign {
            code: "HL-GIVER",
            name: "Takk til faste givere",
            purpose: "Vi ringer faste givere for å takke for støtten og spørre om de vil øke sin månedlige gave.",
            kind: CampaignKind::Fundraising,
            mode: DialerMode::Power,
            numbers: &["+4721000020"],
        },
    },
    DemoClient {
        name: "Norsk Forbrukerpanel AS",
        org: "987 654 321",
        description: "Uavhengig analysebyrå for forbrukerundersøkelser.",
        website: "https://forbrukerpanel.example",
        campaign: DemoCampaign {
            code: "NFP-HUSHOLDNING",
            name: "Husholdningsøkonomi 2026",
            purpose: "Spørreundersøkelse om strømpriser og husholdningsøkonomi. Vi selger ingenting.",
            kind: CampaignKind::Survey,
            mode: DialerMode::Predictive,
            numbers: &["+4721000030"],
        },
    },
];

/// Returns false when the database already had clients.
pub async fn seed_demo(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<bool> {
    if client::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let today = oslo_today(now);
    let txn = crate::db::begin_write(db).await?;
    if centre::Entity::find().count(&txn).await? == 0 {
        centre::ActiveModel {
            name: Set(DEMO_CENTRE.into()),
            org_number: Set("923 456 789".into()),
            contact_phone: Set("+47 21 00 00 00".into()),
            contact_email: Set("post@nordlys-kundedialog.example".into()),
            postal_address: Set("Storgata 1, 0155 Oslo".into()),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for c in CLIENTS {
        let cl = client::ActiveModel {
            name: Set(c.name.into()),
            org_number: Set(c.org.into()),
            description: Set(c.description.into()),
            website: Set(Some(c.website.into())),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        crate::domain::search::enqueue(&txn, crate::domain::search::Doc::Client(cl.id)).await?;
        let d = &c.campaign;
        let camp = campaign::ActiveModel {
            client_id: Set(cl.id),
            code: Set(d.code.into()),
            name: Set(d.name.into()),
            purpose: Set(d.purpose.into()),
            kind: Set(d.kind),
            starts_on: Set(today - Duration::days(30)),
            ends_on: Set(Some(today + Duration::days(60))),
            dialer_mode: Set(d.mode),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for n in d.numbers {
            let e = E164::parse(n).map_err(|e| anyhow::anyhow!("demo number {n}: {e}"))?;
            caller_number::ActiveModel {
                e164: Set(e.as_str().into()),
                campaign_id: Set(camp.id),
                valid_from: Set(today - Duration::days(30)),
                valid_to: Set(Some(today + Duration::days(60))),
                message: Set(format!(
                    "Hei, du ble nettopp ringt av {DEMO_CENTRE} på vegne av {}. {} \
                     Du kan nå oss på telefon 21 00 00 00 eller e-post post@nordlys-kundedialog.example. \
                     Trykk 1 for å legge igjen en beskjed, 2 for å reservere deg mot flere anrop fra oss.",
                    c.name, d.purpose
                )),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    crate::domain::catalogue::memory::bump(&txn).await?;
    txn.commit().await?;
    Ok(true)
}
