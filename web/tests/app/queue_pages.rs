//! The SLA queue's pages (`?side=N`): every case once, in deadline order,
//! across page boundaries, with ties in the deadline broken by id.

use chrono::Duration;
use entity::case;
use entity::enums::{CaseStatus, Channel, Role};
use sea_orm::{EntityTrait, Set};

use crate::dual;
use crate::support::TestApp;
use crate::support::http::references;

/// Inserts cases straight into the table: `(reference, channel, status,
/// hours until due)`, in this order (so ids rise in this order).
async fn insert(app: &TestApp, cases: &[(String, Channel, CaseStatus, i64)]) {
    let now = app.clock_now();
    let rows = cases.iter().map(|(reference, ch, status, hours)| {
        let due = now + Duration::hours(*hours);
        case::ActiveModel {
            reference: Set(reference.clone()),
            channel: Set(*ch),
            consumer_name: Set(Some("Kari Nordmann".into())),
            category: Set("unwanted_call".into()),
            status: Set(*status),
            received_at: Set(due - Duration::hours(24)),
            due_at: Set(due),
            first_response_at: Set(
                (*status != CaseStatus::Open).then_some(due - Duration::hours(23))
            ),
            closed_at: Set((*status == CaseStatus::Closed).then_some(now)),
            ..Default::default()
        }
    });
    case::Entity::insert_many(rows).exec(&app.db).await.unwrap();
}

/// Every page from 1 until one without a next link; the references in order.
async fn walk(app: &TestApp, s: &str, query: &str) -> (Vec<String>, u64) {
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let r = app
            .get_as(&format!("/admin/saker?{query}side={page}"), s)
            .await;
        let refs = references(&r);
        assert!(refs.len() <= 50, "page {page} has {} rows", refs.len());
        all.extend(refs);
        if r.count("a[rel=next]") == 0 {
            return (all, page);
        }
        assert!(
            r.attr("a[rel=next]", "href")
                .unwrap()
                .contains(&format!("side={}", page + 1))
        );
        page += 1;
        assert!(page < 100, "the pager never ends");
    }
}

dual!(
    deep_queue_pages_show_every_open_case_once_in_deadline_order_ties_by_id,
    |app: TestApp| async move {
        // 130 open cases over 3 pages: deadlines in a scrambled order with
        // many ties (13 distinct deadlines, 10 cases each), several ties
        // spanning the page boundaries at 50 and 100; and cases the queue
        // must leave out (answered, closed).
        let channels = [Channel::Web, Channel::Email, Channel::Sms];
        let mut cases = Vec::new();
        for i in 0..130i64 {
            let hours = (i * 7) % 13 - 7; // -7..=5: breached, at risk
            cases.push((
                format!("Q-2026-{i:06}"),
                channels[i as usize % 3],
                CaseStatus::Open,
                hours,
            ));
            if i % 10 == 0 {
                let status = if i % 20 == 0 {
                    CaseStatus::Answered
                } else {
                    CaseStatus::Closed
                };
                cases.push((format!("X-2026-{i:06}"), Channel::Web, status, hours));
            }
        }
        insert(&app, &cases).await;
        // The expected order: deadline, then id (insertion order).
        let mut expected: Vec<(i64, usize, String, Channel)> = cases
            .iter()
            .enumerate()
            .filter(|(_, c)| c.2 == CaseStatus::Open)
            .map(|(id, c)| (c.3, id, c.0.clone(), c.1))
            .collect();
        expected.sort_by_key(|e| (e.0, e.1));
        let s = app.sign_in_as(Role::Handler).await;

        let (seen, pages) = walk(&app, &s, "").await;
        assert_eq!(pages, 3);
        let want: Vec<String> = expected.iter().map(|e| e.2.clone()).collect();
        assert_eq!(seen, want);

        // A bookmarked deep page alone gives the same rows as the walk.
        let r = app.get_as("/admin/saker?side=3", &s).await;
        assert_eq!(references(&r), want[100..].to_vec());
        assert!(r.text(".pager").unwrap().contains("3 / 3"), "{}", r.body);
        // Past the end: the last page.
        let r = app.get_as("/admin/saker?side=99", &s).await;
        assert_eq!(references(&r), want[100..].to_vec());

        // A filter pages the same way: the 43 sms cases, 50 a page, in order.
        let (seen, pages) = walk(&app, &s, "kanal=sms&").await;
        let sms: Vec<String> = expected
            .iter()
            .filter(|e| e.3 == Channel::Sms)
            .map(|e| e.2.clone())
            .collect();
        assert_eq!(pages, 1);
        assert_eq!(seen, sms);
        // The breached ones (due before now), over a page boundary of their own.
        let (seen, _) = walk(&app, &s, "status=breached&").await;
        let breached: Vec<String> = expected
            .iter()
            .filter(|e| e.0 <= 0)
            .map(|e| e.2.clone())
            .collect();
        assert!(breached.len() > 50);
        assert_eq!(seen, breached);
        // Answered cases newest first.
        let (seen, _) = walk(&app, &s, "status=answered&").await;
        let mut answered: Vec<(i64, usize, String)> = cases
            .iter()
            .enumerate()
            .filter(|(_, c)| c.2 == CaseStatus::Answered)
            .map(|(id, c)| (-c.3, id, c.0.clone()))
            .collect();
        answered.sort();
        assert_eq!(seen, answered.into_iter().map(|a| a.2).collect::<Vec<_>>());
    }
);
