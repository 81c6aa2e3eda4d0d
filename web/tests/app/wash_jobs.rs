//! Back-office washes with several instances (issue 19): the job lives in
//! the database, so any instance serves its progress, its download and
//! "Start again"; a job cut off by a restart is shown failed, never lost;
//! the lists are deleted an hour after the upload.

use std::sync::atomic::Ordering;
use std::time::Duration as StdDuration;

use chrono::Duration;
use entity::enums::{ReservationSource, Role};
use entity::{wash_job, wash_job_chunk, wash_run};
use innsyn::domain::dialer::reservations;
use innsyn::domain::phone::E164;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::dual;
use crate::support::http::start_wash;
use crate::support::{CSRF, TestApp, TestResponse};

/// A list of `n` mobile numbers (`4xxxxxxx`, eight digits), one per line,
/// and the result the wash gives for it when `reserved` is reserved.
fn list(n: u32, reserved: &str) -> (String, String) {
    let mut input = String::new();
    let mut output = String::from("number,e164,verdict\n");
    for i in 0..n {
        let number = format!("4{i:07}");
        let verdict = if number == reserved {
            "reserved"
        } else {
            "callable"
        };
        input.push_str(&number);
        input.push('\n');
        output.push_str(&format!("{number},+47{number},{verdict}\n"));
    }
    (input, output)
}

/// The job page's status fragment, as htmx asks for it.
async fn poll(app: &TestApp, job: &str, session: &str) -> TestResponse {
    app.get_with(
        job,
        &[
            ("cookie", &format!("{session}; innsyn_csrf={CSRF}")),
            ("hx-request", "true"),
        ],
    )
    .await
}

fn state_of(r: &TestResponse) -> String {
    r.attr("#wash-status", "data-state")
        .unwrap_or_else(|| panic!("no status: {} {}", r.status, r.body))
}

/// Polls until the job is no longer running; its last status.
async fn until_settled(app: &TestApp, job: &str, session: &str) -> TestResponse {
    for _ in 0..800 {
        let r = poll(app, job, session).await;
        assert_eq!(r.status, 200, "{}", r.body);
        if state_of(&r) != "running" {
            return r;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!("the wash did not finish");
}

async fn count_rows(app: &TestApp) -> (u64, u64) {
    (
        wash_job::Entity::find().count(&app.db).await.unwrap(),
        wash_job_chunk::Entity::find().count(&app.db).await.unwrap(),
    )
}

/// Waits for the rows a download leaves behind to go (deleted as the
/// result went out, in the background).
async fn until_no_rows(app: &TestApp) {
    for _ in 0..400 {
        if count_rows(app).await == (0, 0) {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!(
        "the downloaded job's rows stayed: {:?}",
        count_rows(app).await
    );
}

async fn reserve(app: &TestApp, number: &str) {
    reservations::reserve(
        &app.db,
        &E164::parse(number).unwrap(),
        ReservationSource::Staff,
        app.clock_now(),
    )
    .await
    .unwrap();
}

dual!(
    a_wash_started_on_one_instance_is_polled_and_downloaded_on_another_and_only_by_its_owner,
    |a: TestApp| async move {
        let b = a.another_instance().await;
        reserve(&a, "+4740000007").await;
        // Over 1 MB in and about 4 MB out: several stored pieces each way.
        let (input, expected) = list(120_000, "40000007");
        let s = a.sign_in_as(Role::Manager).await;
        let job = start_wash(&a, &s, &input).await;
        // B serves the page and the progress of A's wash.
        let page = b.get_as(&job, &s).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.count("#wash-status"), 1);
        let done = until_settled(&b, &job, &s).await;
        assert_eq!(state_of(&done), "done", "{}", done.body);
        assert!(
            done.text(".wash-done")
                .unwrap()
                .contains("120000 numre vasket, 119999 kan ringes"),
            "{}",
            done.body
        );
        assert_eq!(
            done.attr("#wash-progress", "value").as_deref(),
            Some("120000")
        );
        // The wash page lists the user's own job as done, on either instance.
        let list_b = b.get_as("/admin/vask", &s).await;
        assert_eq!(
            list_b.attr(".wash-job", "data-state").as_deref(),
            Some("done")
        );
        // Another user sees nothing of it, on either instance.
        let other = a.sign_in_as(Role::Admin).await;
        for app in [&a, &b] {
            assert_eq!(app.get_as(&job, &other).await.status, 404);
            assert_eq!(
                app.get_as(&format!("{job}/resultat"), &other).await.status,
                404
            );
            assert_eq!(
                app.get_as("/admin/vask", &other).await.count(".wash-job"),
                0
            );
        }
        // The download on B, in input order, once.
        let file = b.get_as(&format!("{job}/resultat"), &s).await;
        assert_eq!(file.status, 200);
        assert_eq!(file.body.len(), expected.len());
        assert!(
            file.body == expected,
            "the result differs from the list's verdicts"
        );
        assert_eq!(a.get_as(&format!("{job}/resultat"), &s).await.status, 404);
        assert_eq!(a.get_as(&job, &s).await.status, 404);
        until_no_rows(&a).await;
        assert_eq!(wash_run::Entity::find().count(&a.db).await.unwrap(), 1);
    }
);

dual!(
    a_wash_whose_instance_stopped_is_shown_failed_with_start_again_which_gives_the_result,
    |a: TestApp| async move {
        let b = a.another_instance().await;
        reserve(&a, "+4740000003").await;
        let (input, expected) = list(10, "40000003");
        let s = a.sign_in_as(Role::Manager).await;
        // A stops right after the upload: its job is stored, nobody washes it.
        a.state.wash_jobs.hold.store(true, Ordering::Relaxed);
        let job = start_wash(&a, &s, &input).await;
        // B cannot tell yet: the heartbeat is fresh.
        assert_eq!(state_of(&poll(&b, &job, &s).await), "running");
        // A knows it washes nothing.
        assert_eq!(state_of(&poll(&a, &job, &s).await), "failed");
        // A minute and more later, B takes it for cut off.
        b.clock.advance(Duration::seconds(61));
        let page = b.get_as(&job, &s).await;
        assert_eq!(state_of(&page), "failed");
        assert!(
            page.text(".wash-failed").unwrap().contains("avbrutt"),
            "{}",
            page.body
        );
        assert_eq!(
            page.text(".wash-again button").as_deref(),
            Some("Start igjen")
        );
        assert_eq!(
            page.attr(".wash-again", "action"),
            Some(format!("{job}/start-igjen"))
        );
        assert_eq!(
            page.attr(".wash-again input[name=csrf_token]", "value")
                .as_deref(),
            Some(CSRF)
        );
        let listed = b.get_as("/admin/vask", &s).await;
        assert_eq!(
            listed.attr(".wash-job", "data-state").as_deref(),
            Some("failed")
        );
        // Nobody else may start it again; nor without the CSRF token.
        let other = b.sign_in_as(Role::Admin).await;
        let r = b.post_as(&format!("{job}/start-igjen"), &[], &other).await;
        assert_eq!(r.status, 404);
        let r = b
            .post_form_raw(
                &format!("{job}/start-igjen"),
                &[],
                None,
                &[("cookie", &format!("{s}; innsyn_csrf={CSRF}"))],
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        // The owner starts it again on B, and B washes the stored list.
        let r = b.post_as(&format!("{job}/start-igjen"), &[], &s).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.header("location"), Some(job.clone()));
        let done = until_settled(&b, &job, &s).await;
        assert_eq!(state_of(&done), "done", "{}", done.body);
        // A serves it too, and B's download is the right result.
        assert_eq!(state_of(&poll(&a, &job, &s).await), "done");
        let file = b.get_as(&format!("{job}/resultat"), &s).await;
        assert_eq!(file.status, 200);
        assert_eq!(file.body, expected);
        // Started again once more: nothing left to do.
        let r = b.post_as(&format!("{job}/start-igjen"), &[], &s).await;
        assert_eq!(r.status, 404);
        until_no_rows(&a).await;
    }
);

dual!(
    wash_jobs_with_their_lists_and_results_are_deleted_an_hour_after_the_upload,
    |app: TestApp| async move {
        let s = app.sign_in_as(Role::Manager).await;
        let (input, _) = list(5, "");
        let done = start_wash(&app, &s, &input).await;
        assert_eq!(state_of(&until_settled(&app, &done, &s).await), "done");
        app.state.wash_jobs.hold.store(true, Ordering::Relaxed);
        start_wash(&app, &s, &input).await;
        let (jobs, chunks) = count_rows(&app).await;
        assert_eq!(jobs, 2);
        assert!(chunks >= 2, "{chunks}");
        // Within the hour the sweep keeps them; twice is as once.
        app.clock.advance(Duration::minutes(59));
        for _ in 0..2 {
            innsyn::jobs::retention::sweep_wash_files(&app.state)
                .await
                .unwrap();
        }
        assert_eq!(count_rows(&app).await, (jobs, chunks));
        app.clock.advance(Duration::minutes(2));
        for _ in 0..2 {
            innsyn::jobs::retention::sweep_wash_files(&app.state)
                .await
                .unwrap();
        }
        assert_eq!(count_rows(&app).await, (0, 0));
        assert_eq!(app.get_as(&done, &s).await.status, 404);
    }
);

dual!(
    a_shutdown_during_a_wash_leaves_it_to_start_again_which_gives_the_result,
    |a: TestApp| async move {
        reserve(&a, "+4740000007").await;
        // Over 2 MB in: three stored pieces, so the shutdown finds the wash
        // between two of them.
        let (input, expected) = list(250_000, "40000007");
        let s = a.sign_in_as(Role::Manager).await;
        let job = start_wash(&a, &s, &input).await;
        // The process shuts down while it washes: the wash stops between
        // two pieces, and the shutdown waits for that.
        a.state.jobs.shutdown().await;
        let id = job.rsplit('/').next().unwrap().to_string();
        let row = wash_job::Entity::find_by_id(id)
            .one(&a.db)
            .await
            .unwrap()
            .expect("the job is kept");
        assert_eq!(row.state, "running", "not done, not failed, not lost");
        assert_eq!(row.total, 250_000);
        assert!(
            row.processed < row.total,
            "stopped part-way: {} of {}",
            row.processed,
            row.total
        );
        assert_eq!(row.count_in, None);
        // Shown cut off at once, on this instance and on the one that
        // serves after the restart, without waiting for the heartbeat to
        // go stale.
        assert_eq!(state_of(&poll(&a, &job, &s).await), "failed");
        let b = a.another_instance().await;
        let page = b.get_as(&job, &s).await;
        assert_eq!(state_of(&page), "failed");
        assert!(
            page.text(".wash-failed").unwrap().contains("avbrutt"),
            "{}",
            page.body
        );
        assert_eq!(
            page.text(".wash-again button").as_deref(),
            Some("Start igjen")
        );
        // Started again after the restart, it washes the whole stored list.
        let r = b.post_as(&format!("{job}/start-igjen"), &[], &s).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let done = until_settled(&b, &job, &s).await;
        assert_eq!(state_of(&done), "done", "{}", done.body);
        assert!(
            done.text(".wash-done")
                .unwrap()
                .contains("250000 numre vasket, 249999 kan ringes"),
            "{}",
            done.body
        );
        let file = b.get_as(&format!("{job}/resultat"), &s).await;
        assert_eq!(file.status, 200);
        assert_eq!(file.body.len(), expected.len());
        assert!(
            file.body == expected,
            "the result differs from the list's verdicts"
        );
        until_no_rows(&a).await;
        // One run recorded: the stopped one left no record.
        assert_eq!(wash_run::Entity::find().count(&a.db).await.unwrap(), 1);
    }
);
