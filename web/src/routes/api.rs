//! The JSON API. `/api/v1/numbers` is open data: JSON, CSV and the JSON
//! schema, answered with `ETag` / `Last-Modified` and `304 Not Modified`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::catalogue::OpenNumber;
use std::sync::Arc;

use crate::domain::catalogue::memory::OpenData;
use crate::domain::catalogue::open_data::{self, SCHEMA_VERSION};
use crate::domain::time::oslo_today;
use crate::error::ApiError;
use crate::state::AppState;

/// The documented format (JSON Schema 2020-12).
const SCHEMA: &str = include_str!("../../../assets/api/numbers.schema.json");

/// Where the schema is served.
pub const SCHEMA_PATH: &str = "/api/v1/numbers/schema.json";

#[derive(Serialize)]
struct NumbersDoc<'a> {
    generated_at: DateTime<Utc>,
    schema: String,
    schema_version: &'static str,
    numbers: &'a [OpenNumber],
    retired: &'a [OpenNumber],
}

/// The list as published now, its tag and when that content was first
/// served.
async fn current(state: &AppState) -> Result<(Arc<OpenData>, DateTime<Utc>), ApiError> {
    let now = state.clock.now();
    let data = state
        .catalogue
        .get(&state.db, now)
        .await?
        .open_data(oslo_today(now));
    // Read from the database once per catalogue snapshot and date, not
    // per request.
    let changed = match data.changed_at.get() {
        Some(t) => *t,
        None => {
            let t = open_data::changed_at(&state.db, "numbers", &data.tag, now).await?;
            *data.changed_at.get_or_init(|| t)
        }
    };
    Ok((data, changed))
}

/// `Last-Modified`'s form (IMF-fixdate).
fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// True when the client's copy is current: its `If-None-Match` names the
/// tag (weak comparison), or, without `If-None-Match`, its
/// `If-Modified-Since` is no earlier than the change (RFC 9110 13.2.2).
fn not_modified(headers: &HeaderMap, etag: &str, changed: DateTime<Utc>) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let inm = inm.to_str().unwrap_or("");
        return inm.trim() == "*" || inm.split(',').any(|t| bare(t) == bare(etag));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| changed <= since.with_timezone(&Utc))
}

/// The answer with its validators and open-data headers, or 304.
fn answer(
    headers: &HeaderMap,
    etag: String,
    changed: DateTime<Utc>,
    content_type: &'static str,
    body: impl FnOnce() -> Result<Vec<u8>, ApiError>,
) -> Result<Response, ApiError> {
    let mut resp = if not_modified(headers, &etag, changed) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body()?).into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("ETag, Last-Modified"),
    );
    // Caches may keep it a few minutes; after that they ask again with the
    // validators and usually get 304.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(changed)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    Ok(resp)
}

/// Every active caller number with centre, client and purpose, so caller-ID
/// services can show who is calling; and the numbers retired within 12
/// months.
pub async fn numbers(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (data, changed) = current(&state).await?;
    let (list, tag) = (&data.list, &data.tag);
    let base = state
        .config
        .public_base_url
        .trim_end_matches('/')
        .to_string();
    let generated_at = state.clock.now();
    answer(
        &headers,
        format!("W/\"{tag}\""),
        changed,
        "application/json",
        || {
            serde_json::to_vec(&NumbersDoc {
                generated_at,
                schema: format!("{base}{SCHEMA_PATH}"),
                schema_version: SCHEMA_VERSION,
                numbers: &list.numbers,
                retired: &list.retired,
            })
            .map_err(|e| crate::domain::Error::internal(e.to_string()).into())
        },
    )
}

/// The same list as CSV, one row per number with a `status` column
/// (`active` or `retired`).
pub async fn numbers_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (data, changed) = current(&state).await?;
    let (list, tag) = (&data.list, &data.tag);
    let mut resp = answer(
        &headers,
        // Weak: a compressed copy is the same list, not the same bytes.
        format!("W/\"{tag}-csv\""),
        changed,
        "text/csv; charset=utf-8",
        || {
            list.to_csv()
                .map_err(|e| crate::domain::Error::internal(e.to_string()).into())
        },
    )?;
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"numbers.csv\""),
    );
    Ok(resp)
}

/// The format of `/api/v1/numbers`, as a JSON schema.
pub async fn numbers_schema() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/schema+json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        SCHEMA,
    )
        .into_response()
}
