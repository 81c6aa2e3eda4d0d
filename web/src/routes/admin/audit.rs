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
    /// What was done, in words (the code when there are none).
    fn action_text(&self, code: &str) -> String {
        let key = format!("audit-do-{}", code.replace(['.', '_'], "-"));
        if self.ctx.has(&key) {
            self.ctx.t(&key)
        } else {
            code.to_string()
        }
    }
    fn actions(&self) -> &'static [&'static str] {
        audit::ACTIONS
    }
    /// The case an entry concerns, when it concerns one.
    fn case_of<'a>(&self, r: &'a audit_log::Model) -> Option<&'a str> {
        (r.object_type.as_deref() == Some("case"))
            .then_some(r.object_id.as_deref())
            .flatten()
    }
    fn object_text(&self, r: &audit_log::Model) -> String {
        match (r.object_type.as_deref(), r.object_id.as_deref()) {
            (Some(t), Some(id)) => {
                let key = format!("audit-object-{}", t.replace('_', "-"));
                if self.ctx.has(&key) {
                    format!("{} {id}", self.ctx.t(&key))
                } else {
                    format!("{t} {id}")
                }
            }
            (Some(t), None) => t.to_string(),
            _ => String::new(),
        }
    }
    fn link(&self, page: u64) -> String {
        let q = serde_urlencoded::to_string([
            ("action", self.f.action.as_str()),
            ("actor", self.f.actor.as_str()),
            ("fra", self.f.fra.as_str()),
            ("til", self.f.til.as_str()),
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
