//! Typed configuration, read once at start from the environment. A bad value
//! stops the program with a message naming the variable. Every variable is
//! documented in the table in docs/operations.md (Configuration).

use std::fmt;

use crate::domain::norm;
use crate::domain::search::MeiliSettings;

/// Where a variable's value comes from: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, key: &str) -> Option<String>;
}

/// The process environment.
pub struct Env;

impl Source for Env {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<const N: usize> Source for [(&str, &str); N] {
    fn get(&self, key: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_string())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error in {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

/// How long the server waits on a client (`HTTP_*_TIMEOUT_SECS`).
#[derive(Clone, Copy, Debug)]
pub struct HttpTimeouts {
    /// A request's header must be in within this; a keep-alive connection
    /// idle this long is closed too (hyper's header read timer runs while
    /// it waits for the next request).
    pub header: std::time::Duration,
    /// A form's, page's or webhook's whole body must be in within this.
    pub body: std::time::Duration,
    /// A streamed upload (the wash, register and statistics uploads) may
    /// pause at most this long between two pieces of its body.
    pub upload_idle: std::time::Duration,
}

fn http_timeouts(src: &dyn Source) -> Result<HttpTimeouts, ConfigError> {
    let mut secs = [0u64; 3];
    for (i, (var, default)) in [
        ("HTTP_HEADER_TIMEOUT_SECS", 20),
        ("HTTP_BODY_TIMEOUT_SECS", 30),
        ("HTTP_UPLOAD_IDLE_TIMEOUT_SECS", 60),
    ]
    .into_iter()
    .enumerate()
    {
        secs[i] = parse_num(src, var, default)?;
        if !(1..=3600).contains(&secs[i]) {
            return Err(ConfigError {
                var,
                message: "must be between 1 and 3600 seconds".into(),
            });
        }
    }
    Ok(HttpTimeouts {
        header: std::time::Duration::from_secs(secs[0]),
        body: std::time::Duration::from_secs(secs[1]),
        upload_idle: std::time::Duration::from_secs(secs[2]),
    })
}

#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://...` (embedded default) or `postgres://...`.
    pub database_url: String,
    /// `PUBLIC_BASE_URL`: the address the public reaches this site at.
    pub public_base_url: String,
    /// `SMTP_URL`: outgoing mail server; unset keeps mail queued in the outbox.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM`: the sender of every e-mail.
    pub mail_from: String,
    /// `RATE_LIMIT_LOOKUP_PER_MINUTE`: number lookups per client address.
    pub rate_limit_lookup_per_minute: u32,
    /// `RATE_LIMIT_FORMS_PER_MINUTE`: public form posts per client address.
    pub rate_limit_forms_per_minute: u32,
    /// `TRUSTED_PROXY_HOPS`: how many reverse proxies in front append to
    /// X-Forwarded-For; 0 means the header is ignored.
    pub trusted_proxy_hops: usize,
    /// `CASE_REFERENCE_PREFIX`: the letters in front of case references.
    pub case_reference_prefix: String,
    /// `INITIAL_ADMIN_EMAIL`: the first admin created on an empty database.
    pub initial_admin_email: String,
    /// `LOG_FORMAT`: `text` or `json`.
    pub log_json: bool,
    /// `TWILIO_ACCOUNT_SID` and `TWILIO_AUTH_TOKEN`: the Twilio account
    /// (SMS answers; webhook signatures). Unset: SMS answers are refused.
    pub twilio: Option<TwilioConfig>,
    /// `TWILIO_API_BASE`: Twilio's REST address (tests point it at loopback).
    pub twilio_api_base: String,
    /// `TWILIO_SMS_FROM`: the number (E.164) or messaging service (MG...) SMS answers come from.
    pub twilio_sms_from: Option<String>,
    /// `INBOUND_EMAIL_TOKEN`: the bearer secret mail providers present at
    /// `POST /webhooks/email`; unset, that endpoint refuses everything.
    pub inbound_email_token: Option<String>,
    /// `RECEIPT_SIGNING_KEY`: the key (at least 32 characters) that signs
    /// wash receipts; unset, a key generated at first start and kept in the
    /// database signs them.
    pub receipt_signing_key: Option<String>,
    /// `ABANDONED_AGENT_REQUIRED_DAYS`: for how many days after an abandoned
    /// call (norm 4.6.3) the wash answers `agent-required` for the number
    /// (within `norm::AGENT_REQUIRED_DAYS`).
    pub abandoned_agent_required_days: u32,
    /// `ABANDONED_RATE_LIMIT_PERCENT`: the abandoned-call limit per campaign
    /// and day or week (norm 4.6.2: at most `norm::MAX_ABANDONED_PERCENT`;
    /// some centres hold themselves to 3).
    pub abandoned_rate_limit_percent: f64,
    /// `MEILI_URL` and friends: the Meilisearch server; unset, search runs on
    /// the database.
    pub meili: Option<MeiliSettings>,
    /// The HTTP server's timeouts against slow or stalled clients.
    pub http: HttpTimeouts,
}

#[derive(Clone)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: String,
}

impl fmt::Debug for Config {
    // Never print secrets (the database and SMTP URLs may hold passwords).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database", &self.database_url.split(':').next())
            .field("public_base_url", &self.public_base_url)
            .field("smtp", &self.smtp_url.is_some())
            .field("twilio", &self.twilio.is_some())
            .field("meili", &self.meili.is_some())
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://innsyn.db?mode=rwc";

fn parse_num<T: std::str::FromStr>(
    src: &dyn Source,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match src.get(var) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError {
            var,
            message: format!("expected a whole number, got {v:?}"),
        }),
    }
}

fn meili_config(src: &dyn Source) -> Result<Option<MeiliSettings>, ConfigError> {
    let timeout_ms: u64 = parse_num(src, "MEILI_TIMEOUT_MS", 2000)?;
    if !(1..=60_000).contains(&timeout_ms) {
        return Err(ConfigError {
            var: "MEILI_TIMEOUT_MS",
            message: "must be between 1 and 60000 milliseconds".into(),
        });
    }
    let index_prefix = src
        .get("MEILI_INDEX_PREFIX")
        .unwrap_or_else(|| "innsyn".into());
    if index_prefix.len() > 64
        || !index_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ConfigError {
            var: "MEILI_INDEX_PREFIX",
            message: "must be at most 64 letters A-Z, a-z, digits, - or _".into(),
        });
    }
    let api_key = src
        .get("MEILI_API_KEY")
        .or_else(|| src.get("MEILI_MASTER_KEY"));
    let Some(url) = src.get("MEILI_URL") else {
        if api_key.is_some() {
            return Err(ConfigError {
                var: "MEILI_URL",
                message: "a Meilisearch key is set but MEILI_URL is not".into(),
            });
        }
        return Ok(None);
    };
    let url = url.trim().trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ConfigError {
            var: "MEILI_URL",
            message: "must be an absolute http:// or https:// address".into(),
        });
    }
    Ok(Some(MeiliSettings {
        url,
        api_key,
        timeout: std::time::Duration::from_millis(timeout_ms),
        index_prefix,
    }))
}

impl Config {
    /// What the Twilio client needs of this configuration.
    pub fn twilio_settings(&self) -> crate::sms::TwilioSettings<'_> {
        crate::sms::TwilioSettings {
            api_base: &self.twilio_api_base,
            account: self
                .twilio
                .as_ref()
                .map(|t| (t.account_sid.as_str(), t.auth_token.as_str())),
            sms_from: self.twilio_sms_from.as_deref(),
            public_base_url: &self.public_base_url,
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let database_url = src
            .get("DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError {
                var: "DATABASE_URL",
                message: "must start with sqlite: or postgres://".into(),
            });
        }
        let public_base_url = src
            .get("PUBLIC_BASE_URL")
            .unwrap_or_else(|| "http://127.0.0.1:3000".to_string())
            .trim_end_matches('/')
            .to_string();
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(ConfigError {
                var: "PUBLIC_BASE_URL",
                message: "must be an absolute http:// or https:// address".into(),
            });
        }
        let smtp_url = src.get("SMTP_URL");
        if let Some(u) = &smtp_url
            && !(u.starts_with("smtp://") || u.starts_with("smtps://"))
        {
            return Err(ConfigError {
                var: "SMTP_URL",
                message: "must start with smtp:// or smtps://".into(),
            });
        }
        let mail_from = src
            .get("MAIL_FROM")
            .unwrap_or_else(|| "innsyn <noreply@localhost>".to_string());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError {
                var: "MAIL_FROM",
                message: "must be an e-mail address, optionally with a name: Name <a@b.no>".into(),
            });
        }
        let log_json = match src.get("LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(ConfigError {
                    var: "LOG_FORMAT",
                    message: format!("expected text or json, got {other:?}"),
                });
            }
        };
        let rate_limit_lookup_per_minute = parse_num(src, "RATE_LIMIT_LOOKUP_PER_MINUTE", 60)?;
        let rate_limit_forms_per_minute = parse_num(src, "RATE_LIMIT_FORMS_PER_MINUTE", 10)?;
        for (var, v) in [
            ("RATE_LIMIT_LOOKUP_PER_MINUTE", rate_limit_lookup_per_minute),
            ("RATE_LIMIT_FORMS_PER_MINUTE", rate_limit_forms_per_minute),
        ] {
            if v == 0 {
                return Err(ConfigError {
                    var,
                    message: "must be at least 1".into(),
                });
            }
        }
        let abandoned_rate_limit_percent: f64 = match src.get("ABANDONED_RATE_LIMIT_PERCENT") {
            None => norm::MAX_ABANDONED_PERCENT,
            Some(v) => match v.trim().parse::<f64>() {
                Ok(x) if x > 0.0 && x <= norm::MAX_ABANDONED_PERCENT => x,
                _ => {
                    return Err(ConfigError {
                        var: "ABANDONED_RATE_LIMIT_PERCENT",
                        message: format!(
                            "expected a number above 0 and at most 5 (norm 4.6.2), got {v:?}"
                        ),
                    });
                }
            },
        };
        let abandoned_agent_required_days = parse_num(
            src,
            "ABANDONED_AGENT_REQUIRED_DAYS",
            norm::DEFAULT_AGENT_REQUIRED_DAYS,
        )?;
        if !norm::AGENT_REQUIRED_DAYS.contains(&abandoned_agent_required_days) {
            return Err(ConfigError {
                var: "ABANDONED_AGENT_REQUIRED_DAYS",
                message: format!(
                    "must be between {} and {} days",
                    norm::AGENT_REQUIRED_DAYS.start(),
                    norm::AGENT_REQUIRED_DAYS.end()
                ),
            });
        }
        let case_reference_prefix = src
            .get("CASE_REFERENCE_PREFIX")
            .unwrap_or_else(|| "K".into());
        if case_reference_prefix.is_empty()
            || case_reference_prefix.len() > 4
            || !case_reference_prefix
                .chars()
                .all(|c| c.is_ascii_uppercase())
        {
            return Err(ConfigError {
                var: "CASE_REFERENCE_PREFIX",
                message: "must be 1 to 4 capital letters A-Z".into(),
            });
        }
        let twilio = match (src.get("TWILIO_ACCOUNT_SID"), src.get("TWILIO_AUTH_TOKEN")) {
            (None, None) => None,
            (Some(account_sid), Some(auth_token)) => {
                if !account_sid.starts_with("AC") {
                    return Err(ConfigError {
                        var: "TWILIO_ACCOUNT_SID",
                        message: "must start with AC".into(),
                    });
                }
                Some(TwilioConfig {
                    account_sid,
                    auth_token,
                })
            }
            (Some(_), None) => {
                return Err(ConfigError {
                    var: "TWILIO_AUTH_TOKEN",
                    message: "must be set together with TWILIO_ACCOUNT_SID".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    var: "TWILIO_ACCOUNT_SID",
                    message: "must be set together with TWILIO_AUTH_TOKEN".into(),
                });
            }
        };
        let twilio_api_base = src
            .get("TWILIO_API_BASE")
            .unwrap_or_else(|| "https://api.twilio.com".into())
            .trim_end_matches('/')
            .to_string();
        if !(twilio_api_base.starts_with("http://") || twilio_api_base.starts_with("https://")) {
            return Err(ConfigError {
                var: "TWILIO_API_BASE",
                message: "must be an absolute http:// or https:// address".into(),
            });
        }
        let twilio_sms_from = src.get("TWILIO_SMS_FROM");
        if let Some(f) = &twilio_sms_from
            && !(f.starts_with("MG") || crate::domain::phone::E164::parse(f).is_ok())
        {
            return Err(ConfigError {
                var: "TWILIO_SMS_FROM",
                message: "must be a phone number in E.164 form or a messaging service SID (MG...)"
                    .into(),
            });
        }
        let receipt_signing_key = src.get("RECEIPT_SIGNING_KEY");
        if receipt_signing_key.as_ref().is_some_and(|k| k.len() < 32) {
            return Err(ConfigError {
                var: "RECEIPT_SIGNING_KEY",
                message: "must be at least 32 characters".into(),
            });
        }
        let inbound_email_token = src.get("INBOUND_EMAIL_TOKEN");
        if inbound_email_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError {
                var: "INBOUND_EMAIL_TOKEN",
                message: "must be at least 16 characters".into(),
            });
        }
        let meili = meili_config(src)?;
        let http = http_timeouts(src)?;
        Ok(Config {
            meili,
            http,
            inbound_email_token,
            receipt_signing_key,
            twilio,
            twilio_api_base,
            twilio_sms_from,
            database_url,
            public_base_url,
            smtp_url,
            mail_from,
            rate_limit_lookup_per_minute,
            rate_limit_forms_per_minute,
            trusted_proxy_hops: parse_num(src, "TRUSTED_PROXY_HOPS", 0)?,
            case_reference_prefix,
            initial_admin_email: src
                .get("INITIAL_ADMIN_EMAIL")
                .unwrap_or_else(|| "admin@innsyn.local".into()),
            log_json,
            abandoned_agent_required_days,
            abandoned_rate_limit_percent,
        })
    }

    /// Cookies get the Secure flag when the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_work_with_nothing_set() {
        let c = Config::from_source(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert!(c.is_sqlite());
        assert!(!c.secure_cookies());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let e = Config::from_source(&[("RATE_LIMIT_FORMS_PER_MINUTE", "many")]).unwrap_err();
        assert_eq!(e.var, "RATE_LIMIT_FORMS_PER_MINUTE");
        let e = Config::from_source(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(e.var, "DATABASE_URL");
        let e = Config::from_source(&[("MAIL_FROM", "not an address")]).unwrap_err();
        assert_eq!(e.var, "MAIL_FROM");
        let e = Config::from_source(&[("PUBLIC_BASE_URL", "example.org")]).unwrap_err();
        assert_eq!(e.var, "PUBLIC_BASE_URL");
        let e = Config::from_source(&[("ABANDONED_AGENT_REQUIRED_DAYS", "0")]).unwrap_err();
        assert_eq!(e.var, "ABANDONED_AGENT_REQUIRED_DAYS");
        assert_eq!(
            Config::from_source(&[])
                .unwrap()
                .abandoned_agent_required_days,
            30
        );
    }

    #[test]
    fn the_norm_bounds_what_a_centre_may_set() {
        let c = Config::from_source(&[]).unwrap();
        assert_eq!(c.abandoned_rate_limit_percent, norm::MAX_ABANDONED_PERCENT);
        assert_eq!(
            c.abandoned_agent_required_days,
            norm::DEFAULT_AGENT_REQUIRED_DAYS
        );
        // norm 4.6.2: at most 5 %; a centre may hold itself to less.
        for ok in ["5", "3", "0.5"] {
            let c = Config::from_source(&[("ABANDONED_RATE_LIMIT_PERCENT", ok)]).unwrap();
            assert_eq!(c.abandoned_rate_limit_percent, ok.parse::<f64>().unwrap());
        }
        for bad in ["5.01", "6", "0", "-1", "NaN", "inf", "five"] {
            let e = Config::from_source(&[("ABANDONED_RATE_LIMIT_PERCENT", bad)])
                .err()
                .unwrap_or_else(|| panic!("{bad} must be refused"));
            assert_eq!(e.var, "ABANDONED_RATE_LIMIT_PERCENT");
        }
        // norm 4.6.3: the agent-required period.
        for ok in ["1", "3650"] {
            assert!(Config::from_source(&[("ABANDONED_AGENT_REQUIRED_DAYS", ok)]).is_ok());
        }
        for bad in ["0", "3651", "-3"] {
            let e = Config::from_source(&[("ABANDONED_AGENT_REQUIRED_DAYS", bad)])
                .err()
                .unwrap_or_else(|| panic!("{bad} must be refused"));
            assert_eq!(e.var, "ABANDONED_AGENT_REQUIRED_DAYS");
        }
    }

    #[test]
    fn meilisearch_is_off_unless_its_url_is_set_and_bad_values_name_their_variable() {
        assert!(Config::from_source(&[]).unwrap().meili.is_none());
        let c = Config::from_source(&[
            ("MEILI_URL", "http://127.0.0.1:7700/"),
            ("MEILI_MASTER_KEY", "masterKey"),
        ])
        .unwrap();
        let m = c.meili.expect("configured");
        assert_eq!(m.url, "http://127.0.0.1:7700");
        assert_eq!(m.api_key.as_deref(), Some("masterKey"));
        assert_eq!(m.timeout, std::time::Duration::from_millis(2000));
        assert_eq!(m.index_prefix, "innsyn");
        for (k, v) in [
            ("MEILI_URL", "localhost:7700"),
            ("MEILI_TIMEOUT_MS", "0"),
            ("MEILI_TIMEOUT_MS", "soon"),
            ("MEILI_INDEX_PREFIX", "my index"),
        ] {
            let r = if k == "MEILI_URL" {
                Config::from_source(&[(k, v)])
            } else {
                Config::from_source(&[("MEILI_URL", "http://127.0.0.1:7700"), (k, v)])
            };
            let e = r.err().unwrap_or_else(|| panic!("{k}={v} must be refused"));
            assert_eq!(e.var, k);
        }
        let e = Config::from_source(&[("MEILI_API_KEY", "k")]).unwrap_err();
        assert_eq!(e.var, "MEILI_URL");
    }
}
