//! Staff users and their passwords (argon2id).

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use entity::enums::Role;
use entity::user;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

use super::email::EmailAddress;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let h: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    Ok(h.to_string())
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(h) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &h)
        .is_ok()
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

pub fn parse_role(s: &str) -> Option<Role> {
    match s {
        "admin" => Some(Role::Admin),
        "manager" => Some(Role::Manager),
        "handler" => Some(Role::Handler),
        _ => None,
    }
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

/// Creates a staff user. Without a password, a one-time password is made,
/// returned once, and must be changed at first sign-in.
pub async fn create_user(
    conn: &impl ConnectionTrait,
    email: &EmailAddress,
    role: Role,
    password: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(user::Model, Option<String>), CreateUserError> {
    let exists = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str().to_lowercase()))
        .count(conn)
        .await?;
    if exists > 0 {
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
    let u = user::ActiveModel {
        email: Set(email.as_str().to_lowercase()),
        password_hash: Set(hash_password(&pw)?),
        role: Set(role),
        active: Set(true),
        must_change_password: Set(one_time.is_some()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok((u, one_time))
}

pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    user::Entity::find().count(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hash_verifies_only_the_right_password() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
    }

    #[test]
    fn one_time_passwords_differ() {
        assert_ne!(one_time_password(), one_time_password());
        assert_eq!(one_time_password().len(), 19);
    }
}
