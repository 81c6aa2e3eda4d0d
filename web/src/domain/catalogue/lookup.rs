//! "Who called me?" (norm 4.4.5): from a number to the centre, client and
//! purpose. The public lookup itself answers from the catalogue in memory
//! (`memory::Snapshot::who_called`); the case intake asks the database here.

use chrono::NaiveDate;
use entity::{caller_number, campaign};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::phone::{E164, PhoneError, key_to_e164, parse_common_norwegian};

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

/// A number as typed into the lookup: the fast path for the common
/// Norwegian forms (which agrees exactly with the full parser, see
/// `phone::parse_common_norwegian`), else the full parser. The answer is
/// the same as [`E164::parse`]'s, in a fraction of the time: this is the
/// public page under the most load.
pub fn parse_typed_number(input: &str) -> Result<E164, PhoneError> {
    match parse_common_norwegian(input) {
        Some(Ok(key)) => Ok(E164::from_stored(key_to_e164(key))),
        Some(Err(e)) => Err(e),
        None => E164::parse(input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_number_parser_agrees_with_the_full_one() {
        for s in [
            "21000010",
            " 21 00 00 10 ",
            "+4721000010",
            "004721000010",
            "+47 21 00 00 10",
            "0047 21000010",
            "12345",
            "99887766",
            "91234567",
            "47474747",
            "",
            "abc",
            "+46 8 123 456 78",
            "21  000010",
            "01234567",
        ] {
            assert_eq!(parse_typed_number(s), E164::parse(s), "{s:?}");
        }
    }
}
