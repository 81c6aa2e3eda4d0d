//! The public catalogue of clients, campaigns and caller numbers (norm 4.4.1 a).

pub mod caller_numbers;
pub mod centre;
pub mod lookup;
pub mod memory;
pub mod open_data;
pub mod settings;

pub use open_data::{NumbersList, OpenNumber};

use chrono::NaiveDate;
use entity::{caller_number, campaign, client};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::phone::E164;

#[derive(Clone, Debug)]
pub struct PublicClient {
    pub client: client::Model,
    pub campaigns: Vec<PublicCampaign>,
}

#[derive(Clone, Debug)]
pub struct PublicCampaign {
    pub campaign: campaign::Model,
    pub numbers: Vec<E164>,
}

fn valid_on(n: &caller_number::Model, d: NaiveDate) -> bool {
    n.valid_from <= d && n.valid_to.is_none_or(|t| t >= d)
}

/// Every active client with its campaigns and the numbers each calls from
/// (numbers in use now or planned).
pub async fn public_clients(
    conn: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<Vec<PublicClient>, DbErr> {
    let clients = client::Entity::find()
        .filter(client::Column::Active.eq(true))
        .order_by_asc(client::Column::Name)
        .all(conn)
        .await?;
    let ids: Vec<i32> = clients.iter().map(|c| c.id).collect();
    let campaigns = campaign::Entity::find()
        .filter(campaign::Column::ClientId.is_in(ids))
        .order_by_asc(campaign::Column::StartsOn)
        .all(conn)
        .await?;
    let camp_ids: Vec<i32> = campaigns.iter().map(|c| c.id).collect();
    let numbers = caller_number::Entity::find()
        .filter(caller_number::Column::CampaignId.is_in(camp_ids))
        .order_by_asc(caller_number::Column::E164)
        .all(conn)
        .await?;
    Ok(public_clients_from(clients, &campaigns, &numbers, today))
}

/// The public view of `clients` (already filtered and ordered): each with
/// its campaigns (in the order given) and their numbers in use or planned on
/// `today` (in the order given).
pub fn public_clients_from(
    clients: Vec<client::Model>,
    campaigns: &[campaign::Model],
    numbers: &[caller_number::Model],
    today: NaiveDate,
) -> Vec<PublicClient> {
    clients
        .into_iter()
        .map(|cl| PublicClient {
            campaigns: campaigns
                .iter()
                .filter(|c| c.client_id == cl.id)
                .map(|c| PublicCampaign {
                    campaign: c.clone(),
                    numbers: numbers
                        .iter()
                        .filter(|n| {
                            n.campaign_id == c.id && (valid_on(n, today) || n.valid_from > today)
                        })
                        .map(|n| E164::from_stored(n.e164.clone()))
                        .collect(),
                })
                .collect(),
            client: cl,
        })
        .collect()
}
