//! A real SMTP listener on loopback that keeps every message it accepts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub rcpt_to: Vec<String>,
    pub data: String,
}

impl ReceivedMail {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(self.data.as_bytes())
            .expect("parsable mail")
    }
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }
    pub fn body_text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|b| b.into_owned())
            .unwrap_or_default()
    }
}

#[derive(Clone)]
pub struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    notify: Arc<Notify>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink {
            port,
            mails: Arc::default(),
            notify: Arc::new(Notify::new()),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(sock).await;
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits (up to 10 s, never as a pass condition) until `n` mails arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.notify.notified();
            let got = self.mails();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.mails();
            }
        }
    }

    async fn session(&self, sock: tokio::net::TcpStream) -> std::io::Result<()> {
        let (r, mut w) = sock.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 test-smtp ESMTP\r\n").await?;
        let mut rcpt = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end().to_ascii_uppercase();
            if cmd.starts_with("EHLO") {
                w.write_all(b"250-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?;
            } else if cmd.starts_with("HELO")
                || cmd.starts_with("MAIL FROM")
                || cmd.starts_with("RSET")
                || cmd.starts_with("NOOP")
            {
                if cmd.starts_with("RSET") {
                    rcpt.clear();
                }
                w.write_all(b"250 OK\r\n").await?;
            } else if cmd.starts_with("RCPT TO") {
                rcpt.push(
                    line.trim_end()[8..]
                        .trim()
                        .trim_matches(|c| c == '<' || c == '>')
                        .to_string(),
                );
                w.write_all(b"250 OK\r\n").await?;
            } else if cmd == "DATA" {
                w.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let l = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(l);
                }
                self.mails.lock().unwrap().push(ReceivedMail {
                    rcpt_to: std::mem::take(&mut rcpt),
                    data,
                });
                self.notify.notify_waiters();
                w.write_all(b"250 queued\r\n").await?;
            } else if cmd.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                w.write_all(b"502 not implemented\r\n").await?;
            }
        }
    }
}
