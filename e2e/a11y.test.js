// axe-core on every public page, in both languages and in each state a page
// can be in (empty, with a result, with errors, receipt). Zero violations.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { AxeBuilder } from "@axe-core/playwright";
import { startServer, launchBrowser, DEMO } from "./harness.js";

const hit = "/hvem-ringte?nummer=" + encodeURIComponent(DEMO.number);

/**
 * Page states: a path to open, optionally what to do there first, and
 * `phone: true` to check it at 375px as well (the layout changes there).
 */
const PAGES = [
  { name: "home", path: "/", phone: true },
  { name: "clients", path: "/oppdragsgivere", phone: true },
  { name: "clients, filtered", path: "/oppdragsgivere?q=hjerte", phone: true },
  { name: "clients, no match", path: "/oppdragsgivere?q=xyzzy" },
  { name: "reservation", path: "/reservasjon" },
  { name: "reservation with an error", path: "/reservasjon", act: (p) => submit(p, { "#nummer": "12" }) },
  { name: "reservation receipt", path: "/reservasjon", act: (p) => submit(p, { "#nummer": "+4791234567" }) },
  { name: "lookup, empty", path: "/hvem-ringte" },
  { name: "lookup, with a hit", path: hit, phone: true },
  { name: "lookup, not ours", path: "/hvem-ringte?nummer=22222222" },
  { name: "lookup, invalid number", path: "/hvem-ringte?nummer=abc" },
  { name: "complaint, empty", path: "/klage" },
  {
    name: "complaint with validation errors",
    path: "/klage",
    act: (p) => submit(p, { "#nummer": "abc" }),
    phone: true,
  },
  {
    name: "complaint receipt",
    path: "/klage",
    act: (p) => submit(p, { "#epost": "kari@example.org", "#melding": "Ikke ring meg igjen." }),
    phone: true,
  },
  { name: "privacy", path: "/personvern", phone: true },
  { name: "not found", path: "/finnes-ikke", phone: true },
  { name: "accessibility statement", path: "/tilgjengelighet", phone: true },
  { name: "open data", path: "/apne-data", phone: true },
  { name: "reservation with an error, on a phone", path: "/reservasjon", act: (p) => submit(p, { "#nummer": "12" }), phone: true },
  { name: "lookup, not ours, on a phone", path: "/hvem-ringte?nummer=22222222", phone: true },
  // English
  { name: "home (en)", path: "/?lang=en" },
  { name: "clients (en)", path: "/oppdragsgivere?lang=en" },
  { name: "clients, no match (en)", path: "/oppdragsgivere?q=xyzzy&lang=en" },
  { name: "lookup, with a hit (en)", path: hit + "&lang=en" },
  { name: "complaint (en)", path: "/klage?lang=en" },
  { name: "complaint with validation errors (en)", path: "/klage?lang=en", act: (p) => submit(p, {}) },
  { name: "privacy (en)", path: "/personvern?lang=en", phone: true },
  { name: "accessibility statement (en)", path: "/tilgjengelighet?lang=en", phone: true },
  { name: "open data (en)", path: "/apne-data?lang=en", phone: true },
  { name: "lookup, not ours (en)", path: "/hvem-ringte?nummer=22222222&lang=en" },
  { name: "reservation with an error (en)", path: "/reservasjon?lang=en", act: (p) => submit(p, { "#nummer": "12" }) },
  { name: "not found (en)", path: "/finnes-ikke?lang=en" },
];

async function submit(page, fields) {
  for (const [sel, value] of Object.entries(fields)) await page.locator(sel).fill(value);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.locator("main form button[type=submit]").click(),
  ]);
  await page.waitForLoadState("load");
}

function describeViolations(violations) {
  return violations
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n` +
        v.nodes.map((n) => `    ${n.target.join(" ")}\n      ${n.failureSummary.replace(/\n/g, "\n      ")}`).join("\n"),
    )
    .join("\n");
}

describe("accessibility (axe-core)", { timeout: 600_000 }, () => {
  let server, browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const state of PAGES) {
    for (const width of state.phone ? [1280, 375] : [1280]) {
      it(`${state.name} at ${width}px has no violations`, async () => {
        const context = await browser.newContext({ viewport: { width, height: 900 } });
        try {
          const page = await context.newPage();
          await page.goto(server.baseUrl + state.path);
          if (state.act) await state.act(page);
          const result = await new AxeBuilder({ page }).analyze();
          assert.equal(result.violations.length, 0, `${state.path}:\n${describeViolations(result.violations)}`);
          assert.ok(result.passes.length > 0, "axe ran its rules");
        } finally {
          await context.close();
        }
      });
    }
  }
});
