//! The centre's settings kept by admins (norm 4.4.1, 4.4.4): its own
//! details, clients and campaigns, staff users, and the internal reservation
//! register.

use chrono::{DateTime, Utc};
use entity::enums::{CampaignKind, DialerMode, ReservationSource, Role};
use entity::{campaign, centre, client, reservation, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, TryIntoModel,
};
use serde::Deserialize;

use crate::domain::dialer::reservations;
use crate::domain::email::EmailAddress;
use crate::domain::phone::E164;
use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::staff::users;

pub type FieldErrors = Vec<(&'static str, &'static str)>;

fn required(errors: &mut FieldErrors, field: &'static str, v: &str) -> String {
    let v = v.trim();
    if v.is_empty() {
        errors.push((field, "form-error-required"));
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
) -> Result<Result<(), FieldErrors>, DbErr> {
    let mut errors = Vec::new();
    let name = required(&mut errors, "navn", &input.navn);
    let org = required(&mut errors, "orgnr", &input.orgnr);
    let phone = match E164::parse(&input.telefon) {
        Ok(p) => p.into_string(),
        Err(e) => {
            errors.push(("telefon", e.message_key()));
            String::new()
        }
    };
    let email = match EmailAddress::parse(&input.epost) {
        Ok(e) => e.as_str().to_string(),
        Err(_) => {
            errors.push(("epost", "form-error-email"));
            String::new()
        }
    };
    let address = required(&mut errors, "adresse", &input.adresse);
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let (txn, _write) = crate::db::begin_write(db).await?;
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
    txn.commit().await?;
    Ok(Ok(()))
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
    #[serde(default)]
    pub aktiv: Option<String>,
}

pub async fn save_client(
    db: &DatabaseConnection,
    id: Option<i32>,
    input: &ClientInput,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<client::Model, FieldErrors>, DbErr> {
    let mut errors = Vec::new();
    let name = required(&mut errors, "navn", &input.navn);
    let org = required(&mut errors, "orgnr", &input.orgnr);
    let website = input.nettsted.trim();
    if !website.is_empty() && !website.starts_with("https://") && !website.starts_with("http://") {
        errors.push(("nettsted", "form-error-url"));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let (txn, _write) = crate::db::begin_write(db).await?;
    let mut am = match id {
        Some(id) => client::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(DbErr::RecordNotFound("client".into()))?
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
    txn.commit().await?;
    Ok(Ok(saved))
}

pub async fn clients(conn: &impl ConnectionTrait) -> Result<Vec<client::Model>, DbErr> {
    client::Entity::find()
        .order_by_asc(client::Column::Name)
        .all(conn)
        .await
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
}

/// Every kind of campaign, in the order the form offers them.
pub const KINDS: &[CampaignKind] = <CampaignKind as strum::VariantArray>::VARIANTS;

pub async fn save_campaign(
    db: &DatabaseConnection,
    id: Option<i32>,
    input: &CampaignInput,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<campaign::Model, FieldErrors>, DbErr> {
    let mut errors = Vec::new();
    let client_id = input.oppdragsgiver.parse::<i32>().ok();
    let client_ok = match client_id {
        Some(cid) => client::Entity::find_by_id(cid).one(db).await?.is_some(),
        None => false,
    };
    if !client_ok {
        errors.push(("oppdragsgiver", "form-error-required"));
    }
    let code = required(&mut errors, "kode", &input.kode).to_uppercase();
    let name = required(&mut errors, "navn", &input.navn);
    let purpose = required(&mut errors, "formal", &input.formal);
    let kind = input.type_.parse::<CampaignKind>().ok();
    if kind.is_none() {
        errors.push(("type_", "form-error-required"));
    }
    let mode = match input.modus.parse::<DialerMode>() {
        Ok(m) => Some(m),
        Err(_) => {
            errors.push(("modus", "form-error-required"));
            None
        }
    };
    let start = crate::domain::time::parse_date(&input.start);
    if start.is_none() {
        errors.push(("start", "number-error-date"));
    }
    let end = if input.slutt.trim().is_empty() {
        None
    } else {
        match crate::domain::time::parse_date(&input.slutt) {
            Some(d) if start.is_some_and(|s| d < s) => {
                errors.push(("slutt", "number-error-date-order"));
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(("slutt", "number-error-date"));
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
            errors.push(("kode", "form-error-code-taken"));
        }
    }
    let (Some(client_id), Some(kind), Some(mode), Some(start), true) =
        (client_id, kind, mode, start, errors.is_empty())
    else {
        return Ok(Err(errors));
    };
    let (txn, _write) = crate::db::begin_write(db).await?;
    let mut moved_from = None;
    let mut am = match id {
        Some(id) => {
            let old = campaign::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(DbErr::RecordNotFound("campaign".into()))?;
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
    let saved = am.save(&txn).await?.try_into_model()?;
    crate::domain::search::enqueue_campaign(&txn, saved.id).await?;
    if let Some(old) = moved_from {
        crate::domain::search::enqueue(&txn, crate::domain::search::Doc::Client(old)).await?;
    }
    audit::record(
        &txn,
        now,
        by,
        Entry::new("settings.campaign").object("campaign", saved.id),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(saved))
}

pub async fn campaigns(conn: &impl ConnectionTrait) -> Result<Vec<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .order_by_asc(campaign::Column::Code)
        .all(conn)
        .await
}

// ---------- staff users ----------

pub async fn users(conn: &impl ConnectionTrait) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(conn)
        .await
}

/// Creates a user with a one-time password, returned once.
pub async fn create_user(
    db: &DatabaseConnection,
    email: &str,
    role: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<(user::Model, String), FieldErrors>, DbErr> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(email).ok();
    if email.is_none() {
        errors.push(("epost", "form-error-email"));
    }
    let role = users::parse_role(role);
    if role.is_none() {
        errors.push(("rolle", "form-error-required"));
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let (txn, _write) = crate::db::begin_write(db).await?;
    match users::create_user(&txn, &email, role, None, now).await {
        Ok((u, Some(pw))) => {
            audit::record(
                &txn,
                now,
                by,
                Entry::new("user.create")
                    .object("user", u.id)
                    .detail(role_name(role)),
            )
            .await?;
            txn.commit().await?;
            Ok(Ok((u, pw)))
        }
        Ok((_, None)) => Err(DbErr::Custom("no one-time password made".into())),
        Err(users::CreateUserError::Exists) => Ok(Err(vec![("epost", "form-error-user-exists")])),
        Err(users::CreateUserError::Db(e)) => Err(e),
        Err(e) => Err(DbErr::Custom(e.to_string())),
    }
}

pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Handler => "handler",
        Role::Manager => "manager",
        Role::Admin => "admin",
    }
}

// ---------- the internal reservation register (norm 4.4.4) ----------

pub async fn search_reservations(
    conn: &impl ConnectionTrait,
    q: &str,
) -> Result<Vec<reservation::Model>, DbErr> {
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let mut find = reservation::Entity::find().order_by_desc(reservation::Column::CreatedAt);
    if let Ok(n) = E164::parse(q) {
        find = find.filter(reservation::Column::E164.eq(n.as_str()));
    } else if !digits.is_empty() {
        find = find.filter(reservation::Column::E164.contains(digits));
    }
    find.limit(200).all(conn).await
}

pub async fn add_reservation(
    db: &DatabaseConnection,
    number: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<bool, FieldErrors>, DbErr> {
    let n = match E164::parse(number) {
        Ok(n) => n,
        Err(e) => return Ok(Err(vec![("nummer", e.message_key())])),
    };
    let (txn, _write) = crate::db::begin_write(db).await?;
    let r = reservations::reserve(&txn, &n, ReservationSource::Staff, now).await?;
    audit::record(&txn, now, by, Entry::new("reservation.add")).await?;
    txn.commit().await?;
    Ok(Ok(r.newly_added))
}

/// Removing a reservation needs a reason, which is kept in the audit log.
pub async fn remove_reservation(
    db: &DatabaseConnection,
    id: i32,
    reason: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<(), FieldErrors>, DbErr> {
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Ok(Err(vec![("grunn", "reservation-error-reason")]));
    }
    let (txn, _write) = crate::db::begin_write(db).await?;
    let gone = reservation::Entity::delete_by_id(id).exec(&txn).await?;
    if gone.rows_affected == 1 {
        // The wash's copy of the register must notice the removal.
        crate::domain::dialer::registers::bump(&txn).await?;
        audit::record(
            &txn,
            now,
            by,
            Entry::new("reservation.remove")
                .object("reservation", id)
                .detail(reason.chars().take(500).collect::<String>()),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Ok(()))
}
