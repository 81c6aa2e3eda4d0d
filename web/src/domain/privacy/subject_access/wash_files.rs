//! Calling lists uploaded for a back-office wash (norm 7) live an hour at
//! most, with their results, in `wash_job_chunks`; uploads for the national
//! register's import pass through the temporary directory. While they do, a
//! person's number may be in one.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};

use sea_orm::{ConnectionTrait, DbErr};

use super::{HeldWashFile, WashPlace};
use crate::domain::dialer::wash_jobs::{self, FILE_PREFIX};
use crate::domain::phone::E164;

/// The digits a written form of `e164` always contains: the national
/// number for Norwegian numbers (written with or without +47), else every
/// digit after the `+`.
fn national_digits(e164: &str) -> String {
    e164.strip_prefix("+47")
        .unwrap_or_else(|| e164.trim_start_matches('+'))
        .to_string()
}

/// Whether a line of a list (or of a result, `number,e164,verdict`) holds
/// one of `numbers`: a cheap digit match first, then the phone parser on
/// each field of a matching line.
fn line_holds(line: &str, numbers: &[(String, String)]) -> bool {
    let digits: String = line.chars().filter(char::is_ascii_digit).collect();
    numbers.iter().any(|(e164, national)| {
        digits.contains(national.as_str())
            && line
                .split([',', ';', '\t'])
                .any(|f| E164::parse(f.trim().trim_matches('"')).is_ok_and(|p| p.as_str() == e164))
    })
}

fn file_holds(path: &Path, numbers: &[(String, String)]) -> bool {
    let Ok(f) = File::open(path) else {
        return false;
    };
    BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .any(|l| line_holds(&l, numbers))
}

/// The wash files in `dir` that hold one of `numbers` (E.164).
pub async fn holding(dir: &Path, numbers: &[String]) -> Vec<HeldWashFile> {
    if numbers.is_empty() {
        return Vec::new();
    }
    let dir = dir.to_path_buf();
    let numbers: Vec<(String, String)> = numbers
        .iter()
        .map(|n| (n.clone(), national_digits(n)))
        .collect();
    tokio::task::spawn_blocking(move || {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut out: Vec<HeldWashFile> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(FILE_PREFIX))
            .filter(|e| file_holds(&e.path(), &numbers))
            .map(|e| HeldWashFile {
                uploaded_at: e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .map(DateTime::<Utc>::from),
                place: WashPlace::File(e.path()),
            })
            .collect();
        out.sort_by_key(|w| w.uploaded_at);
        out
    })
    .await
    .unwrap_or_default()
}

/// Whether any line of these pieces, read in order, holds one of `numbers`
/// (a line cut between two pieces is joined first).
fn pieces_hold(carry: &mut Vec<u8>, piece: &[u8], numbers: &[(String, String)]) -> bool {
    carry.extend_from_slice(piece);
    let end = carry.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
    let hit = carry[..end]
        .split(|&c| c == b'\n')
        .any(|l| line_holds(&String::from_utf8_lossy(l), numbers));
    carry.drain(..end);
    hit
}

/// The back-office wash jobs whose list or result holds one of `numbers`
/// (E.164), read one stored piece at a time.
pub async fn holding_jobs(
    conn: &impl ConnectionTrait,
    numbers: &[String],
) -> Result<Vec<HeldWashFile>, DbErr> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let numbers: Vec<(String, String)> = numbers
        .iter()
        .map(|n| (n.clone(), national_digits(n)))
        .collect();
    let mut out = Vec::new();
    for (id, uploaded_at) in wash_jobs::all(conn).await? {
        let mut held = false;
        let mut part = None;
        let mut carry = Vec::new();
        for (p, seq) in wash_jobs::pieces(conn, &id).await? {
            if part != Some(p) {
                if !carry.is_empty() && line_holds(&String::from_utf8_lossy(&carry), &numbers) {
                    held = true;
                    break;
                }
                carry.clear();
                part = Some(p);
            }
            let Some(piece) = wash_jobs::chunk(conn, &id, p, seq).await? else {
                continue;
            };
            if pieces_hold(&mut carry, &piece, &numbers) {
                held = true;
                break;
            }
        }
        held =
            held || (!carry.is_empty() && line_holds(&String::from_utf8_lossy(&carry), &numbers));
        if held {
            out.push(HeldWashFile {
                uploaded_at: Some(uploaded_at),
                place: WashPlace::Job(id),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_line_holds_a_number_in_any_written_form_and_only_that_number() {
        let n = vec![("+4791234567".to_string(), national_digits("+4791234567"))];
        assert!(line_holds("912 34 567", &n));
        assert!(line_holds("Ola;+47 912 34 567;x", &n));
        assert!(line_holds("91234567,+4791234567,reserved", &n));
        assert!(!line_holds("91234568", &n));
        assert!(!line_holds("+46 91234567", &n));
    }

    #[test]
    fn a_number_cut_between_two_stored_pieces_is_found() {
        let n = vec![("+4791234567".to_string(), national_digits("+4791234567"))];
        let mut carry = Vec::new();
        assert!(!pieces_hold(&mut carry, b"22334455\n9123", &n));
        assert!(pieces_hold(&mut carry, b"4567\n", &n));
    }
}
