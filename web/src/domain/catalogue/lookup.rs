//! "Who called me?" (norm 4.4.5): from a number to the centre, client and purpose.

use chrono::NaiveDate;
use entity::{caller_number, campaign, client};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};

use crate::domain::phone::E164;

/// The ids behind one of our numbers.
#[derive(Clone, Debug)]
pub struct OurNumber {
    pub caller_number_id: i32,
    pub campaign_id: i32,
    pub client_id: i32,
}

/// What the consumer is told about one of our numbers.
#[derive(Clone, Debug)]
pub struct CallerInfo {
    pub number: E164,
    pub client_name: String,
    pub client_website: Option<String>,
    pub campaign_name: String,
    pub purpose: String,
    pub kind: entity::enums::CampaignKind,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub number_valid_from: NaiveDate,
    pub number_valid_to: Option<NaiveDate>,
}

/// The caller-number row that best explains a call from `n`: the one valid
/// `today`, else the most recent one (a number used last month still
/// has to be explained).
async fn best_row(
    conn: &impl ConnectionTrait,
    n: &E164,
    today: Option<NaiveDate>,
) -> Result<Option<caller_number::Model>, DbErr> {
    let rows = caller_number::Entity::find()
        .filter(caller_number::Column::E164.eq(n.as_str()))
        .order_by_desc(caller_number::Column::ValidFrom)
        .all(conn)
        .await?;
    let valid_today = today.and_then(|d| {
        rows.iter()
            .find(|r| r.valid_from <= d && r.valid_to.is_none_or(|t| t >= d))
            .cloned()
    });
    Ok(valid_today.or_else(|| rows.into_iter().next()))
}

pub async fn caller_number_for(
    conn: &impl ConnectionTrait,
    n: &E164,
) -> Result<Option<OurNumber>, DbErr> {
    let Some(row) = best_row(conn, n, None).await? else {
        return Ok(None);
    };
    let Some(camp) = campaign::Entity::find_by_id(row.campaign_id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(OurNumber {
        caller_number_id: row.id,
        campaign_id: camp.id,
        client_id: camp.client_id,
    }))
}

/// One caller-number row with its campaign and client, as the lookup reads it.
#[derive(Debug, FromQueryResult)]
struct LookupRow {
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    client_name: String,
    client_website: Option<String>,
    campaign_name: String,
    purpose: String,
    kind: entity::enums::CampaignKind,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
}

/// Norm 4.4.5: at all times the consumer can learn what the call was about
/// and on behalf of which client. One query (the number's rows joined with
/// their campaign and client): this is the public page under the most load.
pub async fn who_called(
    conn: &impl ConnectionTrait,
    n: &E164,
    today: NaiveDate,
) -> Result<Option<CallerInfo>, DbErr> {
    let rows = caller_number::Entity::find()
        .select_only()
        .column(caller_number::Column::ValidFrom)
        .column(caller_number::Column::ValidTo)
        .column_as(client::Column::Name, "client_name")
        .column_as(client::Column::Website, "client_website")
        .column_as(campaign::Column::Name, "campaign_name")
        .column(campaign::Column::Purpose)
        .column(campaign::Column::Kind)
        .column(campaign::Column::StartsOn)
        .column(campaign::Column::EndsOn)
        .join(JoinType::InnerJoin, caller_number::Relation::Campaign.def())
        .join(JoinType::InnerJoin, campaign::Relation::Client.def())
        .filter(caller_number::Column::E164.eq(n.as_str()))
        .order_by_desc(caller_number::Column::ValidFrom)
        .into_model::<LookupRow>()
        .all(conn)
        .await?;
    // The row valid today, else the most recent one (as `best_row`).
    let pick = rows
        .iter()
        .position(|r| r.valid_from <= today && r.valid_to.is_none_or(|t| t >= today))
        .unwrap_or(0);
    let Some(r) = rows.into_iter().nth(pick) else {
        return Ok(None);
    };
    Ok(Some(CallerInfo {
        number: n.clone(),
        client_name: r.client_name,
        client_website: r.client_website,
        campaign_name: r.campaign_name,
        purpose: r.purpose,
        kind: r.kind,
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        number_valid_from: r.valid_from,
        number_valid_to: r.valid_to,
    }))
}
