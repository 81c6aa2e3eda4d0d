//! Each provider delivery (a Twilio webhook) handled once, in one write
//! transaction: claimed under the provider's id ([`super::claim`]), acted
//! on, and its answer kept ([`super::answer`]), so a retried delivery gets
//! the first answer again and changes nothing. The answers (TwiML) are
//! drawn by the caller; the services keep them.

use chrono::{DateTime, Utc};
use entity::case;
use sea_orm::DatabaseConnection;

use super::{NewVoicemail, SmsOutcome, claim};
use crate::db::WriteTxn;
use crate::domain::Error;
use crate::domain::cases::delivery::{self, ReportOutcome};
use crate::domain::phone::E164;

/// What became of a delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Handled<T> {
    /// Seen before: the answer given then.
    Repeat(String),
    /// Acted on now: what was done, and the answer given.
    New(T, String),
}

impl<T> Handled<T> {
    /// The answer to give.
    pub fn reply(&self) -> &str {
        match self {
            Handled::Repeat(r) | Handled::New(_, r) => r,
        }
    }
}

/// A delivery claimed in a new write transaction.
enum Claimed {
    /// Handled before (nothing changed): the answer given then.
    Before(String),
    /// This call owns it: the transaction to act in.
    Mine(WriteTxn),
}

async fn begin(db: &DatabaseConnection, key: &str, now: DateTime<Utc>) -> Result<Claimed, Error> {
    let txn = crate::db::begin_write(db).await?;
    match claim(&txn, key, now).await? {
        Some(previous) => {
            txn.rollback().await?;
            Ok(Claimed::Before(previous))
        }
        None => Ok(Claimed::Mine(txn)),
    }
}

/// Keeps `reply` as the answer to `key` and commits.
async fn finish(txn: WriteTxn, key: &str, reply: &str) -> Result<(), Error> {
    super::answer(&txn, key, reply).await?;
    txn.commit().await?;
    Ok(())
}

/// Keypad 2 on call `call_sid` (norm 4.4.4): the caller's number `from` is
/// reserved; true when it was not reserved before.
pub async fn keypad_reservation(
    db: &DatabaseConnection,
    call_sid: &str,
    from: &E164,
    reply: &str,
    now: DateTime<Utc>,
) -> Result<Handled<bool>, Error> {
    let key = format!("keypad:{call_sid}");
    let txn = match begin(db, &key, now).await? {
        Claimed::Before(previous) => return Ok(Handled::Repeat(previous)),
        Claimed::Mine(txn) => txn,
    };
    let added = super::reserve_caller(&txn, from, now).await?;
    finish(txn, &key, reply).await?;
    Ok(Handled::New(added, reply.to_string()))
}

/// A finished recording becomes a voicemail case (norm 4.4.3).
pub async fn voicemail(
    db: &DatabaseConnection,
    prefix: &str,
    v: NewVoicemail,
    reply: &str,
    now: DateTime<Utc>,
) -> Result<Handled<case::Model>, Error> {
    let key = format!("rec:{}", v.recording_sid);
    let txn = match begin(db, &key, now).await? {
        Claimed::Before(previous) => return Ok(Handled::Repeat(previous)),
        Claimed::Mine(txn) => txn,
    };
    let c = super::voicemail(&txn, prefix, v, now).await?;
    finish(txn, &key, reply).await?;
    Ok(Handled::New(c, reply.to_string()))
}

/// Twilio's transcription `transcription_sid` of recording `recording_sid`
/// joins the recording's case (an empty text is only acknowledged).
pub async fn transcription(
    db: &DatabaseConnection,
    recording_sid: &str,
    transcription_sid: &str,
    text: &str,
    reply: &str,
    now: DateTime<Utc>,
) -> Result<Handled<()>, Error> {
    let key = format!("tr:{recording_sid}:{transcription_sid}");
    let txn = match begin(db, &key, now).await? {
        Claimed::Before(previous) => return Ok(Handled::Repeat(previous)),
        Claimed::Mine(txn) => txn,
    };
    if !text.trim().is_empty() {
        super::transcription(&txn, recording_sid, text.trim(), now).await?;
    }
    finish(txn, &key, reply).await?;
    Ok(Handled::New((), reply.to_string()))
}

/// An inbound SMS `message_sid` (see [`super::inbound_sms`]); the answer is
/// drawn by `reply` from what was done.
#[allow(clippy::too_many_arguments)]
pub async fn sms(
    db: &DatabaseConnection,
    prefix: &str,
    from: &E164,
    to: Option<E164>,
    body: &str,
    message_sid: &str,
    now: DateTime<Utc>,
    reply: impl FnOnce(&SmsOutcome) -> Result<String, Error>,
) -> Result<Handled<SmsOutcome>, Error> {
    let key = format!("sms:{message_sid}");
    let txn = match begin(db, &key, now).await? {
        Claimed::Before(previous) => return Ok(Handled::Repeat(previous)),
        Claimed::Mine(txn) => txn,
    };
    let outcome = super::inbound_sms(&txn, prefix, from, to, body, message_sid, now).await?;
    let out = reply(&outcome)?;
    finish(txn, &key, &out).await?;
    Ok(Handled::New(outcome, out))
}

/// What a delivery report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusReport {
    Applied,
    Duplicate,
    /// On an SID not recorded yet (the callback outran the send's record):
    /// kept, and applied when the send is recorded.
    Kept,
    /// A status that changes nothing: not recorded, so a later retry still
    /// counts.
    Ignored,
}

impl StatusReport {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusReport::Applied => "applied",
            StatusReport::Duplicate => "duplicate",
            StatusReport::Kept => "kept",
            StatusReport::Ignored => "ignored",
        }
    }
}

/// Twilio's delivery report `status` on SMS answer `message_sid`; each
/// (message, status) is applied once.
pub async fn sms_status(
    db: &DatabaseConnection,
    message_sid: &str,
    status: &str,
    error_code: &str,
    now: DateTime<Utc>,
) -> Result<StatusReport, Error> {
    if delivery::reported(status).is_none() {
        return Ok(StatusReport::Ignored);
    }
    let key = format!("sms-status:{message_sid}:{status}");
    let txn = match begin(db, &key, now).await? {
        Claimed::Before(_) => return Ok(StatusReport::Duplicate),
        Claimed::Mine(txn) => txn,
    };
    delivery::serialise_sid(&txn, message_sid).await?;
    match delivery::report(&txn, message_sid, status, Some(error_code)).await? {
        ReportOutcome::Applied => {
            finish(txn, &key, "applied").await?;
            Ok(StatusReport::Applied)
        }
        ReportOutcome::Unknown => {
            // The callback outran the recording of the send: kept, and
            // applied by the outbox when it records the SID.
            finish(txn, &key, &format!("{}{error_code}", delivery::KEPT)).await?;
            Ok(StatusReport::Kept)
        }
        ReportOutcome::Ignored => {
            txn.rollback().await?;
            Ok(StatusReport::Ignored)
        }
    }
}
