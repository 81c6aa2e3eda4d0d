//! An error's text made fit for the log: what could be personal data taken
//! out. Used wherever a failure is logged (the jobs, the register refresh,
//! the mail outbox).

/// An error's text with what could be personal data taken out, for the log:
/// quoted values (a database quoting the value it refused), e-mail addresses
/// (a mail server naming the recipient) and numbers of seven digits or
/// more, also when written with spaces, dashes or a `+` (phone numbers).
/// Shorter numbers (status and error codes, ports) stay. At most 300
/// characters.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(300));
    let mut in_quotes = false;
    for word in text.split_inclusive(char::is_whitespace) {
        let trail = &word[word.trim_end().len()..];
        let w = word.trim_end();
        if in_quotes || w.starts_with('"') {
            // A quoted value: dropped up to its closing quote.
            let body = if in_quotes { w } else { &w[1..] };
            match body.find('"') {
                Some(end) => {
                    in_quotes = false;
                    out.push_str("\"…\"");
                    out.push_str(&body[end + 1..]);
                    out.push_str(trail);
                }
                None => in_quotes = true,
            }
            continue;
        }
        if w.contains('@') {
            let (lead, rest) = w.split_at(w.find(|c: char| c.is_alphanumeric()).unwrap_or(0));
            let tail = rest.trim_end_matches(|c: char| !c.is_alphanumeric());
            out.push_str(lead);
            out.push_str("<address>");
            out.push_str(&rest[tail.len()..]);
            out.push_str(trail);
            continue;
        }
        out.push_str(w);
        out.push_str(trail);
    }
    if in_quotes {
        out.push_str("\"…");
    }
    let masked = mask_long_numbers(&out);
    if masked.chars().count() > 300 {
        masked.chars().take(299).chain(['…']).collect()
    } else {
        masked
    }
}

/// Replaces every run of digits, spaces and dashes (after an optional `+`)
/// that holds seven digits or more (a phone number in any written form)
/// with `<number>`.
fn mask_long_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if digits >= 7 {
            // Keep the blank that ended the run, if any.
            let trail = &run[run.trim_end().len()..];
            out.push_str("<number>");
            out.push_str(trail);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        let part = c.is_ascii_digit()
            || (!run.is_empty() && matches!(c, ' ' | '-'))
            || (run.is_empty() && c == '+');
        if part {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_takes_out_addresses_numbers_and_quoted_values() {
        assert_eq!(
            scrub("permanent error (550): 5.1.1 <kari@example.no>: Recipient address rejected"),
            "permanent error (550): 5.1.1 <<address>>: Recipient address rejected"
        );
        assert_eq!(
            scrub("Twilio refused +47 912 34 567 (code 21211), also 004791234567"),
            "Twilio refused <number> (code 21211), also <number>"
        );
        assert_eq!(
            scrub("value \"Kari\", then \"an unclosed one"),
            "value \"…\", then \"…"
        );
        assert_eq!(
            scrub("invalid input syntax for type integer: \"Kari Nordmann\" at port 5432"),
            "invalid input syntax for type integer: \"…\" at port 5432"
        );
        assert_eq!(scrub("connection refused"), "connection refused");
        assert_eq!(scrub(&"x".repeat(1000)).chars().count(), 300);
    }
}
