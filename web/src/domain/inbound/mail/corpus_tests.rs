//! innsyn's reading of the mail corpus against Python's `email` package:
//! web/tests/fixtures/mail/expected.json, written by generate_expected.py
//! next to the messages.

use std::collections::BTreeMap;

use super::read;

#[derive(serde::Deserialize)]
struct Expected {
    from: String,
    subject: String,
    message_id: Option<String>,
    texts: Vec<String>,
    html: Vec<usize>,
    attachments: Vec<(String, Option<String>, Option<usize>)>,
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn mail_corpus_is_read_as_pythons_email_package_reads_it() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mail");
    let expected: BTreeMap<String, Expected> =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/expected.json")).unwrap())
            .unwrap();
    assert!(expected.len() >= 14);
    let (mut checks, mut agree) = (0, 0);
    let mut wrong = Vec::new();
    for (name, want) in &expected {
        let raw = std::fs::read(format!("{dir}/{name}")).unwrap();
        let m = read(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut check = |what: &str, ok: bool, detail: String| {
            checks += 1;
            if ok {
                agree += 1;
            } else {
                wrong.push(format!("{name} {what}: {detail}"));
            }
        };
        check("from", m.from_addr == want.from, m.from_addr.clone());
        check(
            "subject",
            m.msg.subject().unwrap_or("") == want.subject,
            format!("{:?}", m.msg.subject()),
        );
        if let Some(id) = &want.message_id {
            check("message-id", &m.message_id == id, m.message_id.clone());
        }
        check(
            "text count",
            m.text_parts.len() == want.texts.len(),
            format!("{:#?}", m.text_parts),
        );
        for (i, t) in want.texts.iter().enumerate() {
            let got = m.text_parts.get(i).map(String::as_str).unwrap_or("");
            let ok = if want.html.contains(&i) {
                words(got) == words(t)
            } else {
                got == t
            };
            check(&format!("text {i}"), ok, format!("{got:?} (Python: {t:?})"));
        }
        check(
            "attachment count",
            m.attachments.len() == want.attachments.len(),
            format!(
                "{:?}",
                m.attachments
                    .iter()
                    .map(|a| (&a.content_type, &a.filename))
                    .collect::<Vec<_>>()
            ),
        );
        for (i, (ct, filename, size)) in want.attachments.iter().enumerate() {
            let Some(a) = m.attachments.get(i) else {
                continue;
            };
            check(
                &format!("attachment {i} type"),
                &a.content_type == ct,
                a.content_type.clone(),
            );
            if let Some(f) = filename {
                check(
                    &format!("attachment {i} name"),
                    &a.filename == f,
                    a.filename.clone(),
                );
            }
            if let Some(n) = size {
                check(
                    &format!("attachment {i} size"),
                    a.data.len() == *n,
                    a.data.len().to_string(),
                );
            }
        }
    }
    eprintln!(
        "mail corpus: {} messages, {agree} of {checks} checks agree with Python's email",
        expected.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}
