//! Calling lists uploaded for a back-office wash (norm 7) live an hour at
//! most in the temporary directory; while they do, a person's number may be
//! in one.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::HeldWashFile;
use crate::domain::dialer::wash_jobs::FILE_PREFIX;
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
                path: e.path(),
            })
            .collect();
        out.sort_by_key(|w| w.uploaded_at);
        out
    })
    .await
    .unwrap_or_default()
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
}
