//! A loopback server that speaks Twilio's REST API for outbound messages and
//! recording deletion, and records what it got.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, post};
use base64::Engine;

pub const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
pub const AUTH_TOKEN: &str = "test-auth-token-0123456789abcdef";
pub const SMS_FROM: &str = "+4721000099";

#[derive(Clone, Debug)]
pub struct TwilioRequest {
    pub method: &'static str,
    pub path: String,
    /// The (user, password) of the basic auth header.
    pub auth: Option<(String, String)>,
    pub form: HashMap<String, String>,
}

#[derive(Default)]
struct Inner {
    requests: Vec<TwilioRequest>,
    /// Twilio error (code, message) for the next message request.
    fail_next: Option<(i64, String)>,
    /// While set, recording deletions fail (503) as during an outage.
    recordings_down: bool,
    next_sid: u32,
}

#[derive(Clone)]
pub struct TwilioStandIn {
    port: u16,
    inner: Arc<Mutex<Inner>>,
}

fn basic_auth(h: &HeaderMap) -> Option<(String, String)> {
    let v = h
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD.decode(v).ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

async fn create_message(
    State(s): State<TwilioStandIn>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let mut inner = s.inner.lock().unwrap();
    let auth = basic_auth(&headers);
    inner.requests.push(TwilioRequest {
        method: "POST",
        path: format!("/2010-04-01/Accounts/{account}/Messages.json"),
        auth: auth.clone(),
        form,
    });
    if auth != Some((ACCOUNT_SID.into(), AUTH_TOKEN.into())) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                serde_json::json!({"code": 20003, "message": "Authenticate", "status": 401}),
            ),
        );
    }
    if let Some((code, message)) = inner.fail_next.take() {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"code": code, "message": message, "status": 400})),
        );
    }
    inner.next_sid += 1;
    let sid = format!("SM{:032}", inner.next_sid);
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"sid": sid, "status": "queued"})),
    )
}

/// The audio the stand-in serves for every recording.
pub const RECORDING_AUDIO: &[u8] = b"ID3-fake-mp3-bytes";

async fn get_recording(
    State(s): State<TwilioStandIn>,
    Path((account, rec)): Path<(String, String)>,
    headers: HeaderMap,
) -> axum::response::Response {
    let auth = basic_auth(&headers);
    s.inner.lock().unwrap().requests.push(TwilioRequest {
        method: "GET",
        path: format!("/2010-04-01/Accounts/{account}/Recordings/{rec}"),
        auth: auth.clone(),
        form: HashMap::new(),
    });
    if auth != Some((ACCOUNT_SID.into(), AUTH_TOKEN.into())) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    ([("content-type", "audio/mpeg")], RECORDING_AUDIO).into_response()
}

async fn delete_recording(
    State(s): State<TwilioStandIn>,
    Path((account, rec)): Path<(String, String)>,
    headers: HeaderMap,
) -> StatusCode {
    s.inner.lock().unwrap().requests.push(TwilioRequest {
        method: "DELETE",
        path: format!("/2010-04-01/Accounts/{account}/Recordings/{rec}"),
        auth: basic_auth(&headers),
        form: HashMap::new(),
    });
    if s.inner.lock().unwrap().recordings_down {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    StatusCode::NO_CONTENT
}

impl TwilioStandIn {
    pub async fn start() -> TwilioStandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = TwilioStandIn {
            port,
            inner: Arc::default(),
        };
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Recordings/{rec}",
                delete(delete_recording).get(get_recording),
            )
            .with_state(s.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        s
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<TwilioRequest> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Makes every recording deletion fail (503) until set back.
    pub fn set_recordings_down(&self, down: bool) {
        self.inner.lock().unwrap().recordings_down = down;
    }

    /// Recording ids the stand-in was asked to delete (whatever it answered).
    pub fn deletes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "DELETE")
            .filter_map(|r| {
                r.path
                    .rsplit('/')
                    .next()
                    .map(|p| p.trim_end_matches(".json").to_string())
            })
            .collect()
    }

    /// Makes the next message request fail the way Twilio does.
    pub fn fail_next(&self, code: i64, message: &str) {
        self.inner.lock().unwrap().fail_next = Some((code, message.to_string()));
    }
}
