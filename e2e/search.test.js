// The search journey against a real Meilisearch: complaints filed on the
// public site, `innsyn reindex` (fresh indexes swapped in), then a handler
// finds them in the queue's search box by a misspelled word, a name with
// æøå, a reference and a phone number in another written form, live as she
// types and without JavaScript. Needs MEILI_URL (and MEILI_MASTER_KEY);
// `bash .ci/test` gives it the server it starts. Without one it is skipped
// with a message, never passed.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startServer, launchBrowser, screenshot } from "./harness.js";

const HANDLER = { email: "saksbehandler@nordlys.test", role: "handler", password: "stift-binders-kaffe-2" };
const skip = process.env.MEILI_URL
  ? false
  : "SKIPPED: no Meilisearch (MEILI_URL is not set); bash .ci/test starts one when it finds a binary";
if (skip) console.log(skip);

async function fileComplaint(browser, baseUrl, { navn, telefon, epost, melding }) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(baseUrl + "/klage");
    await page.locator("#navn").fill(navn);
    await page.locator("#telefon").fill(telefon);
    await page.locator("#epost").fill(epost);
    await page.locator("#kategori").selectOption("unwanted_call");
    await page.locator("#melding").fill(melding);
    await Promise.all([page.waitForURL(/\/klage$/), page.locator("main form button[type=submit]").click()]);
    await page.locator(".receipt .reference").waitFor();
    return (await page.locator(".receipt .reference").textContent()).trim();
  } finally {
    await context.close();
  }
}

const references = (page) =>
  page.locator("#results .case-row").evaluateAll((rows) => rows.map((r) => r.dataset.reference));

describe("search against a real Meilisearch", { skip }, () => {
  let server, browser, page;
  const refs = [];

  before(async () => {
    // Throw-away indexes of this run only.
    process.env.MEILI_INDEX_PREFIX = `e2e_${randomUUID().replaceAll("-", "")}`;
    server = await startServer({ users: [HANDLER] });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("two complaints are filed and indexed by `innsyn reindex`", async () => {
    refs.push(
      await fileComplaint(browser, server.baseUrl, {
        navn: "Øystein Ødegård",
        telefon: "912 34 567",
        epost: "oystein@example.org",
        melding: "Jeg har reservert meg i Brønnøysundregisteret, men dere ringer likevel.",
      }),
    );
    refs.push(
      await fileComplaint(browser, server.baseUrl, {
        navn: "Ola Hansen",
        telefon: "913 45 678",
        epost: "ola@example.org",
        melding: "Selgeren var uhøflig og la på.",
      }),
    );
    const out = server.cli("reindex");
    assert.match(out, /reindexed \d+ case\(s\)/);
  });

  it("the handler finds each case by a typo, a name, a reference and a phone number", async () => {
    await page.goto(server.baseUrl + "/admin/login");
    await page.locator("#epost").fill(HANDLER.email);
    await page.locator("#passord").fill(HANDLER.password);
    await Promise.all([page.waitForURL(/\/admin\/saker/), page.locator("main form button[type=submit]").click()]);
    for (const [q, want] of [
      ["Brønnøysundregistret", refs[0]], // one letter missing
      ["uhøfflig", refs[1]], // one letter too many
      ["ØDEGÅRD", refs[0]],
      [refs[1].toLowerCase(), refs[1]],
      ["+47 91234567", refs[0]],
    ]) {
      // Live results as she types (htmx swaps #results).
      await page.locator("#q").fill(q);
      await page.waitForFunction(
        (want) => {
          const rows = [...document.querySelectorAll("#results .case-row")];
          return rows.length === 1 && rows[0].dataset.reference === want;
        },
        want,
        { timeout: 10_000 },
      );
      assert.deepEqual(await references(page), [want], q);
      assert.equal(await page.locator(".search-degraded").count(), 0, "Meilisearch answered");
    }
    await screenshot(page, "search-1280");
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, "search-375");
  });

  it("without JavaScript the same search is a plain GET", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await context.newPage();
      await p.goto(server.baseUrl + "/admin/login");
      await p.locator("#epost").fill(HANDLER.email);
      await p.locator("#passord").fill(HANDLER.password);
      await Promise.all([p.waitForURL(/\/admin\/saker/), p.locator("main form button[type=submit]").click()]);
      await p.goto(server.baseUrl + "/admin/saker?q=" + encodeURIComponent("Hansen"));
      assert.deepEqual(await references(p), [refs[1]]);
    } finally {
      await context.close();
    }
  });
});
