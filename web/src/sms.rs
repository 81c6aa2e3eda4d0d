//! Twilio's REST API for outbound SMS, spoken directly (the `twilio` crate
//! hard-codes the address and pulls in OpenSSL): a form-encoded POST with
//! basic auth to `{TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/Messages.json`.

use std::time::Duration;

use serde::Deserialize;

/// What the client needs from the configuration (`config` builds it).
pub struct TwilioSettings<'a> {
    /// `TWILIO_API_BASE`.
    pub api_base: &'a str,
    /// The account SID and auth token, when set.
    pub account: Option<(&'a str, &'a str)>,
    /// `TWILIO_SMS_FROM`.
    pub sms_from: Option<&'a str>,
    /// The site's address, for the delivery-report callback.
    pub public_base_url: &'a str,
}

#[derive(Clone)]
pub struct Twilio {
    http: reqwest::Client,
    base: String,
    account: Option<(String, String)>,
    from: Option<String>,
    /// Where Twilio reports delivered / undelivered (signed like every webhook).
    status_callback: String,
}

/// The path Twilio posts delivery reports to.
pub const STATUS_CALLBACK_PATH: &str = "/webhooks/twilio/sms/status";

/// Why an SMS was not sent, with Twilio's own code when it gave one.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SmsError {
    #[error("SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM)")]
    NotConfigured,
    #[error("Twilio refused the message: {code} {message}")]
    Refused { code: i64, message: String },
    #[error("Twilio could not be reached: {0}")]
    Unreachable(String),
}

impl SmsError {
    /// Twilio said no: sending the same message again will not help.
    pub fn is_permanent(&self) -> bool {
        match self {
            SmsError::Refused { code, .. } => !(*code == 429 || (500..600).contains(code)),
            SmsError::NotConfigured | SmsError::Unreachable(_) => false,
        }
    }
}

#[derive(Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

impl Twilio {
    pub fn new(settings: TwilioSettings<'_>) -> anyhow::Result<Twilio> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Twilio {
            http,
            base: settings.api_base.to_string(),
            account: settings
                .account
                .map(|(sid, token)| (sid.to_string(), token.to_string())),
            from: settings.sms_from.map(str::to_string),
            status_callback: format!(
                "{}{STATUS_CALLBACK_PATH}",
                settings.public_base_url.trim_end_matches('/')
            ),
        })
    }

    pub fn sms_configured(&self) -> bool {
        self.account.is_some() && self.from.is_some()
    }

    /// Sends one SMS; returns Twilio's message SID.
    pub async fn send_sms(&self, to: &str, body: &str) -> Result<String, SmsError> {
        let (Some((sid, token)), Some(from)) = (&self.account, &self.from) else {
            return Err(SmsError::NotConfigured);
        };
        let url = format!("{}/2010-04-01/Accounts/{sid}/Messages.json", self.base);
        let from_field = if from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let resp = self
            .http
            .post(url)
            .basic_auth(sid, Some(token))
            .form(&[
                ("To", to),
                (from_field, from.as_str()),
                ("Body", body),
                ("StatusCallback", self.status_callback.as_str()),
            ])
            .send()
            .await
            .map_err(|e| SmsError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| SmsError::Unreachable(e.to_string()))?;
        if status.is_success() {
            let c: Created = serde_json::from_slice(&bytes)
                .map_err(|e| SmsError::Unreachable(format!("unexpected answer: {e}")))?;
            return Ok(c.sid);
        }
        let e: TwilioError = serde_json::from_slice(&bytes).unwrap_or(TwilioError {
            code: None,
            message: None,
        });
        Err(SmsError::Refused {
            code: e.code.unwrap_or(i64::from(status.as_u16())),
            message: e
                .message
                .unwrap_or_else(|| format!("HTTP status {}", status.as_u16())),
        })
    }
}

impl Twilio {
    fn recording_url(&self, sid: &str, recording_sid: &str, ext: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{sid}/Recordings/{recording_sid}{ext}",
            self.base
        )
    }

    /// Fetches a recording's audio (MP3) with the account's credentials;
    /// the centre stores no copy of its own.
    pub async fn fetch_recording(&self, recording_sid: &str) -> Result<Vec<u8>, SmsError> {
        let Some((sid, token)) = &self.account else {
            return Err(SmsError::NotConfigured);
        };
        if !crate::twilio_ids::is_recording_sid(recording_sid) {
            return Err(SmsError::Refused {
                code: 400,
                message: "not a Twilio recording id".into(),
            });
        }
        let resp = self
            .http
            .get(self.recording_url(sid, recording_sid, ".mp3"))
            .basic_auth(sid, Some(token))
            .send()
            .await
            .map_err(|e| SmsError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(SmsError::Refused {
                code: i64::from(status.as_u16()),
                message: format!("HTTP status {}", status.as_u16()),
            });
        }
        Ok(resp
            .bytes()
            .await
            .map_err(|e| SmsError::Unreachable(e.to_string()))?
            .to_vec())
    }

    /// Deletes a recording at Twilio. Already gone (404) counts as deleted.
    pub async fn delete_recording(&self, recording_sid: &str) -> Result<(), SmsError> {
        let Some((sid, token)) = &self.account else {
            return Err(SmsError::NotConfigured);
        };
        if !crate::twilio_ids::is_recording_sid(recording_sid) {
            // No such recording can exist at Twilio: nothing to delete, and
            // the id never goes into a URL.
            return Ok(());
        }
        let resp = self
            .http
            .delete(self.recording_url(sid, recording_sid, ".json"))
            .basic_auth(sid, Some(token))
            .send()
            .await
            .map_err(|e| SmsError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status();
        if status.is_success() || status == reqwest::StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(SmsError::Refused {
                code: i64::from(status.as_u16()),
                message: format!("HTTP status {}", status.as_u16()),
            })
        }
    }
}
