//! A Twilio stand-in on loopback that takes its time: every message request
//! and recording deletion is counted when it arrives and answered after a
//! pause, so a test can act while a send or a deletion is in flight.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, post};
use tokio::sync::watch;

#[derive(Clone)]
pub struct SlowTwilio {
    port: u16,
    pause: Duration,
    /// Bodies of the message requests, in order of arrival.
    bodies: Arc<Mutex<Vec<String>>>,
    /// Requests (messages and deletions) that arrived so far.
    arrived: watch::Sender<usize>,
}

async fn create_message(State(s): State<SlowTwilio>, body: String) -> impl IntoResponse {
    let form: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(&body).unwrap_or_default();
    let n = {
        let mut b = s.bodies.lock().unwrap();
        b.push(form.get("Body").cloned().unwrap_or_default());
        b.len()
    };
    s.arrived.send_modify(|a| *a += 1);
    tokio::time::sleep(s.pause).await;
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"sid": format!("SM{n:032}"), "status": "queued"})),
    )
}

async fn delete_recording(State(s): State<SlowTwilio>) -> StatusCode {
    s.arrived.send_modify(|a| *a += 1);
    tokio::time::sleep(s.pause).await;
    StatusCode::NO_CONTENT
}

impl SlowTwilio {
    pub async fn start(pause: Duration) -> SlowTwilio {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = SlowTwilio {
            port,
            pause,
            bodies: Arc::default(),
            arrived: watch::channel(0).0,
        };
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Recordings/{rec}",
                delete(delete_recording),
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

    /// The message bodies Twilio was asked to send, in order.
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived (the `n`th is then in flight).
    pub async fn arrived(&self, n: usize) {
        let mut rx = self.arrived.subscribe();
        tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|a| *a >= n))
            .await
            .expect("the stand-in got the request in time")
            .unwrap();
    }

    /// An instance of the app on `app`'s database (and clock) whose Twilio
    /// is this stand-in: a second process in production.
    pub fn instance(&self, app: &crate::support::TestApp) -> innsyn::state::AppState {
        let mut config = app.state.config.clone();
        config.twilio_api_base = self.base_url();
        innsyn::state::AppState::new(app.db.clone(), config, Arc::new(app.clock.clone())).unwrap()
    }
}
