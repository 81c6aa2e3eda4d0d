//! Admin settings: the centre's details, clients and campaigns.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use entity::enums::CampaignKind;
use entity::{campaign, client};

use super::{actx, see_other, unprocessable};
use crate::auth::Staff;
use crate::csrf::CsrfToken;
use crate::domain::catalogue::centre;
use crate::domain::catalogue::settings::{self, CampaignInput, CentreInput, ClientInput, KINDS};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::{AdminCtx, Errs};

// ---------- the centre ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin/centre.html")]
pub struct CentrePage {
    ctx: AdminCtx,
    form: CentreInput,
    errors: Errs,
}

pub async fn centre_page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
) -> AppResult<CentrePage> {
    let c = centre::get(&s.db).await?;
    let form = if c.configured {
        CentreInput {
            navn: c.name,
            orgnr: c.org_number,
            telefon: c.contact_phone,
            epost: c.contact_email,
            adresse: c.postal_address,
        }
    } else {
        CentreInput::default()
    };
    Ok(CentrePage {
        ctx: actx(lang, csrf, &staff, "/admin/innstillinger"),
        form,
        errors: Errs::default(),
    })
}

pub async fn centre_save(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Form(form): Form<CentreInput>,
) -> AppResult<Response> {
    match settings::save_centre(&s.db, &form, &staff.actor(), s.clock.now()).await? {
        Ok(()) => Ok(see_other("/admin/innstillinger")),
        Err(e) => Ok(unprocessable(CentrePage {
            ctx: actx(lang, csrf, &staff, "/admin/innstillinger"),
            form,
            errors: Errs(e),
        })),
    }
}

// ---------- clients ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin/clients.html")]
pub struct ClientsPage {
    ctx: AdminCtx,
    clients: Vec<client::Model>,
    /// Numbers in each client's own reservation register.
    register_sizes: std::collections::HashMap<i32, u64>,
    /// The client being edited (None: a new one).
    editing: Option<i32>,
    form: ClientInput,
    errors: Errs,
}

impl ClientsPage {
    fn register_size(&self, client_id: impl std::borrow::Borrow<i32>) -> u64 {
        self.register_sizes
            .get(client_id.borrow())
            .copied()
            .unwrap_or(0)
    }
}

fn client_input(c: &client::Model) -> ClientInput {
    ClientInput {
        navn: c.name.clone(),
        orgnr: c.org_number.clone(),
        beskrivelse: c.description.clone(),
        nettsted: c.website.clone().unwrap_or_default(),
        aktiv: c.active.then(|| "on".into()),
    }
}

async fn clients_screen(
    s: &AppState,
    ctx: AdminCtx,
    editing: Option<i32>,
    form: ClientInput,
    errors: Errs,
) -> AppResult<ClientsPage> {
    Ok(ClientsPage {
        ctx,
        clients: settings::clients(&s.db).await?,
        register_sizes: crate::domain::dialer::registers::client_register_sizes(&s.db).await?,
        editing,
        form,
        errors,
    })
}

pub async fn clients_page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
) -> AppResult<ClientsPage> {
    let form = ClientInput {
        aktiv: Some("on".into()),
        ..Default::default()
    };
    let ctx = actx(lang, csrf, &staff, "/admin/oppdragsgivere");
    clients_screen(&s, ctx, None, form, Errs::default()).await
}

pub async fn client_edit(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
) -> AppResult<ClientsPage> {
    let all = settings::clients(&s.db).await?;
    let c = all.iter().find(|c| c.id == id).ok_or(AppError::NotFound)?;
    let ctx = actx(lang, csrf, &staff, "/admin/oppdragsgivere");
    clients_screen(&s, ctx, Some(id), client_input(c), Errs::default()).await
}

async fn client_save(
    s: AppState,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    id: Option<i32>,
    form: ClientInput,
) -> AppResult<Response> {
    match settings::save_client(&s.db, id, &form, &staff.actor(), s.clock.now()).await? {
        Ok(_) => Ok(see_other("/admin/oppdragsgivere")),
        Err(e) => {
            let ctx = actx(lang, csrf, &staff, "/admin/oppdragsgivere");
            Ok(unprocessable(
                clients_screen(&s, ctx, id, form, Errs(e)).await?,
            ))
        }
    }
}

pub async fn client_create(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Form(form): Form<ClientInput>,
) -> AppResult<Response> {
    client_save(s, lang, csrf, staff, None, form).await
}

pub async fn client_update(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
    Form(form): Form<ClientInput>,
) -> AppResult<Response> {
    client_save(s, lang, csrf, staff, Some(id), form).await
}

// ---------- campaigns ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin/campaigns.html")]
pub struct CampaignsPage {
    ctx: AdminCtx,
    campaigns: Vec<campaign::Model>,
    clients: Vec<client::Model>,
    kinds: &'static [CampaignKind],
    editing: Option<i32>,
    form: CampaignInput,
    errors: Errs,
}

impl CampaignsPage {
    fn client_name(&self, id: &i32) -> String {
        self.clients
            .iter()
            .find(|c| c.id == *id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }
}

fn campaign_input(c: &campaign::Model) -> CampaignInput {
    CampaignInput {
        oppdragsgiver: c.client_id.to_string(),
        kode: c.code.clone(),
        navn: c.name.clone(),
        formal: c.purpose.clone(),
        type_: c.kind.as_str().into(),
        start: c.starts_on.to_string(),
        slutt: c.ends_on.map(|d| d.to_string()).unwrap_or_default(),
        modus: match c.dialer_mode {
            entity::enums::DialerMode::Power => "power".into(),
            entity::enums::DialerMode::Predictive => "predictive".into(),
        },
    }
}

async fn campaigns_screen(
    s: &AppState,
    ctx: AdminCtx,
    editing: Option<i32>,
    form: CampaignInput,
    errors: Errs,
) -> AppResult<CampaignsPage> {
    Ok(CampaignsPage {
        ctx,
        campaigns: settings::campaigns(&s.db).await?,
        clients: settings::clients(&s.db).await?,
        kinds: KINDS,
        editing,
        form,
        errors,
    })
}

pub async fn campaigns_page(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
) -> AppResult<CampaignsPage> {
    let form = CampaignInput {
        modus: "power".into(),
        type_: "sales".into(),
        ..Default::default()
    };
    let ctx = actx(lang, csrf, &staff, "/admin/kampanjer");
    campaigns_screen(&s, ctx, None, form, Errs::default()).await
}

pub async fn campaign_edit(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
) -> AppResult<CampaignsPage> {
    let all = settings::campaigns(&s.db).await?;
    let c = all.iter().find(|c| c.id == id).ok_or(AppError::NotFound)?;
    let ctx = actx(lang, csrf, &staff, "/admin/kampanjer");
    campaigns_screen(&s, ctx, Some(id), campaign_input(c), Errs::default()).await
}

async fn campaign_save(
    s: AppState,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    id: Option<i32>,
    form: CampaignInput,
) -> AppResult<Response> {
    match settings::save_campaign(&s.db, id, &form, &staff.actor(), s.clock.now()).await? {
        Ok(_) => Ok(see_other("/admin/kampanjer")),
        Err(e) => {
            let ctx = actx(lang, csrf, &staff, "/admin/kampanjer");
            Ok(unprocessable(
                campaigns_screen(&s, ctx, id, form, Errs(e)).await?,
            ))
        }
    }
}

pub async fn campaign_create(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Form(form): Form<CampaignInput>,
) -> AppResult<Response> {
    campaign_save(s, lang, csrf, staff, None, form).await
}

pub async fn campaign_update(
    State(s): State<AppState>,
    lang: Lang,
    csrf: CsrfToken,
    staff: Staff,
    Path(id): Path<i32>,
    Form(form): Form<CampaignInput>,
) -> AppResult<Response> {
    campaign_save(s, lang, csrf, staff, Some(id), form).await
}
