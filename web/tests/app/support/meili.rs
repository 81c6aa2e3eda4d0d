//! A loopback server that speaks the few Meilisearch endpoints innsyn writes
//! to (documents in, documents deleted, settings), answering with enqueued
//! tasks as the real server does (each one succeeded when asked about), and records what it got. It can be started
//! on a port chosen earlier, so a test can first find the port closed.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub struct MeiliRequest {
    /// `POST /indexes/t_cases/documents` and so on.
    pub method: &'static str,
    pub index: String,
    /// `documents`, `delete-batch` or `settings`.
    pub what: &'static str,
    pub body: Value,
}

#[derive(Clone, Default)]
pub struct MeiliStandIn {
    requests: Arc<Mutex<Vec<MeiliRequest>>>,
    /// While set, every task asked about has failed (as Meilisearch fails
    /// a batch it cannot take).
    fail_tasks: Arc<std::sync::atomic::AtomicBool>,
}

fn task(index: &str, kind: &str, uid: usize) -> (StatusCode, axum::Json<Value>) {
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "taskUid": uid,
            "indexUid": index,
            "status": "enqueued",
            "type": kind,
            "enqueuedAt": "2026-11-18T10:00:00Z"
        })),
    )
}

impl MeiliStandIn {
    fn record(&self, method: &'static str, index: String, what: &'static str, body: &str) -> usize {
        let mut r = self.requests.lock().unwrap();
        r.push(MeiliRequest {
            method,
            index,
            what,
            body: serde_json::from_str(body).unwrap_or(Value::Null),
        });
        r.len()
    }

    /// Serves on 127.0.0.1:`port` until the test ends.
    pub async fn start_on(port: u16) -> Self {
        let s = MeiliStandIn::default();
        let app = Router::new()
            .route(
                "/indexes/{uid}/documents",
                post(
                    |State(s): State<MeiliStandIn>, Path(uid): Path<String>, body: String| async move {
                        let n = s.record("POST", uid.clone(), "documents", &body);
                        task(&uid, "documentAdditionOrUpdate", n)
                    },
                )
                .delete(|State(s): State<MeiliStandIn>, Path(uid): Path<String>| async move {
                    let n = s.record("DELETE", uid.clone(), "documents", "null");
                    task(&uid, "documentDeletion", n)
                }),
            )
            .route(
                "/indexes/{uid}/documents/delete-batch",
                post(
                    |State(s): State<MeiliStandIn>, Path(uid): Path<String>, body: String| async move {
                        let n = s.record("POST", uid.clone(), "delete-batch", &body);
                        task(&uid, "documentDeletion", n)
                    },
                ),
            )
            .route(
                "/indexes/{uid}/settings",
                patch(
                    |State(s): State<MeiliStandIn>, Path(uid): Path<String>, body: String| async move {
                        let n = s.record("PATCH", uid.clone(), "settings", &body);
                        task(&uid, "settingsUpdate", n)
                    },
                ),
            )
            .route(
                "/tasks/{uid}",
                get(|State(s): State<MeiliStandIn>, Path(uid): Path<usize>| async move {
                    // Every task the stand-in enqueued succeeded at once.
                    if uid == 0 || uid > s.requests.lock().unwrap().len() {
                        return (
                            StatusCode::NOT_FOUND,
                            axum::Json(json!({
                                "message": "task not found",
                                "code": "task_not_found",
                                "type": "invalid_request",
                                "link": "https://docs.meilisearch.com/errors#task_not_found"
                            })),
                        );
                    }
                    let failed = s.fail_tasks.load(std::sync::atomic::Ordering::SeqCst);
                    (
                        StatusCode::OK,
                        axum::Json(json!({
                            "uid": uid,
                            "indexUid": "t",
                            "status": if failed { "failed" } else { "succeeded" },
                            "error": if failed {
                                json!({
                                    "message": "Document identifier is invalid.",
                                    "code": "invalid_document_id",
                                    "type": "invalid_request",
                                    "link": "https://docs.meilisearch.com/errors#invalid_document_id"
                                })
                            } else {
                                Value::Null
                            },
                            "type": "documentAdditionOrUpdate",
                            "details": null,
                            "duration": "PT0.001S",
                            "enqueuedAt": "2026-11-18T10:00:00Z",
                            "startedAt": "2026-11-18T10:00:00Z",
                            "finishedAt": "2026-11-18T10:00:00Z"
                        })),
                    )
                }),
            )
            .with_state(s.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the Meilisearch stand-in");
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        s
    }

    /// Makes every task fail (`true`) or succeed (`false`) from now on.
    pub fn fail_tasks(&self, fail: bool) {
        self.fail_tasks
            .store(fail, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<MeiliRequest> {
        self.requests.lock().unwrap().clone()
    }
}

/// A loopback port with nothing listening on it (yet).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().unwrap().port()
}
