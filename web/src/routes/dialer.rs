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
use crate::domain::dialer::{abandoned, campaigns};
use crate::domain::privacy::audit::Actor;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest body of `POST /api/v1/abandoned`.
const MAX_ABANDONED_BYTES: usize = 4 * 1024 * 1024;
/// Output is sent in pieces of about this size.
const OUT_CHUNK: usize = 64 * 1024;

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

    let mut out = Vec::with_capacity(OUT_CHUNK + OUT_CHUNK / 4);
    let washer = Washer::with_detail(registers, only_callable, detail, &mut out);
    let run = WashStream {
        state: s.clone(),
        token_id: token.id,
        campaign_id,
        used,
        input,
        first,
        washer: Some(washer),
        batch: Vec::new(),
        out,
        done: false,
    };
    // The list is washed as the answer is sent, in the connection's own
    // task: each piece of input read gives its verdicts, sent in pieces of
    // about `OUT_CHUNK`.
    let stream = futures_util::stream::unfold(run, |mut run| async move {
        run.next_piece().await.map(|item| (item, run))
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

/// One wash under way: the list coming in, the verdicts going out.
struct WashStream {
    state: AppState,
    token_id: i32,
    campaign_id: Option<i32>,
    used: coverage::NationalUse,
    input: axum::body::BodyDataStream,
    /// The first piece of the list, read before the answer started.
    first: Option<Result<Bytes, axum::Error>>,
    /// Away only while a batch is washed on the blocking threads.
    washer: Option<Washer>,
    /// Input gathered until [`WASH_BATCH`] bytes, washed on two threads.
    batch: Vec<u8>,
    out: Vec<u8>,
    done: bool,
}

/// Input washed at a time: large enough for two threads to share it,
/// small enough to keep the answer flowing and the memory bounded.
const WASH_BATCH: usize = 1024 * 1024;

impl WashStream {
    /// The next piece of the answer; `None` after the last.
    async fn next_piece(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.done {
            return None;
        }
        loop {
            let chunk = match self.first.take() {
                Some(c) => Some(c),
                None => self.input.next().await,
            };
            match chunk {
                Some(Ok(c)) => {
                    self.batch.extend_from_slice(&c);
                    if self.batch.len() >= WASH_BATCH {
                        if let Err(e) = self.wash_batch().await {
                            self.done = true;
                            return Some(Err(e));
                        }
                        if self.out.len() >= OUT_CHUNK {
                            return Some(Ok(self.take_out()));
                        }
                    }
                }
                Some(Err(e)) => {
                    // The client went away or stalled: no record of a wash
                    // it did not get.
                    self.done = true;
                    return Some(Err(std::io::Error::other(e)));
                }
                None => break,
            }
        }
        self.done = true;
        if let Err(e) = self.wash_batch().await {
            return Some(Err(e));
        }
        let washer = self.washer.as_mut()?;
        washer.finish(&mut self.out);
        // Recorded before the last bytes go out, so the run is on file by
        // the time the dialer has the whole answer.
        let record = WashRecord::of(
            self.campaign_id,
            washer.registers(),
            self.used,
            washer.count_in,
            washer.count_callable,
            washer.reserved,
        );
        let s = &self.state;
        match wash_runs::record_run(
            &s.db,
            s.clock.now(),
            WashedBy::Token(self.token_id),
            &Actor::default(),
            &record,
        )
        .await
        {
            Ok(_) => Some(Ok(self.take_out())),
            Err(e) => {
                tracing::error!(error = %e, "recording a wash run failed");
                Some(Err(std::io::Error::other("recording the wash failed")))
            }
        }
    }

    /// Washes the gathered input: a small batch here, a large one on the
    /// blocking threads (it is CPU work of some milliseconds), shared
    /// between two of them.
    async fn wash_batch(&mut self) -> Result<(), std::io::Error> {
        let Some(mut washer) = self.washer.take() else {
            return Err(std::io::Error::other("the wash was lost"));
        };
        if self.batch.len() < WASH_BATCH / 4 {
            washer.feed(&self.batch, &mut self.out);
            self.batch.clear();
            self.washer = Some(washer);
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.batch);
        let mut out = std::mem::take(&mut self.out);
        let (washer, out, batch) = tokio::task::spawn_blocking(move || {
            washer.feed_parallel(&batch, &mut out);
            batch.clear();
            (washer, out, batch)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a wash batch failed");
            std::io::Error::other("the wash failed")
        })?;
        self.washer = Some(washer);
        self.out = out;
        self.batch = batch;
        Ok(())
    }

    fn take_out(&mut self) -> Bytes {
        Bytes::from(std::mem::replace(
            &mut self.out,
            Vec::with_capacity(OUT_CHUNK + OUT_CHUNK / 4),
        ))
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
