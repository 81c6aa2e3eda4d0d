//! The public site (norm 4.4.1, 4.4.4, 4.4.5): thin handlers over `domain`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entity::enums::ReservationSource;
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::cases::complaints::{self, CATEGORIES, ComplaintInput, Receipt};
use crate::domain::catalogue::PublicClient;
use crate::domain::catalogue::lookup::{self, CallerInfo};
use crate::domain::phone::E164;
use crate::domain::time::{self, oslo_today};
use crate::domain::{dialer::calling_hours, dialer::reservations, search};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::request::is_htmx;
use crate::state::AppState;
use crate::views::PageCtx;

// ---------- home ----------

#[derive(Template, WebTemplate)]
#[template(path = "pages/home.html")]
pub struct HomePage {
    ctx: PageCtx,
}

pub async fn home(ctx: PageCtx) -> HomePage {
    HomePage { ctx }
}

// ---------- clients (norm 4.4.1 a) ----------

#[derive(Template, WebTemplate)]
#[template(path = "pages/clients.html")]
pub struct ClientsPage {
    ctx: PageCtx,
    clients: Vec<PublicClient>,
    /// What the filter box holds.
    q: String,
    /// The search server did not answer; the list was filtered here.
    degraded: bool,
}

#[derive(Deserialize)]
pub struct ClientsQuery {
    #[serde(default)]
    q: String,
}

impl ClientsPage {
    fn period(&self, c: &entity::campaign::Model) -> String {
        period(self.ctx.lang, c.starts_on, c.ends_on)
    }
    fn kind(&self, c: &entity::campaign::Model) -> String {
        self.ctx.t(&format!("kind-{}", c.kind.as_str()))
    }
}

fn period(lang: Lang, from: chrono::NaiveDate, to: Option<chrono::NaiveDate>) -> String {
    match to {
        Some(t) => format!("{} – {}", time::date(from, lang), time::date(t, lang)),
        None => lang.ta("period-open-ended", &[("from", time::date(from, lang))]),
    }
}

pub async fn clients(
    State(s): State<AppState>,
    ctx: PageCtx,
    Query(query): Query<ClientsQuery>,
) -> AppResult<ClientsPage> {
    let today = oslo_today(s.clock.now());
    let q: String = query.q.trim().chars().take(200).collect();
    let mut clients = ctx.catalogue.public_clients(today);
    let hits = s.search.clients(&q).await;
    match &hits.ids {
        Some(ids) => clients.retain(|c| ids.contains(&c.client.id)),
        None => clients.retain(|c| search::db::client_matches(c, &q)),
    }
    Ok(ClientsPage {
        ctx,
        clients,
        q,
        degraded: hits.degraded,
    })
}

// ---------- privacy ----------

#[derive(Template, WebTemplate)]
#[template(path = "pages/privacy.html")]
pub struct PrivacyPage {
    ctx: PageCtx,
}

pub async fn privacy(ctx: PageCtx) -> PrivacyPage {
    PrivacyPage { ctx }
}

// ---------- accessibility statement ----------

#[derive(Template, WebTemplate)]
#[template(path = "pages/accessibility.html")]
pub struct AccessibilityPage {
    ctx: PageCtx,
}

pub async fn accessibility(ctx: PageCtx) -> AccessibilityPage {
    AccessibilityPage { ctx }
}

// ---------- open data: the format of /api/v1/numbers ----------

#[derive(Template, WebTemplate)]
#[template(path = "pages/open_data.html")]
pub struct OpenDataPage {
    ctx: PageCtx,
    /// The site's public address, for the examples.
    base: String,
    schema_version: &'static str,
    retired_months: u32,
    columns: String,
}

impl OpenDataPage {
    /// The fields of one number, as documented in the schema.
    fn fields(&self) -> impl Iterator<Item = &'static str> {
        crate::domain::catalogue::open_data::field_names()
    }
}

pub async fn open_data(State(s): State<AppState>, ctx: PageCtx) -> OpenDataPage {
    use crate::domain::catalogue::open_data::{RETIRED_KEPT_MONTHS, SCHEMA_VERSION, csv_columns};
    OpenDataPage {
        ctx,
        base: s.config.public_base_url.trim_end_matches('/').to_string(),
        schema_version: SCHEMA_VERSION,
        retired_months: RETIRED_KEPT_MONTHS,
        columns: csv_columns().collect::<Vec<_>>().join(","),
    }
}

// ---------- who called me? (norm 4.4.5) ----------

#[derive(Deserialize)]
pub struct NumberQuery {
    nummer: Option<String>,
}

/// The outcome of a lookup, shown in the result panel.
enum LookupOutcome {
    Nothing,
    Hit(Box<CallerInfo>),
    Miss(E164),
    Invalid(&'static str),
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/lookup.html")]
struct LookupPage {
    ctx: PageCtx,
    nummer: String,
    outcome: LookupOutcome,
}

#[derive(Template, WebTemplate)]
#[template(path = "partials/lookup.html")]
struct LookupResult {
    ctx: PageCtx,
    nummer: String,
    outcome: LookupOutcome,
}

trait LookupView {
    fn ctx(&self) -> &PageCtx;
    fn outcome(&self) -> &LookupOutcome;
    fn campaign_period(&self) -> String {
        match self.outcome() {
            LookupOutcome::Hit(i) => period(self.ctx().lang, i.starts_on, i.ends_on),
            _ => String::new(),
        }
    }
    fn kind(&self) -> String {
        match self.outcome() {
            LookupOutcome::Hit(i) => self.ctx().t(&format!("kind-{}", i.kind.as_str())),
            _ => String::new(),
        }
    }
}
impl LookupView for LookupPage {
    fn ctx(&self) -> &PageCtx {
        &self.ctx
    }
    fn outcome(&self) -> &LookupOutcome {
        &self.outcome
    }
}
impl LookupView for LookupResult {
    fn ctx(&self) -> &PageCtx {
        &self.ctx
    }
    fn outcome(&self) -> &LookupOutcome {
        &self.outcome
    }
}

pub async fn who_called(
    State(s): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<NumberQuery>,
) -> AppResult<Response> {
    let nummer = q.nummer.unwrap_or_default();
    let outcome = if nummer.trim().is_empty() {
        LookupOutcome::Nothing
    } else {
        match lookup::parse_typed_number(&nummer) {
            Err(e) => LookupOutcome::Invalid(e.message_key()),
            Ok(n) => match ctx.catalogue.who_called(&n, oslo_today(s.clock.now())) {
                Some(info) => LookupOutcome::Hit(Box::new(info)),
                None => LookupOutcome::Miss(n),
            },
        }
    };
    let status = match outcome {
        LookupOutcome::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    Ok(if is_htmx(&headers) {
        (
            status,
            LookupResult {
                ctx,
                nummer,
                outcome,
            },
        )
            .into_response()
    } else {
        (
            status,
            LookupPage {
                ctx,
                nummer,
                outcome,
            },
        )
            .into_response()
    })
}

// ---------- reservation (norm 4.4.1 b, 4.4.4, 10) ----------

#[derive(Template, WebTemplate)]
#[template(path = "pages/reservation.html")]
pub struct ReservationPage {
    ctx: PageCtx,
    nummer: String,
    error: Option<&'static str>,
    /// Calling hours (norm 4.2 i), from the rule the wash uses.
    hours: calling_hours::PublicNotice,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/reservation_receipt.html")]
struct ReservationReceipt {
    ctx: PageCtx,
    number: String,
}

#[derive(Deserialize)]
pub struct ReserveForm {
    #[serde(default)]
    nummer: String,
}

pub async fn reservation_page(
    State(s): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<NumberQuery>,
) -> ReservationPage {
    ReservationPage {
        ctx,
        nummer: q.nummer.unwrap_or_default(),
        error: None,
        hours: calling_hours::public_notice(s.clock.now()),
    }
}

pub async fn reserve(
    State(s): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<ReserveForm>,
) -> AppResult<Response> {
    match E164::parse(&f.nummer) {
        Err(e) => Ok((
            StatusCode::BAD_REQUEST,
            ReservationPage {
                ctx,
                nummer: f.nummer,
                error: Some(e.message_key()),
                hours: calling_hours::public_notice(s.clock.now()),
            },
        )
            .into_response()),
        Ok(n) => {
            let r = reservations::reserve(&s.db, &n, ReservationSource::Web, s.clock.now()).await?;
            tracing::info!(number = %n.redacted(), newly_added = r.newly_added, "reservation registered");
            // The same receipt whether or not the number was there already:
            // the page must not tell strangers who has reserved.
            Ok(ReservationReceipt {
                ctx,
                number: n.display(),
            }
            .into_response())
        }
    }
}

// ---------- complaint (norm 4.4.3) ----------

/// Where no category was chosen: "annet / vet ikke".
const NEUTRAL_CATEGORY: &str = "other";

#[derive(Template, WebTemplate)]
#[template(path = "pages/complaint.html")]
pub struct ComplaintPage {
    ctx: PageCtx,
    form: ComplaintInput,
    errors: FieldErrors,
}

impl ComplaintPage {
    /// The categories, the neutral "other / don't know" first: the form
    /// suggests no reason the consumer did not choose.
    fn categories(&self) -> Vec<&'static str> {
        let mut all = vec![NEUTRAL_CATEGORY];
        all.extend(
            CATEGORIES
                .iter()
                .copied()
                .filter(|c| *c != NEUTRAL_CATEGORY),
        );
        all
    }
    /// The translated error for a field, or "".
    fn err(&self, field: &str) -> String {
        self.errors
            .get(field)
            .map(|k| self.ctx.t(k))
            .unwrap_or_default()
    }
    fn has_err(&self, field: &str) -> bool {
        self.errors.get(field).is_some()
    }
    fn selected(&self, c: &str) -> bool {
        match self.form.kategori.as_str() {
            k if CATEGORIES.contains(&k) => k == c,
            _ => c == NEUTRAL_CATEGORY,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/complaint_receipt.html")]
struct ComplaintReceipt {
    ctx: PageCtx,
    receipt: Receipt,
}

impl ComplaintReceipt {
    fn due(&self) -> String {
        time::oslo_datetime(self.receipt.due_at, self.ctx.lang)
    }
    fn received(&self) -> String {
        time::oslo_datetime(self.receipt.received_at, self.ctx.lang)
    }
}

pub async fn complaint_page(ctx: PageCtx, Query(q): Query<NumberQuery>) -> ComplaintPage {
    ComplaintPage {
        ctx,
        form: ComplaintInput {
            nummer: q.nummer.unwrap_or_default(),
            kategori: String::new(),
            skjema_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        },
        errors: FieldErrors::default(),
    }
}

pub async fn complain(
    State(s): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<ComplaintInput>,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let complaint = match complaints::validate(&form) {
        Ok(c) => c,
        Err(errors) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ComplaintPage { ctx, form, errors },
            )
                .into_response());
        }
    };
    let receipt = complaints::submit(
        &s.db,
        &s.config.case_reference_prefix,
        &s.config.mail_from,
        complaint,
        lang,
        s.clock.now(),
    )
    .await?;
    tracing::info!(reference = %receipt.reference, "complaint received");
    if receipt.email_receipt {
        s.kick_outbox();
    }
    Ok(ComplaintReceipt { ctx, receipt }.into_response())
}
