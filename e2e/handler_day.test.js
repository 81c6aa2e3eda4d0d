// Issue 17 in a real browser, at 1280 and 375 px, axe at zero violations:
// a handler picks a case from the queue preview, answers, lands on the next
// case and reserves a number from it; a manager reads a chart and downloads
// the XLSX. The demo's figures and cases come from `innsyn seed-demo`.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { AxeBuilder } from "@axe-core/playwright";
import { startServer, launchBrowser, screenshot } from "./harness.js";

const HANDLER = { email: "handler@nordlys.test", role: "handler", password: "stift-binders-kaffe-2" };
const MANAGER = { email: "leder@nordlys.test", role: "manager", password: "korrekt-hest-batteri-1" };

async function signIn(page, baseUrl, user) {
  await page.goto(baseUrl + "/admin/login");
  await page.locator("#epost").fill(user.email);
  await page.locator("#passord").fill(user.password);
  await Promise.all([page.waitForURL(/\/admin\/saker/), page.locator("main form button[type=submit]").click()]);
}

async function assertNoViolations(page, what) {
  const result = await new AxeBuilder({ page }).analyze();
  const text = result.violations.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`).join("\n");
  assert.equal(result.violations.length, 0, `${what}:\n${text}`);
}

async function noSidewaysScroll(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: overflow ${overflow}px`);
}

for (const width of [1280, 375]) {
  describe(`a handler's day and a manager's figures at ${width}px`, { timeout: 300_000 }, () => {
    let server, browser;
    before(async () => {
      server = await startServer({ users: [HANDLER, MANAGER] });
      // The full demo: 60 days of figures and cases in every state.
      server.cli("seed-demo");
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    it("the handler picks from the preview, answers, lands on the next case and reserves its number", async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      try {
        await signIn(page, server.baseUrl, HANDLER);
        const rows = page.locator(".case-row");
        assert.ok((await rows.count()) >= 3, "the demo queue has cases");
        // Who and what about, without opening the case.
        const first = rows.first();
        assert.ok((await first.locator(".who").textContent()).trim().length > 0);
        assert.ok((await first.locator(".preview").textContent()).trim().length > 0);
        await assertNoViolations(page, `queue at ${width}`);
        await noSidewaysScroll(page, `queue at ${width}`);
        await screenshot(page, `i17-queue-${width}`);
        // The demo queue, oldest due first: a breached SMS case, then an at-risk
        // e-mail case. The handler picks the e-mail one from its preview.
        const pickedRow = rows.nth(1);
        const picked = await pickedRow.getAttribute("data-reference");
        const next = await first.getAttribute("data-reference");
        await Promise.all([page.waitForURL(new RegExp(`/admin/saker/${picked}$`)), pickedRow.locator("a.case-link").click()]);
        await page.locator("#kanal-email").check();
        await page.locator("#tekst").fill("Hei, vi har notert at du ikke vil bli ringt igjen.");
        await Promise.all([page.waitForURL(/\?ok=answered&fra=/), page.locator("#send-answer").click()]);
        // The next case, with the outcome of the last on top.
        assert.match(new URL(page.url()).pathname, new RegExp(`/admin/saker/${next}$`));
        assert.match(await page.locator("#notice").textContent(), new RegExp(picked));
        await assertNoViolations(page, `next case at ${width}`);
        await noSidewaysScroll(page, `next case at ${width}`);
        await screenshot(page, `i17-next-case-${width}`);
        // Reserve the person's own number from the case (it has one).
        await Promise.all([page.waitForURL(/ok=reserved/), page.locator("#reserve-number").click()]);
        assert.match(await page.locator("#notice").textContent(), /reservasjonsregisteret/);
        assert.ok((await page.locator(".message.note").count()) >= 1, "noted in the case");
        await assertNoViolations(page, `reserved at ${width}`);
        // One key back to the queue.
        await page.locator("h1").click();
        await Promise.all([page.waitForURL(/\/admin\/saker$/), page.keyboard.press("Escape")]);
      } finally {
        await context.close();
      }
    });

    it("the manager reads a chart and downloads the XLSX", async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      try {
        await signIn(page, server.baseUrl, MANAGER);
        await page.goto(server.baseUrl + "/admin/statistikk");
        assert.match(await page.locator("#period").textContent(), /siste 30 dager/);
        const bars = page.locator("#chart-3 svg rect.bar");
        assert.ok((await bars.count()) >= 20, "one bar per day");
        assert.match(await bars.first().locator("title").textContent(), /\d,\d\u00a0%/);
        assert.equal(await page.locator("#chart-3 svg line.limit").count(), 1, "the 5 % line");
        const box = await page.locator("#chart-1 svg").boundingBox();
        assert.ok(box.width >= width * 0.8, `full width (${box.width}px)`);
        await assertNoViolations(page, `statistics at ${width}`);
        await noSidewaysScroll(page, `statistics at ${width}`);
        await screenshot(page, `i17-stats-${width}`);
        const link = page.locator("a[href*='format=xlsx']");
        const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
        assert.match(download.suggestedFilename(), /\.xlsx$/);
      } finally {
        await context.close();
      }
    });
  });
}
