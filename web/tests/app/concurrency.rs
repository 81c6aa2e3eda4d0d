//! Write paths hold under concurrent load: on SQLite (one writer at a time)
//! every writer waits for the lock instead of failing with SQLITE_BUSY.

use entity::{case, message, reservation};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::dual;
use crate::support::TestApp;

const WRITERS: usize = 32;
const ROUNDS: usize = 3;

dual!(
    norm_4_4_3_and_4_4_4_32_concurrent_complaints_and_reservations_all_succeed_and_are_stored,
    |app: TestApp| async move {
        let app = std::sync::Arc::new(app);
        for round in 0..ROUNDS {
            let mut tasks = Vec::new();
            for i in 0..WRITERS {
                let n = round * WRITERS + i;
                let a = app.clone();
                tasks.push(tokio::spawn(async move {
                    let phone = format!("912 {:02} {:03}", n / 1000, n % 1000);
                    let message = format!("Klage nummer {n}: ikke ring meg igjen.");
                    // As the page sends it: a fresh id per form load.
                    let form_id = uuid::Uuid::new_v4().to_string();
                    let r = a
                        .post_form(
                            "/klage",
                            &[
                                ("navn", "Kari Nordmann"),
                                ("telefon", &phone),
                                ("epost", ""),
                                ("nummer", ""),
                                ("kategori", "unwanted_call"),
                                ("melding", &message),
                                ("skjema_id", &form_id),
                            ],
                        )
                        .await;
                    (r.status.as_u16(), r.text(".receipt .reference"))
                }));
                let a = app.clone();
                tasks.push(tokio::spawn(async move {
                    let number =
                        format!("41 {:02} {:02} {:02}", n / 10000, (n / 100) % 100, n % 100);
                    let r = a.post_form("/reservasjon", &[("nummer", &number)]).await;
                    (r.status.as_u16(), r.text("h1"))
                }));
            }
            for t in tasks {
                let (status, what) = t.await.expect("task");
                assert_eq!(
                    status, 200,
                    "every writer succeeds (got {status}, {what:?})"
                );
                assert!(what.is_some(), "every writer sees its receipt");
            }
        }
        let total = (WRITERS * ROUNDS) as u64;
        assert_eq!(case::Entity::find().count(&app.db).await.unwrap(), total);
        assert_eq!(message::Entity::find().count(&app.db).await.unwrap(), total);
        assert_eq!(
            reservation::Entity::find().count(&app.db).await.unwrap(),
            total
        );
    }
);
