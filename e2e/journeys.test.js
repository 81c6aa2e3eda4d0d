// What a member of the public does on the site, in a real browser against
// the real binary: look up a number, complain, get an error right.

import { describe, it, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, DEMO } from "./harness.js";

describe("public journeys", { timeout: 300_000 }, () => {
  let server, browser, context, page;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  const text = async (selector) => (await page.locator(selector).first().textContent()).trim();

  it("who called me? finds a demo number from the home page", async () => {
    await page.goto(server.baseUrl + "/");
    await page.getByLabel("Telefonnummeret som ringte deg").fill(DEMO.number);
    await Promise.all([
      page.waitForURL(/\/hvem-ringte\?nummer=/),
      page.getByRole("button", { name: "Finn ut hvem som ringte" }).click(),
    ]);
    await page.locator(".result.hit").waitFor();
    assert.equal(await text(".result.hit .centre-name"), DEMO.centre);
    assert.equal(await text(".result.hit .client-name"), DEMO.client);
    assert.match(await text(".result.hit .purpose"), new RegExp(DEMO.purposeFragment));
    assert.match(await text(".result.hit h2"), /er et av våre numre/);
    // The next steps are offered: reserve, or complain about this number.
    const complain = page.getByRole("link", { name: "Klag på anropet" });
    assert.match(await complain.getAttribute("href"), /^\/klage\?nummer=%2B4721000010$/);
  });

  it("who called me? answers in place on the lookup page (htmx) and updates the address", async () => {
    await page.goto(server.baseUrl + "/hvem-ringte");
    await page.locator("#nummer").fill(DEMO.otherNumber);
    await page.getByRole("button", { name: "Finn ut hvem som ringte" }).click();
    await page.locator(".result.hit .client-name").waitFor();
    assert.equal(await text(".result.hit .client-name"), DEMO.otherClient);
    assert.equal(await text(".result.hit .centre-name"), DEMO.centre);
    assert.match(page.url(), /\/hvem-ringte\?nummer=%2B4721000020$/);
  });

  it("who called me? says plainly when a number is not ours", async () => {
    await page.goto(server.baseUrl + "/hvem-ringte?nummer=" + encodeURIComponent("22 22 22 22"));
    await page.locator(".result.miss").waitFor();
    assert.match(await text(".result.miss h2"), /ikke et av våre numre/);
  });

  it("an invalid number keeps the input and shows the error (full page)", async () => {
    await page.goto(server.baseUrl + "/");
    await page.locator("#home-nummer").fill("12ab34");
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().includes("/hvem-ringte")),
      page.getByRole("button", { name: "Finn ut hvem som ringte" }).click(),
    ]);
    assert.equal(resp.status(), 400);
    await page.locator("#nummer-error").waitFor();
    assert.match(await text("#nummer-error"), /ser ikke ut som et telefonnummer/);
    const input = page.locator("#nummer");
    assert.equal(await input.inputValue(), "12ab34");
    assert.equal(await input.getAttribute("aria-invalid"), "true");
    assert.match(await input.getAttribute("aria-describedby"), /nummer-error/);
    assert.equal(await page.locator(".result").count(), 0);
  });

  it("an invalid number keeps the input and shows the error (htmx)", async () => {
    await page.goto(server.baseUrl + "/hvem-ringte");
    await page.locator("#nummer").fill("2100");
    await page.getByRole("button", { name: "Finn ut hvem som ringte" }).click();
    await page.locator("#nummer-error").waitFor();
    assert.match(await text("#nummer-error"), /ikke et gyldig telefonnummer/);
    assert.equal(await page.locator("#nummer").inputValue(), "2100");
    assert.equal(await page.locator("#nummer").getAttribute("aria-invalid"), "true");
  });

  it("a complaint gets a receipt with its reference and the 24-hour deadline", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(server.baseUrl + "/klage?nummer=%2B4721000010");
    // The number came along from the lookup result's link.
    assert.equal(await page.locator("#nummer").inputValue(), "+4721000010");
    await page.getByLabel(/Navn/).fill("Kari Nordmann");
    await page.locator("#telefon").fill("912 34 567");
    await page.locator("#epost").fill("kari@example.org");
    await page.locator("#kategori").selectOption("unwanted_call");
    await page.locator("#melding").fill("Jeg er ringt tre ganger denne uken og vil ikke bli ringt mer.");
    await Promise.all([
      page.waitForURL(/\/klage$/),
      page.getByRole("button", { name: /Send/ }).click(),
    ]);
    await page.locator(".receipt").waitFor();
    const year = new Date().getFullYear();
    const reference = await text(".receipt .reference");
    assert.match(reference, new RegExp(`^K-${year}-\\d{6}$`));
    const deadline = await text(".receipt .deadline");
    assert.ok(deadline.length > 0, "the deadline is shown");
    assert.match(deadline, /\d/);
    assert.notEqual(deadline, await text(".receipt .received"));
    await screenshot(page, "complaint-receipt-375");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`);
  });

  it("a complaint with mistakes comes back with the input kept and each field marked", async () => {
    await page.goto(server.baseUrl + "/klage");
    await page.locator("#navn").fill("Ola");
    await page.locator("#nummer").fill("abc");
    await page.locator("#melding").fill("Hei");
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: /Send/ }).click(),
    ]);
    assert.equal(resp.status(), 422);
    await page.locator(".error-summary").waitFor();
    assert.equal(await page.locator("#navn").inputValue(), "Ola");
    assert.equal(await page.locator("#nummer").inputValue(), "abc");
    assert.equal(await page.locator("#melding").inputValue(), "Hei");
    for (const id of ["telefon", "epost", "nummer"]) {
      assert.equal(await page.locator(`#${id}`).getAttribute("aria-invalid"), "true", id);
      assert.ok(await page.locator(`#${id}-error`).isVisible(), `${id}-error visible`);
    }
    // The summary links to the fields and gets focus (assets/js/site.js).
    assert.equal(await page.evaluate(() => document.activeElement?.className), "error-summary");
    assert.equal(await page.locator(".error-summary a[href='#nummer']").count(), 1);
    // "Phone or e-mail" marks both fields but is listed once.
    const items = await page.locator(".error-summary li").allTextContents();
    assert.deepEqual(items, [...new Set(items)], "no message twice in the summary");
    assert.equal(await page.locator(".error-summary a[href='#telefon']").count(), 1);
  });

  it("the home page fits a phone", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(server.baseUrl + "/");
    await screenshot(page, "home-375");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`);
  });

  it("the English version is one click away and remembered", async () => {
    await page.goto(server.baseUrl + "/hvem-ringte");
    await page.getByRole("link", { name: "English" }).click();
    await page.waitForURL(/lang=en/);
    assert.equal(await page.getAttribute("html", "lang"), "en");
    await page.goto(server.baseUrl + "/hvem-ringte?nummer=" + encodeURIComponent(DEMO.number));
    assert.equal(await page.getAttribute("html", "lang"), "en");
    assert.equal(await text(".result.hit .client-name"), DEMO.client);
  });
});
