// Throwaway screenshot script (not committed).
import { execFileSync, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { launchBrowser, INNSYN_BIN } from "./harness.js";
const db = "/tmp/day/innsyn.db";
const env = { ...process.env, DATABASE_URL: `sqlite://${db}?mode=rwc`, PUBLIC_BASE_URL: "http://127.0.0.1:18431", RUST_LOG: "warn" };
delete env.SMTP_URL;
const cli = (...a) => execFileSync(INNSYN_BIN, a, { env, stdio: "pipe" }).toString();
const child = { kill() {} };
console.log("start");
for (let i = 0; i < 100; i++) { try { if ((await fetch("http://127.0.0.1:18431/readyz")).ok) break; } catch {} await sleep(200); }
console.log("ready");
const b = await launchBrowser();
console.log("browser");
const shots = process.argv.slice(2);
try {
  for (const [who, pw] of [["h@n.test", "stift-binders-kaffe-2"]]) {
    const ctx = await b.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto("http://127.0.0.1:18431/admin/login");
    await page.locator("#epost").fill(who);
    await page.locator("#passord").fill(pw);
    await Promise.all([page.waitForURL(/\/admin\/saker/), page.locator("main form button[type=submit]").click()]);
    for (const s of shots) {
      const [name, path] = s.split("=");
      let url = path;
      if (path === "STOPP") {
        await page.goto("http://127.0.0.1:18431/admin/saker?q=Stopp");
        url = await page.locator("a.case-link").first().getAttribute("href");
      }
      for (const w of [1280, 375]) {
        await page.setViewportSize({ width: w, height: 900 });
        await page.goto("http://127.0.0.1:18431" + url);
        await page.screenshot({ path: `/tmp/day/${name}-${w}.png`, fullPage: true });
      }
    }
  }
} finally { await b.close(); child.kill("SIGINT"); }
