//! The centre's own details, shown on every page and required in every
//! answering-machine message (norm 4.4.1, 4.4.2 a and c).

use entity::centre;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

/// The centre as the public sees it. Before an admin fills in the details,
/// a neutral placeholder keeps the site usable.
#[derive(Clone, Debug)]
pub struct CentreInfo {
    pub name: String,
    pub org_number: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub postal_address: String,
    pub configured: bool,
}

pub async fn get(conn: &impl ConnectionTrait) -> Result<CentreInfo, DbErr> {
    Ok(match centre::Entity::find().one(conn).await? {
        Some(c) => CentreInfo {
            name: c.name,
            org_number: c.org_number,
            contact_phone: c.contact_phone,
            contact_email: c.contact_email,
            postal_address: c.postal_address,
            configured: true,
        },
        None => CentreInfo {
            name: "Kontaktsenteret".into(),
            org_number: String::new(),
            contact_phone: String::new(),
            contact_email: String::new(),
            postal_address: String::new(),
            configured: false,
        },
    })
}
