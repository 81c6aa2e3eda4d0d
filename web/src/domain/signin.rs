//! Staff sign-in: password check with slow-down and lockout per account and
//! per client address.

use chrono::{DateTime, Duration, Utc};
use entity::{login_throttle, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
};

use super::users::verify_password;

/// Failures are counted within this window.
pub const WINDOW: Duration = Duration::minutes(15);
/// From this many failures on one account, each further try waits [`SLOW_PAUSE`].
pub const ACCOUNT_SLOW_AFTER: i32 = 3;
/// At this many failures the account is locked for [`LOCK_FOR`].
pub const ACCOUNT_LOCK_AT: i32 = 5;
/// The same for one client address (many accounts tried from one place).
pub const ADDRESS_SLOW_AFTER: i32 = 10;
pub const ADDRESS_LOCK_AT: i32 = 20;
pub const SLOW_PAUSE: Duration = Duration::seconds(30);
pub const LOCK_FOR: Duration = Duration::minutes(15);

#[derive(Debug)]
pub enum SignIn {
    Ok(user::Model),
    /// Wrong address or password (the two are not told apart).
    Wrong,
    /// Too many failures: no try is checked before `until`.
    Locked {
        until: DateTime<Utc>,
    },
}

fn account_key(email: &str) -> String {
    format!("acct:{}", email.trim().to_lowercase())
}

fn address_key(addr: &str) -> String {
    format!("ip:{addr}")
}

async fn locked_until(
    conn: &impl ConnectionTrait,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in(keys.iter().cloned()))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.locked_until)
        .filter(|t| *t > now)
        .max())
}

/// Counts one failure on `key`; returns the lock it now carries, if any.
async fn fail(
    conn: &impl ConnectionTrait,
    key: String,
    slow_after: i32,
    lock_at: i32,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let existing = login_throttle::Entity::find_by_id(key.clone())
        .one(conn)
        .await?;
    let (failures, first) = match &existing {
        Some(r) if now - r.first_failure_at < WINDOW => (r.failures + 1, r.first_failure_at),
        _ => (1, now),
    };
    let lock = if failures >= lock_at {
        Some(now + LOCK_FOR)
    } else if failures >= slow_after {
        Some(now + SLOW_PAUSE)
    } else {
        None
    };
    match existing {
        Some(r) => {
            let mut am = r.into_active_model();
            am.failures = Set(failures);
            am.first_failure_at = Set(first);
            am.locked_until = Set(lock);
            am.update(conn).await?;
        }
        None => {
            login_throttle::ActiveModel {
                key: Set(key),
                failures: Set(failures),
                first_failure_at: Set(first),
                locked_until: Set(lock),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(lock)
}

/// Checks a sign-in attempt from `addr`.
pub async fn sign_in(
    conn: &impl ConnectionTrait,
    email: &str,
    password: &str,
    addr: &str,
    now: DateTime<Utc>,
) -> Result<SignIn, DbErr> {
    let (acct, ip) = (account_key(email), address_key(addr));
    if let Some(until) = locked_until(conn, &[acct.clone(), ip.clone()], now).await? {
        return Ok(SignIn::Locked { until });
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .filter(user::Column::Active.eq(true))
        .one(conn)
        .await?;
    // Verify against a dummy hash for unknown users so timing tells nothing.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0000000000000000000000000000000000000000000";
    let ok = match &found {
        Some(u) => verify_password(password, &u.password_hash),
        None => {
            verify_password(password, DUMMY);
            false
        }
    };
    if ok && let Some(u) = found {
        login_throttle::Entity::delete_by_id(acct)
            .exec(conn)
            .await?;
        return Ok(SignIn::Ok(u));
    }
    let a = fail(conn, acct, ACCOUNT_SLOW_AFTER, ACCOUNT_LOCK_AT, now).await?;
    let b = fail(conn, ip, ADDRESS_SLOW_AFTER, ADDRESS_LOCK_AT, now).await?;
    Ok(match a.max(b) {
        Some(until) => SignIn::Locked { until },
        None => SignIn::Wrong,
    })
}
