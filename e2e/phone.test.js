// The public site on a phone (issue 18): at 375 and 320 px, the reservation
// error, the lookup answer and the privacy table are in view without
// sideways scrolling; the menu fits in two rows at 375 px. With and without
// JavaScript where it matters. Screenshots land in test-results/.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, DEMO } from "./harness.js";

const WIDTHS = [375, 320];
const HEIGHT = 667; // an iPhone SE / 8 screen

/** The page is no wider than the window (WCAG 1.4.10). */
async function noSidewaysScroll(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what}: page is ${scroll}px wide in a ${client}px window`);
}

/** The element's top is inside the visible window, as opened. */
async function inView(page, selector, what) {
  const box = await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, h: window.innerHeight };
  }, selector);
  assert.ok(box, `${what}: ${selector} is on the page`);
  assert.ok(box.top >= 0 && box.top < box.h - 40, `${what}: ${selector} starts at ${box.top}px of ${box.h}px`);
}

async function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    return a ? `${a.tagName.toLowerCase()}${a.id ? "#" + a.id : ""}.${a.className}` : "";
  });
}

describe("the public site on a phone", { timeout: 300_000 }, () => {
  let server, browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function open(width, { js = true, lang = "" } = {}) {
    const context = await browser.newContext({
      viewport: { width, height: HEIGHT },
      javaScriptEnabled: js,
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const page = await context.newPage();
    return { context, page, url: (p) => server.baseUrl + p + (lang ? (p.includes("?") ? "&" : "?") + lang : "") };
  }

  for (const width of WIDTHS) {
    for (const js of [true, false]) {
      const how = `${width}px, ${js ? "with" : "without"} JavaScript`;

      it(`reservation: the form comes first and an error opens at its summary with focus (${how})`, async () => {
        const { context, page, url } = await open(width, { js });
        try {
          await page.goto(url("/reservasjon"));
          await inView(page, "form[action='/reservasjon'] input#nummer", `${how}, form`);
          await noSidewaysScroll(page, how);
          await page.locator("#nummer").fill("12");
          await Promise.all([page.waitForLoadState("load"), page.locator("main form button[type=submit]").click()]);
          await page.locator(".error-summary").waitFor();
          await inView(page, ".error-summary", `${how}, error`);
          assert.match(await focused(page), /error-summary/, `${how}: focus on the summary`);
          await noSidewaysScroll(page, how);
          await screenshot(page, `phone-reservation-error-${width}${js ? "" : "-nojs"}`);
        } finally {
          await context.close();
        }
      });

      it(`lookup: the answer is in view and focused after a lookup (${how})`, async () => {
        const { context, page, url } = await open(width, { js });
        try {
          for (const [number, sel] of [
            [DEMO.number, ".result.hit h2"],
            ["22 22 22 22", ".result.miss h2"],
            ["abc", "#nummer-error"],
          ]) {
            await page.goto(url("/hvem-ringte"));
            await page.locator("#nummer").fill(number);
            await page.getByRole("button", { name: "Finn ut hvem som ringte" }).click();
            await page.locator(sel).waitFor();
            await page.waitForLoadState("load");
            await inView(page, sel, `${how}, ${number}`);
            const f = await focused(page);
            if (sel.startsWith(".result")) assert.match(f, /lookup-answer/, `${how}, ${number}: focus`);
            else assert.match(f, /input#nummer/, `${how}, ${number}: focus`);
            await noSidewaysScroll(page, `${how}, ${number}`);
          }
          // The unknown number gets next steps: the national register, us, fraud.
          await page.goto(url("/hvem-ringte?nummer=22222222"));
          assert.ok(await page.locator(".result.miss a[href^='https://www.brreg.no']").count());
          assert.ok(await page.locator(".result.miss a[href='/reservasjon']").count());
          await screenshot(page, `phone-lookup-miss-${width}${js ? "" : "-nojs"}`);
        } finally {
          await context.close();
        }
      });
    }

    for (const lang of ["", "lang=en"]) {
      it(`no sideways scroll at ${width}px: privacy, accessibility, open data, error (${lang || "nb"})`, async () => {
        const { context, page, url } = await open(width, { lang });
        try {
          for (const path of ["/personvern", "/tilgjengelighet", "/apne-data", "/oppdragsgivere", "/klage", "/", "/finnes-ikke"]) {
            await page.goto(url(path));
            await noSidewaysScroll(page, `${path} ${lang}`);
          }
          await page.goto(url("/personvern"));
          await screenshot(page, `phone-privacy-${width}${lang ? "-en" : ""}`);
        } finally {
          await context.close();
        }
      });
    }
  }

  it("the menu fits in two rows at 375px, in both languages", async () => {
    for (const lang of ["", "lang=en"]) {
      const { context, page, url } = await open(375, { lang });
      try {
        await page.goto(url("/"));
        const rows = await page.evaluate(() => {
          const tops = new Set([...document.querySelectorAll(".nav a")].map((a) => Math.round(a.getBoundingClientRect().top)));
          return tops.size;
        });
        assert.ok(rows <= 2, `${lang || "nb"}: ${rows} rows`);
        const header = await page.evaluate(() => document.querySelector(".site-header").getBoundingClientRect().height);
        assert.ok(header <= 667 / 4, `${lang || "nb"}: the header is ${header}px high`);
      } finally {
        await context.close();
      }
    }
  });

  it("200% zoom of a 1280px window (640 CSS px): no page scrolls sideways", async () => {
    // 400% zoom of 1280 px is the 320 px above.
    const context = await browser.newContext({ viewport: { width: 640, height: 450 } });
    try {
      const page = await context.newPage();
      for (const path of ["/personvern", "/personvern?lang=en", "/tilgjengelighet", "/apne-data", "/reservasjon", "/hvem-ringte?nummer=22222222"]) {
        await page.goto(server.baseUrl + path);
        await noSidewaysScroll(page, `${path} at 200%`);
      }
    } finally {
      await context.close();
    }
  });

  it("screenshots at 1280px of the changed pages", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      for (const [path, name] of [
        ["/reservasjon", "desktop-reservation"],
        ["/hvem-ringte?nummer=22222222", "desktop-lookup-miss"],
        ["/tilgjengelighet", "desktop-accessibility"],
        ["/apne-data", "desktop-open-data"],
        ["/finnes-ikke", "desktop-not-found"],
      ]) {
        await page.goto(server.baseUrl + path);
        await screenshot(page, name);
      }
    } finally {
      await context.close();
    }
  });
});
