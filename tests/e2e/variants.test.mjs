// End-to-end: widget variants and languages. A variant saved through the REST API gives the launcher and the
// panel their look, texts and switches on the next page load, with no default look shown first; the snippet's
// keys win over it; a variant with the typing indicator off neither shows nor sends typing; a language
// loads only its own catalog.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hostPage, launchBrowser, newPage, rest, screenshot, startHost, startServer } from "./harness.mjs";

let server, host, browser, app;

before(async () => {
  server = await startServer();
  host = await startHost();
  browser = await launchBrowser();
  const { appId, authKey } = server.credentials;
  app = { appID: appId, region: "local", authKey };
  // The app's first variant is its default.
  await rest(server, "POST", "/variants", {
    id: "brand",
    name: "Brand",
    settings: {
      style: { theme: "dark", color: { brandColor: "#e5484d" } },
      noCode: { styles: { buttonBackGround: "#0a7d33", buttonShape: "square", dockedAlignment: "left" } },
      texts: { en: { title: "Help desk", welcome: "Ask us anything." }, ar: { title: "مكتب المساعدة" } },
      futureSetting: { kept: true },
    },
  });
  await rest(server, "POST", "/variants", {
    id: "quiet",
    name: "No typing",
    settings: { chatFeatures: { coreMessagingExperience: { typingIndicator: false } } },
  });
});
after(async () => {
  await browser?.close();
  await host?.stop();
  server?.stop();
});

const frameOf = (page) => page.frameLocator('iframe[title="Chat"]');
const loaderSrc = () => `${server.base}/widget/confab.js`;

/** The launcher button's computed look, read in its shadow root. */
const launcherLook = (page) =>
  page.evaluate(() => {
    const button = document.querySelector("[data-confab=launcher]").shadowRoot.querySelector("button");
    const style = getComputedStyle(button);
    const box = button.getBoundingClientRect();
    return { background: style.backgroundColor, radius: style.borderRadius, left: box.left };
  });

async function user(uid, name) {
  await rest(server, "POST", "/auth/uid", { uid, user: { name } });
}

describe("variants", () => {
  test("the default variant styles the launcher and the panel from the first paint", async () => {
    const url = host.page("/brand", hostPage({ loaderSrc: loaderSrc(), config: { ...app, mode: "guest" } }));
    const page = await newPage(browser);
    const launcherRequests = [];
    page.on("request", (r) => r.url().includes("/widget/launcher") && launcherRequests.push(r.url()));
    await page.goto(url);
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    // The launcher is drawn once, with the variant's look: no default colour first.
    const look = await launcherLook(page);
    assert.deepEqual({ background: look.background, radius: look.radius }, { background: "rgb(10, 125, 51)", radius: "12px" });
    assert.ok(look.left < 100, `the variant puts the launcher on the left, got x=${look.left}`);
    assert.equal(launcherRequests.length, 1, "one request before intent: the variant and its launcher");
    await screenshot(page, "variant-launcher");

    await page.getByRole("button", { name: "Open chat" }).click();
    const frame = frameOf(page);
    await frame.getByRole("region", { name: "Help desk" }).waitFor();
    await frame.getByRole("heading", { name: "Help desk" }).waitFor();
    const header = await frame.locator(".panel-header").evaluate((h) => getComputedStyle(h).backgroundColor);
    assert.equal(header, "rgb(229, 72, 77)", "the brand colour is the header's");
    assert.equal(await frame.locator("html").getAttribute("data-theme"), "dark");
    await screenshot(page, "variant-panel");
    assert.deepEqual(await page.evaluate(() => window.__errors), []);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("the snippet's keys win over the variant's", async () => {
    const config = { ...app, mode: "guest", dockedAlignment: "right", theme: "light" };
    const page = await newPage(browser);
    await page.goto(host.page("/snippet-wins", hostPage({ loaderSrc: loaderSrc(), config })));
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    assert.ok((await launcherLook(page)).left > 1000, "config.dockedAlignment right wins");
    await page.getByRole("button", { name: "Open chat" }).click();
    const frame = frameOf(page);
    await frame.getByRole("heading", { name: "Help desk" }).waitFor();
    assert.equal(await frame.locator("html").getAttribute("data-theme"), "light", "config.theme wins");
    await page.close();
  });

  test("a variantID that names no variant is reported, and the chat still starts", async () => {
    const config = { ...app, mode: "guest", variantID: "nope", isDocked: false, mount: "#chat" };
    const page = await newPage(browser);
    await page.goto(host.page("/unknown-variant", hostPage({ loaderSrc: loaderSrc(), config, mount: '<div id="chat" style="height:500px"></div>' })));
    await frameOf(page).getByRole("region").waitFor();
    const errors = await page.evaluate(() => window.__errors);
    assert.deepEqual(errors.map((e) => [e.code, e.field]), [["CONFIG_INVALID_FIELD", "variantID"]]);
    await page.close();
  });

  test("typing off: the widget neither shows nor sends typing, and the server relays none", async () => {
    await user("tess", "Tess Quiet");
    await user("uma", "Uma Loud");
    const embedded = { ...app, mode: "uid", isDocked: false, mount: "#chat", chatType: "user" };
    const open = async (name, config) => {
      const page = await newPage(browser, { width: 900, height: 700 });
      const frames = { sent: [], received: [] };
      page.on("websocket", (ws) => {
        ws.on("framesent", (f) => frames.sent.push(String(f.payload)));
        ws.on("framereceived", (f) => frames.received.push(String(f.payload)));
      });
      await page.goto(host.page(`/${name}`, hostPage({ loaderSrc: loaderSrc(), config, mount: '<div id="chat" style="height:600px"></div>' })));
      const frame = frameOf(page);
      await frame.getByRole("textbox", { name: "Message" }).waitFor();
      return { page, frame, frames };
    };
    const tess = await open("tess", { ...embedded, uid: "tess", variantID: "quiet", defaultChatID: "uma" });
    const uma = await open("uma", { ...embedded, uid: "uma", defaultChatID: "tess" });

    // Uma's variant (the default) shows typing: Uma's frames go out, Tess's widget shows nothing.
    await uma.frame.getByRole("textbox", { name: "Message" }).pressSequentially("hello there", { delay: 20 });
    await uma.page.waitForTimeout(500);
    assert.ok(uma.frames.sent.some((f) => f.includes('"typing"')), "Uma's widget sends typing");
    assert.equal(await tess.frame.locator(".typing").textContent(), "", "Tess's widget shows no typing");

    await tess.frame.getByRole("textbox", { name: "Message" }).pressSequentially("psst", { delay: 20 });
    await tess.page.waitForTimeout(800);
    assert.ok(!tess.frames.sent.some((f) => f.includes('"typing"')), "Tess's widget sends no typing");
    assert.equal(await uma.frame.locator(".typing").textContent(), "");
    assert.ok(!uma.frames.received.some((f) => f.includes('"typing"')), "no typing frame reaches Uma");

    await tess.page.close();
    await uma.page.close();
  });
});

describe("languages", () => {
  test("Arabic: right to left, its own catalog only, the variant's Arabic title", async () => {
    const page = await newPage(browser);
    const locales = [];
    page.on("request", (r) => r.url().includes("/widget/locales/") && locales.push(new URL(r.url()).pathname));
    const config = { ...app, mode: "guest", language: "ar-EG", isDocked: false, mount: "#chat" };
    await page.goto(host.page("/arabic", hostPage({ loaderSrc: loaderSrc(), config, mount: '<div id="chat" style="height:560px"></div>' })));
    const frame = frameOf(page);
    await frame.getByRole("heading", { name: "مكتب المساعدة" }).waitFor();
    assert.equal(await frame.locator("html").getAttribute("dir"), "rtl");
    assert.equal(await frame.locator("html").getAttribute("lang"), "ar-EG");
    assert.deepEqual(locales, ["/widget/locales/ar.json"]);
    await screenshot(page, "language-arabic");
    await page.close();
  });

  test("English loads no catalog; Japanese loads only its own", async () => {
    for (const [language, expected] of [["en-GB", []], ["ja", ["/widget/locales/ja.json"]]]) {
      const page = await newPage(browser);
      const locales = [];
      page.on("request", (r) => r.url().includes("/widget/locales/") && locales.push(new URL(r.url()).pathname));
      const config = { ...app, mode: "guest", language, isDocked: false, mount: "#chat" };
      await page.goto(host.page(`/lang-${language}`, hostPage({ loaderSrc: loaderSrc(), config, mount: '<div id="chat" style="height:560px"></div>' })));
      const title = frameOf(page).locator(".panel-title");
      await title.waitFor();
      assert.deepEqual(locales, expected, language);
      // The default variant's English title applies to English only; Japanese shows its catalog's.
      assert.equal(await title.textContent(), language === "ja" ? "チャット" : "Help desk", language);
      await page.close();
    }
  });
});
