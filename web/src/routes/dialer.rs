//! The dialer-facing compliance API: calling hours, the wash, abandoned calls.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::auth::api_token::ApiToken;
use crate::domain::dialer::calling_hours::{self, CallWindow};
use crate::domain::dialer::coverage::{self, PlanError, Refusal};
use crate::domain::dialer::wash::Washer;
use crate::domain::dialer::wash_runs::{self, WashRecord, WashedBy};
use crate::domain::dialer::wash_stream;
use crate::domain::dialer::{abandoned, campaigns};
use crate::domain::privacy::audit::Actor;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest body of `POST /api/v1/abandoned`.
const MAX_ABANDONED_BYTES: usize = 4 * 1024 * 1024;

#[derive(Serialize)]
pub struct CallWindowDoc {
    allowed: bool,
    reason: Option<&'static str>,
    holiday: Option<&'static str>,
    next_allowed_at: String,
}

impl From<CallWindow> for CallWindowDoc {
    fn from(w: CallWindow) -> Self {
        CallWindowDoc {
            allowed: w.allowed,
            reason: w.reason.map(|r| r.code()),
            holiday: w.holiday,
            next_allowed_at: w.next_allowed_at.to_rfc3339(),
        }
    }
}

/// `at` as an instant (`now` when absent); `None` when it is not RFC 3339.
fn parse_at(at: Option<&str>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match at {
        None => Some(now),
        Some(s) => crate::domain::time::parse_rfc3339(s),
    }
}

fn bad_at() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_at",
        "at: expected an RFC 3339 time with offset in the years 1900-2200, e.g. 2026-11-18T10:00:00+01:00",
    )
}

#[derive(Deserialize)]
pub struct CallWindowParams {
    at: Option<String>,
}

/// `GET /api/v1/call-window?at=RFC3339`: may a private person be called then
/// (norm 4.2 i)? Without `at`: now.
pub async fn call_window(
    State(s): State<AppState>,
    Query(p): Query<CallWindowParams>,
) -> Result<Json<CallWindowDoc>, ApiError> {
    let at = parse_at(p.at.as_deref(), s.clock.now()).ok_or_else(bad_at)?;
    Ok(Json(CallWindowDoc::from(calling_hours::call_window(at))))
}

#[derive(Deserialize)]
pub struct WashParams {
    campaign: Option<String>,
    only: Option<String>,
    at: Option<String>,
    /// `false`: a wash without a campaign leaves the national register out
    /// (recorded on the run).
    national: Option<String>,
    /// `true`: a fourth column `register`.
    detail: Option<String>,
}

/// A boolean query parameter: absent is `default`.
fn flag(v: Option<&str>, name: &'static str, default: bool) -> Result<bool, ApiError> {
    match v.map(str::trim) {
        None | Some("") => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_flag",
            format!("{name}: expected true or false"),
        )),
    }
}

/// `POST /api/v1/wash`: one verdict per number, in input order, streamed.
///
/// With `at` outside calling hours the answer is 422 with the reason and the
/// next allowed time, and nothing is washed: a list washed for a time it may
/// not be called would be no use to the dialer.
pub async fn wash(
    token: ApiToken,
    State(s): State<AppState>,
    Query(p): Query<WashParams>,
    body: Body,
) -> Result<Response, ApiError> {
    let now = s.clock.now();
    let only_callable = match p.only.as_deref() {
        None | Some("") => false,
        Some("callable") => true,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_only",
                "only: the one accepted value is `callable`",
            ));
        }
    };
    let national = flag(p.national.as_deref(), "national", true)?;
    let detail = flag(p.detail.as_deref(), "detail", false)?;
    let at = parse_at(p.at.as_deref(), now).ok_or_else(bad_at)?;
    if calling_hours::is_past(at, now) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "at_in_past",
            "at: the planned call time is in the past; give a time from now on, or leave at out to wash for now; nothing was washed",
        )
        .with("now", now.to_rfc3339()));
    }
    if p.at.is_some() {
        let w = calling_hours::call_window(at);
        if !w.allowed {
            let doc = CallWindowDoc::from(w);
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "outside_calling_hours",
                "private persons may only be called on weekdays 09:00-21:00 Europe/Oslo, not on public holidays (norm 4.2 i); nothing was washed",
            )
            .with("reason", doc.reason)
            .with("holiday", doc.holiday)
            .with("next_allowed_at", doc.next_allowed_at));
        }
    }
    // hyper sends `100 Continue` to a client that asked for it (curl does
    // for any body over 1 MB, then waits up to a second) when the body is
    // first polled, and never once the answer's head is out. So the body is
    // polled now, while the campaign and the registers are looked up, and
    // before the answer: the list starts coming at once.
    let mut input = body.into_data_stream();
    let lookup = async {
        let campaign = match p
            .campaign
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(code) => Some(campaigns::by_code(&s.db, code).await?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_campaign",
                    "campaign: no campaign has this code",
                )
            })?),
        };
        let days = s.config.abandoned_agent_required_days;
        let (registers, used) = coverage::plan(
            &s.registers,
            &s.db,
            campaign.as_ref(),
            !national,
            at,
            now,
            days,
        )
        .await
        .map_err(refusal)?;
        Ok::<_, ApiError>((campaign.map(|c| c.id), registers, used))
    };
    let (looked_up, first) = tokio::join!(lookup, input.next());
    let (campaign_id, registers, used) = looked_up?;

    let mut out = Vec::with_capacity(64 * 1024);
    let washer = Washer::with_detail(registers, only_callable, detail, &mut out);
    // The list is read, washed and answered side by side, in pieces
    // (`wash_stream`); the run is recorded before the last piece goes.
    let answer = WashAnswer {
        state: s.clone(),
        token_id: token.id,
        campaign_id,
        used,
        wash: wash_stream::WashStream::start(input, first, washer, out),
    };
    let stream = futures_util::stream::unfold(Some(answer), |answer| async move {
        let mut answer = answer?;
        let (piece, more) = answer.next_piece().await;
        Some((piece, more.then_some(answer)))
    });
    let content_type = if only_callable {
        "text/plain; charset=utf-8"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            (HeaderName::from_static(NATIONAL_HEADER), used.code()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The answer of one wash under way, and what records it at the end.
struct WashAnswer {
    state: AppState,
    token_id: i32,
    campaign_id: Option<i32>,
    used: coverage::NationalUse,
    wash: wash_stream::WashStream,
}

impl WashAnswer {
    /// The next piece of the answer and whether more may follow.
    async fn next_piece(&mut self) -> (Result<Bytes, std::io::Error>, bool) {
        match self.wash.next().await {
            wash_stream::Next::Piece(p) => (Ok(p), true),
            // The client went away or stalled: no record of a wash it did
            // not get.
            wash_stream::Next::Failed(e) => (Err(e), false),
            wash_stream::Next::Finished(washer, last) => {
                // Recorded before the last bytes go out, so the run is on
                // file by the time the dialer has the whole answer.
                let record = WashRecord::of(
                    self.campaign_id,
                    washer.registers(),
                    self.used,
                    washer.count_in,
                    washer.count_callable,
                    washer.reserved,
                );
                let s = &self.state;
                let recorded = wash_runs::record_run(
                    &s.db,
                    s.clock.now(),
                    WashedBy::Token(self.token_id),
                    &Actor::default(),
                    &record,
                )
                .await;
                match recorded {
                    Ok(_) => (Ok(Bytes::from(last)), false),
                    Err(e) => {
                        tracing::error!(error = %e, "recording a wash run failed");
                        (
                            Err(std::io::Error::other("recording the wash failed")),
                            false,
                        )
                    }
                }
            }
        }
    }
}

/// Says what the wash did with the national register: `applied`,
/// `not-applied`, `exempt`, `declined` or `not-imported`.
pub const NATIONAL_HEADER: &str = "x-national-register";

fn refusal(e: PlanError) -> ApiError {
    match e {
        PlanError::Db(e) => e.into(),
        PlanError::Refused(Refusal::Stale {
            extract_date,
            usable_through,
        }) => ApiError::new(
            StatusCode::CONFLICT,
            "national_register_stale",
            format!(
                "the national reservation register in use was extracted on {extract_date} and may be used for calls through {usable_through} (Europe/Oslo); import a newer copy. Nothing was washed"
            ),
        )
        .with("extract_date", extract_date.to_string())
        .with("usable_through", usable_through.to_string()),
        PlanError::Refused(Refusal::CampaignRequires) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "national_required",
            "national=false: the national reservation register applies to this campaign",
        ),
    }
}

#[derive(Deserialize)]
struct AbandonedJson {
    numbers: Vec<String>,
}

/// `POST /api/v1/abandoned`: numbers whose calls the dialer abandoned (norm
/// 4.6.3), one per line or `{"numbers": [...]}`. Recorded at the time of the
/// request; the wash answers `agent-required` for them for
/// `ABANDONED_AGENT_REQUIRED_DAYS`.
pub async fn abandoned(
    token: ApiToken,
    State(s): State<AppState>,
    body: Body,
) -> Result<Json<abandoned::Recorded>, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_ABANDONED_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "at most 4 MiB per request; send the numbers in several requests",
            )
        })?;
    let entries: Vec<String> = if bytes.trim_ascii_start().first() == Some(&b'{') {
        serde_json::from_slice::<AbandonedJson>(&bytes)
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_json",
                    "expected {\"numbers\": [\"...\", ...]} or one number per line",
                )
            })?
            .numbers
    } else {
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_string)
            .filter(|l| !l.trim().is_empty())
            .collect()
    };
    Ok(Json(
        abandoned::record(&s.db, &entries, token.id, s.clock.now()).await?,
    ))
}
