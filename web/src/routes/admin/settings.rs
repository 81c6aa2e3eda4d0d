//! Admin settings: the centre's details, clients and campaigns.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use entity::enums::CampaignKind;
use entity::{campaign, client};

use super::{see_other, unprocessable};
use crate::domain::catalogue::centre;
use crate::domain::catalogue::settings::{self, CampaignInput, CentreInput, ClientInput, KINDS};
use crate::domain::{Error, FieldErrors};
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::AdminCtx;

// ---------- the centre ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin/centre.html")]
pub struct CentrePage {
    ctx: AdminCtx,
    form: CentreInput,
    errors: FieldErrors,
}

pub async fn centre_page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<CentrePage> {
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
        ctx,
        form,
        errors: FieldErrors::default(),
    })
}

pub async fn centre_save(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(form): Form<CentreInput>,
) -> AppResult<Response> {
    match settings::save_centre(&s.db, &form, &ctx.actor(), s.clock.now()).await {
        Ok(()) => {
            s.catalogue_changed();
            Ok(see_other("/admin/innstillinger"))
        }
        Err(Error::Invalid(errors)) => Ok(unprocessable(CentrePage { ctx, form, errors })),
        Err(e) => Err(e.into()),
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
    errors: FieldErrors,
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
        logo: c.logo_url.clone().unwrap_or_default(),
        aktiv: c.active.then(|| "on".into()),
    }
}

async fn clients_screen(
    s: &AppState,
    ctx: AdminCtx,
    editing: Option<i32>,
    form: ClientInput,
    errors: FieldErrors,
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

const CLIENTS: &str = "/admin/oppdragsgivere";

pub async fn clients_page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<ClientsPage> {
    let form = ClientInput {
        aktiv: Some("on".into()),
        ..Default::default()
    };
    clients_screen(&s, ctx, None, form, FieldErrors::default()).await
}

pub async fn client_edit(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
) -> AppResult<ClientsPage> {
    let c = settings::client_by_id(&s.db, id).await?;
    let ctx = ctx.at(CLIENTS);
    clients_screen(&s, ctx, Some(id), client_input(&c), FieldErrors::default()).await
}

async fn client_save(
    s: AppState,
    ctx: AdminCtx,
    id: Option<i32>,
    form: ClientInput,
) -> AppResult<Response> {
    match settings::save_client(&s.db, id, &form, &ctx.actor(), s.clock.now()).await {
        Ok(_) => {
            s.catalogue_changed();
            Ok(see_other(CLIENTS))
        }
        Err(Error::Invalid(errors)) => Ok(unprocessable(
            clients_screen(&s, ctx.at(CLIENTS), id, form, errors).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn client_create(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(form): Form<ClientInput>,
) -> AppResult<Response> {
    client_save(s, ctx, None, form).await
}

pub async fn client_update(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
    Form(form): Form<ClientInput>,
) -> AppResult<Response> {
    client_save(s, ctx, Some(id), form).await
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
    errors: FieldErrors,
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
        nasjonalt: match c.national_register {
            None => String::new(),
            Some(true) => "ja".into(),
            Some(false) => "nei".into(),
        },
        unntak: c.national_exempt_reason.clone().unwrap_or_default(),
    }
}

async fn campaigns_screen(
    s: &AppState,
    ctx: AdminCtx,
    editing: Option<i32>,
    form: CampaignInput,
    errors: FieldErrors,
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

const CAMPAIGNS: &str = "/admin/kampanjer";

pub async fn campaigns_page(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<CampaignsPage> {
    let form = CampaignInput {
        modus: "power".into(),
        type_: "sales".into(),
        ..Default::default()
    };
    campaigns_screen(&s, ctx, None, form, FieldErrors::default()).await
}

pub async fn campaign_edit(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
) -> AppResult<CampaignsPage> {
    let c = settings::campaign_by_id(&s.db, id).await?;
    let ctx = ctx.at(CAMPAIGNS);
    campaigns_screen(
        &s,
        ctx,
        Some(id),
        campaign_input(&c),
        FieldErrors::default(),
    )
    .await
}

async fn campaign_save(
    s: AppState,
    ctx: AdminCtx,
    id: Option<i32>,
    form: CampaignInput,
) -> AppResult<Response> {
    match settings::save_campaign(&s.db, id, &form, &ctx.actor(), s.clock.now()).await {
        Ok(_) => {
            s.catalogue_changed();
            Ok(see_other(CAMPAIGNS))
        }
        Err(Error::Invalid(errors)) => Ok(unprocessable(
            campaigns_screen(&s, ctx.at(CAMPAIGNS), id, form, errors).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn campaign_create(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Form(form): Form<CampaignInput>,
) -> AppResult<Response> {
    campaign_save(s, ctx, None, form).await
}

pub async fn campaign_update(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Path(id): Path<i32>,
    Form(form): Form<CampaignInput>,
) -> AppResult<Response> {
    campaign_save(s, ctx, Some(id), form).await
}
