//! Campaigns as the dialer names them: by their unique code (the figures of
//! norm 4.3 and the limit of norm 4.6.2 are per campaign).

use entity::campaign;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

pub async fn by_code(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .filter(campaign::Column::Code.eq(code))
        .one(conn)
        .await
}
