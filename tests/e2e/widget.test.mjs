// End-to-end: the snippet on a host site (http://localhost:PORT) loading the loader and the chat frame from
// the server (http://127.0.0.1:PORT), in headless Chromium. Screenshots go to artifacts/.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hostPage, launchBrowser, newPage, rest, screenshot, startHost, startServer } from "./harness.mjs";

let server, host, browser, guest;

before(async () => {
  server = await startServer();
  host = await startHost();
  browser = await launchBrowser();
  const { appId, authKey } = server.credentials;
  guest = { appID: appId, region: "local", mode: "guest", authKey };
});
after(async () => {
  await browser?.close();
  await host?.stop();
  server?.stop();
});

const loaderSrc = () => `${server.base}/widget/confab.js`;
const frameOf = (page) => page.frameLocator('iframe[title="Chat"]');
const chatFrame = (page) => page.locator('iframe[title="Chat"]');

describe("docked widget", () => {
  test("the launcher appears, opens the panel on click and closes it from the panel", async () => {
    const url = host.page("/docked", hostPage({ loaderSrc: loaderSrc(), config: guest }));
    const page = await newPage(browser);
    await page.goto(url);
    const launcher = page.getByRole("button", { name: "Open chat" });
    await launcher.waitFor();
    const box = await launcher.boundingBox();
    assert.ok(box.x > 1280 - 120 && box.y > 800 - 120, `launcher at bottom right, got ${JSON.stringify(box)}`);
    assert.equal(await chatFrame(page).count(), 0, "no iframe before the visitor shows intent");
    assert.deepEqual(await page.context().cookies(), []);
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
    await screenshot(page, "docked-closed");

    await launcher.click();
    const frame = frameOf(page);
    await frame.getByRole("region", { name: "Chat" }).waitFor();
    await frame.getByRole("navigation", { name: "Conversations" }).waitFor();
    await page.getByRole("button", { name: "Close chat" }).first().waitFor();
    const panel = await chatFrame(page).boundingBox();
    assert.equal(Math.round(panel.width), 400);
    assert.equal(Math.round(panel.height), 600);
    await screenshot(page, "docked-open");

    await frame.getByRole("button", { name: "Close chat" }).click();
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    // The panel fades out, then is hidden.
    await chatFrame(page).waitFor({ state: "hidden", timeout: 2000 });
    assert.deepEqual(await page.evaluate(() => window.__events), ["onOpenChat", "onCloseChat"]);
    assert.deepEqual(await page.evaluate(() => window.__errors), []);
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "docked-closed-again");

    await page.getByRole("button", { name: "Open chat" }).click();
    await page.getByRole("button", { name: "Close chat" }).first().waitFor();
    assert.equal(await chatFrame(page).isVisible(), true, "reopens at once: the frame is kept");
    await page.close();
  });

  test("the panel fades in and out, and does not move for visitors who ask for reduced motion", async () => {
    const url = host.page("/docked-motion", hostPage({ loaderSrc: loaderSrc(), config: guest }));
    const transition = (page) => chatFrame(page).evaluate((el) => getComputedStyle(el).transitionDuration);
    const page = await newPage(browser);
    await page.goto(url);
    await page.getByRole("button", { name: "Open chat" }).click();
    await frameOf(page).getByRole("region", { name: "Chat" }).waitFor();
    assert.match(await transition(page), /^0\.2s/, "a short transition");
    await page.waitForFunction(() => getComputedStyle(document.querySelector('[data-confab="launcher"]').shadowRoot.querySelector("iframe")).opacity === "1");
    await page.emulateMedia({ reducedMotion: "reduce" });
    assert.match(await transition(page), /^0s(, 0s)*$/, "no transition with prefers-reduced-motion");
    await page.evaluate(() => Confab.closeChat());
    assert.equal(await chatFrame(page).isVisible(), false, "hidden at once without motion");
    await page.close();
  });

  test("left alignment, the JS API, and messages not from the frame are ignored", async () => {
    const url = host.page("/docked-left", hostPage({ loaderSrc: loaderSrc(), config: { ...guest, dockedAlignment: "left" } }));
    const page = await newPage(browser);
    await page.goto(url);
    const box = await page.getByRole("button", { name: "Open chat" }).boundingBox();
    assert.ok(box.x < 120, `launcher on the left, got x=${box.x}`);
    await page.evaluate(() => Confab.openChat());
    await frameOf(page).getByRole("region", { name: "Chat" }).waitFor();
    await page.evaluate(() => window.postMessage({ type: "confab:close" }, "*"));
    await page.waitForTimeout(200);
    assert.equal(await chatFrame(page).isVisible(), true, "a close message from the host window itself is ignored");
    await page.evaluate(() => Confab.closeChat());
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    await page.evaluate(() => Confab.logout());
    assert.equal(await page.getByRole("button", { name: "Open chat" }).count(), 0);
    assert.deepEqual(await page.evaluate(() => window.__events), ["onOpenChat", "onCloseChat", "onLogout"]);
    await page.close();
  });

  test("Escape closes the open panel from the launcher", async () => {
    const url = host.page("/docked-escape", hostPage({ loaderSrc: loaderSrc(), config: guest }));
    const page = await newPage(browser);
    await page.goto(url);
    await page.getByRole("button", { name: "Open chat" }).click();
    await frameOf(page).getByRole("region", { name: "Chat" }).waitFor();
    await page.getByRole("button", { name: "Close chat" }).first().focus();
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    await page.close();
  });

  test("the compatibility alias starts the widget", async () => {
    const url = host.page(
      "/compat",
      hostPage({ loaderSrc: loaderSrc(), config: guest, start: "CometChatApp.CometChatAuth.start(config)" }),
    );
    const page = await newPage(browser);
    await page.goto(url);
    await page.getByRole("button", { name: "Open chat" }).click();
    await frameOf(page).getByRole("region", { name: "Chat" }).waitFor();
    await page.close();
  });

  test("chatType and defaultChatID open that conversation", async () => {
    await rest(server, "POST", "/groups", { guid: "support", name: "Support desk", type: "public" });
    const config = { ...guest, chatType: "group", defaultChatID: "support" };
    const page = await newPage(browser);
    await page.goto(host.page("/docked-group", hostPage({ loaderSrc: loaderSrc(), config })));
    await page.getByRole("button", { name: "Open chat" }).click();
    const frame = frameOf(page);
    await frame.getByRole("heading", { name: "Support desk" }).waitFor();
    await frame.getByRole("log", { name: "Support desk" }).waitFor();
    await frame.getByRole("textbox", { name: "Message" }).waitFor();
    await page.close();
  });
});

describe("embedded widget", () => {
  test("fills its mount element at the configured size, without a close button", async () => {
    const config = { ...guest, isDocked: false, mount: "#chat", width: "360px", height: "480px" };
    const url = host.page("/embedded", hostPage({ loaderSrc: loaderSrc(), config, mount: '<div id="chat"></div>' }));
    const page = await newPage(browser);
    await page.goto(url);
    const frame = frameOf(page);
    await frame.getByRole("region", { name: "Chat" }).waitFor();
    assert.equal(await frame.getByRole("button", { name: "Close chat" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: "Open chat" }).count(), 0, "no launcher");
    const mountBox = await page.locator("#chat").boundingBox();
    const frameBox = await chatFrame(page).boundingBox();
    assert.equal(Math.round(mountBox.width), 362, "360px plus the 1px border each side");
    assert.equal(Math.round(frameBox.width), 360);
    assert.equal(Math.round(frameBox.height), 480);
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "embedded");
    await page.close();
  });

  test("below the fold, the frame is created only when it scrolls into view", async () => {
    const config = { ...guest, isDocked: false, mount: "#chat", height: "300px" };
    const mount = '<div style="height:2000px"></div><div id="chat"></div>';
    const page = await newPage(browser);
    await page.goto(host.page("/embedded-below", hostPage({ loaderSrc: loaderSrc(), config, mount })));
    await page.waitForTimeout(300);
    assert.equal(await chatFrame(page).count(), 0);
    await page.locator("#chat").scrollIntoViewIfNeeded();
    await frameOf(page).getByRole("region", { name: "Chat" }).waitFor();
    await page.close();
  });
});

describe("bad configs", () => {
  const bad = [
    ["unknown-mode", (c) => ({ ...c, mode: "robot" }), "CONFIG_INVALID_FIELD", "mode"],
    ["missing-appid", ({ appID, ...c }) => c, "CONFIG_MISSING_FIELD", "appID"],
    ["missing-authkey", ({ authKey, ...c }) => c, "CONFIG_MISSING_FIELD", "authKey"],
    ["uid-without-uid", (c) => ({ ...c, mode: "uid" }), "CONFIG_MISSING_FIELD", "uid"],
    ["authtoken-without-token", (c) => ({ ...c, mode: "authToken" }), "CONFIG_MISSING_FIELD", "authToken"],
    ["bad-alignment", (c) => ({ ...c, dockedAlignment: "middle" }), "CONFIG_INVALID_FIELD", "dockedAlignment"],
    ["bad-width", (c) => ({ ...c, width: "wide" }), "CONFIG_INVALID_FIELD", "width"],
    ["bad-height", (c) => ({ ...c, height: "-10px" }), "CONFIG_INVALID_FIELD", "height"],
    ["other-region", (c) => ({ ...c, region: "eu" }), "CONFIG_REGION_MISMATCH", "region"],
    ["mount-not-found", (c) => ({ ...c, isDocked: false, mount: "#nowhere" }), "CONFIG_MOUNT_NOT_FOUND", "mount"],
    ["not-an-object", () => "appID=123", "CONFIG_NOT_OBJECT", null],
  ];
  for (const [name, change, code, field] of bad) {
    test(`${name}: reports ${code}${field ? ` on ${field}` : ""} and leaves the page usable`, async () => {
      const page = await newPage(browser);
      await page.goto(host.page(`/bad-${name}`, hostPage({ loaderSrc: loaderSrc(), config: change(guest) })));
      await page.waitForFunction(() => window.__errors.length > 0);
      const errors = await page.evaluate(() => window.__errors);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0].code, code);
      assert.equal(errors[0].field, field);
      assert.ok(
        page.consoleErrors.some((m) => m.includes("Confab:") && m.includes(code) && (!field || m.includes(field))),
        `console names the problem: ${page.consoleErrors.join(" | ")}`,
      );
      assert.equal(await page.evaluate(() => window.__started), false);
      assert.deepEqual(page.pageErrors, [], "nothing thrown into the host page");
      assert.equal(await page.getByRole("button", { name: "Open chat" }).count(), 0);
      assert.equal(await chatFrame(page).count(), 0);
      await page.getByRole("button", { name: "Host button" }).click();
      assert.equal(await page.locator("#host-button").getAttribute("data-clicks"), "1");
      await screenshot(page, `bad-config-${name}`);
      await page.close();
    });
  }

  test("a second start reports WIDGET_ALREADY_STARTED and keeps the first widget", async () => {
    const start = "Confab.start(config) && Confab.start(config)";
    const page = await newPage(browser);
    await page.goto(host.page("/twice", hostPage({ loaderSrc: loaderSrc(), config: guest, start })));
    await page.waitForFunction(() => window.__errors.length > 0);
    assert.equal((await page.evaluate(() => window.__errors))[0].code, "WIDGET_ALREADY_STARTED");
    // The first widget's launcher comes with its variant, after the second start was refused.
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Open chat" }).count(), 1);
    await page.close();
  });
});

describe("failure to load", () => {
  test("a host page whose chat server is down carries on without chat", async () => {
    const page = await newPage(browser);
    const url = host.page("/down", hostPage({ loaderSrc: "http://127.0.0.1:9/widget/confab.js", config: guest }));
    await page.goto(url);
    await page.waitForFunction(() => window.__noLoader === true);
    await page.getByRole("button", { name: "Host button" }).click();
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});

describe("demo page", () => {
  test("the server's demo page opens the FAQ bot, which answers in the widget", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.base}/demo`);
    await page.getByRole("button", { name: "Open chat" }).click();
    const frame = frameOf(page);
    await frame.getByRole("heading", { name: "Confab FAQ bot" }).waitFor();
    const box = frame.getByRole("textbox", { name: "Message" });
    await box.fill("How do I install it on my website?");
    await box.press("Enter");
    const log = frame.getByRole("log");
    await log.getByText("How do I install it on my website?").waitFor();
    await log.getByText(/Paste the snippet/).waitFor({ timeout: 10000 });
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "demo-bot-answer");

    // The agent page, in a second window, answers the visitor.
    await frame.getByRole("button", { name: "New conversation" }).click();
    await frame.getByRole("button", { name: "Support agent" }).click();
    await frame.getByRole("heading", { name: "Support agent" }).waitFor();
    const visitorBox = frame.getByRole("textbox", { name: "Message" });
    await visitorBox.fill("Can a person help me?");
    await visitorBox.press("Enter");
    const agent = await newPage(browser);
    await agent.goto(`${server.base}/demo/agent`);
    const desk = frameOf(agent);
    await desk.getByRole("heading", { name: /Guest/ }).waitFor();
    await desk.getByRole("log").getByText("Can a person help me?").waitFor();
    const agentBox = desk.getByRole("textbox", { name: "Message" });
    await agentBox.fill("Hello, I'm here.");
    await agentBox.press("Enter");
    await frame.getByRole("log").getByText("Hello, I'm here.").waitFor();
    await screenshot(agent, "demo-agent");
    assert.deepEqual(agent.pageErrors, []);
    await agent.close();
    await page.close();
  });
});
