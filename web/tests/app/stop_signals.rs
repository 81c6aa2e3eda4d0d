//! Stop signals: `innsyn serve` and `innsyn worker` stop cleanly on SIGTERM
//! (what systemd, Docker and Kubernetes send) as on Ctrl-C, and exit 0.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::dual;
use crate::support::TestApp;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn healthz(port: u16) -> bool {
    let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
    if c.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

fn start(app: &TestApp, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_innsyn"))
        .args(args)
        .env("DATABASE_URL", &app.state.config.database_url)
        .env_remove("SMTP_URL")
        .env_remove("MEILI_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM");
}

/// Waits (at most 60 s, past the 30 s grace) for the process to end.
fn exit_code(mut child: Child) -> (Option<i32>, String) {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            return (status.code(), err);
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("still running 60 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

dual!(
    serve_stops_on_sigterm_and_exits_0,
    |app: TestApp| async move {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let child = start(&app, &["serve", "--bind", &bind]);
        let until = Instant::now() + Duration::from_secs(60);
        while !healthz(port) {
            assert!(Instant::now() < until, "serve did not answer /healthz");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        sigterm(&child);
        let (code, err) = tokio::task::spawn_blocking(move || exit_code(child))
            .await
            .unwrap();
        // Killed by the signal, the process would have no exit code.
        assert_eq!(code, Some(0), "{err}");
        assert!(!healthz(port), "nothing listens after the stop");
    }
);

dual!(
    the_worker_stops_on_sigterm_and_exits_0,
    |app: TestApp| async move {
        let mut child = start(&app, &["worker"]);
        // Ready when it says so on standard output.
        let mut out = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut buf = [0u8; 256];
            let mut seen = String::new();
            while !seen.contains("running") {
                let n = out.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            seen
        })
        .await
        .unwrap();
        assert!(line.contains("worker running"), "{line}");
        sigterm(&child);
        let (code, err) = tokio::task::spawn_blocking(move || exit_code(child))
            .await
            .unwrap();
        assert_eq!(code, Some(0), "{err}");
    }
);
