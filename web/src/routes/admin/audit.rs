//! The audit log, for admins.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use entity::audit_log;

use crate::domain::privacy::audit::{self, AuditFilter};
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::AdminCtx;

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    ctx: AdminCtx,
    f: AuditFilter,
    rows: Vec<audit_log::Model>,
    pages: u64,
}

impl AuditPage {
    fn page(&self) -> u64 {
        Ord::max(self.f.side.unwrap_or(1), 1)
    }
    fn link(&self, page: u64) -> String {
        let q = serde_urlencoded::to_string([
            ("action", self.f.action.as_str()),
            ("actor", self.f.actor.as_str()),
            ("side", &page.to_string()),
        ])
        .unwrap_or_default();
        format!("/admin/logg?{q}")
    }
}

pub async fn page(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Query(f): Query<AuditFilter>,
) -> AppResult<AuditPage> {
    let (rows, pages) = audit::search(&s.db, &f).await?;
    Ok(AuditPage {
        ctx,
        f,
        rows,
        pages,
    })
}
