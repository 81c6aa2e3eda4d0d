//! The database backend: works on PostgreSQL and SQLite with nothing else
//! installed. Substring matching, case-insensitive for every letter, no
//! typo tolerance: a centre with many cases or misspelled names wants
//! Meilisearch (see docs/operations.md, Search).
//!
//! PostgreSQL: `lower(column) LIKE '%fragment%'`; `lower()` folds æ, ø, å
//! and the rest, and trigram indexes (`pg_trgm`, migration 18) on those
//! expressions keep a message search from reading every row.
//! SQLite: its `lower()` and `LIKE` fold only A-Z, so "ØYSTEIN" would miss
//! "Øystein"; a fragment with letters beyond ASCII is matched by
//! `column REGEXP '(?i)fragment'` with the fragment escaped, through the
//! REGEXP function sqlx registers (Rust's `regex`, Unicode case folding); an
//! ASCII fragment keeps `LIKE`. No index serves either: a scan.

use entity::{case, message};
use sea_orm::sea_query::{BinOper, Condition, Expr, ExprTrait, Func, LikeExpr, Query, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend, EntityName, IdenStatic};

use crate::domain::catalogue::PublicClient;

/// `%fragment%` with LIKE's wildcards in the fragment escaped.
fn contains_pattern(fragment: &str) -> LikeExpr {
    let mut p = String::with_capacity(fragment.len() + 2);
    p.push('%');
    for ch in fragment.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    LikeExpr::new(p).escape('\\')
}

/// The digits a phone query should match inside a stored E.164 number, or
/// `None` when the query does not look like a phone number. "+47 912 34 567",
/// "0047 91234567", "912 34 567" and "91234567" all find `+4791234567`.
pub fn phone_digits(q: &str) -> Option<String> {
    let q = q.trim();
    if !q
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
    {
        return None;
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    // The international prefix 00 is written "+" in E.164.
    let digits = digits.strip_prefix("00").unwrap_or(&digits).to_string();
    (digits.len() >= 4).then_some(digits)
}

/// The condition "this case matches the query `q`": its reference, the
/// consumer's name, e-mail or phone number, or the text of any message.
pub fn case_condition(q: &str, backend: DbBackend) -> Option<Condition> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let lower = q.to_lowercase();
    // "column contains the fragment, in any case".
    let contains = |table: &'static str, col: &'static str| -> SimpleExpr {
        // An ASCII fragment is matched by SQLite's own (fast) LIKE, which
        // already folds A-Z; only a fragment with other letters needs REGEXP.
        if backend == DbBackend::Sqlite && !q.is_ascii() {
            Expr::col((
                sea_orm::sea_query::Alias::new(table),
                sea_orm::sea_query::Alias::new(col),
            ))
            .binary(
                BinOper::Custom("REGEXP"),
                Expr::val(format!("(?i){}", regex::escape(q))),
            )
        } else {
            Expr::expr(Func::lower(Expr::col((
                sea_orm::sea_query::Alias::new(table),
                sea_orm::sea_query::Alias::new(col),
            ))))
            .like(contains_pattern(&lower))
        }
    };
    let cases = case::Entity.table_name();
    let in_messages = Query::select()
        .column(message::Column::CaseId)
        .from(message::Entity)
        .and_where(contains(
            message::Entity.table_name(),
            message::Column::Body.as_str(),
        ))
        .to_owned();
    let mut any = Condition::any()
        .add(contains(cases, case::Column::Reference.as_str()))
        .add(contains(cases, case::Column::ConsumerName.as_str()))
        .add(contains(cases, case::Column::ConsumerEmail.as_str()))
        .add(case::Column::Id.in_subquery(in_messages));
    if let Some(d) = phone_digits(q) {
        any = any.add(case::Column::ConsumerPhone.like(contains_pattern(&d)));
    }
    Some(any)
}

/// Whether a public client matches the filter box: its name, organisation
/// number, description, or a campaign's name, purpose or caller number. The
/// public list is small and already loaded, so this runs on those rows.
pub fn client_matches(pc: &PublicClient, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return true;
    }
    let has = |s: &str| s.to_lowercase().contains(&q);
    let org_digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if has(&pc.client.name)
        || has(&pc.client.description)
        || pc.client.website.as_deref().is_some_and(has)
        || (!org_digits.is_empty() && pc.client.org_number.replace(' ', "").contains(&org_digits))
    {
        return true;
    }
    let phone = phone_digits(&q);
    pc.campaigns.iter().any(|c| {
        has(&c.campaign.name)
            || has(&c.campaign.purpose)
            || phone
                .as_ref()
                .is_some_and(|d| c.numbers.iter().any(|n| n.as_str().contains(d.as_str())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_query_in_any_written_form_becomes_the_digits_of_its_e164() {
        let stored = "+4791234567";
        for q in [
            "+47 912 34 567",
            "91234567",
            "912 34 567",
            "0047 912 34 567",
            "004791234567",
            "(+47) 91-23-45-67",
        ] {
            let d = phone_digits(q).unwrap_or_else(|| panic!("{q} is a phone query"));
            assert!(stored.contains(&d), "{q} -> {d}");
        }
        assert_eq!(phone_digits("Kari Nordmann"), None);
        assert_eq!(phone_digits("K-2026-000001"), None);
        assert_eq!(phone_digits("12"), None);
    }

    #[test]
    fn the_sqlite_pattern_folds_norwegian_letters_as_the_regexp_function_will() {
        // The same pattern the condition sends, run with the same crate
        // sqlx's REGEXP uses.
        let pattern = |q: &str| regex::Regex::new(&format!("(?i){}", regex::escape(q))).unwrap();
        assert!(pattern("øystein").is_match("Hilsen ØYSTEIN Åsen"));
        assert!(pattern("ÆRLIG").is_match("ærlig talt"));
        assert!(pattern("brønnøysund").is_match("BRØNNØYSUNDREGISTERET"));
        assert!(pattern("müller").is_match("MÜLLER"));
        assert!(!pattern("a.c").is_match("abc"), "the fragment is literal");
    }

    #[test]
    fn like_wildcards_in_a_query_are_taken_literally() {
        // Built through sea-query so the escape clause reaches the SQL.
        use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
        let q = Query::select()
            .column(case::Column::Id)
            .from(case::Entity)
            .cond_where(case_condition("100%_x", DbBackend::Postgres).unwrap())
            .to_owned();
        let pg = q.to_string(PostgresQueryBuilder);
        assert!(pg.contains(r"E'%100\\%\\_x%'"), "{pg}");
        assert!(pg.contains("ESCAPE"), "{pg}");
        // SQLite: the fragment is a regex-escaped literal, case-insensitive.
        let q = Query::select()
            .column(case::Column::Id)
            .from(case::Entity)
            .cond_where(case_condition("Ø.0 (x)", DbBackend::Sqlite).unwrap())
            .to_owned();
        let sqlite = q.to_string(SqliteQueryBuilder);
        assert!(sqlite.contains(r"REGEXP '(?i)Ø\.0 \(x\)'"), "{sqlite}");
        // An ASCII fragment keeps SQLite's LIKE (it folds A-Z itself).
        let q = Query::select()
            .column(case::Column::Id)
            .from(case::Entity)
            .cond_where(case_condition("100%_x", DbBackend::Sqlite).unwrap())
            .to_owned();
        let sqlite = q.to_string(SqliteQueryBuilder);
        assert!(
            sqlite.contains(r"'%100\%\_x%'") && !sqlite.contains("REGEXP"),
            "{sqlite}"
        );
    }
}
