//! Staff sign-in (norm 7): the password check, and the limits that slow
//! guessing without letting anyone lock a staff member out.
//!
//! Three counters, each a row in `login_throttle`, each taken *before* the
//! password is checked by one atomic upsert (`failures = failures + 1`,
//! refused while the row is locked), so parallel guesses cannot slip past:
//!
//! - the pair (account, client address): 3 tries, then one per 30 seconds,
//!   and from the 5th the pair is locked for 15 minutes. Only that address
//!   is held back: a wrong password typed elsewhere never blocks the owner.
//! - the client address across accounts (spraying many accounts from one
//!   place): 10 tries, then slowed; locked at 20.
//! - the account across unknown addresses (a distributed attack): 20 tries
//!   from addresses that have never signed in to it, then slowed; locked at
//!   40. An address that has signed in to the account before skips it.
//!
//! A successful sign-in clears its pair and gives back what it took from the
//! other two. Typed e-mail addresses are never stored: counters and the
//! audit log carry a keyed hash (HMAC-SHA256 under the installation's own
//! secret), and an attempt on a staff account names the account by its id.

use chrono::{DateTime, Duration, Utc};
use entity::{login_throttle, signin_key, signin_known_address, user};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use sha2::Sha256;

use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::staff::users::PasswordChecks;

/// Failures are counted within this window.
pub const WINDOW: Duration = Duration::minutes(15);
pub const SLOW_PAUSE: Duration = Duration::seconds(30);
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// An address that signed in to an account is known to it this long.
pub const KNOWN_FOR: Duration = Duration::days(90);

/// When a counter slows tries down (one per [`SLOW_PAUSE`]) and when it
/// locks them out for [`LOCK_FOR`].
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub slow_after: i32,
    pub lock_at: i32,
}

/// One account from one client address.
pub const PAIR: Limit = Limit {
    slow_after: 3,
    lock_at: 5,
};
/// One client address, across accounts.
pub const ADDRESS: Limit = Limit {
    slow_after: 10,
    lock_at: 20,
};
/// One account, across addresses that have never signed in to it.
pub const ACCOUNT: Limit = Limit {
    slow_after: 20,
    lock_at: 40,
};

impl Limit {
    fn lock_after(self, tries: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if tries >= self.lock_at {
            Some(now + LOCK_FOR)
        } else if tries >= self.slow_after {
            Some(now + SLOW_PAUSE)
        } else {
            None
        }
    }
}

/// Who a failed attempt was aimed at, without the typed address.
#[derive(Clone, Debug)]
pub struct Attempted {
    /// The staff account, when the typed address is one.
    pub user_id: Option<i32>,
    /// A keyed hash of the typed address: the same address gives the same
    /// value, so repeated attempts can be told apart from many.
    pub pseudonym: String,
}

#[derive(Debug)]
pub enum SignIn {
    Ok(user::Model),
    /// Wrong address or password (the two are not told apart).
    Wrong(Attempted),
    /// Too many failures: no try is checked before `until`.
    Locked {
        until: DateTime<Utc>,
        attempted: Attempted,
    },
}

/// The installation's secret for keyed hashes, made at first use.
async fn secret(conn: &impl ConnectionTrait) -> Result<Vec<u8>, DbErr> {
    if let Some(k) = signin_key::Entity::find_by_id(1).one(conn).await? {
        return Ok(k.secret.into_bytes());
    }
    let fresh: [u8; 32] = rand::rng().random();
    signin_key::Entity::insert(signin_key::ActiveModel {
        id: Set(1),
        secret: Set(hex::encode(fresh)),
    })
    .on_conflict(
        OnConflict::column(signin_key::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    // Another process may have won the race: use whatever is stored.
    signin_key::Entity::find_by_id(1)
        .one(conn)
        .await?
        .map(|k| k.secret.into_bytes())
        .ok_or_else(|| DbErr::Custom("no sign-in key".into()))
}

fn keyed(secret: &[u8], parts: &[&str]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    for p in parts {
        mac.update(p.as_bytes());
        mac.update(&[0]);
    }
    hex::encode(&mac.finalize().into_bytes()[..16])
}

enum Admission {
    /// The try may be checked; `lock` is what the counter carries now.
    Admitted { lock: Option<DateTime<Utc>> },
    /// Not checked: the counter is locked until then.
    Blocked { until: DateTime<Utc> },
}

/// Takes one try from counter `key` in one statement: insert, or add one
/// (starting again after [`WINDOW`]) unless the counter is locked now.
async fn admit(
    conn: &impl ConnectionTrait,
    key: &str,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<Admission, DbErr> {
    use login_throttle::Column as C;
    let t = login_throttle::Entity;
    let stale = Expr::col((t, C::FirstFailureAt)).lte(now - WINDOW);
    let tries: Expr = Expr::case(stale.clone(), 1)
        .finally(Expr::col((t, C::Failures)).add(1))
        .into();
    let first: Expr = Expr::case(stale, now)
        .finally(Expr::col((t, C::FirstFailureAt)))
        .into();
    let lock: Expr = Expr::case(tries.clone().gte(limit.lock_at), now + LOCK_FOR)
        .case(tries.clone().gte(limit.slow_after), now + SLOW_PAUSE)
        .finally(Expr::val(None::<DateTime<Utc>>))
        .into();
    let open = Expr::col((t, C::LockedUntil))
        .is_null()
        .or(Expr::col((t, C::LockedUntil)).lte(now));
    let stmt = Query::insert()
        .into_table(t)
        .columns([C::Key, C::Failures, C::FirstFailureAt, C::LockedUntil])
        .values_panic([
            key.into(),
            1.into(),
            now.into(),
            limit.lock_after(1, now).into(),
        ])
        .on_conflict(
            OnConflict::column(C::Key)
                .value(C::Failures, tries)
                .value(C::FirstFailureAt, first)
                .value(C::LockedUntil, lock)
                .action_and_where(open)
                .to_owned(),
        )
        .returning(Query::returning().columns([C::LockedUntil]))
        .to_owned();
    if let Some(row) = conn.query_one(&stmt).await? {
        let lock: Option<DateTime<Utc>> = row.try_get("", "locked_until")?;
        return Ok(Admission::Admitted { lock });
    }
    let until = login_throttle::Entity::find_by_id(key.to_string())
        .one(conn)
        .await?
        .and_then(|r| r.locked_until)
        .filter(|t| *t > now)
        .unwrap_or(now + Duration::seconds(1));
    Ok(Admission::Blocked { until })
}

/// Gives back a try taken by [`admit`] (a sign-in that succeeded, or was
/// stopped by another counter), lifting a slow-down it no longer earns.
async fn refund(conn: &impl ConnectionTrait, key: &str, limit: Limit) -> Result<(), DbErr> {
    use login_throttle::Column as C;
    let left = Expr::col(C::Failures).sub(1);
    let lock: Expr = Expr::case(
        left.clone().lt(limit.slow_after),
        Expr::val(None::<DateTime<Utc>>),
    )
    .finally(Expr::col(C::LockedUntil))
    .into();
    let stmt = Query::update()
        .table(login_throttle::Entity)
        .value(C::Failures, left)
        .value(C::LockedUntil, lock)
        .and_where(Expr::col(C::Key).eq(key))
        .and_where(Expr::col(C::Failures).gt(0))
        .to_owned();
    conn.execute(&stmt).await?;
    Ok(())
}

async fn is_known(
    conn: &impl ConnectionTrait,
    pair_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(
        signin_known_address::Entity::find_by_id(pair_hash.to_string())
            .filter(signin_known_address::Column::LastSignedInAt.gt(now - KNOWN_FOR))
            .one(conn)
            .await?
            .is_some(),
    )
}

async fn remember(
    conn: &impl ConnectionTrait,
    pair_hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use signin_known_address::Column as C;
    signin_known_address::Entity::insert(signin_known_address::ActiveModel {
        pair_hash: Set(pair_hash),
        last_signed_in_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(C::PairHash)
            .update_column(C::LastSignedInAt)
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    // Forget addresses not seen for a long time.
    signin_known_address::Entity::delete_many()
        .filter(C::LastSignedInAt.lt(now - KNOWN_FOR))
        .exec(conn)
        .await?;
    Ok(())
}

/// Verified against for unknown addresses, so timing tells nothing.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0000000000000000000000000000000000000000000";

/// Checks a sign-in attempt from client address `addr`, and audits it:
/// `auth.signin`, or `auth.failed` / `auth.locked` without the typed address.
pub async fn sign_in(
    conn: &impl ConnectionTrait,
    checks: &PasswordChecks,
    email: &str,
    password: &str,
    addr: &str,
    now: DateTime<Utc>,
) -> Result<SignIn, DbErr> {
    let email = email.trim().to_lowercase();
    let secret = secret(conn).await?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .filter(user::Column::Active.eq(true))
        .one(conn)
        .await?;
    let attempted = Attempted {
        user_id: found.as_ref().map(|u| u.id),
        pseudonym: keyed(&secret, &["account", &email]),
    };
    let known_hash = keyed(&secret, &["known", &email, addr]);
    let mut counters = vec![
        (
            format!("pair:{}", keyed(&secret, &["pair", &email, addr])),
            PAIR,
        ),
        (format!("ip:{addr}"), ADDRESS),
    ];
    if !is_known(conn, &known_hash, now).await? {
        counters.push((format!("acct:{}", attempted.pseudonym), ACCOUNT));
    }
    let mut taken: Vec<&(String, Limit)> = Vec::new();
    let mut lock = None;
    for c in &counters {
        match admit(conn, &c.0, c.1, now).await? {
            Admission::Admitted { lock: l } => {
                taken.push(c);
                lock = Ord::max(lock, l);
            }
            Admission::Blocked { until } => {
                for (key, limit) in taken {
                    refund(conn, key, *limit).await?;
                }
                record_failure(conn, now, &attempted, "auth.locked").await?;
                return Ok(SignIn::Locked { until, attempted });
            }
        }
    }
    let hash = found.as_ref().map_or(DUMMY, |u| u.password_hash.as_str());
    let ok = checks
        .verify(password, hash)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    match found {
        Some(u) if ok => {
            for (i, (key, limit)) in taken.into_iter().enumerate() {
                if i == 0 {
                    // The pair starts clean after a success.
                    login_throttle::Entity::delete_by_id(key.clone())
                        .exec(conn)
                        .await?;
                } else {
                    refund(conn, key, *limit).await?;
                }
            }
            remember(conn, known_hash, now).await?;
            audit::record(conn, now, &actor_of(&u), Entry::new("auth.signin")).await?;
            Ok(SignIn::Ok(u))
        }
        _ => Ok(match lock {
            Some(until) => {
                record_failure(conn, now, &attempted, "auth.locked").await?;
                SignIn::Locked { until, attempted }
            }
            None => {
                record_failure(conn, now, &attempted, "auth.failed").await?;
                SignIn::Wrong(attempted)
            }
        }),
    }
}

fn actor_of(u: &user::Model) -> Actor {
    Actor {
        id: Some(u.id),
        email: Some(u.email.clone()),
    }
}

/// Audits a sign-out by `u`.
pub async fn sign_out(
    conn: &impl ConnectionTrait,
    u: &user::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit::record(conn, now, &actor_of(u), Entry::new("auth.signout")).await
}

/// Audits a failed or refused attempt (`auth.failed`, `auth.locked`)
/// without the typed address.
async fn record_failure(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    attempted: &Attempted,
    action: &str,
) -> Result<(), DbErr> {
    let mut entry = Entry::new(action).detail(format!("account={}", attempted.pseudonym));
    if let Some(id) = attempted.user_id {
        entry = entry.object("user", id);
    }
    audit::record(conn, now, &Actor::default(), entry).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_the_secret_and_every_part() {
        let a = keyed(b"one", &["account", "kari@example.no"]);
        assert_eq!(a, keyed(b"one", &["account", "kari@example.no"]));
        assert_ne!(a, keyed(b"two", &["account", "kari@example.no"]));
        assert_ne!(a, keyed(b"one", &["account", "ola@example.no"]));
        // Parts are separated: ("ab", "c") is not ("a", "bc").
        assert_ne!(keyed(b"k", &["ab", "c"]), keyed(b"k", &["a", "bc"]));
        assert!(!a.contains("kari"));
    }

    #[test]
    fn a_pair_is_slowed_after_three_tries_and_locked_at_five() {
        let now = Utc::now();
        assert_eq!(PAIR.lock_after(2, now), None);
        assert_eq!(PAIR.lock_after(3, now), Some(now + SLOW_PAUSE));
        assert_eq!(PAIR.lock_after(5, now), Some(now + LOCK_FOR));
    }
}
