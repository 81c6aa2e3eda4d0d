//! The dialer API as the tests call it: a token, a wash, a reservation.

use axum::body::Body;
use axum::http::Request;
use entity::campaign;
use entity::enums::ReservationSource;
use innsyn::domain::dialer::{api_tokens, reservations};
use innsyn::domain::phone::E164;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{TestApp, TestResponse};

/// A fresh dialer API token (the secret).
pub async fn token(app: &TestApp) -> String {
    api_tokens::create(&app.db, "dialer-test", app.clock_now())
        .await
        .unwrap()
        .1
}

/// `POST /api/v1/wash{query}` with `body` as the list.
pub async fn wash(app: &TestApp, token: &str, query: &str, body: &str) -> TestResponse {
    let req = Request::post(format!("/api/v1/wash{query}"))
        .header("content-type", "text/plain")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

/// Reserves `n` in the centre's register, as staff would.
pub async fn reserve(app: &TestApp, n: &str) {
    reservations::reserve(
        &app.db,
        &E164::parse(n).unwrap(),
        ReservationSource::Staff,
        app.clock_now(),
    )
    .await
    .unwrap();
}

/// The demo campaign with code `code`.
pub async fn campaign_by_code(app: &TestApp, code: &str) -> campaign::Model {
    campaign::Entity::find()
        .filter(campaign::Column::Code.eq(code))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}
