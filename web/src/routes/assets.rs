//! Static files, compiled into the binary so it runs from anywhere.

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::AppError;

const FILES: &[(&str, &str, &str)] = &[
    (
        "css/site.css",
        "text/css; charset=utf-8",
        include_str!("../../../assets/css/site.css"),
    ),
    (
        "css/admin.css",
        "text/css; charset=utf-8",
        include_str!("../../../assets/css/admin.css"),
    ),
    (
        "js/admin.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/js/admin.js"),
    ),
    (
        "js/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/js/htmx.min.js"),
    ),
    (
        "js/site.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/js/site.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../../assets/favicon.svg"),
    ),
];

pub async fn serve(Path(path): Path<String>) -> Result<impl IntoResponse, AppError> {
    let (_, mime, body) = FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .ok_or(AppError::not_found())?;
    Ok((
        [
            (header::CONTENT_TYPE, *mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        *body,
    ))
}
