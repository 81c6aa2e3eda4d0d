//! "Who called me?" (norm 4.4.5): from a number to the centre, client and
//! purpose. The public lookup itself answers from the catalogue in memory
//! (`memory::Snapshot::who_called`); the case intake asks the database here.

use chrono::NaiveDate;
use entity::{caller_number, campaign};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

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
