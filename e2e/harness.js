// Test harness for the browser journeys: starts the real `innsyn` binary on a
// fresh SQLite database with the demo data, and Debian's chromium through
// playwright-core (no browser download).
//
//   INNSYN_BIN        the binary to test (default ../target/debug/innsyn)
//   CHROMIUM_PATH     the browser (default /usr/bin/chromium)
//   E2E_ARTIFACTS     where screenshots go (default ./test-results, git-ignored)

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));

export const INNSYN_BIN = resolve(here, process.env.INNSYN_BIN || "../target/debug/innsyn");
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const ARTIFACTS = resolve(here, process.env.E2E_ARTIFACTS || "test-results");

/** The demo data `innsyn seed-demo` creates (web/src/seed.rs). */
export const DEMO = {
  centre: "Nordlys Kundedialog AS",
  number: "21 00 00 10", // as a person would type it
  client: "Vestlandsstraum AS",
  purposeFragment: "fastprisavtale på strøm",
  otherNumber: "+4721000020",
  otherClient: "Stiftelsen Hjertelaget",
};

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * Starts `innsyn serve` on a free port with a fresh, seeded database.
 * `users` ({ email, role, password }) are created with `innsyn create-user`
 * before the server starts; `cli(...args)` runs the binary against the same
 * database later. Returns { baseUrl, stop(), output(), cli() }.
 */
export async function startServer({ users = [], smtp = null } = {}) {
  if (!existsSync(INNSYN_BIN)) {
    throw new Error(`INNSYN_BIN not found: ${INNSYN_BIN} (run \`cargo build --bin innsyn\` first)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "innsyn-e2e-"));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${join(dir, "innsyn.db")}?mode=rwc`,
    PUBLIC_BASE_URL: baseUrl,
    RUST_LOG: process.env.RUST_LOG || "warn",
    // One browser run makes many requests from one address; the limits
    // themselves are tested in web/tests/app/rate_limit.rs.
    RATE_LIMIT_LOOKUP_PER_MINUTE: "600",
    RATE_LIMIT_FORMS_PER_MINUTE: "600",
  };
  // With a loopback mail server (startSmtp) mail leaves; without one it
  // stays in the outbox.
  if (smtp) env.SMTP_URL = smtp.url;
  else delete env.SMTP_URL;
  const cli = (...args) => execFileSync(INNSYN_BIN, args, { env, stdio: "pipe" }).toString();
  cli("seed-demo", "--minimal");
  for (const u of users) {
    cli("create-user", "--email", u.email, "--role", u.role, "--password", u.password);
  }

  let log = "";
  const child = spawn(INNSYN_BIN, ["serve", "--bind", `127.0.0.1:${port}`, "--no-jobs"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  // Never leave a server behind, even when the test process dies early.
  process.once("exit", () => exited === null && child.kill("SIGKILL"));

  const stop = async () => {
    if (exited === null) {
      child.kill("SIGINT"); // graceful shutdown on ctrl-c
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      if (exited === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(`innsyn serve exited early (${JSON.stringify(exited)}):\n${log}`);
    }
    try {
      const r = await fetch(`${baseUrl}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`innsyn did not become ready at ${baseUrl}/readyz:\n${log}`);
    }
    await sleep(100);
  }
  return { baseUrl, stop, output: () => log, cli, dbPath: join(dir, "innsyn.db") };
}

/** Debian's chromium, headless, with the flags a closed network needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot under ARTIFACTS (git-ignored) for a human to look at. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * A real SMTP listener on loopback that records every mail it accepts, so a
 * journey can watch mail leave. `stop()` closes it (connections are then
 * refused, as with a mail server that is down); `start()` listens again on
 * the same port. Returns { url, mails, stop(), start(), close() }.
 */
export async function startSmtp() {
  const port = await freePort();
  const mails = [];
  const sockets = new Set();
  let server = null;
  const session = (sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    sock.setEncoding("utf8");
    let buf = "";
    let data = null;
    let rcpt = [];
    const say = (line) => sock.write(line + "\r\n");
    say("220 e2e-smtp ESMTP");
    sock.on("data", (chunk) => {
      buf += chunk;
      for (;;) {
        if (data !== null) {
          const end = buf.indexOf("\r\n.\r\n");
          if (end < 0) return;
          data += buf.slice(0, end);
          buf = buf.slice(end + 5);
          mails.push({ rcpt, data });
          data = null;
          rcpt = [];
          say("250 OK queued");
          continue;
        }
        const nl = buf.indexOf("\r\n");
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const cmd = line.toUpperCase();
        if (cmd.startsWith("EHLO")) say("250-e2e-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8");
        else if (cmd.startsWith("RCPT TO")) {
          rcpt.push(line.slice(line.indexOf("<") + 1, line.lastIndexOf(">")));
          say("250 OK");
        } else if (cmd === "DATA") {
          data = "";
          say("354 go ahead");
        } else if (cmd === "QUIT") {
          say("221 bye");
          sock.end();
        } else say("250 OK");
      }
    });
  };
  const smtp = {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async start() {
      if (server) return;
      server = createServer(session);
      server.listen(port, "127.0.0.1");
      await once(server, "listening");
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = null;
      for (const sock of sockets) sock.destroy();
      await new Promise((ok) => s.close(() => ok()));
    },
    close() {
      return smtp.stop();
    },
  };
  await smtp.start();
  return smtp;
}
