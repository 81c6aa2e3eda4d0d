//! A receipt for every wash (norm 10): a small signed JSON document that
//! shows an auditor which register versions a list was washed against and
//! when: `{"receipt": {...}, "key_id": "...", "signature": "..."}`, the
//! signature an HMAC-SHA256 (hex) over the receipt's canonical JSON (keys
//! sorted, no whitespace: `serde_json::Value` maps are ordered by key, as
//! the crate's `preserve_order` feature is off in this build; a test pins it).
//!
//! The key: `RECEIPT_SIGNING_KEY` when set, else one generated at first use
//! and kept in the database. Every key is kept by its id, so receipts signed
//! before a new key was set still verify.

use chrono::{DateTime, Utc};
use entity::{api_token, campaign, receipt_key, user, wash_run};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The id of a key: the first 8 bytes of its SHA-256, hex (the key itself
/// cannot be learnt from it).
pub fn key_id(secret: &[u8]) -> String {
    let h = Sha256::digest([b"innsyn-receipt-key:".as_slice(), secret].concat());
    hex::encode(&h[..8])
}

/// The canonical form of a receipt: keys sorted, no whitespace.
pub fn canonical(receipt: &Value) -> String {
    receipt.to_string()
}

pub fn sign(receipt: &Value, secret: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(canonical(receipt).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The key that signs now: (id, secret). Stores the configured key under
/// its id (so it verifies later, after a new one is set), or generates one.
pub async fn signing_key(
    db: &DatabaseConnection,
    configured: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(String, Vec<u8>), DbErr> {
    let (secret, source) = match configured {
        Some(k) => (k.as_bytes().to_vec(), "env"),
        None => {
            let existing = receipt_key::Entity::find()
                .filter(receipt_key::Column::Source.eq("generated"))
                .order_by_asc(receipt_key::Column::CreatedAt)
                .one(db)
                .await?;
            match existing.and_then(|k| hex::decode(k.secret).ok()) {
                Some(s) => return Ok((key_id(&s), s)),
                None => (rand::random::<[u8; 32]>().to_vec(), "generated"),
            }
        }
    };
    let id = key_id(&secret);
    let txn = crate::db::begin_write(db).await?;
    receipt_key::Entity::insert(receipt_key::ActiveModel {
        id: Set(id.clone()),
        secret: Set(hex::encode(&secret)),
        source: Set(source.into()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(receipt_key::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    if source == "generated" {
        // Two first uses at once: the oldest generated key wins.
        return Box::pin(signing_key(db, None, now)).await;
    }
    Ok((id, secret))
}

/// The receipt of wash run `id`, unsigned; None for an unknown run.
pub async fn receipt(conn: &impl ConnectionTrait, id: i32) -> Result<Option<Value>, DbErr> {
    let Some(r) = wash_run::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let camp = match r.campaign_id {
        Some(c) => campaign::Entity::find_by_id(c).one(conn).await?,
        None => None,
    };
    let by = match (r.token_id, r.user_id) {
        (Some(t), _) => api_token::Entity::find_by_id(t)
            .one(conn)
            .await?
            .map(|t| json!({"api_token": t.name})),
        (None, Some(u)) => user::Entity::find_by_id(u)
            .one(conn)
            .await?
            .map(|u| json!({"user": u.email})),
        _ => None,
    };
    let national = r.national.clone().unwrap_or_else(|| "not-recorded".into());
    Ok(Some(json!({
        "wash_run": r.id,
        "washed_at": r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "campaign": camp.as_ref().map(|c| json!({"code": c.code, "name": c.name, "kind": format!("{:?}", c.kind)})),
        "washed_by": by,
        "numbers_in": r.count_in,
        "numbers_callable": r.count_callable,
        "registers": {
            "internal": {"applied": true, "version": r.register_version, "reserved": r.reserved_internal},
            "client": {"applied": r.campaign_id.is_some(), "version": r.campaign_id.and(r.register_version), "reserved": r.reserved_client},
            "national": {
                "use": national,
                "extract_date": r.national_extract_date.map(|d| d.to_string()),
                "sha256": r.national_checksum,
                "reserved": r.reserved_national,
            },
        },
    })))
}

/// The signed receipt of run `id`.
pub async fn signed(
    db: &DatabaseConnection,
    id: i32,
    configured: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Value>, DbErr> {
    let Some(r) = receipt(db, id).await? else {
        return Ok(None);
    };
    let (key_id, secret) = signing_key(db, configured, now).await?;
    let signature = sign(&r, &secret);
    Ok(Some(
        json!({"receipt": r, "key_id": key_id, "signature": signature}),
    ))
}

/// What checking a receipt found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    Valid {
        key_id: String,
    },
    /// Not `{"receipt", "key_id", "signature"}`.
    Malformed,
    UnknownKey(String),
    BadSignature,
}

/// Checks a downloaded receipt (its bytes as a file).
pub async fn verify(conn: &impl ConnectionTrait, doc: &[u8]) -> Result<Verified, DbErr> {
    let Ok(v) = serde_json::from_slice::<Value>(doc) else {
        return Ok(Verified::Malformed);
    };
    let (Some(r), Some(Value::String(id)), Some(Value::String(sig))) =
        (v.get("receipt"), v.get("key_id"), v.get("signature"))
    else {
        return Ok(Verified::Malformed);
    };
    let Some(k) = receipt_key::Entity::find_by_id(id.clone())
        .one(conn)
        .await?
    else {
        return Ok(Verified::UnknownKey(id.clone()));
    };
    let (Ok(secret), Ok(sig)) = (hex::decode(&k.secret), hex::decode(sig)) else {
        return Ok(Verified::BadSignature);
    };
    let mut mac = HmacSha256::new_from_slice(&secret).expect("HMAC takes any key length");
    mac.update(canonical(r).as_bytes());
    // Constant-time comparison.
    Ok(if mac.verify_slice(&sig).is_ok() {
        Verified::Valid { key_id: id.clone() }
    } else {
        Verified::BadSignature
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_form_sorts_keys_and_has_no_whitespace() {
        let v: Value =
            serde_json::from_str(r#"{ "b": 1, "a": {"z": [1, 2], "y": null} }"#).unwrap();
        assert_eq!(canonical(&v), r#"{"a":{"y":null,"z":[1,2]},"b":1}"#);
    }

    #[test]
    fn a_signature_changes_with_any_byte_of_the_receipt() {
        let a = json!({"numbers_in": 10, "x": "a"});
        let b = json!({"numbers_in": 11, "x": "a"});
        assert_ne!(sign(&a, b"k"), sign(&b, b"k"));
        assert_eq!(sign(&a, b"k"), sign(&a, b"k"));
        assert_ne!(sign(&a, b"k"), sign(&a, b"l"));
    }
}
