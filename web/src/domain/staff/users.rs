//! Staff users and their passwords (argon2id), and the changes that end a
//! user's sessions: password reset, password change, deactivation (norm 7).
//!
//! argon2 is slow on purpose (tens of milliseconds of a whole core), so it
//! never runs on the async workers: every hash and check goes to the blocking
//! pool, at most one per core at a time, and the rest wait their turn without
//! holding a worker. `/healthz` and the queue stay fast while many sign in.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use entity::enums::Role;
use entity::{session, user};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use tokio::sync::Semaphore;

use crate::domain::email::EmailAddress;
use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::{Error, FieldErrors};

/// How many argon2 computations run at once in this process: one per core.
static ARGON2_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    )
});

/// Runs `f` (argon2 work) on the blocking pool once a slot is free.
async fn off_workers<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _slot = ARGON2_SLOTS
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("argon2 slots closed: {e}"))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| anyhow::anyhow!("argon2 task failed: {e}"))
}

/// The argon2id hash of `password` (PHC string), on the blocking pool.
pub async fn hash_password(password: &str) -> anyhow::Result<String> {
    let password = password.to_string();
    off_workers(move || hash_password_now(&password)).await?
}

/// Whether `password` matches `stored`, on the blocking pool.
pub async fn verify_password(password: &str, stored: &str) -> anyhow::Result<bool> {
    let (password, stored) = (password.to_string(), stored.to_string());
    off_workers(move || verify_password_now(&password, &stored)).await
}

/// Hashes on the calling thread: only for code already off the async
/// workers (and unit tests).
pub fn hash_password_now(password: &str) -> anyhow::Result<String> {
    let h: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    Ok(h.to_string())
}

/// Verifies on the calling thread: only for code already off the async
/// workers (and unit tests).
pub fn verify_password_now(password: &str, stored: &str) -> bool {
    let Ok(h) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &h)
        .is_ok()
}

/// Password checks made at sign-in, counted so a test (or an operator) can
/// see how many guesses were actually tried against a hash.
#[derive(Clone, Debug, Default)]
pub struct PasswordChecks(Arc<AtomicU64>);

impl PasswordChecks {
    /// Verifies `password` against `stored` off the async workers, and counts it.
    pub async fn verify(&self, password: &str, stored: &str) -> anyhow::Result<bool> {
        self.0.fetch_add(1, Ordering::SeqCst);
        verify_password(password, stored).await
    }
    /// How many checks were made so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A random password for first sign-in, easy to type: 4 groups of 4.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `admin`, `manager` or `handler`.
pub fn parse_role(s: &str) -> Option<Role> {
    s.parse().ok()
}

/// A role as the forms and the audit log name it.
pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Handler => "handler",
        Role::Manager => "manager",
        Role::Admin => "admin",
    }
}

/// Every staff user, by e-mail address.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(conn)
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user with that e-mail address exists already")]
    Exists,
    #[error("passwords must be at least 12 characters")]
    WeakPassword,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<CreateUserError> for Error {
    fn from(e: CreateUserError) -> Self {
        match e {
            CreateUserError::Exists => Error::invalid("epost", "form-error-user-exists"),
            CreateUserError::WeakPassword => Error::invalid("passord", "password-error-short"),
            CreateUserError::Db(e) => e.into(),
            CreateUserError::Other(e) => Error::Internal(e),
        }
    }
}

/// Creates a staff user (the command line, the first admin, tests). Without
/// a password, a one-time password is made, returned once, and must be
/// changed at first sign-in. Admins add staff with [`add_staff`].
pub async fn create_user(
    conn: &impl ConnectionTrait,
    email: &EmailAddress,
    role: Role,
    password: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(user::Model, Option<String>), CreateUserError> {
    if exists(conn, email).await? {
        return Err(CreateUserError::Exists);
    }
    let (pw, one_time) = match password {
        Some(p) if p.chars().count() < 12 => return Err(CreateUserError::WeakPassword),
        Some(p) => (p.to_string(), None),
        None => {
            let p = one_time_password();
            (p.clone(), Some(p))
        }
    };
    let hash = hash_password(&pw).await?;
    let u = insert_user(conn, email, role, hash, one_time.is_some(), now).await?;
    Ok((u, one_time))
}

async fn exists(conn: &impl ConnectionTrait, email: &EmailAddress) -> Result<bool, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str().to_lowercase()))
        .count(conn)
        .await?
        > 0)
}

/// The one place a user row is made.
async fn insert_user(
    conn: &impl ConnectionTrait,
    email: &EmailAddress,
    role: Role,
    password_hash: String,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        email: Set(email.as_str().to_lowercase()),
        password_hash: Set(password_hash),
        role: Set(role),
        active: Set(true),
        must_change_password: Set(must_change_password),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// An admin adds a staff member from the form (`epost`, `rolle` as typed):
/// the user gets a one-time password, returned once, and the addition is
/// audited in the same transaction.
pub async fn add_staff(
    db: &DatabaseConnection,
    email: &str,
    role: &str,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(user::Model, String), Error> {
    let mut errors = FieldErrors::default();
    let email = EmailAddress::parse(email).ok();
    if email.is_none() {
        errors.push("epost", "form-error-email");
    }
    let role = parse_role(role);
    if role.is_none() {
        errors.push("rolle", "form-error-required");
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    // Hash before the write transaction: argon2 must not hold the write lock.
    let pw = one_time_password();
    let hash = hash_password(&pw).await?;
    let txn = crate::db::begin_write(db).await?;
    if exists(&txn, &email).await? {
        return Err(CreateUserError::Exists.into());
    }
    let u = insert_user(&txn, &email, role, hash, true, now).await?;
    audit::record(
        &txn,
        now,
        by,
        Entry::new("user.create")
            .object("user", u.id)
            .detail(role_name(role)),
    )
    .await?;
    txn.commit().await?;
    Ok((u, pw))
}

pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    user::Entity::find().count(conn).await
}

/// Ends every session of user `id` (the session store keeps its owner).
pub async fn end_sessions(conn: &impl ConnectionTrait, id: i32) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(conn)
        .await?
        .rows_affected)
}

pub enum UserChange {
    Deactivate,
    Activate,
    /// A new one-time password, which must be changed at the next sign-in.
    ResetPassword,
}

/// Deactivates, reactivates or resets the password of user `id`; returns
/// the new one-time password for a reset. Deactivation and a reset end all
/// the user's sessions in the same transaction, so reactivation finds none
/// to bring back and the old password's sessions cannot choose the new one.
/// An admin cannot change their own access (refused); an unknown id is not
/// found.
pub async fn change_user(
    db: &DatabaseConnection,
    id: i32,
    what: UserChange,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    if by.id == Some(id) && !matches!(what, UserChange::ResetPassword) {
        // An admin cannot lock themselves out.
        return Err(Error::Refused("users-error-own-access"));
    }
    // Hash before the write transaction: argon2 must not hold the write lock.
    let one_time = match what {
        UserChange::ResetPassword => {
            let pw = one_time_password();
            let hash = hash_password(&pw).await?;
            Some((pw, hash))
        }
        _ => None,
    };
    let txn = crate::db::begin_write(db).await?;
    let u = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let mut am = u.into_active_model();
    let (action, pw) = match (what, one_time) {
        (UserChange::Deactivate, _) => {
            am.active = Set(false);
            ("user.deactivate", None)
        }
        (UserChange::Activate, _) => {
            am.active = Set(true);
            ("user.activate", None)
        }
        (UserChange::ResetPassword, Some((pw, hash))) => {
            am.password_hash = Set(hash);
            am.must_change_password = Set(true);
            ("user.reset_password", Some(pw))
        }
        (UserChange::ResetPassword, None) => {
            return Err(Error::internal("no one-time password made"));
        }
    };
    am.update(&txn).await?;
    let ended = if action == "user.activate" {
        0
    } else {
        end_sessions(&txn, id).await?
    };
    let mut entry = Entry::new(action).object("user", id);
    if ended > 0 {
        entry = entry.detail(format!("sessions_ended={ended}"));
    }
    audit::record(&txn, now, by, entry).await?;
    txn.commit().await?;
    Ok(pw)
}

/// The e-mail address of user `id`.
pub async fn email_of(conn: &impl ConnectionTrait, id: i32) -> Result<String, Error> {
    Ok(user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .email)
}

/// Sets a user's own new password, given the current (or one-time) one.
/// Every session of the user ends; the caller renews its own session's id
/// so the changer stays signed in on a fresh session.
pub async fn change_own_password(
    db: &DatabaseConnection,
    u: &user::Model,
    current: &str,
    new: &str,
    repeat: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if new.chars().count() < 12 {
        return Err(Error::invalid("passord", "password-error-short"));
    }
    if new != repeat {
        return Err(Error::invalid("gjenta", "password-error-mismatch"));
    }
    if !verify_password(current, &u.password_hash).await? {
        return Err(Error::invalid(
            "navarende_passord",
            "password-error-current",
        ));
    }
    if new == current {
        return Err(Error::invalid("passord", "password-error-same"));
    }
    let hash = hash_password(new).await?;
    let txn = crate::db::begin_write(db).await?;
    // The hash the current password was checked against must still be the
    // stored one: two changes at once cannot both win.
    let fresh = user::Entity::find_by_id(u.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if fresh.password_hash != u.password_hash || !fresh.active {
        return Err(Error::invalid(
            "navarende_passord",
            "password-error-current",
        ));
    }
    let mut am = fresh.into_active_model();
    am.password_hash = Set(hash);
    am.must_change_password = Set(false);
    am.update(&txn).await?;
    let ended = end_sessions(&txn, u.id).await?;
    let actor = Actor {
        id: Some(u.id),
        email: Some(u.email.clone()),
    };
    audit::record(
        &txn,
        now,
        &actor,
        Entry::new("user.password")
            .object("user", u.id)
            .detail(format!("sessions_ended={ended}")),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hash_verifies_only_the_right_password() {
        let h = hash_password_now("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password_now("correct horse battery", &h));
        assert!(!verify_password_now("wrong horse battery", &h));
    }

    #[tokio::test]
    async fn hashing_and_checking_run_off_the_async_workers() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(verify_password("correct horse battery", &h).await.unwrap());
        let checks = PasswordChecks::default();
        assert!(!checks.verify("wrong horse battery", &h).await.unwrap());
        assert_eq!(checks.count(), 1);
    }

    #[test]
    fn one_time_passwords_differ() {
        assert_ne!(one_time_password(), one_time_password());
        assert_eq!(one_time_password().len(), 19);
    }
}
