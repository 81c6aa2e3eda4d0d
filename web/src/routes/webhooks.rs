//! Provider webhooks: Twilio voice and SMS on the visible numbers, and
//! inbound e-mail. Verify first (signature on the raw bytes, or the bearer
//! secret), then deduplicate, then act (`domain::inbound`).

use askama::Template;
use axum::Json;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::domain::catalogue::centre::{self, CentreInfo};
use crate::domain::inbound::deliveries::{self, Handled};
use crate::domain::inbound::mail::{self, MailError};
use crate::domain::inbound::{self, NewVoicemail, SmsOutcome};
use crate::domain::phone::E164;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

/// The voice webhook's own path, where the menu sends a caller back.
const VOICE: &str = "/webhooks/twilio/voice";

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

#[derive(Template)]
#[template(path = "twiml/greeting.xml")]
struct Greeting<'a> {
    greeting: &'a str,
    menu: String,
    goodbye: String,
    menu_url: &'a str,
}

#[derive(Template)]
#[template(path = "twiml/record.xml")]
struct Record {
    notice: String,
    nothing: String,
    recording_url: &'static str,
    transcription_url: &'static str,
}

#[derive(Template)]
#[template(path = "twiml/say.xml")]
struct Say {
    text: String,
}

#[derive(Template)]
#[template(path = "twiml/redirect.xml")]
struct Redirect {
    url: &'static str,
}

#[derive(Template)]
#[template(path = "twiml/message.xml")]
struct Message {
    text: Option<String>,
}

/// A webhook that fails inside answers the caller with an apology in TwiML,
/// never an error page; the cause is logged. A post Twilio would never make
/// (no id, unreadable form) is refused with a 400 and nothing stored.
fn twiml(result: Result<String, AppError>) -> Response {
    match result {
        Ok(body) => xml(body),
        Err(AppError::BadRequest(why)) => {
            tracing::warn!(why, "Twilio webhook refused");
            (StatusCode::BAD_REQUEST, why).into_response()
        }
        Err(e) => {
            let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
            tracing::error!(error_id = %id, error = ?e, "Twilio webhook failed");
            let apology = Say {
                text: Lang::Nb.t("voice-apology"),
            }
            .render()
            .unwrap_or_else(|_| "<Response/>".into());
            xml(apology)
        }
    }
}

fn render(t: impl Template) -> Result<String, AppError> {
    t.render()
        .map_err(|e| AppError::internal(anyhow::anyhow!("TwiML template: {e}")))
}

#[derive(Deserialize)]
struct Call {
    #[serde(rename = "To", default)]
    to: String,
    #[serde(rename = "From", default)]
    from: String,
    #[serde(rename = "CallSid", default)]
    call_sid: String,
    #[serde(rename = "Digits", default)]
    digits: String,
}

fn number(s: &str) -> Option<E164> {
    E164::parse(s).ok()
}

fn general_message(c: &CentreInfo) -> String {
    Lang::Nb.ta(
        "voice-general",
        &[
            ("centre", c.name.clone()),
            ("phone", c.contact_phone.clone()),
            ("email", c.contact_email.clone()),
        ],
    )
}

fn form<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("unreadable form"))
}

/// Twilio names what every webhook is about (`CallSid`, `MessageSid`,
/// `RecordingSid`); deliveries are deduplicated under it, so a post without
/// one is refused rather than filed under an empty key.
fn require(sid: &str, missing: &'static str) -> Result<(), AppError> {
    if sid.trim().is_empty() {
        Err(AppError::BadRequest(missing))
    } else {
        Ok(())
    }
}

async fn greeting_twiml(s: &AppState, to: &str) -> Result<String, AppError> {
    let c = centre::get(&s.db).await?;
    let greeting = inbound::greeting(
        &s.db,
        number(to).as_ref(),
        &c,
        s.clock.now(),
        general_message,
    )
    .await?;
    render(Greeting {
        greeting: &greeting,
        menu: Lang::Nb.t("voice-menu"),
        goodbye: Lang::Nb.t("voice-goodbye"),
        menu_url: "/webhooks/twilio/voice/meny",
    })
}

/// norm 4.4.2: the dialled number's answering-machine message, then the menu.
pub async fn voice(State(s): State<AppState>, body: Bytes) -> Response {
    let r = async {
        let call: Call = form(&body)?;
        require(&call.call_sid, "CallSid missing")?;
        greeting_twiml(&s, &call.to).await
    };
    twiml(r.await)
}

/// The keypad: 1 leave a message, 2 reserve (norm 4.4.4), 3 hear it again.
pub async fn menu(State(s): State<AppState>, body: Bytes) -> Response {
    let r = async {
        let call: Call = form(&body)?;
        require(&call.call_sid, "CallSid missing")?;
        match call.digits.trim() {
            "1" => render(Record {
                // norm 8.2.1: told what is recorded, why, and for how long.
                notice: Lang::Nb.t("voice-record-notice"),
                nothing: Lang::Nb.t("voice-record-nothing"),
                recording_url: "/webhooks/twilio/voice/recording",
                transcription_url: "/webhooks/twilio/voice/transcription",
            }),
            "2" => {
                let Some(from) = number(&call.from) else {
                    return render(Say {
                        text: Lang::Nb.t("voice-reserve-no-number"),
                    });
                };
                let reply = render(Say {
                    text: Lang::Nb.t("voice-reserved"),
                })?;
                let handled = deliveries::keypad_reservation(
                    &s.db,
                    &call.call_sid,
                    &from,
                    &reply,
                    s.clock.now(),
                )
                .await?;
                if let Handled::New(..) = handled {
                    tracing::info!("reservation by keypad");
                }
                Ok(handled.reply().to_string())
            }
            _ => render(Redirect { url: VOICE }),
        }
    };
    twiml(r.await)
}

#[derive(Deserialize)]
struct RecordingDone {
    #[serde(rename = "RecordingSid", default)]
    recording_sid: String,
    #[serde(rename = "RecordingUrl", default)]
    recording_url: String,
    #[serde(rename = "RecordingDuration", default)]
    duration: String,
    #[serde(rename = "From", default)]
    from: String,
    #[serde(rename = "To", default)]
    to: String,
}

/// `<Record>` calls back here: a voicemail case, due 24 hours after the call.
pub async fn recording(State(s): State<AppState>, body: Bytes) -> Response {
    let r = async {
        let rec: RecordingDone = form(&body)?;
        require(&rec.recording_sid, "RecordingSid missing")?;
        // It goes into REST URLs later (play, delete): Twilio's format only.
        if !crate::twilio_ids::is_recording_sid(&rec.recording_sid) {
            return Err(AppError::BadRequest(
                "RecordingSid is not a Twilio recording id",
            ));
        }
        let reply = render(Say {
            text: Lang::Nb.t("voice-thanks"),
        })?;
        let handled = deliveries::voicemail(
            &s.db,
            &s.config.case_reference_prefix,
            NewVoicemail {
                from: number(&rec.from),
                to: number(&rec.to),
                recording_sid: rec.recording_sid.clone(),
                recording_url: rec.recording_url,
                duration_secs: rec.duration.trim().parse().unwrap_or(0),
            },
            &reply,
            s.clock.now(),
        )
        .await?;
        if let Handled::New(c, _) = &handled {
            tracing::info!(case = %c.reference, "voicemail case opened");
        }
        Ok(handled.reply().to_string())
    };
    twiml(r.await)
}

#[derive(Deserialize)]
struct Transcribed {
    #[serde(rename = "RecordingSid", default)]
    recording_sid: String,
    #[serde(rename = "TranscriptionSid", default)]
    transcription_sid: String,
    #[serde(rename = "TranscriptionText", default)]
    text: String,
}

pub async fn transcription(State(s): State<AppState>, body: Bytes) -> Response {
    let r = async {
        let t: Transcribed = form(&body)?;
        require(&t.recording_sid, "RecordingSid missing")?;
        require(&t.transcription_sid, "TranscriptionSid missing")?;
        let reply = render(Message { text: None })?;
        let handled = deliveries::transcription(
            &s.db,
            &t.recording_sid,
            &t.transcription_sid,
            &t.text,
            &reply,
            s.clock.now(),
        )
        .await?;
        Ok(handled.reply().to_string())
    };
    twiml(r.await)
}

#[derive(Deserialize)]
struct Sms {
    #[serde(rename = "From", default)]
    from: String,
    #[serde(rename = "To", default)]
    to: String,
    #[serde(rename = "Body", default)]
    body: String,
    #[serde(rename = "MessageSid", default)]
    message_sid: String,
}

/// A stop word reserves and is confirmed; other text becomes (or joins) a case.
pub async fn sms(State(s): State<AppState>, body: Bytes) -> Response {
    let r = async {
        let m: Sms = form(&body)?;
        require(&m.message_sid, "MessageSid missing")?;
        let Some(from) = number(&m.from) else {
            return render(Message { text: None });
        };
        let reply = |outcome: &SmsOutcome| {
            let text = match outcome {
                SmsOutcome::Reserved => Some(Lang::Nb.t("sms-reserved")),
                SmsOutcome::NewCase(r) => {
                    Some(Lang::Nb.ta("sms-received", &[("reference", r.clone())]))
                }
                SmsOutcome::AddedTo(_) => None,
            };
            Message { text }
                .render()
                .map_err(crate::domain::Error::internal)
        };
        let handled = deliveries::sms(
            &s.db,
            &s.config.case_reference_prefix,
            &from,
            number(&m.to),
            m.body.trim(),
            &m.message_sid,
            s.clock.now(),
            reply,
        )
        .await?;
        if let Handled::New(outcome, _) = &handled {
            let kind = match outcome {
                SmsOutcome::Reserved => "reserved",
                SmsOutcome::NewCase(_) => "new_case",
                SmsOutcome::AddedTo(_) => "added_to_case",
            };
            tracing::info!(outcome = kind, "inbound SMS filed");
        }
        Ok(handled.reply().to_string())
    };
    twiml(r.await)
}

fn bearer_ok(headers: &HeaderMap, secret: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| {
            t.len() == secret.len() && bool::from(t.as_bytes().ct_eq(secret.as_bytes()))
        })
}

/// `POST /webhooks/email`: a raw RFC 822 message, bearer `INBOUND_EMAIL_TOKEN`.
pub async fn email(State(s): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Some(secret) = &s.config.inbound_email_token else {
        return (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({"error": "inbound e-mail is not configured"})),
        )
            .into_response();
    };
    if !bearer_ok(&headers, secret) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"error": "missing or wrong bearer token"})),
        )
            .into_response();
    }
    let Ok(body) = to_bytes(body, mail::MAX_MAIL_BYTES).await else {
        return mail_error(MailError::TooLarge(mail::MAX_MAIL_BYTES));
    };
    match mail::ingest(&s.db, &s.config.case_reference_prefix, &body, s.clock.now()).await {
        Ok(o) => Json(o.to_json()).into_response(),
        Err(e) => mail_error(e),
    }
}

fn mail_error(e: MailError) -> Response {
    let status = match &e {
        MailError::TooLarge(_) | MailError::AttachmentTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        MailError::Unreadable | MailError::NoSender => StatusCode::BAD_REQUEST,
        MailError::Db(_) => {
            return AppError::internal(anyhow::anyhow!(e)).into_json_response();
        }
    };
    (status, Json(serde_json::json!({"error": e.to_string()}))).into_response()
}

#[derive(Deserialize)]
struct SmsStatus {
    #[serde(rename = "MessageSid", default)]
    message_sid: String,
    #[serde(rename = "MessageStatus", default)]
    message_status: String,
    #[serde(rename = "ErrorCode", default)]
    error_code: String,
}

/// `POST /webhooks/twilio/sms/status`: Twilio's delivery report on an SMS
/// answer (the `StatusCallback` given on the send). Signed like every Twilio
/// webhook; each (SID, status) is applied once, so a replay changes nothing.
/// A report on an SID we do not know yet (it outran the send's record) is
/// kept and applied when the outbox records the send.
pub async fn sms_status(State(s): State<AppState>, body: Bytes) -> Response {
    let r: Result<&'static str, AppError> = async {
        let st: SmsStatus = form(&body)?;
        if st.message_sid.is_empty() || st.message_status.is_empty() {
            return Err(AppError::BadRequest("MessageSid or MessageStatus missing"));
        }
        let report = deliveries::sms_status(
            &s.db,
            &st.message_sid,
            &st.message_status,
            &st.error_code,
            s.clock.now(),
        )
        .await?;
        Ok(report.as_str())
    }
    .await;
    match r {
        Ok(outcome) => {
            tracing::info!(outcome, "SMS status report");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(AppError::BadRequest(why)) => (StatusCode::BAD_REQUEST, why).into_response(),
        Err(e) => e.into_json_response(),
    }
}
