//! Our numbers as open data (norm 4.4.5): every number in use today, and
//! every number retired within the last 12 months with its last campaign, so
//! directory services and "who called?" apps can explain a call from last
//! month too. The same facts Rich Call Data carries: the client's name
//! (`nam`), the call reason (`crn`) and the client's logo (`icn`).
//!
//! The list has a tag (a hash of its content and today's date) and the
//! time that content was first served, for `ETag` / `Last-Modified`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Months, NaiveDate, SubsecRound, Utc};
use entity::{caller_number, campaign, client, open_data_version};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The version of the format documented at `/api/v1/numbers/schema.json`
/// and `/apne-data`. Adding a field raises the minor number; a field never
/// changes meaning or goes away within `v1`.
pub const SCHEMA_VERSION: &str = "1.1";

/// How long a retired number stays in the list after its `valid_to`.
pub const RETIRED_KEPT_MONTHS: u32 = 12;

/// The longest call reason (`call_reason`), in characters.
pub const CALL_REASON_MAX_CHARS: usize = 160;

/// One entry of the open-data list at `/api/v1/numbers`.
#[derive(Clone, Debug, Serialize)]
pub struct OpenNumber {
    pub number: String,
    pub centre: String,
    pub centre_org_number: String,
    pub client: String,
    pub client_org_number: String,
    pub campaign: String,
    pub purpose: String,
    pub kind: &'static str,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// The purpose in one line (Rich Call Data's `crn`).
    pub call_reason: String,
    /// The client's logo, when one is set (Rich Call Data's `icn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_logo_url: Option<String>,
}

/// Whether a number is in use today or retired (the CSV's `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    Retired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Retired => "retired",
        }
    }
}

/// The whole published list.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NumbersList {
    /// Every caller number in use today for an active client.
    pub numbers: Vec<OpenNumber>,
    /// Numbers no longer in use whose `valid_to` passed within the last
    /// [`RETIRED_KEPT_MONTHS`], each with its last campaign.
    pub retired: Vec<OpenNumber>,
}

/// A campaign's purpose in one line: whitespace (line breaks included)
/// collapsed, and cut at a word before [`CALL_REASON_MAX_CHARS`] with "…".
pub fn call_reason(purpose: &str) -> String {
    let one_line = purpose.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= CALL_REASON_MAX_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(CALL_REASON_MAX_CHARS - 1).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if i > CALL_REASON_MAX_CHARS / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end_matches([' ', ',', '.', ';', ':']))
}

fn valid_on(n: &caller_number::Model, d: NaiveDate) -> bool {
    n.valid_from <= d && n.valid_to.is_none_or(|t| t >= d)
}

/// The list as published on `today`, from the whole catalogue: the
/// centre's name and organisation number (empty before they are set), every
/// client and campaign, and every caller-number row ordered by number, then
/// newest period first.
pub fn numbers_list_from(
    centre_name: &str,
    centre_org: &str,
    clients: &[client::Model],
    campaigns: &[campaign::Model],
    rows: &[caller_number::Model],
    today: NaiveDate,
) -> NumbersList {
    let clients: HashMap<i32, &client::Model> = clients.iter().map(|c| (c.id, c)).collect();
    let campaigns: HashMap<i32, &campaign::Model> = campaigns.iter().map(|c| (c.id, c)).collect();
    let entry =
        |n: &caller_number::Model| -> Option<(OpenNumber, &client::Model, &campaign::Model)> {
            let camp = *campaigns.get(&n.campaign_id)?;
            let cl = *clients.get(&camp.client_id)?;
            Some((
                OpenNumber {
                    number: n.e164.clone(),
                    centre: centre_name.to_string(),
                    centre_org_number: centre_org.to_string(),
                    client: cl.name.clone(),
                    client_org_number: cl.org_number.clone(),
                    campaign: camp.name.clone(),
                    purpose: camp.purpose.clone(),
                    kind: camp.kind.as_str(),
                    valid_from: n.valid_from,
                    valid_to: n.valid_to,
                    call_reason: call_reason(&camp.purpose),
                    client_logo_url: cl.logo_url.clone(),
                },
                cl,
                camp,
            ))
        };

    // In use today, for an active client: as listed on `/oppdragsgivere`
    // (by client, then campaign start, then number).
    let mut active: Vec<(String, NaiveDate, i32, OpenNumber)> = rows
        .iter()
        .filter(|n| valid_on(n, today))
        .filter_map(&entry)
        .filter(|(_, cl, _)| cl.active)
        .map(|(o, cl, camp)| (cl.name.clone(), camp.starts_on, camp.id, o))
        .collect();
    active.sort_by(|a, b| (&a.0, a.1, a.2, &a.3.number).cmp(&(&b.0, b.1, b.2, &b.3.number)));
    let in_use: HashSet<&str> = active.iter().map(|a| a.3.number.as_str()).collect();

    // Retired: not in use today, its latest period ended within the last
    // 12 months. The last campaign explains a call from last month.
    let oldest = today
        .checked_sub_months(Months::new(RETIRED_KEPT_MONTHS))
        .unwrap_or(today);
    let mut last: HashMap<&str, &caller_number::Model> = HashMap::new();
    for n in rows {
        let Some(to) = n.valid_to else { continue };
        if to >= today || to < oldest || in_use.contains(n.e164.as_str()) {
            continue;
        }
        let keep = last
            .get(n.e164.as_str())
            .is_none_or(|prev| prev.valid_to < n.valid_to);
        if keep {
            last.insert(n.e164.as_str(), n);
        }
    }
    let mut retired: Vec<OpenNumber> = last
        .values()
        .filter_map(|n| entry(n))
        .map(|(o, _, _)| o)
        .collect();
    retired.sort_by(|a, b| a.number.cmp(&b.number));

    NumbersList {
        numbers: active.into_iter().map(|a| a.3).collect(),
        retired,
    }
}

impl NumbersList {
    /// The tag of this list on `today`: it changes when the catalogue or
    /// the date changes, not from one request to the next.
    pub fn tag(&self, today: NaiveDate) -> String {
        let body = serde_json::to_vec(&(SCHEMA_VERSION, today, self)).unwrap_or_default();
        hex::encode(&Sha256::digest(&body)[..16])
    }

    /// The list as CSV (RFC 4180, comma-separated, UTF-8, a header row):
    /// one row per number, in use first, with a `status` column.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(csv_columns())?;
        let all = self
            .numbers
            .iter()
            .map(|n| (Status::Active, n))
            .chain(self.retired.iter().map(|n| (Status::Retired, n)));
        for (status, n) in all {
            let fields = FIELDS.map(|f| n.csv_value(f));
            w.write_record(
                std::iter::once(status.as_str()).chain(fields.iter().map(|v| v.as_ref())),
            )?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }
}

/// One field of a number in the open data: its name in the JSON, in the
/// CSV header and on `/apne-data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Number,
    Centre,
    CentreOrgNumber,
    Client,
    ClientOrgNumber,
    Campaign,
    CallReason,
    Purpose,
    Kind,
    ValidFrom,
    ValidTo,
    ClientLogoUrl,
}

/// Every field of a number, in the CSV's column order (after `status`):
/// the one list the CSV, the JSON (by [`OpenNumber`]'s field names), the
/// schema and `/apne-data` agree on. The order and the names are a public
/// contract: a field is only ever added, at the end.
pub const FIELDS: [Field; 12] = [
    Field::Number,
    Field::Centre,
    Field::CentreOrgNumber,
    Field::Client,
    Field::ClientOrgNumber,
    Field::Campaign,
    Field::CallReason,
    Field::Purpose,
    Field::Kind,
    Field::ValidFrom,
    Field::ValidTo,
    Field::ClientLogoUrl,
];

impl Field {
    /// The name in the JSON and the CSV header.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Number => "number",
            Field::Centre => "centre",
            Field::CentreOrgNumber => "centre_org_number",
            Field::Client => "client",
            Field::ClientOrgNumber => "client_org_number",
            Field::Campaign => "campaign",
            Field::CallReason => "call_reason",
            Field::Purpose => "purpose",
            Field::Kind => "kind",
            Field::ValidFrom => "valid_from",
            Field::ValidTo => "valid_to",
            Field::ClientLogoUrl => "client_logo_url",
        }
    }
}

/// The names of [`FIELDS`], in order (the fields `/apne-data` documents).
pub fn field_names() -> impl Iterator<Item = &'static str> {
    FIELDS.into_iter().map(Field::name)
}

/// The CSV's columns, in order: `status`, then [`FIELDS`].
pub fn csv_columns() -> impl Iterator<Item = &'static str> {
    std::iter::once("status").chain(field_names())
}

impl OpenNumber {
    /// A field as the CSV writes it: dates as `YYYY-MM-DD`, nothing as an
    /// empty cell.
    pub fn csv_value(&self, field: Field) -> Cow<'_, str> {
        match field {
            Field::Number => Cow::Borrowed(&self.number),
            Field::Centre => Cow::Borrowed(&self.centre),
            Field::CentreOrgNumber => Cow::Borrowed(&self.centre_org_number),
            Field::Client => Cow::Borrowed(&self.client),
            Field::ClientOrgNumber => Cow::Borrowed(&self.client_org_number),
            Field::Campaign => Cow::Borrowed(&self.campaign),
            Field::CallReason => Cow::Borrowed(&self.call_reason),
            Field::Purpose => Cow::Borrowed(&self.purpose),
            Field::Kind => Cow::Borrowed(self.kind),
            Field::ValidFrom => Cow::Owned(self.valid_from.to_string()),
            Field::ValidTo => self
                .valid_to
                .map_or(Cow::Borrowed(""), |d| Cow::Owned(d.to_string())),
            Field::ClientLogoUrl => Cow::Borrowed(self.client_logo_url.as_deref().unwrap_or("")),
        }
    }
}

/// When the list named `name` first had the content tagged `tag`: the time
/// stored with that tag, or `now` (to the second) when the tag is new.
/// Concurrent first requests agree on one time.
pub async fn changed_at(
    db: &DatabaseConnection,
    name: &str,
    tag: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, DbErr> {
    let current = open_data_version::Entity::find_by_id(name.to_string())
        .one(db)
        .await?;
    if let Some(v) = current.filter(|v| v.tag == tag) {
        return Ok(v.changed_at);
    }
    let now = now.trunc_subsecs(0);
    let txn = crate::db::begin_write(db).await?;
    open_data_version::Entity::insert(open_data_version::ActiveModel {
        name: Set(name.to_string()),
        tag: Set(tag.to_string()),
        changed_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(open_data_version::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    open_data_version::Entity::update_many()
        .col_expr(open_data_version::Column::Tag, Expr::value(tag))
        .col_expr(open_data_version::Column::ChangedAt, Expr::value(now))
        .filter(open_data_version::Column::Name.eq(name))
        .filter(open_data_version::Column::Tag.ne(tag))
        .exec(&txn)
        .await?;
    let row = open_data_version::Entity::find_by_id(name.to_string())
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(name.to_string()))?;
    txn.commit().await?;
    Ok(row.changed_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_reason_is_one_line_and_short() {
        assert_eq!(
            call_reason("  Vi ringer\nfor å\r\n takke. "),
            "Vi ringer for å takke."
        );
        let long = "ord ".repeat(100);
        let r = call_reason(&long);
        assert!(r.chars().count() <= CALL_REASON_MAX_CHARS, "{r}");
        assert!(r.ends_with("ord…"), "{r}");
    }

    fn with_everything() -> OpenNumber {
        let d = NaiveDate::from_ymd_opt(2026, 11, 18).unwrap();
        OpenNumber {
            number: "+4721000010".into(),
            centre: "Nordlys Kundedialog AS".into(),
            centre_org_number: "923456781".into(),
            client: "Vestlandsstraum AS".into(),
            client_org_number: "912345678".into(),
            campaign: "Fastpris".into(),
            purpose: "Vi ringer\nom fastpris.".into(),
            kind: "sales",
            valid_from: d,
            valid_to: Some(d),
            call_reason: "Vi ringer om fastpris.".into(),
            client_logo_url: Some("https://vestlandsstraum.example/logo.png".into()),
        }
    }

    #[test]
    fn the_csv_header_is_the_shipped_one() {
        let list = NumbersList {
            numbers: vec![with_everything()],
            retired: vec![],
        };
        let csv = String::from_utf8(list.to_csv().unwrap()).unwrap();
        let header = csv.lines().next().unwrap();
        assert_eq!(
            header,
            "status,number,centre,centre_org_number,client,client_org_number,campaign,\
             call_reason,purpose,kind,valid_from,valid_to,client_logo_url"
        );
        assert_eq!(csv_columns().collect::<Vec<_>>().join(","), header);
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("active,+4721000010,"),
            "{csv}"
        );
    }

    #[test]
    fn the_json_and_the_schema_have_exactly_the_listed_fields() {
        let listed: HashSet<&str> = field_names().collect();
        assert_eq!(listed.len(), FIELDS.len(), "no field twice");
        let json = serde_json::to_value(with_everything()).unwrap();
        let in_json: HashSet<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(in_json, listed);
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../../assets/api/numbers.schema.json"))
                .unwrap();
        let in_schema: HashSet<&str> = schema["$defs"]["number"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(in_schema, listed);
    }
}
