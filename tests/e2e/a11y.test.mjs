// End-to-end: themes, languages, a phone-sized screen, keyboard-only use, and an axe-core scan of each
// state (no serious or critical violation), in headless Chromium.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { axeViolations, chatFrame, frameOf, hostPage, launchBrowser, newPage, rest, screenshot, startHost, startServer } from "./harness.mjs";

let server, host, browser, app;

before(async () => {
  server = await startServer();
  host = await startHost();
  browser = await launchBrowser();
  const { appId, authKey } = server.credentials;
  app = { appID: appId, region: "local", authKey };
  // Made as uid sign-in makes users (the demo app's is open), so the pages sign them in by uid.
  await rest(server, "POST", "/auth/uid", { uid: "sam", user: { name: "Sam Reed" } });
  await rest(server, "POST", "/auth/uid", { uid: "tia", user: { name: "Tia Park" } });
  await rest(server, "POST", "/messages", { receiver: "sam", receiverType: "user", type: "text", data: { text: "Welcome! See https://example.com" } }, "tia");
});
after(async () => {
  await browser?.close();
  await host?.stop();
  server?.stop();
});


/** Serious and critical axe violations in `target` (a page or a frame). */
const violations = (target) => axeViolations(target, { serious: true });

async function open(name, config, viewport) {
  const page = await newPage(browser, viewport);
  await page.goto(host.page(`/${name}`, hostPage({ loaderSrc: `${server.base}/widget/confab.js`, config, mount: config.mount ? '<div id="chat"></div>' : "" })));
  return page;
}

describe("looks and accessibility", () => {
  test("keyboard only: open, write, send, close, with focus kept in the panel and returned", async () => {
    const page = await open("keyboard", { ...app, mode: "uid", uid: "sam", chatType: "user", defaultChatID: "tia" });
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    assert.deepEqual(await violations(page), [], "host page with the launcher");
    await page.locator("#host-button").focus(); // the host page's own button
    await page.keyboard.press("Tab"); // the launcher
    await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute("data-confab") === "launcher");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Close chat" }).first().waitFor();
    const frame = frameOf(page);
    const box = frame.getByRole("textbox", { name: "Message" });
    await box.waitFor();
    await page.waitForFunction(() => document.activeElement && document.activeElement.tagName === "DIV");
    await frame.locator("textarea:focus").waitFor();
    await page.keyboard.type("typed with the keyboard");
    await page.keyboard.press("Enter");
    await frame.getByRole("log").getByText("typed with the keyboard").waitFor();
    // Tab cycles inside the panel.
    for (let i = 0; i < 8; i++) await page.keyboard.press("Tab");
    assert.ok(await chatFrame(page).evaluate(() => document.activeElement && document.activeElement.closest(".panel") !== null), "focus stayed in the panel");
    assert.deepEqual(await violations(chatFrame(page)), [], "open conversation");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Open chat" }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("data-confab")), "launcher", "focus back on the launcher");
    await page.close();
  });

  test("dark theme, a right-to-left language, and the conversation list pass axe", async () => {
    const dark = await open("dark", { ...app, mode: "uid", uid: "sam", theme: "dark", isDocked: false, mount: "#chat", width: "420px", height: "520px" });
    const frame = frameOf(dark);
    await frame.getByRole("textbox", { name: "Message" }).waitFor();
    const bg = await chatFrame(dark).evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, "rgb(22, 24, 29)");
    assert.deepEqual(await violations(chatFrame(dark)), [], "dark theme");
    await screenshot(dark, "theme-dark");
    await frame.getByRole("button", { name: "Back to conversations" }).click();
    await frame.getByRole("button", { name: /Tia Park/ }).waitFor();
    assert.deepEqual(await violations(chatFrame(dark)), [], "conversation list");
    await dark.close();

    const rtl = await open("rtl", { ...app, mode: "uid", uid: "sam", language: "ar", chatType: "user", defaultChatID: "tia", isDocked: false, mount: "#chat", width: "420px", height: "520px" });
    const rtlFrame = frameOf(rtl);
    await rtlFrame.getByRole("textbox", { name: "رسالة" }).waitFor();
    assert.equal(await chatFrame(rtl).evaluate(() => document.documentElement.dir), "rtl");
    assert.equal(await chatFrame(rtl).evaluate(() => document.documentElement.lang), "ar");
    assert.deepEqual(await violations(chatFrame(rtl)), [], "right to left");
    await screenshot(rtl, "language-rtl");
    await rtl.close();
  });

  test("on a 400 px phone the open docked panel fills the screen", async () => {
    const page = await open("phone", { ...app, mode: "uid", uid: "tia", chatType: "user", defaultChatID: "sam" }, { width: 400, height: 780 });
    await page.getByRole("button", { name: "Open chat" }).click();
    await frameOf(page).getByRole("textbox", { name: "Message" }).waitFor();
    const box = await page.locator('iframe[title="Chat"]').boundingBox();
    assert.deepEqual([box.x, box.y, box.width, box.height].map(Math.round), [0, 0, 400, 780]);
    assert.deepEqual(await violations(chatFrame(page)), [], "phone");
    await screenshot(page, "phone-400");
    await page.close();
  });
});
