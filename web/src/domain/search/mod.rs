//! Search (norm 4.4.3, 4.4.1 a): staff find a case by a fragment of the
//! dialogue, a name or a phone number in any written form, to answer it; the
//! public filters the list of clients the centre calls for.
//!
//! One interface, two backends. With `MEILI_URL` set, Meilisearch ranks and
//! forgives typos; without it (or while it is down) the database answers.
//! Either way the database stays the source of truth: Meilisearch only names
//! candidate ids, and the queue reads the cases themselves with every filter
//! applied, so a stale index can never show a case that is gone.
//!
//! The index follows the database through [`enqueue`]: every write to a case,
//! a message, a client or a campaign, and every deletion (the retention purge
//! and erasure included), writes a row to `search_jobs` in the same
//! transaction. `jobs::search_index` drains it; a slow or absent search
//! server never blocks or loses a write.

pub mod db;
pub mod meili;

pub use meili::MeiliSettings;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entity::search_job::{self, Column};
use entity::{campaign, case};
use sea_orm::sea_query::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
};

use crate::domain::cases::queue::QueueFilter;
use crate::domain::email::EmailAddress;
use crate::domain::inbound::mail::reference_in;
use crate::domain::phone::E164;

/// A document in one of the two indexes, named by its database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Doc {
    /// A case with its messages (staff only).
    Case(i32),
    /// A client with its campaigns (public).
    Client(i32),
}

impl Doc {
    pub fn kind(self) -> &'static str {
        match self {
            Doc::Case(_) => "case",
            Doc::Client(_) => "client",
        }
    }
    pub fn id(self) -> i32 {
        match self {
            Doc::Case(i) | Doc::Client(i) => i,
        }
    }
    pub fn from_row(kind: &str, id: i32) -> Option<Doc> {
        match kind {
            "case" => Some(Doc::Case(id)),
            "client" => Some(Doc::Client(id)),
            _ => None,
        }
    }
}

/// Queues the index update of `doc`, in the caller's transaction.
pub async fn enqueue(conn: &impl ConnectionTrait, doc: Doc) -> Result<(), DbErr> {
    enqueue_all(conn, [doc], "upsert").await
}

/// Queues the removal of documents whose rows are being deleted, in the same
/// transaction as the deletion (no personal data may outlive its row).
pub async fn enqueue_delete(
    conn: &impl ConnectionTrait,
    docs: impl IntoIterator<Item = Doc>,
) -> Result<(), DbErr> {
    enqueue_all(conn, docs, "delete").await
}

/// Queues updates of many documents (a renamed client touches its cases).
pub async fn enqueue_many(
    conn: &impl ConnectionTrait,
    docs: impl IntoIterator<Item = Doc>,
) -> Result<(), DbErr> {
    enqueue_all(conn, docs, "upsert").await
}

/// Queues a client's public document and its cases' documents (they carry
/// the client's name).
pub async fn enqueue_client(conn: &impl ConnectionTrait, client_id: i32) -> Result<(), DbErr> {
    let cases: Vec<i32> = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::ClientId.eq(client_id))
        .into_tuple()
        .all(conn)
        .await?;
    enqueue_many(
        conn,
        std::iter::once(Doc::Client(client_id)).chain(cases.into_iter().map(Doc::Case)),
    )
    .await
}

/// Queues what a campaign appears in: its client's public document and the
/// documents of the campaign's cases.
pub async fn enqueue_campaign(conn: &impl ConnectionTrait, campaign_id: i32) -> Result<(), DbErr> {
    let cases: Vec<i32> = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .all(conn)
        .await?;
    let client = campaign::Entity::find_by_id(campaign_id)
        .one(conn)
        .await?
        .map(|c| Doc::Client(c.client_id));
    enqueue_many(
        conn,
        client.into_iter().chain(cases.into_iter().map(Doc::Case)),
    )
    .await
}

async fn enqueue_all(
    conn: &impl ConnectionTrait,
    docs: impl IntoIterator<Item = Doc>,
    op: &str,
) -> Result<(), DbErr> {
    // One row per document and statement (PostgreSQL refuses to update the
    // same row twice in one INSERT ... ON CONFLICT).
    let docs: Vec<Doc> = docs
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in docs.chunks(200) {
        let rows = chunk.iter().map(|d| search_job::ActiveModel {
            kind: Set(d.kind().to_string()),
            doc_id: Set(d.id()),
            op: Set(op.to_string()),
            generation: Set(0),
            attempts: Set(0),
            next_attempt_at: Set(None),
            claimed_until: Set(None),
            last_error: Set(None),
            task_uid: Set(None),
            ..Default::default()
        });
        search_job::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([Column::Kind, Column::DocId])
                    .value(
                        Column::Generation,
                        Expr::col((search_job::Entity, Column::Generation)).add(1),
                    )
                    .update_columns([
                        Column::Op,
                        Column::Attempts,
                        Column::NextAttemptAt,
                        Column::LastError,
                        Column::TaskUid,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// The `search_jobs` marker row of a running `innsyn reindex`.
pub const REBUILD_KIND: &str = "rebuild";
/// `task_uid` of a row whose document is indexed but kept while a rebuild
/// runs, to be sent again once the fresh indexes are swapped in.
pub const KEPT: i64 = -1;

/// Documents not yet searchable as they are in the database: queued,
/// sent but unconfirmed, or failing (`failing` of them have failed at
/// least once). Shown to admins on the norm overview.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    pub waiting: u64,
    pub failing: u64,
}

pub async fn backlog(conn: &impl ConnectionTrait) -> Result<Backlog, DbErr> {
    let docs = || {
        search_job::Entity::find()
            .filter(Column::Kind.ne(REBUILD_KIND))
            .filter(
                Condition::any()
                    .add(Column::TaskUid.is_null())
                    .add(Column::TaskUid.ne(KEPT)),
            )
    };
    Ok(Backlog {
        waiting: docs().count(conn).await?,
        failing: docs().filter(Column::Attempts.gt(0)).count(conn).await?,
    })
}

/// A query that is one identifier, in its stored form: it must find exactly
/// the cases that carry it, not every case sharing a word of it (`K-2026`
/// is in every reference of the year).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    /// A case reference, `K-2026-000123` (typed in any case).
    Reference(String),
    /// An e-mail address, lower-cased as it is stored.
    Email(String),
    /// A whole phone number in any written form, as its E.164.
    Phone(String),
}

impl Identifier {
    /// Recognises a query that is nothing but an identifier, with the
    /// parsers that admit identifiers into the program; anything else
    /// (a name, a word, a partial number) is free text.
    pub fn recognise(q: &str) -> Option<Identifier> {
        let q = q.trim();
        let upper = q.to_uppercase();
        if reference_in(&upper).is_some_and(|r| r == upper) {
            return Some(Identifier::Reference(upper));
        }
        if q.contains('@') {
            return EmailAddress::parse(q)
                .ok()
                .map(|e| Identifier::Email(e.as_str().to_string()));
        }
        db::phone_digits(q)?;
        E164::parse(q)
            .ok()
            .map(|p| Identifier::Phone(p.into_string()))
    }
}

/// What a search found. `ids: None` means "let the database match the
/// query" (no search server, an empty query, or the server failed).
#[derive(Clone, Debug, Default)]
pub struct Hits {
    pub ids: Option<Vec<i32>>,
    /// The search server is configured but did not answer: the page says so.
    pub degraded: bool,
}

impl Hits {
    fn database() -> Self {
        Hits::default()
    }
    fn degraded() -> Self {
        Hits {
            ids: None,
            degraded: true,
        }
    }
}

/// The search interface handlers use; held in the application state.
#[derive(Clone)]
pub struct Search {
    meili: Option<meili::Meili>,
}

impl Search {
    /// Search on Meilisearch when `meili` is set, else on the database.
    pub fn new(meili: Option<&MeiliSettings>) -> anyhow::Result<Self> {
        Ok(Search {
            meili: match meili {
                Some(m) => Some(meili::Meili::new(m)?),
                None => None,
            },
        })
    }

    /// The Meilisearch backend, when configured.
    pub fn meili(&self) -> Option<&meili::Meili> {
        self.meili.as_ref()
    }

    /// Cases matching the queue's query (and, in Meilisearch, its filters).
    pub async fn cases(&self, f: &QueueFilter, me: i32, now: DateTime<Utc>) -> Hits {
        let q = f.q.trim();
        let Some(m) = &self.meili else {
            return Hits::database();
        };
        if q.is_empty() {
            return Hits::database();
        }
        let filter = meili::case_filter(f, me, now);
        // An identifier is looked up by its exact field; free text is ranked.
        let exact = Identifier::recognise(q).and_then(|i| meili::identifier_filter(&i));
        let found = match exact {
            Some(exact) => m.search_cases("", &meili::all_of(&filter, &exact)).await,
            None => m.search_cases(q, &filter).await,
        };
        match found {
            Ok(ids) => Hits {
                ids: Some(ids),
                degraded: false,
            },
            Err(e) => {
                // The query itself stays out of the log: it may be a phone number.
                tracing::warn!(error = %e.summary(), "case search fell back to the database");
                Hits::degraded()
            }
        }
    }

    /// Public clients matching the filter box.
    pub async fn clients(&self, q: &str) -> Hits {
        let q = q.trim();
        let Some(m) = &self.meili else {
            return Hits::database();
        };
        if q.is_empty() {
            return Hits::database();
        }
        match m.search_clients(q).await {
            Ok(ids) => Hits {
                ids: Some(ids),
                degraded: false,
            },
            Err(e) => {
                tracing::warn!(error = %e.summary(), "client search fell back to the database");
                Hits::degraded()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_through_their_job_rows() {
        for d in [Doc::Case(7), Doc::Client(3)] {
            assert_eq!(Doc::from_row(d.kind(), d.id()), Some(d));
        }
        assert_eq!(Doc::from_row("user", 1), None);
    }

    #[test]
    fn references_addresses_and_whole_phone_numbers_are_identifiers() {
        use Identifier::*;
        for (q, want) in [
            ("K-2026-000002", Reference("K-2026-000002".into())),
            (" k-2026-000002 ", Reference("K-2026-000002".into())),
            ("Kari@Example.NO", Email("kari@example.no".into())),
            ("+47 912 34 567", Phone("+4791234567".into())),
            ("912 34 567", Phone("+4791234567".into())),
            ("91234567", Phone("+4791234567".into())),
            ("0047 91234567", Phone("+4791234567".into())),
        ] {
            assert_eq!(Identifier::recognise(q), Some(want), "{q}");
        }
        // Free text: words, a reference inside a sentence, partial numbers,
        // an address that is not one.
        for q in [
            "Kari Nordmann",
            "brønnøysundregisteret",
            "sak K-2026-000002",
            "K-2026",
            "2026-000002",
            "912 34",
            "kari@",
            "",
        ] {
            assert_eq!(Identifier::recognise(q), None, "{q}");
        }
    }
}
