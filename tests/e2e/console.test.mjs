// End-to-end: the site owner's console at /console, in headless Chromium, used the way an owner would:
// first sign-in and the forced new password, an app and its snippet pasted into a site on another origin,
// a variant edited with its live preview and seen on that site, a key revoked, the audit log; every page
// visited passes axe with no violation at all. The steps share one console page and run in order.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { axeViolations, launchBrowser, newPage, rest, screenshot, startHost, startServer } from "./harness.mjs";

const EMAIL = "owner@example.com";
const NEW_PASSWORD = "a long new password 42";
const TITLE = "Acme help desk";
const BRAND = { hex: "#c2185b", rgb: "rgb(194, 24, 91)" };

let server, host, browser, page;
/** What the steps make and later steps use: the app's id and keys, the variant's editor URL. */
const made = {};

before(async () => {
  server = await startServer({ owner: EMAIL });
  host = await startHost();
  browser = await launchBrowser();
  page = await newPage(browser);
  page.on("dialog", (dialog) => dialog.accept()); // "Revoke the key …?"
});
after(async () => {
  await browser?.close();
  await host?.stop();
  server?.stop();
});

/** Every axe violation on the console page, whatever its impact. */
const violations = () => axeViolations(page);

/** No axe violation on the page at rest: the pointer is parked in a corner first, off every control. */
async function assertAccessible(name) {
  await page.mouse.move(0, 0);
  assert.deepEqual(await violations(), [], `axe on the ${name} page`);
}

const heading = (name) => page.getByRole("heading", { level: 1, name }).first();

/** Follows the app navigation's link `link` and waits for the page's heading. */
async function go(link, title = link) {
  await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: link, exact: true }).click();
  await heading(title).waitFor();
  await page.getByText("Loading").first().waitFor({ state: "hidden" });
}

/** Polls `read` until it returns `expected`; fails with the last value read. */
async function eventually(read, expected, what, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await read().catch((e) => `(${e.message.split("\n")[0]})`);
    if (last === expected) return;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.equal(last, expected, what);
}

/** A fetch made by the console page itself (its cookie goes along); resolves the status and the JSON. */
function consoleFetch(method, path, body, headers = {}) {
  return page.evaluate(
    async ([method, path, body, headers]) => {
      const response = await fetch(`/console/api${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: response.status === 204 ? null : await response.json() };
    },
    [method, path, body, headers],
  );
}

/** The server as the new app's REST API key sees it, for the harness's `rest`. */
const asNewApp = (apiKey = made.restApiKey) => ({ base: server.base, credentials: { appId: made.appId, apiKey } });

async function restStatus(apiKey, path) {
  const response = await fetch(`${server.base}/v3${path}`, { headers: { appid: made.appId, apikey: apiKey } });
  return response.status;
}

/** The value of the read-only secret field labelled `label` (shown once). */
const secret = (label) => page.getByLabel(label, { exact: true }).inputValue();

/**
 * Opens the host site's page with the pasted snippet and the chat; records the socket frames the widget
 * sends. Resolves the page, the chat frame and the frames.
 */
async function visit(name) {
  const visitor = await newPage(browser);
  const sent = [];
  visitor.on("websocket", (ws) => ws.on("framesent", (f) => sent.push(String(f.payload))));
  await visitor.goto(`${host.origin}/${name}`);
  await visitor.getByRole("button", { name: "Open chat" }).click();
  const frame = visitor.frameLocator('iframe[title="Chat"]');
  await frame.getByRole("textbox", { name: "Message" }).waitFor();
  return { visitor, frame, sent };
}

/** The panel's title and header colour in a chat frame. */
const panelLook = (frame) =>
  frame.locator(".panel-header").evaluate((header) => {
    const title = header.querySelector(".panel-title").textContent;
    return `${title} ${getComputedStyle(header).backgroundColor}`;
  });

describe("the site owner's console", () => {
  test("first sign-in: a wrong password is refused, the one-time password must be replaced", async () => {
    await page.goto(`${server.base}/console/`);
    await heading("Sign in to the Confab console").waitFor();
    await assertAccessible("sign-in");
    await screenshot(page, "console-signin");

    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    const refusal = await alert.innerText();
    assert.match(refusal, /the email or the password is wrong/i);
    assert.match(refusal, /Code ERR_BAD_CREDENTIALS/);
    assert.equal(await heading("Sign in to the Confab console").count(), 1, "still on the sign-in page");

    await page.getByLabel("Password").fill(server.owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading("Choose your password").waitFor();
    await page.getByLabel("One-time password").fill(server.owner.password);
    await page.getByLabel(/^New password\s*\*?$/).fill(NEW_PASSWORD);
    await page.getByLabel("New password again").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Save the new password" }).click();
    await heading("Apps").waitFor();
    assert.equal((await consoleFetch("GET", "/session")).json.data.mustChangePassword, false);
  });

  test("a change without the CSRF header is refused and changes nothing", async () => {
    const forged = await consoleFetch("POST", "/apps", { name: "Forged" });
    assert.equal(forged.status, 403);
    assert.equal(forged.json.error.code, "ERR_CSRF");
    const apps = await consoleFetch("GET", "/apps");
    assert.ok(!apps.json.data.some((a) => a.name === "Forged"), "no app was made");
  });

  test("an app is created and its pasted snippet lets a visitor chat from another site", async () => {
    await page.getByLabel("Name").fill("Acme shop");
    await page.getByRole("button", { name: "Create the app" }).click();
    await page.getByRole("heading", { name: "Acme shop is ready" }).waitFor();
    made.restApiKey = await secret("REST API key (full access: your backend only)");
    const authKey = await secret("Auth key (auth only: safe in web pages)");
    await assertAccessible("apps");
    await screenshot(page, "console-apps");

    await page.getByRole("link", { name: "Acme shop" }).first().click();
    await heading("Overview").waitFor();
    made.appId = decodeURIComponent(new URL(page.url()).hash.split("/")[2]);
    await page.getByText("Loading").first().waitFor({ state: "hidden" });
    await assertAccessible("overview");
    await screenshot(page, "console-overview");

    await go("Paste this", "Paste this into your site");
    const snippet = await page.getByRole("group", { name: "the guest snippet" }).innerText();
    assert.ok(snippet.includes(JSON.stringify(authKey)), "the snippet carries the new auth key");
    assert.ok(snippet.includes(JSON.stringify(made.appId)) && snippet.includes(`${server.base}/widget/confab.js`));
    await assertAccessible("paste");
    await screenshot(page, "console-paste");

    // The site adds who its visitors talk to; the rest is the snippet as copied.
    await rest(asNewApp(), "POST", "/users", { uid: "support", name: "Support" });
    const pasted = snippet.replace(/(\n\s*region: .*\n)/, '$1      chatType: "user",\n      defaultChatID: "support",\n');
    host.page("/shop", `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme shop</title></head><body><h1>Acme shop</h1>${pasted}</body></html>`);
    const { visitor, frame } = await visit("shop");
    await frame.getByRole("textbox", { name: "Message" }).fill("Do you ship to Norway?");
    await frame.getByRole("textbox", { name: "Message" }).press("Enter");
    await frame.getByRole("log").getByText("Do you ship to Norway?").waitFor();
    const conversations = await rest(asNewApp(), "GET", "/conversations", undefined, "support");
    assert.deepEqual(conversations.data.map((c) => c.lastMessage?.data?.text), ["Do you ship to Norway?"]);
    await visitor.close();
  });

  test("the variant editor: brand colour and title in the live preview, then on the site", async () => {
    await go("Variants");
    await assertAccessible("variants");
    await page.getByLabel("Name").fill("Brand");
    await page.getByRole("button", { name: "Create and edit" }).click();
    await heading(/Variant Brand/).waitFor();
    made.editor = page.url();

    await page.getByLabel("Brand colour", { exact: true }).fill(BRAND.hex);
    await page.getByLabel("Add a language").fill("en");
    await page.getByRole("button", { name: "Add language" }).click();
    await page.getByLabel("Panel title").fill(TITLE);
    const preview = page.frameLocator("iframe.preview-frame").frameLocator('iframe[title="Chat"]');
    await eventually(() => panelLook(preview), `${TITLE} ${BRAND.rgb}`, "the live preview shows the unsaved title and colour");
    await assertAccessible("variant editor");
    await screenshot(page, "console-variant-editor");
    await save();

    const { visitor, frame, sent } = await visit("shop");
    await frame.getByRole("textbox", { name: "Message" }).pressSequentially("hello", { delay: 30 });
    await eventually(async () => sent.some((f) => f.includes('"typing"')), true, "typing is sent while it is on");
    // In the conversation the header names Support; the panel's own title is the list's.
    await frame.getByRole("button", { name: "Back to conversations" }).click();
    assert.equal(await panelLook(frame), `${TITLE} ${BRAND.rgb}`, "the site's panel after a reload");
    await visitor.close();
  });

  test("the typing indicator turned off: the site's widget sends no typing", async () => {
    await page.getByLabel("Typing indicator").uncheck();
    await save();
    const { visitor, frame, sent } = await visit("shop");
    await frame.getByRole("textbox", { name: "Message" }).pressSequentially("are you there?", { delay: 30 });
    await visitor.waitForTimeout(1000);
    assert.deepEqual(sent.filter((f) => f.includes('"typing"')), []);
    await visitor.close();
  });

  test("a key revoked on the keys page stops working", async () => {
    await go("Keys");
    await page.getByLabel("Name").fill("nightly export");
    await page.getByLabel("Scope").selectOption("fullAccess");
    await page.getByRole("button", { name: "Create the key" }).click();
    const key = await secret("nightly export (fullAccess)");
    assert.equal(await restStatus(key, "/users"), 200);
    await assertAccessible("keys");
    await screenshot(page, "console-keys");

    await page.getByRole("button", { name: "Revoke nightly export" }).click();
    await page.getByText("The key \u201cnightly export\u201d is revoked.").waitFor();
    assert.equal(await restStatus(key, "/users"), 401);
    assert.equal(await restStatus(made.restApiKey, "/users"), 200, "the app's other key still works");
  });

  test("the audit log lists the changes, and the other pages pass axe", async () => {
    await go("Audit log");
    const actions = await page.locator("tbody tr td:nth-child(3)").allInnerTexts();
    for (const action of ["key.revoke", "key.create", "variant.update", "variant.create", "app.create"]) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(", ")}`);
    }
    assert.equal(actions.at(-1), "app.create", "newest first");
    assert.match(await page.locator("tbody").innerText(), new RegExp(EMAIL));
    await assertAccessible("audit");
    await screenshot(page, "console-audit");

    for (const link of ["Settings", "Users", "Groups", "Bots", "Webhooks", "Deliveries"]) {
      await go(link);
      await assertAccessible(link);
      if (link === "Users") await screenshot(page, "console-users");
    }
  });

  test("usable on a phone", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(made.editor);
    await heading(/Variant Brand/).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "no sideways scrolling");
    await screenshot(page, "console-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(page.pageErrors, [], "no uncaught error in the console all along");
  });
});

/** Saves the variant editor's form and waits until the server has it. */
async function save() {
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("Saved. Pages with this variant show it from their next load.").waitFor();
}
