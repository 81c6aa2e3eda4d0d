//! The centre's settings kept by admins (norm 4.4.1 a): its own details,
//! its clients and their campaigns.

use chrono::{DateTime, Utc};
use entity::enums::{CampaignKind, DialerMode};
use entity::{campaign, centre, client};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TryIntoModel,
};
use serde::Deserialize;

use crate::domain::email::EmailAddress;
use crate::domain::phone::E164;
use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::{Error, FieldErrors};

fn required(errors: &mut FieldErrors, field: &'static str, v: &str) -> String {
    let v = v.trim();
    if v.is_empty() {
        errors.push(field, "form-error-required");
    }
    v.to_string()
}

// ---------- the centre ----------

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CentreInput {
    #[serde(default)]
    pub navn: String,
    #[serde(default)]
    pub orgnr: String,
    #[serde(default)]
    pub telefon: String,
    #[serde(default)]
    pub epost: String,
    #[serde(default)]
    pub adresse: String,
}

pub async fn save_centre(
    db: &DatabaseConnection,
    input: &CentreInput,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut errors = FieldErrors::default();
    let name = required(&mut errors, "navn", &input.navn);
    let org = required(&mut errors, "orgnr", &input.orgnr);
    let phone = match E164::parse(&input.telefon) {
        Ok(p) => p.into_string(),
        Err(e) => {
            errors.push("telefon", e.message_key());
            String::new()
        }
    };
    let email = match EmailAddress::parse(&input.epost) {
        Ok(e) => e.as_str().to_string(),
        Err(_) => {
            errors.push("epost", "form-error-email");
            String::new()
        }
    };
    let address = required(&mut errors, "adresse", &input.adresse);
    errors.into_result()?;
    let txn = crate::db::begin_write(db).await?;
    let existing = centre::Entity::find().one(&txn).await?;
    let is_new = existing.is_none();
    let mut am = match existing {
        Some(c) => c.into_active_model(),
        None => centre::ActiveModel {
            id: Set(1),
            ..Default::default()
        },
    };
    am.name = Set(name);
    am.org_number = Set(org);
    am.contact_phone = Set(phone);
    am.contact_email = Set(email);
    am.postal_address = Set(address);
    am.updated_at = Set(now);
    if is_new {
        am.insert(&txn).await?;
    } else {
        am.update(&txn).await?;
    }
    audit::record(&txn, now, by, Entry::new("settings.centre")).await?;
    crate::domain::catalogue::memory::bump(&txn).await?;
    txn.commit().await?;
    Ok(())
}

// ---------- clients ----------

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClientInput {
    #[serde(default)]
    pub navn: String,
    #[serde(default)]
    pub orgnr: String,
    #[serde(default)]
    pub beskrivelse: String,
    #[serde(default)]
    pub nettsted: String,
    /// The client's logo (https), published with its numbers.
    #[serde(default)]
    pub logo: String,
    #[serde(default)]
    pub aktiv: Option<String>,
}

/// Creates a client (`id` None) or updates client `id` (not found: an
/// unknown id, nothing written).
pub async fn save_client(
    db: &DatabaseConnection,
    id: Option<i32>,
    input: &ClientInput,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<client::Model, Error> {
    if let Some(id) = id {
        client_by_id(db, id).await?;
    }
    let mut errors = FieldErrors::default();
    let name = required(&mut errors, "navn", &input.navn);
    let org = required(&mut errors, "orgnr", &input.orgnr);
    let website = input.nettsted.trim();
    if !website.is_empty() && !website.starts_with("https://") && !website.starts_with("http://") {
        errors.push("nettsted", "form-error-url");
    }
    // A logo is fetched by phones and apps from the open data: https only.
    let logo = input.logo.trim();
    if !logo.is_empty() && (!logo.starts_with("https://") || logo.len() > 500) {
        errors.push("logo", "form-error-url");
    }
    errors.into_result()?;
    let txn = crate::db::begin_write(db).await?;
    let mut am = match id {
        Some(id) => client::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound)?
            .into_active_model(),
        None => client::ActiveModel {
            created_at: Set(now),
            ..Default::default()
        },
    };
    am.name = Set(name);
    am.org_number = Set(org);
    am.description = Set(input.beskrivelse.trim().to_string());
    am.website = Set((!website.is_empty()).then(|| website.to_string()));
    am.logo_url = Set((!logo.is_empty()).then(|| logo.to_string()));
    am.active = Set(input.aktiv.is_some());
    let saved = am.save(&txn).await?.try_into_model()?;
    crate::domain::search::enqueue_client(&txn, saved.id).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("settings.client").object("client", saved.id),
    )
    .await?;
    crate::domain::catalogue::memory::bump(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn clients(conn: &impl ConnectionTrait) -> Result<Vec<client::Model>, DbErr> {
    client::Entity::find()
        .order_by_asc(client::Column::Name)
        .all(conn)
        .await
}

/// Client `id`; not found for an unknown id.
pub async fn client_by_id(conn: &impl ConnectionTrait, id: i32) -> Result<client::Model, Error> {
    client::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

// ---------- campaigns ----------

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CampaignInput {
    #[serde(default)]
    pub oppdragsgiver: String,
    #[serde(default)]
    pub kode: String,
    #[serde(default)]
    pub navn: String,
    #[serde(default)]
    pub formal: String,
    #[serde(default)]
    pub type_: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub slutt: String,
    #[serde(default)]
    pub modus: String,
    /// The national reservation register (norm 10): `` (the kind's
    /// default), `ja` or `nei`.
    #[serde(default)]
    pub nasjonalt: String,
    /// Exempt from the national register (markedsføringsloven § 12,
    /// existing customers): the reason; empty for no exemption.
    #[serde(default)]
    pub unntak: String,
}

/// Every kind of campaign, in the order the form offers them.
pub const KINDS: &[CampaignKind] = <CampaignKind as strum::VariantArray>::VARIANTS;

/// Creates a campaign (`id` None) or updates campaign `id` (not found: an
/// unknown id, nothing written).
pub async fn save_campaign(
    db: &DatabaseConnection,
    id: Option<i32>,
    input: &CampaignInput,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<campaign::Model, Error> {
    if let Some(id) = id {
        campaign_by_id(db, id).await?;
    }
    let mut errors = FieldErrors::default();
    let client_id = input.oppdragsgiver.parse::<i32>().ok();
    let client_ok = match client_id {
        Some(cid) => client::Entity::find_by_id(cid).one(db).await?.is_some(),
        None => false,
    };
    if !client_ok {
        errors.push("oppdragsgiver", "form-error-required");
    }
    let code = required(&mut errors, "kode", &input.kode).to_uppercase();
    let name = required(&mut errors, "navn", &input.navn);
    let purpose = required(&mut errors, "formal", &input.formal);
    let kind = input.type_.parse::<CampaignKind>().ok();
    if kind.is_none() {
        errors.push("type_", "form-error-required");
    }
    let mode = match input.modus.parse::<DialerMode>() {
        Ok(m) => Some(m),
        Err(_) => {
            errors.push("modus", "form-error-required");
            None
        }
    };
    let start = crate::domain::time::parse_date(&input.start);
    if start.is_none() {
        errors.push("start", "number-error-date");
    }
    let end = if input.slutt.trim().is_empty() {
        None
    } else {
        match crate::domain::time::parse_date(&input.slutt) {
            Some(d) if start.is_some_and(|s| d < s) => {
                errors.push("slutt", "number-error-date-order");
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push("slutt", "number-error-date");
                None
            }
        }
    };
    if !code.is_empty() {
        let taken = campaign::Entity::find()
            .filter(campaign::Column::Code.eq(code.clone()))
            .one(db)
            .await?
            .is_some_and(|c| Some(c.id) != id);
        if taken {
            errors.push("kode", "form-error-code-taken");
        }
    }
    let national = match input.nasjonalt.trim() {
        "" => Some(None),
        "ja" => Some(Some(true)),
        "nei" => Some(Some(false)),
        _ => {
            errors.push("nasjonalt", "form-error-required");
            None
        }
    };
    let exempt = input.unntak.trim();
    if exempt.chars().count() > 500 {
        errors.push("unntak", "campaign-national-exempt-too-long");
    }
    let exempt = (!exempt.is_empty()).then(|| exempt.to_string());
    let (Some(client_id), Some(kind), Some(mode), Some(start), Some(national), true) =
        (client_id, kind, mode, start, national, errors.is_empty())
    else {
        return Err(Error::Invalid(errors));
    };
    let txn = crate::db::begin_write(db).await?;
    let mut moved_from = None;
    let mut am = match id {
        Some(id) => {
            let old = campaign::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(Error::NotFound)?;
            moved_from = (old.client_id != client_id).then_some(old.client_id);
            old.into_active_model()
        }
        None => campaign::ActiveModel {
            created_at: Set(now),
            ..Default::default()
        },
    };
    am.client_id = Set(client_id);
    am.code = Set(code);
    am.name = Set(name);
    am.purpose = Set(purpose);
    am.kind = Set(kind);
    am.starts_on = Set(start);
    am.ends_on = Set(end);
    am.dialer_mode = Set(mode);
    am.national_register = Set(national);
    am.national_exempt_reason = Set(exempt);
    let saved = am.save(&txn).await?.try_into_model()?;
    crate::domain::search::enqueue_campaign(&txn, saved.id).await?;
    if let Some(old) = moved_from {
        crate::domain::search::enqueue(&txn, crate::domain::search::Doc::Client(old)).await?;
    }
    audit::record(
        &txn,
        now,
        by,
        Entry::new("settings.campaign")
            .object("campaign", saved.id)
            .detail(format!(
                "national={} exempt={}",
                saved
                    .national_register
                    .map_or("default", |b| if b { "yes" } else { "no" }),
                saved.national_exempt_reason.is_some()
            )),
    )
    .await?;
    crate::domain::catalogue::memory::bump(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn campaigns(conn: &impl ConnectionTrait) -> Result<Vec<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .order_by_asc(campaign::Column::Code)
        .all(conn)
        .await
}

/// Campaign `id`; not found for an unknown id.
pub async fn campaign_by_id(
    conn: &impl ConnectionTrait,
    id: i32,
) -> Result<campaign::Model, Error> {
    campaign::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}
