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

dual!(
    norm_4_4_4_32_dialers_washing_at_once_each_get_their_whole_answer_and_a_recorded_run,
    |app: TestApp| async move {
        use crate::support::dialer;
        dialer::reserve(&app, "90000002").await;
        let token = dialer::token(&app).await;
        let app = std::sync::Arc::new(app);
        // Each list over 256 KB: washed two threads at a time, 32 at once.
        let mut tasks = Vec::new();
        for w in 0..WRITERS as u32 {
            let (a, token) = (app.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let lines = 25_000 + w;
                let list: String = (0..lines)
                    .map(|i| format!("{}\n", 90_000_000 + i))
                    .collect();
                let r = dialer::wash(&a, &token, "", &list).await;
                assert_eq!(r.status, 200, "{}", r.body);
                let out: Vec<&str> = r.body.lines().collect();
                assert_eq!(out.len() as u32, lines + 1, "dialer {w}");
                assert_eq!(out[3], "90000002,+4790000002,reserved");
                assert_eq!(
                    out[lines as usize],
                    format!("{0},+47{0},callable", 90_000_000 + lines - 1)
                );
                lines
            }));
        }
        let mut sent = Vec::new();
        for t in tasks {
            sent.push(i64::from(t.await.unwrap()));
        }
        let mut recorded: Vec<i64> = entity::wash_run::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.count_in)
            .collect();
        recorded.sort();
        sent.sort();
        assert_eq!(recorded, sent, "one run per wash, with its own count");
    }
);
