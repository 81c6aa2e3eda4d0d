//! What a reader sees in a message, as Python's `email` package reads it:
//! every text part in order, a multipart/alternative once, everything else
//! (forwarded and digest messages included) as attachments with their real
//! type. Checked against web/tests/fixtures/mail/expected.json.

use std::borrow::Cow;

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

/// One attachment as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// The texts and attachments of a message, in order.
#[derive(Debug, Default)]
pub struct Contents {
    /// Each text part a reader sees (HTML as its text), trimmed, LF line ends.
    pub texts: Vec<String>,
    pub attachments: Vec<MailAttachment>,
}

/// A part's content type, `type/subtype` in lower case; a part without one
/// is text/plain, or message/rfc822 where the parser read a message (a part
/// of a multipart/digest).
fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(c) => match c.subtype() {
            Some(s) => format!("{}/{}", c.ctype(), s).to_ascii_lowercase(),
            None => c.ctype().to_ascii_lowercase(),
        },
        None if matches!(part.body, PartType::Message(_)) => "message/rfc822".into(),
        None => "text/plain".into(),
    }
}

fn is_attachment(part: &MessagePart<'_>) -> bool {
    part.content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
}

fn plain(text: &str) -> String {
    text.replace("\r\n", "\n").trim().to_string()
}

/// Reads the parts of `msg`.
pub fn contents(msg: &Message<'_>) -> Contents {
    let mut c = Contents::default();
    walk(msg, 0, &mut c, 0);
    c
}

fn walk(msg: &Message<'_>, id: u32, c: &mut Contents, depth: usize) {
    let Some(part) = msg.part(id) else { return };
    if depth > 50 {
        return;
    }
    let ctype = content_type(part);
    match &part.body {
        PartType::Message(inner) => {
            let subject = inner.subject().map(str::trim).filter(|s| !s.is_empty());
            c.attachments.push(MailAttachment {
                filename: format!("{}.eml", subject.unwrap_or("melding")),
                content_type: "message/rfc822".into(),
                data: inner.raw_message().to_vec(),
            });
        }
        PartType::Multipart(children) => {
            if ctype == "multipart/alternative" {
                // One reading of the same text: plain, else HTML, else the first.
                let type_of = |id: &u32| msg.part(*id).map(content_type);
                let best = ["text/plain", "text/html", "multipart/related"]
                    .iter()
                    .find_map(|want| {
                        children
                            .iter()
                            .find(|id| type_of(id).as_deref() == Some(want))
                    })
                    .or(children.first());
                if let Some(&id) = best {
                    walk(msg, id, c, depth + 1);
                }
            } else {
                for &id in children {
                    walk(msg, id, c, depth + 1);
                }
            }
        }
        PartType::Text(t) if ctype == "text/plain" && !is_attachment(part) => {
            c.texts.push(plain(t));
        }
        PartType::Html(h) if ctype == "text/html" && !is_attachment(part) => {
            c.texts
                .push(plain(&mail_parser::decoders::html::html_to_text(h)));
        }
        _ => c.attachments.push(MailAttachment {
            filename: part
                .attachment_name()
                .map(str::to_string)
                .unwrap_or_else(|| "vedlegg".into()),
            content_type: ctype,
            data: part.contents().to_vec(),
        }),
    }
}

/// The raw message with a blank line put where its headers end, when it
/// has none: Python's `email` parser ends the headers at the first line
/// that is not a header (`Name:`, a folded continuation, or a leading mbox
/// `From `), and that line starts the body. `Cow::Borrowed` when nothing
/// is missing.
pub fn with_header_separator(raw: &[u8]) -> Cow<'_, [u8]> {
    let mut at = 0;
    while at < raw.len() {
        let end = raw[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| at + i + 1);
        let line = &raw[at..end];
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            return Cow::Borrowed(raw);
        }
        let name_len = content
            .iter()
            .take_while(|&&b| (0x21..=0x7e).contains(&b) && b != b':')
            .count();
        let header = matches!(content[0], b' ' | b'\t')
            || content.get(name_len) == Some(&b':')
            || (at == 0 && content.starts_with(b"From "));
        if !header {
            let eol: &[u8] = if line.ends_with(b"\r\n") || raw[..at].ends_with(b"\r\n") {
                b"\r\n"
            } else {
                b"\n"
            };
            let mut fixed = Vec::with_capacity(raw.len() + 2);
            fixed.extend_from_slice(&raw[..at]);
            fixed.extend_from_slice(eol);
            fixed.extend_from_slice(&raw[at..]);
            return Cow::Owned(fixed);
        }
        at = end;
    }
    Cow::Borrowed(raw)
}

/// The raw message with the closing boundary of its top-level multipart
/// added when it has none, so that its last part is decoded like the
/// others (Python's `email` reads it so, noting a defect).
pub fn with_closing_boundary(raw: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let boundary = mail_parser::MessageParser::new()
        .parse_headers(&raw[..])
        .and_then(|m| {
            let ct = m.root_part().content_type()?;
            ct.ctype()
                .eq_ignore_ascii_case("multipart")
                .then(|| ct.attribute("boundary").map(str::to_string))?
        });
    let Some(b) = boundary.filter(|b| !b.is_empty()) else {
        return raw;
    };
    let close = format!("--{b}--");
    if raw.windows(close.len()).any(|w| w == close.as_bytes()) {
        return raw;
    }
    let mut fixed = raw.into_owned();
    if !fixed.ends_with(b"\n") {
        fixed.extend_from_slice(b"\r\n");
    }
    fixed.extend_from_slice(close.as_bytes());
    fixed.extend_from_slice(b"\r\n");
    Cow::Owned(fixed)
}

/// A Message-ID fit to store and to send back in our own `In-Reply-To` and
/// `References`: without control characters, white space or angle
/// brackets, at most 200 characters; `None` when nothing is left.
pub fn clean_message_id(id: &str) -> Option<String> {
    let clean: String = id
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace() && !matches!(c, '<' | '>'))
        .take(200)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_blank_line_is_put_where_python_ends_the_headers() {
        let raw = b"From: a@b.no\r\nSubject: x\r\nHei der.\r\nMer.\r\n";
        assert_eq!(
            &*with_header_separator(raw),
            b"From: a@b.no\r\nSubject: x\r\n\r\nHei der.\r\nMer.\r\n"
        );
        let folded = b"Subject: x\n y\nFrom: a@b.no\n\nbody\n";
        assert!(matches!(with_header_separator(folded), Cow::Borrowed(_)));
        assert_eq!(
            &*with_header_separator(b"From: a@b.no\nbody text\n"),
            b"From: a@b.no\n\nbody text\n"
        );
    }

    #[test]
    fn message_ids_lose_control_characters() {
        assert_eq!(
            clean_message_id("abc\r\nBcc: x@y.no\u{1}@z").as_deref(),
            Some("abcBcc:x@y.no@z")
        );
        assert_eq!(clean_message_id("<a@b>").as_deref(), Some("a@b"));
        assert_eq!(clean_message_id("\u{0}\u{7}"), None);
    }
}
