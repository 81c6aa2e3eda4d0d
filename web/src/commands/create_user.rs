//! `innsyn create-user`: a staff user; prints a one-time password when none
//! is given.

use chrono::Utc;
use innsyn::config::Config;
use innsyn::domain::{email::EmailAddress, staff::users};

pub async fn run(
    config: Config,
    email: String,
    role: String,
    password: Option<String>,
) -> anyhow::Result<()> {
    let db = super::ready_db(&config).await?;
    let email = EmailAddress::parse(&email)
        .map_err(|_| anyhow::anyhow!("--email: not an e-mail address"))?;
    let role = users::parse_role(&role)
        .ok_or_else(|| anyhow::anyhow!("--role: admin, manager or handler"))?;
    let (u, pw) = users::create_user(&db, &email, role, password.as_deref(), Utc::now()).await?;
    match pw {
        Some(pw) => println!("created {} ({role:?}); one-time password: {pw}", u.email),
        None => println!("created {} ({role:?})", u.email),
    }
    Ok(())
}
