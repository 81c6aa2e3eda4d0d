//! The Meilisearch backend (`MEILI_URL`): ranked results and typo tolerance.
//! Every call is bounded by `MEILI_TIMEOUT_MS`; the SDK has no timeout of its
//! own. Documents and settings are built by pure functions, tested below.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{case, message};
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::errors::{Error as SdkError, ErrorCode};
use meilisearch_sdk::search::Selectors;
use meilisearch_sdk::settings::{Settings, TypoToleranceSettings};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use serde::{Deserialize, Serialize};

use crate::domain::cases::queue::{Names, QueueFilter};
use crate::domain::catalogue::PublicClient;
use crate::domain::norm::AT_RISK_BEFORE_DUE;
use crate::domain::search::Identifier;

/// The most case ids one search hands to the queue.
pub const CASE_HITS: usize = 1000;
/// Messages longer than this are cut in the index (the database keeps all).
const MESSAGE_CHARS: usize = 10_000;

/// A case as the search server holds it (staff only: it carries personal data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseDocument {
    pub id: i32,
    pub reference: String,
    pub consumer_name: Option<String>,
    /// The phone number in the forms people write it.
    pub phone: Vec<String>,
    pub email: Option<String>,
    /// The dialogue: every message's text, oldest first.
    pub messages: Vec<String>,
    pub client: Option<String>,
    pub client_id: Option<i32>,
    pub campaign: Option<String>,
    pub campaign_id: Option<i32>,
    pub channel: String,
    pub status: String,
    pub category: String,
    pub assignee_id: Option<i32>,
    /// Unix seconds (filterable and sortable).
    pub received_at: i64,
    pub due_at: i64,
}

/// A public client with its campaigns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientDocument {
    pub id: i32,
    pub name: String,
    pub org_number: String,
    pub description: String,
    pub website: Option<String>,
    pub campaigns: Vec<String>,
    pub purposes: Vec<String>,
    pub numbers: Vec<String>,
}

/// The written forms of a stored E.164 number a person may type:
/// `+4791234567` gives `91234567`, `912 34 567`, `004791234567` and more.
pub fn phone_forms(e164: &str) -> Vec<String> {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    let mut forms = vec![e164.to_string(), digits.clone(), format!("00{digits}")];
    if let Some(n) = digits.strip_prefix("47").filter(|n| n.len() == 8) {
        forms.push(n.to_string());
        forms.push(format!("{} {} {}", &n[..3], &n[3..5], &n[5..]));
        forms.push(format!("{} {} {} {}", &n[..2], &n[2..4], &n[4..6], &n[6..]));
        forms.push(format!("+47 {} {} {}", &n[..3], &n[3..5], &n[5..]));
    }
    forms
}

/// The document of a case and its messages.
pub fn case_document(c: &case::Model, messages: &[message::Model], names: &Names) -> CaseDocument {
    CaseDocument {
        id: c.id,
        reference: c.reference.clone(),
        consumer_name: c.consumer_name.clone(),
        phone: c
            .consumer_phone
            .as_deref()
            .map(phone_forms)
            .unwrap_or_default(),
        email: c.consumer_email.clone(),
        messages: messages
            .iter()
            .filter(|m| m.case_id == c.id)
            .map(|m| m.body.chars().take(MESSAGE_CHARS).collect())
            .collect(),
        client: c.client_id.and_then(|i| names.clients.get(&i).cloned()),
        client_id: c.client_id,
        campaign: c.campaign_id.and_then(|i| names.campaigns.get(&i).cloned()),
        campaign_id: c.campaign_id,
        channel: c.channel.as_str().to_string(),
        status: <&str>::from(c.status).to_string(),
        category: c.category.clone(),
        assignee_id: c.assignee_id,
        received_at: c.received_at.timestamp(),
        due_at: c.due_at.timestamp(),
    }
}

/// The document of a public client.
pub fn client_document(pc: &PublicClient) -> ClientDocument {
    ClientDocument {
        id: pc.client.id,
        name: pc.client.name.clone(),
        org_number: pc.client.org_number.clone(),
        description: pc.client.description.clone(),
        website: pc.client.website.clone(),
        campaigns: pc
            .campaigns
            .iter()
            .map(|c| c.campaign.name.clone())
            .collect(),
        purposes: pc
            .campaigns
            .iter()
            .map(|c| c.campaign.purpose.clone())
            .collect(),
        numbers: pc
            .campaigns
            .iter()
            .flat_map(|c| c.numbers.iter().flat_map(|n| phone_forms(n.as_str())))
            .collect(),
    }
}

/// Index settings of the cases: what is searched (in rank order), filtered
/// and sorted. No typos on identifiers: a phone number one digit off is
/// somebody else.
pub fn case_settings() -> Settings {
    Settings::new()
        .with_searchable_attributes([
            "reference",
            "phone",
            "email",
            "consumer_name",
            "messages",
            "client",
            "campaign",
        ])
        .with_filterable_attributes([
            "status",
            "channel",
            "client_id",
            "campaign_id",
            "assignee_id",
            "due_at",
            "received_at",
            // Identifiers, looked up exactly (see `identifier_filter`).
            "reference",
            "email",
            "phone",
        ])
        .with_sortable_attributes(["due_at", "received_at"])
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            disable_on_attributes: Some(vec!["reference".into(), "phone".into(), "email".into()]),
            ..Default::default()
        })
}

/// Index settings of the public clients.
pub fn client_settings() -> Settings {
    Settings::new()
        .with_searchable_attributes([
            "name",
            "campaigns",
            "purposes",
            "description",
            "org_number",
            "numbers",
            "website",
        ])
        .with_filterable_attributes(Vec::<String>::new())
        .with_sortable_attributes(["name"])
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            disable_on_attributes: Some(vec!["org_number".into(), "numbers".into()]),
            ..Default::default()
        })
}

/// The queue's filters as a Meilisearch filter expression (the database
/// applies them again; here they keep the hit limit for matching cases).
/// Only values the queue itself produces reach the string: numbers and
/// known words, never free text.
pub fn case_filter(f: &QueueFilter, me: i32, now: DateTime<Utc>) -> String {
    let now_s = now.timestamp();
    let risk_s = (now + AT_RISK_BEFORE_DUE).timestamp();
    let mut parts: Vec<String> = Vec::new();
    match f.status.as_str() {
        "answered" => parts.push("status = \"answered\"".into()),
        "closed" => parts.push("status = \"closed\"".into()),
        other => {
            parts.push("status = \"open\"".into());
            match other {
                "breached" => parts.push(format!("due_at <= {now_s}")),
                "at_risk" => parts.push(format!("due_at > {now_s} AND due_at <= {risk_s}")),
                "on_time" => parts.push(format!("due_at > {risk_s}")),
                _ => {}
            }
        }
    }
    if ["web", "email", "sms", "voicemail", "phone"].contains(&f.kanal.as_str()) {
        parts.push(format!("channel = \"{}\"", f.kanal));
    }
    if let Ok(id) = f.oppdragsgiver.parse::<i32>() {
        parts.push(format!("client_id = {id}"));
    }
    if let Ok(id) = f.kampanje.parse::<i32>() {
        parts.push(format!("campaign_id = {id}"));
    }
    if f.mine() {
        parts.push(format!("assignee_id = {me}"));
    } else if f.tildelt == "none" {
        parts.push("assignee_id IS NULL".into());
    } else if let Ok(id) = f.tildelt.parse::<i32>() {
        parts.push(format!("assignee_id = {id}"));
    }
    parts.join(" AND ")
}

/// The filter that finds exactly the cases carrying an identifier: the
/// reference and e-mail address as stored, the phone number by its E.164
/// form (the first of the document's `phone` forms). `None` for a value the
/// filter syntax cannot quote plainly (a quoted e-mail local part): such a
/// query is searched as free text.
pub fn identifier_filter(id: &Identifier) -> Option<String> {
    let (field, value) = match id {
        Identifier::Reference(r) => ("reference", r),
        Identifier::Email(e) => ("email", e),
        Identifier::Phone(p) => ("phone", p),
    };
    (!value.contains(['"', '\\'])).then(|| format!("{field} = \"{value}\""))
}

/// Two filter expressions that must both hold (either may be empty).
pub fn all_of(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("({a}) AND ({b})"),
    }
}

/// Why a call to the search server failed.
#[derive(Debug, thiserror::Error)]
pub enum MeiliError {
    #[error("the search server did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the search server failed: {0}")]
    Server(#[from] SdkError),
    /// The server took the request, but its task failed.
    #[error("a search server task failed: {0}")]
    Task(String),
}

impl MeiliError {
    /// A short description without personal data (the server's own message
    /// may quote a document), for logs and `search_jobs.last_error`.
    pub fn summary(&self) -> String {
        match self {
            MeiliError::Timeout(d) => format!("timeout after {} ms", d.as_millis()),
            MeiliError::Server(SdkError::Meilisearch(e)) => {
                format!("meilisearch error {:?}", e.error_code)
            }
            MeiliError::Server(SdkError::MeilisearchCommunication(e)) => {
                format!("meilisearch answered HTTP {}", e.status_code)
            }
            MeiliError::Server(SdkError::HttpError(e)) if e.is_connect() => {
                "search server unreachable".into()
            }
            MeiliError::Server(SdkError::HttpError(_)) => {
                "HTTP error talking to the search server".into()
            }
            MeiliError::Server(SdkError::ParseError(_)) => {
                "unexpected answer from the search server".into()
            }
            MeiliError::Server(_) => "search server error".into(),
            MeiliError::Task(code) => format!("meilisearch task failed: {code}"),
        }
    }
}

/// Where a Meilisearch task stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Enqueued or processing.
    Pending,
    Succeeded,
    /// Failed (its error code, no document content) or unknown to the
    /// server (a server whose data was lost): the documents must be sent again.
    Failed(String),
}

impl TaskState {
    fn of(task: &Task) -> TaskState {
        match task {
            Task::Enqueued { .. } | Task::Processing { .. } => TaskState::Pending,
            Task::Succeeded { .. } => TaskState::Succeeded,
            Task::Failed { content } => {
                TaskState::Failed(format!("{:?}", content.error.error_code))
            }
        }
    }
}

/// A task uid as the SDK's task calls take it.
struct Uid(u32);

impl AsRef<u32> for Uid {
    fn as_ref(&self) -> &u32 {
        &self.0
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: i32,
}

/// Where the Meilisearch server is and how to talk to it (`MEILI_URL`,
/// `MEILI_MASTER_KEY` or `MEILI_API_KEY`, `MEILI_TIMEOUT_MS`,
/// `MEILI_INDEX_PREFIX`; read by `config`).
#[derive(Clone)]
pub struct MeiliSettings {
    pub url: String,
    pub api_key: Option<String>,
    /// Every call to the server gives up after this long.
    pub timeout: Duration,
    /// Index names are `{prefix}_cases` and `{prefix}_clients`.
    pub index_prefix: String,
}

/// A Meilisearch server and the two indexes innsyn keeps there.
#[derive(Clone)]
pub struct Meili {
    client: Client,
    prefix: String,
    timeout: Duration,
}

impl Meili {
    pub fn new(cfg: &MeiliSettings) -> anyhow::Result<Self> {
        Ok(Meili {
            client: Client::new(cfg.url.clone(), cfg.api_key.clone())?,
            prefix: cfg.index_prefix.clone(),
            timeout: cfg.timeout,
        })
    }

    pub fn cases_index(&self) -> String {
        format!("{}_cases", self.prefix)
    }

    pub fn clients_index(&self) -> String {
        format!("{}_clients", self.prefix)
    }

    async fn call<T>(
        &self,
        fut: impl Future<Output = Result<T, SdkError>>,
    ) -> Result<T, MeiliError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(MeiliError::Timeout(self.timeout)),
        }
    }

    /// Applies both indexes' settings (creates the indexes when missing).
    pub async fn apply_settings(&self) -> Result<(), MeiliError> {
        let cases = self.client.index(self.cases_index());
        self.call(cases.set_settings(&case_settings())).await?;
        let clients = self.client.index(self.clients_index());
        self.call(clients.set_settings(&client_settings())).await?;
        Ok(())
    }

    pub async fn search_cases(&self, q: &str, filter: &str) -> Result<Vec<i32>, MeiliError> {
        let index = self.client.index(self.cases_index());
        let mut query = index.search();
        query
            .with_query(q)
            .with_limit(CASE_HITS)
            .with_attributes_to_retrieve(Selectors::Some(&["id"]));
        if !filter.is_empty() {
            query.with_filter(filter);
        }
        let r = self.call(query.execute::<IdOnly>()).await?;
        Ok(r.hits.into_iter().map(|h| h.result.id).collect())
    }

    pub async fn search_clients(&self, q: &str) -> Result<Vec<i32>, MeiliError> {
        let index = self.client.index(self.clients_index());
        let mut query = index.search();
        query
            .with_query(q)
            .with_limit(200)
            .with_attributes_to_retrieve(Selectors::Some(&["id"]));
        let r = self.call(query.execute::<IdOnly>()).await?;
        Ok(r.hits.into_iter().map(|h| h.result.id).collect())
    }

    pub async fn upsert_cases(&self, docs: &[CaseDocument]) -> Result<Option<u32>, MeiliError> {
        self.add(&self.cases_index(), docs).await
    }

    pub async fn upsert_clients(&self, docs: &[ClientDocument]) -> Result<Option<u32>, MeiliError> {
        self.add(&self.clients_index(), docs).await
    }

    pub async fn delete_cases(&self, ids: &[i32]) -> Result<Option<u32>, MeiliError> {
        self.delete(&self.cases_index(), ids).await
    }

    pub async fn delete_clients(&self, ids: &[i32]) -> Result<Option<u32>, MeiliError> {
        self.delete(&self.clients_index(), ids).await
    }

    /// Adds or replaces `docs` (by `id`) in the index `uid`; the task that
    /// carries them, `None` when there was nothing to send.
    pub async fn add<T: serde::Serialize + Send + Sync>(
        &self,
        uid: &str,
        docs: &[T],
    ) -> Result<Option<u32>, MeiliError> {
        if docs.is_empty() {
            return Ok(None);
        }
        let index = self.client.index(uid);
        let t = self.call(index.add_or_replace(docs, Some("id"))).await?;
        Ok(Some(t.task_uid))
    }

    /// Removes the documents `ids` from the index `uid`.
    async fn delete(&self, uid: &str, ids: &[i32]) -> Result<Option<u32>, MeiliError> {
        if ids.is_empty() {
            return Ok(None);
        }
        let index = self.client.index(uid);
        let t = self.call(index.delete_documents(ids)).await?;
        Ok(Some(t.task_uid))
    }

    /// Where the task `uid` stands now (one request).
    pub async fn task_state(&self, uid: u32) -> Result<TaskState, MeiliError> {
        match self.call(self.client.get_task(Uid(uid))).await {
            Ok(t) => Ok(TaskState::of(&t)),
            Err(MeiliError::Server(SdkError::Meilisearch(e)))
                if e.error_code == ErrorCode::TaskNotFound =>
            {
                Ok(TaskState::Failed("TaskNotFound".into()))
            }
            Err(e) => Err(e),
        }
    }

    /// Waits for the task `uid` to finish, polling Meilisearch's task
    /// endpoint (not a fixed pause), for at most `within`; `Pending` when it
    /// is still running then.
    pub async fn wait_for(&self, uid: u32, within: Duration) -> Result<TaskState, MeiliError> {
        let waited =
            self.client
                .wait_for_task(Uid(uid), Some(Duration::from_millis(10)), Some(within));
        match tokio::time::timeout(within + self.timeout, waited).await {
            Ok(Ok(t)) => Ok(TaskState::of(&t)),
            Ok(Err(SdkError::Timeout)) | Err(_) => Ok(TaskState::Pending),
            Ok(Err(SdkError::Meilisearch(e))) if e.error_code == ErrorCode::TaskNotFound => {
                Ok(TaskState::Failed("TaskNotFound".into()))
            }
            Ok(Err(e)) => Err(e.into()),
        }
    }

    /// Waits for a task the caller cannot go on without (settings, index
    /// swaps, a rebuild's batches): an error unless it succeeded in `within`.
    pub async fn finish(&self, t: TaskInfo, within: Duration) -> Result<(), MeiliError> {
        match self.wait_for(t.task_uid, within).await? {
            TaskState::Succeeded => Ok(()),
            TaskState::Failed(code) => Err(MeiliError::Task(code)),
            TaskState::Pending => Err(MeiliError::Timeout(within)),
        }
    }

    /// The indexes a rebuild fills before they are swapped in.
    pub fn rebuild_indexes(&self) -> (String, String) {
        (
            format!("{}_rebuild", self.cases_index()),
            format!("{}_rebuild", self.clients_index()),
        )
    }

    /// Makes sure the live indexes exist with their settings, and creates
    /// empty rebuild indexes with the same settings (a leftover from a
    /// failed rebuild is dropped first).
    pub async fn prepare_rebuild(&self, within: Duration) -> Result<(), MeiliError> {
        let (cases, clients) = self.rebuild_indexes();
        self.drop_index(&cases, within).await?;
        self.drop_index(&clients, within).await?;
        for (uid, settings) in [
            (self.cases_index(), case_settings()),
            (self.clients_index(), client_settings()),
            (cases, case_settings()),
            (clients, client_settings()),
        ] {
            let t = self
                .call(self.client.index(uid).set_settings(&settings))
                .await?;
            self.finish(t, within).await?;
        }
        Ok(())
    }

    /// Swaps the rebuilt indexes in (one atomic task for both), then drops
    /// the old ones, which now carry the rebuild names.
    pub async fn swap_in_rebuild(&self, within: Duration) -> Result<(), MeiliError> {
        let (cases, clients) = self.rebuild_indexes();
        let pairs = [
            SwapIndexes {
                indexes: (self.cases_index(), cases.clone()),
                rename: None,
            },
            SwapIndexes {
                indexes: (self.clients_index(), clients.clone()),
                rename: None,
            },
        ];
        let t = self.call(self.client.swap_indexes(&pairs)).await?;
        self.finish(t, within).await?;
        self.drop_index(&cases, within).await?;
        self.drop_index(&clients, within).await
    }

    /// Deletes the index `uid` and waits; nothing to do when it is missing.
    pub async fn drop_index(&self, uid: &str, within: Duration) -> Result<(), MeiliError> {
        let t = self.call(self.client.delete_index(uid)).await?;
        match self.wait_for(t.task_uid, within).await? {
            TaskState::Succeeded => Ok(()),
            TaskState::Failed(code) if code == "IndexNotFound" => Ok(()),
            TaskState::Failed(code) => Err(MeiliError::Task(code)),
            TaskState::Pending => Err(MeiliError::Timeout(within)),
        }
    }

    /// The number of documents in the index `uid` (tests and the benchmark).
    pub async fn document_count(&self, uid: &str) -> Result<usize, MeiliError> {
        let stats = self.call(self.client.index(uid).get_stats()).await?;
        Ok(stats.number_of_documents)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::TimeZone;
    use entity::enums::{CaseStatus, Channel, Direction};
    use serde_json::json;

    use super::*;
    use crate::domain::norm::ANSWER_WITHIN;

    fn case_at(now: DateTime<Utc>) -> case::Model {
        case::Model {
            id: 42,
            reference: "K-2026-000042".into(),
            source_key: Some("web:abc".into()),
            channel: Channel::Web,
            consumer_name: Some("Kari Nordmann".into()),
            consumer_phone: Some("+4791234567".into()),
            consumer_email: Some("kari@example.no".into()),
            called_from: Some("+4721000010".into()),
            caller_number_id: Some(1),
            campaign_id: Some(5),
            client_id: Some(2),
            category: "reserved".into(),
            status: CaseStatus::Open,
            received_at: now,
            due_at: now + ANSWER_WITHIN,
            first_response_at: None,
            closed_at: None,
            assignee_id: None,
            at_risk_alerted_at: None,
            breach_alerted_at: None,
            legal_hold_reason: None,
            legal_hold_at: None,
            delivery_flag: None,
            close_reason: None,
            duplicate_of: None,
        }
    }

    #[test]
    fn a_case_document_holds_what_staff_search_by_and_the_filter_fields() {
        let now = Utc.with_ymd_and_hms(2026, 11, 18, 10, 0, 0).unwrap();
        let c = case_at(now);
        let msg = |id, case_id, body: &str| message::Model {
            id,
            case_id,
            direction: Direction::Inbound,
            channel: Channel::Web,
            body: body.into(),
            created_at: now,
            external_id: None,
            author_id: None,
            delivery: None,
            delivery_at: None,
            delivery_error: None,
        };
        let names = Names {
            clients: HashMap::from([(2, "Fjordkraft Demo AS".to_string())]),
            campaigns: HashMap::from([(5, "Vinterkampanje".to_string())]),
            users: HashMap::new(),
        };
        let doc = case_document(
            &c,
            &[
                msg(1, 42, "Jeg har reservert meg mot telefonsalg"),
                msg(2, 99, "another case"),
            ],
            &names,
        );
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(v["id"], 42);
        assert_eq!(v["reference"], "K-2026-000042");
        assert_eq!(v["consumer_name"], "Kari Nordmann");
        assert_eq!(v["email"], "kari@example.no");
        assert_eq!(
            v["messages"],
            json!(["Jeg har reservert meg mot telefonsalg"])
        );
        assert_eq!(v["client"], "Fjordkraft Demo AS");
        assert_eq!(v["client_id"], 2);
        assert_eq!(v["campaign"], "Vinterkampanje");
        assert_eq!(v["campaign_id"], 5);
        assert_eq!(v["channel"], "web");
        assert_eq!(v["status"], "open");
        assert_eq!(v["assignee_id"], serde_json::Value::Null);
        assert_eq!(v["received_at"], now.timestamp());
        assert_eq!(v["due_at"], (now + ANSWER_WITHIN).timestamp());
        for form in ["+4791234567", "91234567", "912 34 567", "004791234567"] {
            assert!(
                doc.phone.iter().any(|p| p == form),
                "{form} in {:?}",
                doc.phone
            );
        }
        // The source key and the number that called are not search material.
        assert!(v.get("source_key").is_none());
        assert!(v.get("called_from").is_none());
    }

    #[test]
    fn settings_make_the_queue_filters_filterable_and_identifiers_typo_free() {
        let v = serde_json::to_value(case_settings()).unwrap();
        let list = |k: &str| -> Vec<String> {
            serde_json::from_value(v[k].clone()).unwrap_or_else(|_| panic!("{k}: {}", v[k]))
        };
        let searchable = list("searchableAttributes");
        for a in [
            "reference",
            "phone",
            "email",
            "consumer_name",
            "messages",
            "client",
            "campaign",
        ] {
            assert!(searchable.iter().any(|s| s == a), "{a} searchable");
        }
        let filterable = list("filterableAttributes");
        for a in [
            "status",
            "channel",
            "client_id",
            "campaign_id",
            "due_at",
            "reference",
            "email",
            "phone",
        ] {
            assert!(filterable.iter().any(|s| s == a), "{a} filterable");
        }
        assert_eq!(list("sortableAttributes"), ["due_at", "received_at"]);
        assert_eq!(v["typoTolerance"]["enabled"], true);
        assert_eq!(
            v["typoTolerance"]["disableOnAttributes"],
            json!(["reference", "phone", "email"])
        );
        let v = serde_json::to_value(client_settings()).unwrap();
        assert_eq!(v["searchableAttributes"][0], "name");
        assert_eq!(v["typoTolerance"]["enabled"], true);
    }

    #[test]
    fn the_queue_filters_become_a_meilisearch_filter_of_known_words_and_numbers() {
        let now = Utc.with_ymd_and_hms(2026, 11, 18, 10, 0, 0).unwrap();
        let f = QueueFilter {
            status: "breached".into(),
            kanal: "sms".into(),
            oppdragsgiver: "3".into(),
            kampanje: "4".into(),
            tildelt: "none".into(),
            q: "kari".into(),
            ..Default::default()
        };
        assert_eq!(
            case_filter(&f, 9, now),
            format!(
                "status = \"open\" AND due_at <= {} AND channel = \"sms\" AND client_id = 3 \
                 AND campaign_id = 4 AND assignee_id IS NULL",
                now.timestamp()
            )
        );
        let hostile = QueueFilter {
            kanal: "sms\" OR status = \"closed".into(),
            oppdragsgiver: "1 OR 1".into(),
            mine: Some("1".into()),
            ..Default::default()
        };
        assert_eq!(
            case_filter(&hostile, 9, now),
            "status = \"open\" AND assignee_id = 9"
        );
    }

    #[test]
    fn an_identifier_becomes_an_exact_filter_on_its_stored_form() {
        let f = |i| identifier_filter(&i);
        assert_eq!(
            f(Identifier::Reference("K-2026-000002".into())).as_deref(),
            Some("reference = \"K-2026-000002\"")
        );
        assert_eq!(
            f(Identifier::Email("kari@example.no".into())).as_deref(),
            Some("email = \"kari@example.no\"")
        );
        assert_eq!(
            f(Identifier::Phone("+4791234567".into())).as_deref(),
            Some("phone = \"+4791234567\"")
        );
        assert_eq!(f(Identifier::Email("\"a b\"@example.no".into())), None);
        // The document's phone forms start with the E.164 the filter names.
        assert_eq!(phone_forms("+4791234567")[0], "+4791234567");
        assert_eq!(all_of("", "b = 1"), "b = 1");
        assert_eq!(all_of("a = 1", ""), "a = 1");
        assert_eq!(all_of("a = 1", "b = 1"), "(a = 1) AND (b = 1)");
    }
}
