// Back-office wash jobs (issue 19) in a real browser against the real
// binary: a list uploaded through the form, washed with its state on the
// page, downloaded; a job cut off by a restart shown failed with "Start
// again", which washes its stored list anew. Screenshots at 1280 and 375 px
// and axe-core on each state.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { startServer, launchBrowser, screenshot } from "./harness.js";

const MANAGER = { email: "leder@nordlys.test", role: "manager", password: "korrekt-hest-batteri-1" };

async function signIn(page, baseUrl, user) {
  await page.goto(baseUrl + "/admin/login");
  await page.locator("#epost").fill(user.email);
  await page.locator("#passord").fill(user.password);
  await Promise.all([page.waitForURL(/\/admin\//), page.locator("main form button[type=submit]").click()]);
}

function sql(db, q) {
  return execFileSync("sqlite3", [db, q]).toString().trim();
}

async function noViolations(page, what) {
  const axe = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(axe.violations.map((v) => v.id), [], `axe on ${what}`);
}

describe("back-office wash jobs", { timeout: 300_000 }, () => {
  let server, browser, dir;
  before(async () => {
    server = await startServer({ users: [MANAGER] });
    browser = await launchBrowser();
    dir = mkdtempSync(join(tmpdir(), "innsyn-washjobs-"));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows a wash done, a cut-off wash with Start again, and the user's list of washes", async () => {
    const file = join(dir, "liste.txt");
    writeFileSync(file, "912 34 567\n22 33 44 55\nhei\n+47 934 56 789\n");
    for (const [w, h, tag] of [[1280, 900, "1280"], [375, 800, "375"]]) {
      const context = await browser.newContext({ viewport: { width: w, height: h }, acceptDownloads: true });
      const page = await context.newPage();
      await signIn(page, server.baseUrl, MANAGER);
      await page.goto(server.baseUrl + "/admin/vask");
      await page.locator("#fil").setInputFiles(file);
      await Promise.all([page.waitForURL(/\/admin\/vask\/[0-9a-f]{32}$/), page.locator("main form.stacked button[type=submit]").click()]);
      await page.locator("#wash-status[data-state=done]").waitFor();
      assert.match(await page.locator(".wash-done").textContent(), /4 numre vasket/);
      await screenshot(page, `wash-job-done-${tag}`);
      await noViolations(page, "a finished wash");
      const jobUrl = page.url();
      const id = jobUrl.split("/").pop();

      // A copy of the job as a restart leaves it: running on an instance
      // that is gone, its heartbeat long stale, its list still stored.
      const cut = id.slice(0, 31) + (id.endsWith("0") ? "1" : "0");
      sql(server.dbPath, `INSERT INTO wash_jobs SELECT '${cut}', user_id, campaign_id, campaign_code, only_callable, declined_national, planned_at, national, 'running', total, 2, NULL, NULL, attempt, 'gone', '2020-01-01 00:00:00+00:00', started_at, NULL FROM wash_jobs WHERE id = '${id}'`);
      sql(server.dbPath, `INSERT INTO wash_job_chunks VALUES ('${cut}', 'in', 0, CAST('912 34 567' || char(10) || '22 33 44 55' || char(10) || 'hei' || char(10) || '+47 934 56 789' || char(10) AS BLOB))`);
      await page.goto(server.baseUrl + "/admin/vask/" + cut);
      await page.locator("#wash-status[data-state=failed]").waitFor();
      assert.match(await page.locator(".wash-failed").textContent(), /avbrutt/);
      await screenshot(page, `wash-job-cut-off-${tag}`);
      await noViolations(page, "a cut-off wash");

      await page.goto(server.baseUrl + "/admin/vask");
      assert.equal(await page.locator(".wash-job").count(), tag === "1280" ? 2 : 3);
      await screenshot(page, `wash-jobs-list-${tag}`);
      await noViolations(page, "the wash page with its jobs");

      await page.goto(server.baseUrl + "/admin/vask/" + cut);
      await Promise.all([page.waitForURL(new RegExp(cut + "$")), page.locator(".wash-again button").click()]);
      await page.locator("#wash-status[data-state=done]").waitFor();
      assert.match(await page.locator(".wash-done").textContent(), /4 numre vasket/);
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator("a.download").click()]);
      const body = execFileSync("cat", [await download.path()]).toString();
      assert.equal(body, "number,e164,verdict\n912 34 567,+4791234567,callable\n22 33 44 55,+4722334455,callable\nhei,,invalid\n+47 934 56 789,+4793456789,callable\n");
      await context.close();
    }
  });
});
