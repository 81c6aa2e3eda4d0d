// The national reservation register (issue 21) in a real browser against the
// real binary: a copy imported on the command line, the admin screen, the
// wash screen and the campaign editor, with axe-core and phone-sized
// screenshots.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { startServer, launchBrowser, screenshot } from "./harness.js";

const ADMIN = { email: "admin@nordlys.test", role: "admin", password: "korrekt-hest-batteri-1" };

async function signIn(page, baseUrl, user) {
  await page.goto(baseUrl + "/admin/login");
  await page.locator("#epost").fill(user.email);
  await page.locator("#passord").fill(user.password);
  await Promise.all([page.waitForURL(/\/admin\/saker/), page.locator("main form button[type=submit]").click()]);
}

describe("the national reservation register", { timeout: 300_000 }, () => {
  let server, browser, dir;
  before(async () => {
    server = await startServer({ users: [ADMIN] });
    browser = await launchBrowser();
    dir = mkdtempSync(join(tmpdir(), "innsyn-national-"));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("imports a copy on the command line and shows it on the screens", async () => {
    const file = join(dir, "register.csv");
    writeFileSync(file, "number\n930 00 001\n+47 930 00 002\nnot a number\n");
    const today = new Date().toISOString().slice(0, 10);
    const out = server.cli("import-national-register", "--extract-date", today, "--file", file);
    assert.match(out, /2 numbers imported/);
    assert.match(out, /invalid lines \(not a Norwegian number\): 4/);

    for (const [w, h, tag] of [[1280, 900, "1280"], [375, 800, "375"]]) {
      const context = await browser.newContext({ viewport: { width: w, height: h } });
      const page = await context.newPage();
      await signIn(page, server.baseUrl, ADMIN);
      await page.goto(server.baseUrl + "/admin/nasjonalt-register");
      assert.equal((await page.locator("#national-count").textContent()).trim(), "2");
      await screenshot(page, `national-register-${tag}`);
      const axe = await new AxeBuilder({ page }).analyze();
      assert.deepEqual(axe.violations.map((v) => v.id), [], "axe on /admin/nasjonalt-register");
      await page.goto(server.baseUrl + "/admin/vask");
      assert.match(await page.locator(".national-in-use").textContent(), /2 numre/);
      await screenshot(page, `national-wash-${tag}`);
      await page.goto(server.baseUrl + "/admin/kampanjer/1");
      await page.locator("#unntak").waitFor();
      await screenshot(page, `national-campaign-${tag}`);
      const axe2 = await new AxeBuilder({ page }).analyze();
      assert.deepEqual(axe2.violations.map((v) => v.id), [], "axe on the campaign editor");
      await context.close();
    }
  });
});
