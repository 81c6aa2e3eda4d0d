// The back office in a real browser against the real binary: a handler signs
// in, works the SLA queue from the keyboard and answers the oldest complaint
// by e-mail; axe-core finds nothing on any admin page; the queue and a case
// page fit a phone.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { AxeBuilder } from "@axe-core/playwright";
import { startServer, startSmtp, launchBrowser, screenshot } from "./harness.js";

const ADMIN = { email: "admin@nordlys.test", role: "admin", password: "korrekt-hest-batteri-1" };
const HANDLER = { email: "saksbehandler@nordlys.test", role: "handler", password: "stift-binders-kaffe-2" };

/** Files a complaint on the public site and returns its reference (K-YYYY-NNNNNN). */
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

/** Signs in at /admin/login in `page` and waits for the queue. */
async function signIn(page, baseUrl, user) {
  await page.goto(baseUrl + "/admin/login");
  await page.locator("#epost").fill(user.email);
  await page.locator("#passord").fill(user.password);
  await Promise.all([page.waitForURL(/\/admin\/saker/), page.locator("main form button[type=submit]").click()]);
}

/** The references in the queue, top to bottom. */
async function queueReferences(page) {
  return page.locator(".case-row").evaluateAll((rows) => rows.map((r) => r.dataset.reference));
}

/** Reloads the case page until its latest answer is in `state` (at most 10 s). */
export async function waitForDelivery(page, state) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const now = await page.locator(".message.outbound .delivery").last().getAttribute("data-delivery");
    if (now === state) {
      // The send may have landed while this page was read: a fresh load
      // shows the case as it is now, all of it.
      await page.reload();
      return;
    }
    if (Date.now() > deadline) assert.fail(`delivery state ${now}, expected ${state}`);
    await new Promise((ok) => setTimeout(ok, 200));
    await page.reload();
  }
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

async function assertNoViolations(page, what) {
  const result = await new AxeBuilder({ page }).analyze();
  assert.equal(result.violations.length, 0, `${what}:\n${describeViolations(result.violations)}`);
  assert.ok(result.passes.length > 0, "axe ran its rules");
}

describe("back office: answering the oldest complaint", { timeout: 300_000 }, () => {
  let server, browser, context, page;
  const refs = [];

  let smtp;
  before(async () => {
    smtp = await startSmtp();
    server = await startServer({ smtp });
    browser = await launchBrowser();
    // A user created with the CLI while the server runs, as an operator would.
    const out = server.cli(
      "create-user", "--email", HANDLER.email, "--role", HANDLER.role, "--password", HANDLER.password,
    );
    assert.match(out, /created saksbehandler@nordlys\.test/);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    await smtp?.close();
  });

  it("two complaints filed on the public site", async () => {
    refs.push(
      await fileComplaint(browser, server.baseUrl, {
        navn: "Kari Nordmann",
        telefon: "912 34 567",
        epost: "kari@example.org",
        melding: "Jeg er ringt tre ganger denne uken og vil ikke bli ringt mer.",
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
    assert.notEqual(refs[0], refs[1]);
  });

  it("the handler signs in and sees both cases, the oldest first", async () => {
    await signIn(page, server.baseUrl, HANDLER);
    assert.match(new URL(page.url()).pathname, /^\/admin\/saker$/);
    assert.match(await page.locator(".admin-user .who").textContent(), /saksbehandler@nordlys\.test/);
    assert.deepEqual(await queueReferences(page), refs, "sorted by deadline: the first filed comes first");
    assert.equal((await page.locator(".count-open").textContent()).trim(), "2");
  });

  it("the keyboard: '/' goes to search, j/k move between cases, Enter opens one", async () => {
    await page.keyboard.press("/");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "q");
    await page.locator("#q").blur();
    await page.keyboard.press("j");
    const focused = () => page.evaluate(() => document.activeElement?.closest(".case-row")?.dataset.reference);
    assert.equal(await focused(), refs[0], "j focuses the first case");
    await page.keyboard.press("j");
    assert.equal(await focused(), refs[1], "j again: the next case");
    await page.keyboard.press("k");
    assert.equal(await focused(), refs[0], "k: back up");
    await Promise.all([page.waitForURL(new RegExp(`/admin/saker/${refs[0]}$`)), page.keyboard.press("Enter")]);
    assert.match(await page.locator("h1.case-title").textContent(), new RegExp(refs[0]));
  });

  it("the oldest case is answered by e-mail and leaves the queue", async () => {
    await page.goto(server.baseUrl + "/admin/saker");
    await Promise.all([
      page.waitForURL(new RegExp(`/admin/saker/${refs[0]}$`)),
      page.locator(".case-row").first().locator("a.case-link").click(),
    ]);
    assert.equal((await page.locator(".consumer-email").textContent()).trim(), "kari@example.org");
    await page.locator("#kanal-email").check();
    await page.locator("#tekst").fill("Hei Kari. Nummeret ditt er sperret for alle våre kampanjer. Beklager bryet.");
    // After the answer the handler moves on (here: the next case), the outcome on top.
    await Promise.all([
      page.waitForURL(/\?ok=answered&fra=/),
      page.locator("form.answer button[type=submit]").click(),
    ]);
    const notice = page.locator("#notice.notice[role=status]");
    await notice.waitFor();
    assert.match(await notice.textContent(), /lagt i kø for sending/, "queued, not \"sent\"");
    await Promise.all([page.waitForURL(new RegExp(`/admin/saker/${refs[0]}$`)), notice.locator("a.done-case").click()]);
    // The answer is in the dialogue, outbound; once the mail server took it, it says sent.
    assert.match(await page.locator(".message.outbound .body").last().textContent(), /sperret for alle våre kampanjer/);
    await waitForDelivery(page, "sent");
    assert.ok(await page.locator(".first-response").isVisible(), "the first response time is recorded");
    assert.ok(smtp.mails.some((m) => m.rcpt.includes("kari@example.org")), "the mail left");

    await Promise.all([page.waitForURL(/\/admin\/saker$/), page.locator(".crumbs a").click()]);
    assert.deepEqual(await queueReferences(page), [refs[1]], "only the unanswered case is left");
    assert.equal((await page.locator(".count-open").textContent()).trim(), "1");
  });
});

describe("back office: accessibility (axe-core) and phones", { timeout: 600_000 }, () => {
  let server, browser, handlerState, adminState, caseRef, otherRef;

  before(async () => {
    server = await startServer({ users: [ADMIN, HANDLER] });
    browser = await launchBrowser();
    caseRef = await fileComplaint(browser, server.baseUrl, {
      navn: "Kari Nordmann",
      telefon: "912 34 567",
      epost: "kari@example.org",
      melding: "Ikke ring meg igjen.",
    });
    otherRef = await fileComplaint(browser, server.baseUrl, {
      navn: "Ola Hansen",
      telefon: "913 45 678",
      epost: "ola@example.org",
      melding: "Hvem ringte meg?",
    });
    for (const [user, set] of [
      [HANDLER, (s) => (handlerState = s)],
      [ADMIN, (s) => (adminState = s)],
    ]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, server.baseUrl, user);
      set(await context.storageState());
      await context.close();
    }
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Opens `path` as `who` ("anon", "handler" or "admin") at `width` and hands the page to `fn`. */
  async function withPage(who, path, width, fn) {
    const storageState = { handler: handlerState, admin: adminState }[who];
    const context = await browser.newContext({ viewport: { width, height: 900 }, storageState });
    try {
      const page = await context.newPage();
      const resp = await page.goto(server.baseUrl + path);
      assert.equal(resp.status(), 200, `${path} as ${who}`);
      await fn(page);
    } finally {
      await context.close();
    }
  }

  const PAGES = () => [
    { who: "anon", path: "/admin/login", phone: true },
    { who: "handler", path: "/admin/saker", phone: true, cases: true },
    { who: "handler", path: `/admin/saker/${caseRef}`, phone: true },
    { who: "admin", path: "/admin/saker" },
    { who: "admin", path: `/admin/saker/${caseRef}` },
    { who: "admin", path: "/admin/innstillinger", phone: true },
    { who: "admin", path: "/admin/oppdragsgivere", phone: true },
    { who: "admin", path: "/admin/kampanjer", phone: true },
    { who: "admin", path: "/admin/brukere", phone: true },
    { who: "admin", path: "/admin/numre", phone: true },
    { who: "admin", path: "/admin/reservasjoner?q=2", phone: true },
    { who: "admin", path: "/admin/logg", phone: true },
    { who: "admin", path: "/admin/statistikk", phone: true },
    { who: "admin", path: "/admin/norm", phone: true },
    { who: "admin", path: "/admin/oppbevaring", phone: true },
    { who: "admin", path: "/admin/personopplysninger?q=91234567", phone: true },
    { who: "admin", path: "/admin/api-nokler", phone: true },
    { who: "admin", path: "/admin/oppdragsgivere/1/reservasjoner", phone: true },
    { who: "admin", path: "/admin/vask", phone: true },
  ];

  it("no axe violations on any admin page, and none scrolls sideways", async (t) => {
    for (const p of PAGES()) {
      for (const width of p.phone ? [1280, 375] : [1280]) {
        await t.test(`${p.path} as ${p.who} at ${width}px`, async () => {
          await withPage(p.who, p.path, width, async (page) => {
            if (p.cases) assert.ok((await page.locator(".case-row").count()) >= 2, "the queue has cases");
            await assertNoViolations(page, `${p.path} as ${p.who} at ${width}px`);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            // On failure, name the innermost elements whose content is wider than the
            // screen (wide tables scroll inside their own .table-scroll box and are fine).
            const culprits = overflow > 0 ? await page.evaluate(() => [...document.querySelectorAll("body *")]
              .filter((e) => !e.closest(".table-scroll") && e.scrollWidth > window.innerWidth)
              .slice(-3).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`)
              .join(", ")) : "";
            assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px: ${culprits})`);
          });
        });
      }
    }
  });

  for (const width of [1280, 375]) {
    it(`the queue and a case page at ${width}px: screenshots, no sideways scrolling`, async () => {
      for (const [name, path] of [
        ["queue", "/admin/saker"],
        ["case", `/admin/saker/${caseRef}`],
      ]) {
        await withPage("handler", path, width, async (page) => {
          await screenshot(page, `admin-${name}-${width}`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${name}: no sideways scrolling at ${width}px (overflow ${overflow}px)`);
        });
      }
    });
  }

  it("the case page stacks its two columns on a phone, the dialogue and the answer first", async () => {
    await withPage("handler", `/admin/saker/${caseRef}`, 375, async (page) => {
      const facts = await page.locator(".case-facts").boundingBox();
      const dialogue = await page.locator(".dialogue").boundingBox();
      assert.ok(facts.y >= dialogue.y + dialogue.height, "the facts come below the dialogue");
      assert.ok(facts.width > 300 && dialogue.width > 300, "both use the full width");
    });
  });

  it("a case with the success notice has no violations", async () => {
    await withPage("handler", `/admin/saker/${otherRef}`, 1280, async (page) => {
      await page.locator("#kanal-email").check();
      await page.locator("#tekst").fill("Hei Kari. Nummeret ditt er sperret.");
      await Promise.all([page.waitForURL(/\?ok=answered&fra=/), page.locator("form.answer button[type=submit]").click()]);
      await page.locator("#notice").waitFor();
      await assertNoViolations(page, "case with a notice");
    });
  });
});

describe("back office: the truth about what was sent, answered and closed", { timeout: 300_000 }, () => {
  let server, browser, smtp, context, page, answeredRef, closeRef;

  before(async () => {
    smtp = await startSmtp();
    server = await startServer({ users: [HANDLER], smtp });
    browser = await launchBrowser();
    answeredRef = await fileComplaint(browser, server.baseUrl, {
      navn: "Kari Nordmann",
      telefon: "912 34 567",
      epost: "kari@example.org",
      melding: "Ikke ring meg igjen.",
    });
    closeRef = await fileComplaint(browser, server.baseUrl, {
      navn: "Ola Hansen",
      telefon: "913 45 678",
      epost: "ola@example.org",
      melding: "Kjøp billige klokker her!",
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await signIn(page, server.baseUrl, HANDLER);
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    await smtp?.close();
  });

  it("with the mail server down, the answer is not sent and the case stays in the queue", async () => {
    await smtp.stop();
    const before = smtp.mails.length; // the complaint receipts went out already
    await page.goto(`${server.baseUrl}/admin/saker/${answeredRef}`);
    await page.locator("#kanal-email").check();
    await page.locator("#tekst").fill("Hei Kari. Nummeret ditt er sperret.");
    await Promise.all([page.waitForURL(/\?ok=answered&fra=/), page.locator("form.answer button[type=submit]").click()]);
    await page.goto(`${server.baseUrl}/admin/saker/${answeredRef}`);
    await waitForDelivery(page, "failed");
    assert.match(await page.locator(".message.outbound .delivery").last().textContent(), /Svaret ble ikke sendt/);
    assert.match(await page.locator("#delivery-flag").textContent(), /ble ikke sendt/);
    assert.equal(await page.locator(".first-response").count(), 0, "not answered");
    await assertNoViolations(page, "case with a failed answer");
    await screenshot(page, "delivery-case-failed-1280");
    await page.setViewportSize({ width: 375, height: 900 });
    await assertNoViolations(page, "case with a failed answer at 375px");
    await screenshot(page, "delivery-case-failed-375");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
    await page.goto(server.baseUrl + "/admin/saker");
    assert.ok((await queueReferences(page)).includes(answeredRef), "still in the queue");
    const row = page.locator(`tr[data-reference="${answeredRef}"]`);
    assert.match(await row.locator(".delivery-marker").textContent(), /svaret ble ikke sendt/);
    await assertNoViolations(page, "queue with a failed answer at 375px");
    await screenshot(page, "delivery-queue-375");
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, "delivery-queue-1280");
    assert.equal(smtp.mails.length, before, "no mail left while the server was down");
  });

  it("the mail server is back: sent again, the case leaves the queue", async () => {
    await smtp.start();
    await page.goto(`${server.baseUrl}/admin/saker/${answeredRef}`);
    await Promise.all([page.waitForURL(/\?ok=retry$/), page.locator(".message.outbound button.retry").click()]);
    await waitForDelivery(page, "sent");
    assert.match(await page.locator(".message.outbound .delivery").last().textContent(), /^Sendt /);
    assert.ok(await page.locator(".first-response").isVisible(), "answered once sent");
    assert.ok(
      smtp.mails.some((m) => m.rcpt.includes("kari@example.org") && m.data.includes("sperret")),
      "the answer left",
    );
    await screenshot(page, "delivery-case-sent-1280");
    await page.goto(server.baseUrl + "/admin/saker");
    assert.ok(!(await queueReferences(page)).includes(answeredRef), "the answered case left the queue");
  });

  it("an empty answer keeps the handler on the case with the text and the field marked", async () => {
    await page.goto(`${server.baseUrl}/admin/saker/${closeRef}`);
    await page.locator("#kanal-email").check();
    await page.locator("#tekst").fill("   ");
    await Promise.all([page.waitForURL(new RegExp(`/admin/saker/${closeRef}/svar$`)), page.locator("form.answer button[type=submit]").click()]);
    assert.equal(await page.locator("#tekst").getAttribute("aria-invalid"), "true");
    assert.match(await page.locator("#tekst-error").textContent(), /Skriv noe/);
    assert.equal(await page.locator("#tekst").inputValue(), "   ", "the text is kept");
    assert.equal(await page.locator(".admin-header").count(), 1, "inside the back office");
    await assertNoViolations(page, "empty answer refused");
  });

  it("closing an unanswered case asks for a reason, then says closed without an answer", async () => {
    await page.goto(`${server.baseUrl}/admin/saker/${closeRef}`);
    await Promise.all([page.waitForURL(new RegExp(`/admin/saker/${closeRef}/lukk$`)), page.locator("#close-form button[type=submit]").click()]);
    assert.equal(await page.locator("#lukkegrunn").getAttribute("aria-invalid"), "true");
    assert.match(await page.locator("#lukkegrunn-error").textContent(), /Velg en grunn/);
    await assertNoViolations(page, "close refused without a reason");
    await screenshot(page, "delivery-close-reason-1280");
    await page.locator("#lukkegrunn").selectOption("spam");
    // Filed as "Jeg vil ikke bli ringt" with a number not reserved: closing asks for a confirmation.
    await page.locator("#uten_reservasjon").check();
    await Promise.all([page.waitForURL(/\?ok=closed&fra=/), page.locator("#close-form button[type=submit]").click()]);
    await page.goto(`${server.baseUrl}/admin/saker/${closeRef}`);
    assert.equal((await page.locator("h1 .badge").textContent()).trim(), "Lukket uten svar");
    assert.match(await page.locator("#closed-reason").textContent(), /Spam/);
    await assertNoViolations(page, "case closed without an answer");
  });
});
