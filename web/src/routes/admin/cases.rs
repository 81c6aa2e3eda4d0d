//! The SLA queue and the case page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use entity::{campaign, client, user};
use serde::Deserialize;
use std::collections::HashMap;

use super::see_other;
use crate::auth::Staff;
use crate::domain::cases::complaints::CATEGORIES;
use crate::domain::cases::delivery;
use crate::domain::cases::handling;
use crate::domain::cases::history::{self, Event};
use crate::domain::cases::queue::{self, Counters, QueueFilter, QueuePage, QueueRow, SlaState};
use crate::domain::cases::reach::{self, Reach};
use crate::domain::cases::recordings;
use crate::domain::cases::text_blocks;
use crate::domain::cases::work::{self, CaseView, Change, Outbound};
use crate::domain::{Error, FieldErrors};
use crate::domain::{catalogue::centre, catalogue::settings, staff::users};
use crate::error::{AppError, AppResult};
use crate::request::is_htmx;
use crate::state::AppState;
use crate::views::AdminCtx;
use entity::enums::Delivery;

// ---------- the queue ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin/queue.html")]
pub struct QueueScreen {
    ctx: AdminCtx,
    /// The search server did not answer; the database searched instead.
    degraded: bool,
    f: QueueFilter,
    counters: Counters,
    page: QueuePage,
    clients: Vec<client::Model>,
    campaigns: Vec<campaign::Model>,
    users: Vec<user::Model>,
    now: DateTime<Utc>,
    previews: HashMap<i32, String>,
    /// Cases that ask not to be called: whether their number is reserved.
    opt_outs: HashMap<i32, bool>,
    /// Drawn as the htmx fragment (the title then swaps out of band).
    fragment: bool,
    /// What the handler just did, when no case was left to land on, and
    /// the case it was done to.
    notice: Option<(String, String)>,
}

/// The results alone, for htmx (live refresh and filtering).
#[derive(Template, WebTemplate)]
#[template(path = "admin/queue.html", block = "results")]
pub struct QueueResults {
    ctx: AdminCtx,
    degraded: bool,
    f: QueueFilter,
    counters: Counters,
    page: QueuePage,
    now: DateTime<Utc>,
    previews: HashMap<i32, String>,
    opt_outs: HashMap<i32, bool>,
    fragment: bool,
}

/// Shared by the page and its fragment.
pub trait QueueView {
    fn ctx(&self) -> &AdminCtx;
    fn now(&self) -> DateTime<Utc>;
    fn previews(&self) -> &HashMap<i32, String>;
    fn opt_outs(&self) -> &HashMap<i32, bool>;
    fn filter(&self) -> &QueueFilter;
    /// The queue shows answered or closed cases: no deadline to count down.
    fn settled(&self) -> bool {
        matches!(self.filter().status.as_str(), "answered" | "closed")
    }
    /// The title follows the status filter ("closed cases", not "waiting").
    fn title(&self) -> String {
        match self.filter().status.as_str() {
            "answered" => self.ctx().t("queue-title-answered"),
            "closed" => self.ctx().t("queue-title-closed"),
            _ => self.ctx().t("queue-title"),
        }
    }
    /// The third column's header: time left, or when it was closed.
    fn left_header(&self) -> String {
        match self.filter().status.as_str() {
            "answered" => self.ctx().t("queue-col-state"),
            "closed" => self.ctx().t("queue-col-closed"),
            _ => self.ctx().t("queue-col-left"),
        }
    }
    /// When a closed case was closed.
    fn closed_when(&self, r: &QueueRow) -> String {
        r.case
            .closed_at
            .map(|t| self.ctx().when(&t))
            .unwrap_or_default()
    }
    /// The marker of a case that asks not to be called: its class and words.
    fn opt_out(&self, r: &QueueRow) -> Option<(&'static str, String)> {
        self.opt_outs().get(&r.case.id).map(|reserved| {
            if *reserved {
                ("reserved", self.ctx().t("queue-opt-out-reserved"))
            } else {
                ("asked", self.ctx().t("queue-opt-out"))
            }
        })
    }
    /// Who wrote: the name, else the e-mail address, else the phone number.
    fn who(&self, r: &QueueRow) -> String {
        let c = &r.case;
        c.consumer_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| c.consumer_email.clone())
            .or_else(|| c.consumer_phone.as_deref().map(|p| self.ctx().phone(p)))
            .unwrap_or_else(|| self.ctx().t("queue-who-unknown"))
    }
    /// The first line of the consumer's latest message.
    fn preview(&self, r: &QueueRow) -> String {
        self.previews().get(&r.case.id).cloned().unwrap_or_default()
    }
    fn left(&self, r: &QueueRow) -> String {
        if r.state == SlaState::Stopped {
            return String::new();
        }
        let (overdue, h, m) = queue::time_left(r.case.due_at, self.now());
        let key = if overdue {
            "queue-overdue"
        } else {
            "queue-left"
        };
        self.ctx()
            .lang
            .ta(key, &[("h", h.to_string()), ("m", m.to_string())])
    }
    fn state_label(&self, s: &SlaState) -> String {
        self.ctx().t(&format!("sla-{}", s.as_str()))
    }
    /// A closed case says so (and whether it was answered), never "answered".
    fn row_class(&self, r: &QueueRow) -> &'static str {
        if r.case.status == entity::enums::CaseStatus::Closed {
            "closed"
        } else {
            r.state.as_str()
        }
    }
    fn row_label(&self, r: &QueueRow) -> String {
        if r.case.status != entity::enums::CaseStatus::Closed {
            self.state_label(&r.state)
        } else if work::closed_without_answer(&r.case) {
            self.ctx().t("case-closed-unanswered")
        } else {
            self.ctx().t("sla-closed")
        }
    }
    fn channel_label(&self, r: &QueueRow) -> String {
        self.ctx()
            .t(&format!("channel-{}", r.case.channel.as_str()))
    }
    fn category_label(&self, r: &QueueRow) -> String {
        self.ctx().t(&format!("category-{}", r.case.category))
    }
    fn oldest(&self, c: &Counters) -> String {
        match c.oldest {
            Some(t) => {
                let (_, h, m) = queue::time_left(self.now(), t);
                self.ctx()
                    .lang
                    .ta("queue-age", &[("h", h.to_string()), ("m", m.to_string())])
            }
            None => "–".into(),
        }
    }
}

impl QueueView for QueueScreen {
    fn ctx(&self) -> &AdminCtx {
        &self.ctx
    }
    fn now(&self) -> DateTime<Utc> {
        self.now
    }
    fn previews(&self) -> &HashMap<i32, String> {
        &self.previews
    }
    fn opt_outs(&self) -> &HashMap<i32, bool> {
        &self.opt_outs
    }
    fn filter(&self) -> &QueueFilter {
        &self.f
    }
}

impl QueueView for QueueResults {
    fn ctx(&self) -> &AdminCtx {
        &self.ctx
    }
    fn now(&self) -> DateTime<Utc> {
        self.now
    }
    fn previews(&self) -> &HashMap<i32, String> {
        &self.previews
    }
    fn opt_outs(&self) -> &HashMap<i32, bool> {
        &self.opt_outs
    }
    fn filter(&self) -> &QueueFilter {
        &self.f
    }
}

pub async fn queue(
    State(s): State<AppState>,
    ctx: AdminCtx,
    headers: HeaderMap,
    Query(f): Query<QueueFilter>,
    Query(flash): Query<Flash>,
) -> AppResult<Response> {
    let now = s.clock.now();
    let names = queue::names(&s.db).await?;
    let counters = queue::counters(&s.db, now).await?;
    let hits = s.search.cases(&f, ctx.id(), now).await;
    let page = queue::page(
        &s.db,
        &f,
        ctx.id(),
        now,
        &names,
        hits.ids.as_deref(),
        Some(&counters),
    )
    .await?;
    let degraded = hits.degraded;
    let ids: Vec<i32> = page.rows.iter().map(|r| r.case.id).collect();
    let previews = handling::previews(&s.db, &ids).await?;
    let opt_outs = queue_opt_outs(&s, &page).await?;
    if is_htmx(&headers) {
        return Ok(QueueResults {
            fragment: true,
            opt_outs,
            ctx,
            degraded,
            f,
            counters,
            page,
            now,
            previews,
        }
        .into_response());
    }
    Ok(QueueScreen {
        fragment: false,
        opt_outs,
        degraded,
        f,
        counters,
        page,
        clients: settings::clients(&s.db).await?,
        campaigns: settings::campaigns(&s.db).await?,
        users: users::list(&s.db).await?,
        now,
        previews,
        notice: flash.outcome(&ctx),
        ctx,
    }
    .into_response())
}

/// Of the cases on `page`, those that ask not to be called, and whether
/// their number is reserved already.
async fn queue_opt_outs(s: &AppState, page: &QueuePage) -> AppResult<HashMap<i32, bool>> {
    let cases: Vec<&entity::case::Model> = page.rows.iter().map(|r| &r.case).collect();
    let asking = reach::opt_out_requests(&s.db, &cases).await?;
    let phones = cases
        .iter()
        .filter(|c| asking.contains(&c.id))
        .filter_map(|c| c.consumer_phone.clone())
        .collect();
    let reserved = reach::reserved_numbers(&s.db, phones).await?;
    Ok(cases
        .iter()
        .filter(|c| asking.contains(&c.id))
        .map(|c| {
            let r = c
                .consumer_phone
                .as_ref()
                .is_some_and(|p| reserved.contains(p));
            (c.id, r)
        })
        .collect())
}

// ---------- the case ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin/case.html")]
pub struct CaseScreen {
    ctx: AdminCtx,
    view: CaseView,
    users: Vec<user::Model>,
    categories: &'static [&'static str],
    close_reasons: &'static [&'static str],
    now: DateTime<Utc>,
    /// What the handler was writing when a send failed.
    draft: String,
    draft_channel: String,
    /// A message above the answer form (translated), and whether it is an error.
    notice: Option<(bool, String)>,
    /// Form fields the handler must correct, with what is wrong.
    errs: FieldErrors,
    /// What the close form held when it was refused.
    close_draft: CloseForm,
    /// A mail server is configured (`SMTP_URL`): e-mail answers can leave.
    mail_ready: bool,
    sms_ready: bool,
    recordings: Vec<entity::recording::Model>,
    /// The saved text blocks a handler may insert into an answer.
    blocks: Vec<entity::text_block::Model>,
    /// The case just answered or closed, when the handler moved on from it.
    done: Option<String>,
    /// (id, message id, file name, content type, size) of every attachment.
    attachments: Vec<(i32, i32, String, String, i32)>,
    /// How a written answer can reach the person.
    reach: Reach,
    /// What happened to the case, oldest first.
    history: Vec<history::Entry>,
    /// The person's number is in the internal register.
    reserved: Option<history::Reserved>,
    /// The category or the person's words ask not to be called.
    asks_no_call: bool,
}

impl CaseScreen {
    fn state(&self) -> SlaState {
        queue::sla_state(&self.view.case, self.now)
    }
    fn left(&self) -> String {
        let (overdue, h, m) = queue::time_left(self.view.case.due_at, self.now);
        let key = if overdue {
            "queue-overdue"
        } else {
            "queue-left"
        };
        self.ctx
            .lang
            .ta(key, &[("h", h.to_string()), ("m", m.to_string())])
    }
    fn author(&self, id: &Option<i32>) -> String {
        id.and_then(|i| self.users.iter().find(|u| u.id == i))
            .map(|u| u.email.clone())
            .unwrap_or_default()
    }
    fn assigned_to(&self, id: impl std::borrow::Borrow<i32>) -> bool {
        self.view.case.assignee_id == Some(*id.borrow())
    }
    fn attachments_of(&self, message_id: &i32) -> Vec<&(i32, i32, String, String, i32)> {
        self.attachments
            .iter()
            .filter(|a| a.1 == *message_id)
            .collect()
    }
    fn is_open(&self) -> bool {
        self.view.case.status != entity::enums::CaseStatus::Closed
    }
    /// No answer went out: closing needs a reason.
    fn needs_close_reason(&self) -> bool {
        self.view.case.first_response_at.is_none()
    }
    /// Closed without an answer (with the reason shown).
    fn closed_without_answer(&self) -> bool {
        !self.is_open() && work::closed_without_answer(&self.view.case)
    }
    /// Why the SMS option is off, if it is.
    fn sms_unavailable(&self) -> Option<String> {
        if self.view.case.consumer_phone.is_none() {
            Some(self.ctx.t("case-sms-off-no-phone"))
        } else if !self.sms_ready && self.ctx.is_admin() {
            Some(self.ctx.t("case-sms-off-not-configured"))
        } else if !self.sms_ready {
            Some(self.ctx.t("case-sms-off-not-configured-handler"))
        } else {
            None
        }
    }
    /// The delivery state of an outbound message, in words.
    fn delivery(&self, m: &entity::message::Model) -> Option<(String, String)> {
        let d = m.delivery?;
        let when = m.delivery_at.map(|t| self.ctx.when(&t)).unwrap_or_default();
        let text = match d {
            Delivery::Sent if m.channel == entity::enums::Channel::Phone => {
                self.ctx.ta("delivery-phone", &[("when", when)])
            }
            Delivery::Sent | Delivery::Delivered => self
                .ctx
                .ta(&format!("delivery-{}", d.as_str()), &[("when", when)]),
            Delivery::Queued => self.ctx.t("delivery-queued"),
            Delivery::Failed | Delivery::Undelivered => self.ctx.ta(
                &format!("delivery-{}", d.as_str()),
                &[(
                    "reason",
                    m.delivery_error.clone().unwrap_or_else(|| "–".into()),
                )],
            ),
        };
        Some((d.as_str().to_string(), text))
    }
    /// The latest answer's trouble, from the dialogue on this page (so the
    /// banner and the messages agree even when a send lands mid-request).
    fn flag(&self) -> Option<&'static str> {
        delivery::flag_of(
            self.view
                .messages
                .iter()
                .rfind(|m| m.direction == entity::enums::Direction::Outbound)
                .and_then(|m| m.delivery),
        )
    }
    fn retryable(&self, m: &entity::message::Model) -> bool {
        matches!(m.delivery, Some(Delivery::Failed | Delivery::Undelivered))
    }
    fn close_reason_label(&self) -> String {
        let r = self.view.case.close_reason.clone().unwrap_or_default();
        let mut s = self.ctx.tk("close-reason", &r);
        if let Some(d) = &self.view.case.duplicate_of {
            s = format!("{s} ({d})");
        }
        s
    }
    fn reason_chosen(&self, code: &&&str) -> bool {
        self.close_draft.lukkegrunn == ***code
    }
    /// A staff member's address, by id.
    fn email_of(&self, id: i32) -> String {
        self.users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.email.clone())
            .unwrap_or_else(|| "–".into())
    }
    /// No written answer can reach the person: the page says so on top
    /// and offers what can be done instead.
    fn dead_end(&self) -> bool {
        self.is_open() && !self.reach.can_write()
    }
    /// Why nothing written can reach the person, one reason per line.
    fn dead_end_reasons(&self) -> Vec<String> {
        let mut out = vec![self.ctx.t("reach-no-email")];
        if !self.reach.phone {
            out.push(self.ctx.t("reach-no-phone"));
        } else if !self.sms_ready {
            out.push(self.ctx.t("reach-sms-not-set-up"));
        }
        out
    }
    /// Who can fix it: handlers are told to ask an administrator, an
    /// administrator gets the settings (variable names only for them).
    fn who_fixes(&self) -> Option<String> {
        (self.reach.phone && !self.sms_ready).then(|| {
            if self.ctx.is_admin() {
                self.ctx.t("reach-fix-sms-admin")
            } else {
                self.ctx.t("reach-fix-sms-handler")
            }
        })
    }
    /// The number is reserved: when and by whom, in words.
    fn reserved_text(&self) -> Option<String> {
        let r = self.reserved.as_ref()?;
        let when = self.ctx.when(&r.at);
        Some(match &r.by {
            Some(by) => self
                .ctx
                .ta("case-reserved-by", &[("when", when), ("by", by.clone())]),
            None => self.ctx.ta("case-reserved-since", &[("when", when)]),
        })
    }
    /// The person asked not to be called and the number is not reserved.
    fn opt_out_pending(&self) -> bool {
        self.asks_no_call && self.reach.phone && self.reserved.is_none()
    }
    /// When and by whom the case was last closed, in words.
    fn closed_by(&self) -> Option<String> {
        let e = history::last_close(&self.history)?;
        let when = self.ctx.when(&e.at);
        Some(match &e.by {
            Some(by) => self
                .ctx
                .ta("case-closed-by", &[("when", when), ("by", by.clone())]),
            None => self.ctx.ta("case-closed-at", &[("when", when)]),
        })
    }
    /// One history line in words.
    fn event_text(&self, e: &history::Entry) -> String {
        let t = &self.ctx;
        let key = format!("history-{}", e.event.key());
        match &e.event {
            Event::ConsumerWrote(ch) | Event::AnswerQueued(ch) | Event::AnswerState(ch, _) => {
                t.ta(&key, &[("channel", t.tk("channel", ch.as_str()))])
            }
            Event::Assigned(Some(id)) => t.ta(&key, &[("who", self.email_of(*id))]),
            Event::Category(c) => t.ta(&key, &[("category", t.tk("category", c))]),
            Event::Closed(Some(r)) => t.ta(
                "history-closed-reason",
                &[("reason", t.tk("close-reason", r))],
            ),
            _ => t.t(&key),
        }
    }
    /// An answer that waits in the queue on a channel nobody set up.
    fn stuck(&self, m: &entity::message::Model) -> Option<String> {
        if m.delivery != Some(Delivery::Queued) {
            return None;
        }
        let key = match m.channel {
            entity::enums::Channel::Email if !self.mail_ready => "delivery-queued-no-mail",
            entity::enums::Channel::Sms if !self.sms_ready => "delivery-queued-no-sms",
            _ => return None,
        };
        let fix = if self.ctx.is_admin() {
            "-admin"
        } else {
            "-handler"
        };
        Some(self.ctx.t(&format!("{key}{fix}")))
    }
}

/// The case page of `v`, under its own path.
async fn screen(
    s: &AppState,
    ctx: AdminCtx,
    v: CaseView,
    draft: String,
    draft_channel: String,
    notice: Option<(bool, String)>,
) -> AppResult<CaseScreen> {
    let recordings = recordings::for_case(&s.db, v.case.id).await?;
    let attachments =
        recordings::attachments(&s.db, v.messages.iter().map(|m| m.id).collect()).await?;
    let users = users::list(&s.db).await?;
    let history = history::of(&s.db, &v.case, &v.messages, |id| {
        users.iter().find(|u| u.id == id).map(|u| u.email.clone())
    })
    .await?;
    let reserved = history::reserved(&s.db, &v.case, &history).await?;
    let sms_ready = s.twilio.sms_configured();
    let asks_no_call = reach::asks_not_to_be_called(
        &v.case.category,
        v.messages
            .iter()
            .filter(|m| m.direction == entity::enums::Direction::Inbound)
            .map(|m| m.body.as_str()),
    );
    Ok(CaseScreen {
        reach: Reach::of(&v.case, sms_ready),
        history,
        reserved,
        asks_no_call,
        blocks: text_blocks::list(&s.db).await?,
        done: None,
        recordings,
        attachments,
        ctx: ctx.at(format!("/admin/saker/{}", v.case.reference)),
        view: v,
        users,
        categories: CATEGORIES,
        close_reasons: work::CLOSE_REASONS,
        now: s.clock.now(),
        draft,
        draft_channel,
        notice,
        errs: FieldErrors::default(),
        close_draft: CloseForm::default(),
        mail_ready: s.mailer.is_configured(),
        sms_ready,
    })
}

/// The case page again (422 once wrapped) with what was refused: the first
/// error as the message above the forms, the fields marked.
async fn refused(
    s: &AppState,
    ctx: AdminCtx,
    v: CaseView,
    draft: String,
    draft_channel: String,
    errs: FieldErrors,
) -> AppResult<CaseScreen> {
    let msg = ctx.t(errs.first().map_or("", |(_, key)| key));
    let mut page = screen(s, ctx, v, draft, draft_channel, Some((true, msg))).await?;
    page.errs = errs;
    Ok(page)
}

/// What the handler just did, carried in the address of the page they land
/// on (`ok`, and `fra`: the case it was done to, when they moved on).
#[derive(Deserialize, Default)]
pub struct Flash {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    fra: Option<String>,
}

/// Outcomes after which the handler moves on to the next case.
const MOVED_ON: &[&str] = &["answered", "closed"];

impl Flash {
    /// The case the outcome concerns, when it is a plausible reference.
    fn done_case(&self) -> Option<String> {
        self.fra
            .as_deref()
            .map(|r| r.trim().to_uppercase())
            .filter(|r| {
                !r.is_empty()
                    && r.len() <= 32
                    && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    }
    /// The outcome of moving on, in words, and the case it concerns (the
    /// queue and the next case link back to it).
    fn outcome(&self, ctx: &AdminCtx) -> Option<(String, String)> {
        let k = self.ok.as_deref().filter(|k| MOVED_ON.contains(k))?;
        let from = self.done_case()?;
        let msg = ctx.ta(
            &format!("case-flash-{k}-moved"),
            &[("reference", from.clone())],
        );
        Some((msg, from))
    }
}

pub async fn show(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(reference): Path<String>,
    Query(flash): Query<Flash>,
) -> AppResult<CaseScreen> {
    let v = work::open_for(&s.db, &reference, &ctx.actor(), s.clock.now()).await?;
    let outcome = flash.outcome(&ctx);
    let done = outcome.as_ref().map(|(_, r)| r.clone());
    let notice = outcome.map(|(m, _)| (false, m)).or_else(|| {
        flash
            .ok
            .as_deref()
            .filter(|k| {
                [
                    "queued",
                    "retry",
                    "note",
                    "saved",
                    "reserved",
                    "reserved-already",
                ]
                .contains(k)
            })
            .map(|k| (false, ctx.t(&format!("case-flash-{k}"))))
    });
    let channel = default_channel(&v);
    let mut page = screen(&s, ctx, v, String::new(), channel, notice).await?;
    page.done = done;
    Ok(page)
}

/// Where a handler lands after answering or closing case `done`: the next
/// case that needs them, with the outcome on top; the queue when none is
/// left.
async fn next_path(s: &AppState, me: i32, done: &CaseView, outcome: &str) -> AppResult<String> {
    let q = format!("ok={outcome}&fra={}", done.case.reference);
    Ok(
        match handling::next_for(&s.db, me, Some(done.case.id)).await? {
            Some(n) => format!("/admin/saker/{}?{q}", n.reference),
            None => format!("/admin/saker?{q}"),
        },
    )
}

fn default_channel(v: &CaseView) -> String {
    if v.case.consumer_email.is_some() && v.case.channel != entity::enums::Channel::Sms {
        "email".into()
    } else if v.case.consumer_phone.is_some() {
        "sms".into()
    } else {
        "email".into()
    }
}

fn case_path(v: &CaseView, flash: &str) -> String {
    format!("/admin/saker/{}?ok={flash}", v.case.reference)
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    kanal: String,
    #[serde(default)]
    tekst: String,
}

pub async fn answer(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(reference): Path<String>,
    Form(f): Form<AnswerForm>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    let centre = centre::get(&s.db).await?;
    let out = Outbound {
        twilio: &s.twilio,
        mail_from: &s.config.mail_from,
        centre_name: &centre.name,
    };
    let now = s.clock.now();
    match work::answer(&s.db, &out, &v, &ctx.actor(), &f.kanal, &f.tekst, now).await {
        Ok(_) => {
            s.kick_outbox();
            Ok(see_other(&next_path(&s, ctx.id(), &v, "answered").await?))
        }
        Err(Error::Invalid(errs)) => {
            let page = refused(&s, ctx, v, f.tekst, f.kanal, errs).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    notat: String,
}

pub async fn note(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(reference): Path<String>,
    Form(f): Form<NoteForm>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    match work::add_note(&s.db, &v.case, &ctx.actor(), &f.notat, s.clock.now()).await {
        Ok(()) => Ok(see_other(&case_path(&v, "note"))),
        Err(Error::Invalid(errs)) => {
            let channel = default_channel(&v);
            let page = refused(&s, ctx, v, String::new(), channel, errs).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn apply(s: &AppState, staff: &Staff, reference: &str, what: Change) -> AppResult<Response> {
    let v = work::load(&s.db, reference).await?;
    work::change(&s.db, &v.case, &staff.actor(), what, s.clock.now()).await?;
    Ok(see_other(&case_path(&v, "saved")))
}

#[derive(Deserialize)]
pub struct AssignForm {
    /// A user id, `me`, or empty for nobody.
    #[serde(default)]
    til: String,
}

pub async fn assign(
    State(s): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(f): Form<AssignForm>,
) -> AppResult<Response> {
    let what = Change::assign(&f.til, staff.id())?;
    apply(&s, &staff, &reference, what).await
}

#[derive(Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    kategori: String,
}

pub async fn category(
    State(s): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(f): Form<CategoryForm>,
) -> AppResult<Response> {
    apply(&s, &staff, &reference, Change::Category(f.kategori)).await
}

/// The close form: `lukkegrunn` (needed when no answer went out), with
/// `duplikat_av` or `notat`.
#[derive(Deserialize, Default)]
pub struct CloseForm {
    #[serde(default)]
    lukkegrunn: String,
    #[serde(default)]
    duplikat_av: String,
    #[serde(default)]
    notat: String,
    /// `ja`: close although the person asked not to be called and the
    /// number is not reserved.
    #[serde(default)]
    uten_reservasjon: String,
}

impl CloseForm {
    fn lukkegrunn_dup(&self) -> &str {
        &self.duplikat_av
    }
    fn note(&self) -> &str {
        &self.notat
    }
}

pub async fn close(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(reference): Path<String>,
    Form(f): Form<CloseForm>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    let confirmed = f.uten_reservasjon == "ja";
    let result = match work::parse_close_reason(&f.lukkegrunn, &f.duplikat_av, &f.notat) {
        // A missing reason is said first; then the unreserved opt-out.
        Ok(ref reason)
            if (reason.is_some() || v.case.first_response_at.is_some())
                && !confirmed
                && reach::opt_out_pending(&s.db, &v.case, &v.messages).await? =>
        {
            Err(Error::invalid(
                "uten_reservasjon",
                "close-error-not-reserved",
            ))
        }
        Ok(reason) => work::close(&s.db, &v.case, &ctx.actor(), reason, s.clock.now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&next_path(&s, ctx.id(), &v, "closed").await?)),
        Err(Error::Invalid(errs)) => {
            let channel = default_channel(&v);
            let mut page = refused(&s, ctx, v, String::new(), channel, errs).await?;
            page.close_draft = f;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Sends a failed or undelivered message again (`send-igjen`).
pub async fn retry(
    State(s): State<AppState>,
    staff: Staff,
    Path((reference, id)): Path<(String, i32)>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    delivery::retry(&s.db, &v.case, id, &staff.actor(), s.clock.now()).await?;
    s.kick_outbox();
    Ok(see_other(&case_path(&v, "retry")))
}

pub async fn reopen(
    State(s): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
) -> AppResult<Response> {
    apply(&s, &staff, &reference, Change::Reopen).await
}

/// Plays a voicemail recording (handler and up); every play is audited.
pub async fn play_recording(
    State(s): State<AppState>,
    staff: Staff,
    Path((reference, id)): Path<(String, i32)>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    let audio = recordings::play(
        &s.db,
        &s.twilio,
        v.case.id,
        &v.case.reference,
        id,
        &staff.actor(),
        s.clock.now(),
    )
    .await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "audio/mpeg"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        audio,
    )
        .into_response())
}

pub async fn delete_recording(
    State(s): State<AppState>,
    staff: Staff,
    Path((reference, id)): Path<(String, i32)>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    recordings::delete(
        &s.db,
        &s.twilio,
        v.case.id,
        id,
        &staff.actor(),
        s.clock.now(),
    )
    .await?;
    Ok(see_other(&case_path(&v, "saved")))
}

pub async fn attachment(
    State(s): State<AppState>,
    staff: Staff,
    Path((reference, id)): Path<(String, i32)>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    let ids = v.messages.iter().map(|m| m.id).collect();
    let a = recordings::attachment_file(&s.db, ids, id, &staff.actor(), s.clock.now())
        .await?
        .ok_or(AppError::not_found())?;
    // Always a download, never shown inline: the file came from outside.
    let disposition = format!(
        "attachment; filename=\"{}\"",
        a.filename.replace(['"', '\\', '\r', '\n'], "_")
    );
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/octet-stream".to_string(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        a.data,
    )
        .into_response())
}

/// "Reserver nummeret": the consumer's own number into the internal
/// register from the case (norm 4.4.4), audited and noted in the case.
pub async fn reserve(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(reference): Path<String>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    let note = ctx.t("case-reserve-note");
    match handling::reserve_from_case(&s.db, &v.case, &ctx.actor(), &note, s.clock.now()).await {
        Ok(r) => Ok(see_other(&case_path(
            &v,
            if r.newly_added {
                "reserved"
            } else {
                "reserved-already"
            },
        ))),
        Err(Error::Refused(key)) => {
            let channel = default_channel(&v);
            let msg = ctx.t(key);
            let page = screen(&s, ctx, v, String::new(), channel, Some((true, msg))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer form with a text block put in (`tekstbit`), after what was
/// already written, for the handler to edit: the page again, nothing sent.
#[derive(Deserialize)]
pub struct InsertForm {
    #[serde(default)]
    kanal: String,
    #[serde(default)]
    tekst: String,
    #[serde(default)]
    tekstbit: String,
}

pub async fn insert_block(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(reference): Path<String>,
    Form(f): Form<InsertForm>,
) -> AppResult<Response> {
    let v = work::load(&s.db, &reference).await?;
    let channel = if f.kanal.is_empty() {
        default_channel(&v)
    } else {
        f.kanal
    };
    let Ok(id) = f.tekstbit.parse::<i32>() else {
        let mut errs = FieldErrors::default();
        errs.push("tekstbit", "blocks-error-choose");
        let page = refused(&s, ctx, v, f.tekst, channel, errs).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let block = text_blocks::get(&s.db, id).await?;
    let body = text_blocks::fill(
        &block.body,
        v.case.consumer_name.as_deref(),
        &v.case.reference,
        v.case.due_at,
    );
    let draft = if f.tekst.trim().is_empty() {
        body
    } else {
        format!("{}\n\n{}", f.tekst.trim_end(), body)
    };
    Ok(screen(&s, ctx, v, draft, channel, None)
        .await?
        .into_response())
}
