//! The visible numbers the centre calls from and what their answering
//! machines say (norm 4.4.2).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{caller_number, campaign, client};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryOrder, Set, TryIntoModel,
};

use crate::domain::catalogue::centre::{self, CentreInfo};
use crate::domain::phone::E164;
use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::{Error, FieldErrors};

/// A fact the answering-machine message must give (norm 4.4.2 a-c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingFact {
    /// (a) which call centre called.
    CentreName,
    /// (b) on behalf of which client.
    ClientName,
    /// (c) a phone number or e-mail address of the centre.
    Contact,
}

impl MissingFact {
    pub fn message_key(self) -> &'static str {
        match self {
            MissingFact::CentreName => "number-error-missing-centre",
            MissingFact::ClientName => "number-error-missing-client",
            MissingFact::Contact => "number-error-missing-contact",
        }
    }
}

/// Whether the message names a contact number of the centre, however it is
/// written ("22 33 44 55", "+47 22334455").
fn mentions_number(message: &str, phone: &str) -> bool {
    let Ok(want) = E164::parse(phone) else {
        return false;
    };
    // Runs of digits, spaces and + in the message, each tried as a number.
    let mut run = String::new();
    let mut runs = Vec::new();
    for ch in message.chars().chain(std::iter::once('.')) {
        if ch.is_ascii_digit() || ch == '+' || (ch == ' ' && !run.is_empty()) {
            run.push(ch);
        } else if !run.trim().is_empty() {
            runs.push(std::mem::take(&mut run));
        } else {
            run.clear();
        }
    }
    runs.iter()
        .any(|r| E164::parse(r.trim()).is_ok_and(|n| n == want))
}

/// What a message lacks of norm 4.4.2's three facts; empty when complete.
pub fn missing_facts(message: &str, centre: &CentreInfo, clients: &[String]) -> Vec<MissingFact> {
    let lower = message.to_lowercase();
    let mut missing = Vec::new();
    if centre.name.trim().is_empty() || !lower.contains(&centre.name.trim().to_lowercase()) {
        missing.push(MissingFact::CentreName);
    }
    if clients.is_empty()
        || !clients
            .iter()
            .all(|c| lower.contains(&c.trim().to_lowercase()))
    {
        missing.push(MissingFact::ClientName);
    }
    let email_ok = !centre.contact_email.trim().is_empty()
        && lower.contains(&centre.contact_email.trim().to_lowercase());
    let phone_ok =
        !centre.contact_phone.trim().is_empty() && mentions_number(message, &centre.contact_phone);
    if !email_ok && !phone_ok {
        missing.push(MissingFact::Contact);
    }
    missing
}

/// Norwegian mobile numbers (4xx xx xxx, 9xx xx xxx) may not be used as
/// caller id by a call centre (the telecom regulator's numbering rules).
pub fn is_norwegian_mobile(n: &E164) -> bool {
    let s = n.as_str();
    s.len() == 11 && (s.starts_with("+474") || s.starts_with("+479"))
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NumberInput {
    #[serde(default)]
    pub nummer: String,
    #[serde(default)]
    pub kampanje: String,
    #[serde(default)]
    pub gyldig_fra: String,
    #[serde(default)]
    pub gyldig_til: String,
    #[serde(default)]
    pub melding: String,
}

pub struct ValidNumber {
    pub e164: E164,
    pub campaign_id: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub message: String,
}

fn date(s: &str) -> Option<NaiveDate> {
    crate::domain::time::parse_date(s)
}

/// Checks the form against the norm's rules (the three facts of norm
/// 4.4.2 in the message, no mobile number, a known campaign, dates in order).
pub async fn validate(
    conn: &impl ConnectionTrait,
    input: &NumberInput,
    centre: &CentreInfo,
) -> Result<ValidNumber, Error> {
    let mut errors = FieldErrors::default();
    let e164 = match E164::parse(&input.nummer) {
        Ok(n) if is_norwegian_mobile(&n) => {
            errors.push("nummer", "number-error-mobile");
            None
        }
        Ok(n) => Some(n),
        Err(e) => {
            errors.push("nummer", e.message_key());
            None
        }
    };
    let camp = match input.kampanje.parse::<i32>() {
        Ok(id) => {
            campaign::Entity::find_by_id(id)
                .find_also_related(client::Entity)
                .one(conn)
                .await?
        }
        Err(_) => None,
    };
    if camp.is_none() {
        errors.push("kampanje", "number-error-campaign");
    }
    let valid_from = date(&input.gyldig_fra);
    if valid_from.is_none() {
        errors.push("gyldig_fra", "number-error-date");
    }
    let valid_to = if input.gyldig_til.trim().is_empty() {
        None
    } else {
        match date(&input.gyldig_til) {
            Some(d) if valid_from.is_some_and(|f| d < f) => {
                errors.push("gyldig_til", "number-error-date-order");
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push("gyldig_til", "number-error-date");
                None
            }
        }
    };
    let clients: Vec<String> = camp
        .as_ref()
        .and_then(|(_, cl)| cl.as_ref().map(|c| c.name.clone()))
        .into_iter()
        .collect();
    let message = input.melding.trim().to_string();
    if message.is_empty() {
        errors.push("melding", "number-error-message-empty");
    } else if let Some(first) = missing_facts(&message, centre, &clients).first() {
        // One field, one message: the first missing fact (all are listed on the page).
        errors.push("melding", first.message_key());
    }
    errors.into_result()?;
    match (e164, camp, valid_from) {
        (Some(e164), Some((camp, _)), Some(valid_from)) => Ok(ValidNumber {
            e164,
            campaign_id: camp.id,
            valid_from,
            valid_to,
            message,
        }),
        _ => Err(Error::invalid("nummer", "number-error-campaign")),
    }
}

/// Every fact the form's message lacks, as translation keys (for the list
/// shown above the editor).
pub async fn missing_for_form(
    conn: &impl ConnectionTrait,
    input: &NumberInput,
) -> Result<Vec<&'static str>, DbErr> {
    if input.melding.trim().is_empty() {
        return Ok(vec![]);
    }
    let centre = centre::get(conn).await?;
    let clients = clients_of(conn, &input.kampanje).await?;
    Ok(missing_facts(&input.melding, &centre, &clients)
        .into_iter()
        .map(MissingFact::message_key)
        .collect())
}

async fn clients_of(conn: &impl ConnectionTrait, campaign_id: &str) -> Result<Vec<String>, DbErr> {
    let Ok(id) = campaign_id.parse::<i32>() else {
        return Ok(vec![]);
    };
    Ok(campaign::Entity::find_by_id(id)
        .find_also_related(client::Entity)
        .one(conn)
        .await?
        .and_then(|(_, cl)| cl.map(|c| c.name))
        .into_iter()
        .collect())
}

/// Creates a caller number (`id` None) or updates number `id` from the
/// form, checked by [`validate`] against the centre's details; audited in
/// the same transaction. An unknown id is not found.
pub async fn save(
    db: &DatabaseConnection,
    id: Option<i32>,
    input: &NumberInput,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<caller_number::Model, Error> {
    if let Some(id) = id {
        caller_number::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::NotFound)?;
    }
    let centre = centre::get(db).await?;
    let valid = validate(db, input, &centre).await?;
    let txn = crate::db::begin_write(db).await?;
    let saved = write(&txn, id, valid, now).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("settings.number").object("caller_number", saved.id),
    )
    .await?;
    super::memory::bump(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn write(
    conn: &impl ConnectionTrait,
    id: Option<i32>,
    v: ValidNumber,
    now: DateTime<Utc>,
) -> Result<caller_number::Model, Error> {
    let mut am = match id {
        Some(id) => {
            let old = caller_number::Entity::find_by_id(id)
                .one(conn)
                .await?
                .ok_or(Error::NotFound)?;
            // The public client document lists its numbers.
            enqueue_client_of_campaign(conn, old.campaign_id).await?;
            old.into_active_model()
        }
        None => caller_number::ActiveModel {
            created_at: Set(now),
            ..Default::default()
        },
    };
    am.e164 = Set(v.e164.into_string());
    am.campaign_id = Set(v.campaign_id);
    am.valid_from = Set(v.valid_from);
    am.valid_to = Set(v.valid_to);
    am.message = Set(v.message);
    let saved = am.save(conn).await?.try_into_model()?;
    enqueue_client_of_campaign(conn, saved.campaign_id).await?;
    Ok(saved)
}

async fn enqueue_client_of_campaign(
    conn: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<(), DbErr> {
    if let Some(c) = entity::campaign::Entity::find_by_id(campaign_id)
        .one(conn)
        .await?
    {
        crate::domain::search::enqueue(conn, crate::domain::search::Doc::Client(c.client_id))
            .await?;
    }
    Ok(())
}

pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<caller_number::Model>, DbErr> {
    caller_number::Entity::find()
        .order_by_asc(caller_number::Column::E164)
        .all(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn centre() -> CentreInfo {
        CentreInfo {
            name: "Nordlys Kundedialog AS".into(),
            org_number: String::new(),
            contact_phone: "+4722334455".into(),
            contact_email: "kundeservice@nordlys.example".into(),
            postal_address: String::new(),
            configured: true,
        }
    }

    #[test]
    fn norm_4_4_2_contact_by_phone_in_any_written_form_counts() {
        let clients = vec!["Vestlandsstraum AS".to_string()];
        for m in [
            "Nordlys Kundedialog AS ringte for Vestlandsstraum AS. Ring 22 33 44 55.",
            "Nordlys Kundedialog AS ringte for Vestlandsstraum AS. Ring +47 22334455.",
        ] {
            assert!(missing_facts(m, &centre(), &clients).is_empty(), "{m}");
        }
        let m = "Nordlys Kundedialog AS ringte for Vestlandsstraum AS. Ring 22 33 44 56.";
        assert_eq!(
            missing_facts(m, &centre(), &clients),
            vec![MissingFact::Contact]
        );
    }

    #[test]
    fn norwegian_mobiles_are_recognised() {
        assert!(is_norwegian_mobile(&E164::parse("912 34 567").unwrap()));
        assert!(is_norwegian_mobile(&E164::parse("412 34 567").unwrap()));
        assert!(!is_norwegian_mobile(&E164::parse("22 33 44 55").unwrap()));
    }
}
