//! The app over HTTP beyond the in-process router: a real socket, https
//! settings, the back office's upload forms, and what a queue page lists.

use std::net::SocketAddr;

use innsyn::config::Config;
use tokio::sync::oneshot;

use super::{TestApp, TestResponse};

/// Serves the app on a loopback port with the real server loop, the way
/// `innsyn serve` does; returns the address and a sender that stops it.
pub async fn serve(app: &TestApp) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = innsyn::routes::router(app.state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let timeouts = app.state.config.http;
    tokio::spawn(async move {
        innsyn::app::serve_on(listener, router, timeouts, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

/// A [`super::Configure`]: the site is public over https.
pub fn https(c: &mut Config) {
    c.public_base_url = "https://innsyn.example".into();
}

/// The back office's upload forms: where each posts its file (field `fil`)
/// and the file's name.
#[derive(Clone, Copy, Debug)]
pub enum UploadForm {
    /// The dialer's daily statistics (`dag.csv`).
    Statistics,
    /// A list to wash (`liste.txt`), with the form's defaults.
    Wash,
}

impl UploadForm {
    fn path_and_file(self) -> (&'static str, &'static str) {
        match self {
            UploadForm::Statistics => ("/admin/statistikk/import", "dag.csv"),
            UploadForm::Wash => ("/admin/vask/last-opp", "liste.txt"),
        }
    }
}

/// Uploads `content` through `form` as the signed-in `session`.
pub async fn upload(app: &TestApp, session: &str, form: UploadForm, content: &str) -> TestResponse {
    let (path, file) = form.path_and_file();
    app.post_multipart_as(path, session, &[("fil", Some(file), content)])
        .await
}

/// Uploads a list to wash and returns the address of its job.
pub async fn start_wash(app: &TestApp, session: &str, list: &str) -> String {
    let r = upload(app, session, UploadForm::Wash, list).await;
    assert_eq!(r.status, 303, "{}", r.body);
    r.header("location").unwrap()
}

/// The case references of a queue page, top to bottom.
pub fn references(r: &TestResponse) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.body);
    let sel = scraper::Selector::parse("tr.case-row").unwrap();
    r.doc()
        .select(&sel)
        .filter_map(|e| e.value().attr("data-reference").map(str::to_string))
        .collect()
}
