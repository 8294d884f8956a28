// End-to-end: what is new and unread, in headless Chromium. A conversation opened with unread messages shows
// the "New messages" line before the first of them, in view; "Jump to newest" shows while the visitor reads
// above the newest message and counts what comes meanwhile; in a narrow panel the back control counts the
// other conversations' messages and a live region reads them out; a wide panel with nothing open says "Pick a
// conversation"; the host page's title counts unread messages while the page is hidden; a soft tone plays
// for a message that comes while the panel is closed, only after the visitor interacted with it and when the
// variant's switch is on; and the panel with the line and the button passes axe.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { axeViolations, chatFrame, launchBrowser, makeUser, openWidget, rest, screenshot, sendText, startHost, startServer } from "./harness.mjs";

let server, host, browser, app;

before(async () => {
  server = await startServer();
  host = await startHost();
  browser = await launchBrowser();
  const { appId, authKey } = server.credentials;
  // 420 px wide: a narrow panel, one pane at a time.
  app = { appID: appId, region: "local", authKey, isDocked: false, mount: "#chat", width: "420px", height: "560px" };
});
after(async () => {
  await browser?.close();
  await host?.stop();
  server?.stop();
});


const violations = (target) => axeViolations(target, { serious: true });

const user = (uid, name) => makeUser(server, uid, name);

const send = (from, to, text) => sendText(server, from, to, text);

/** A host page with the widget started with `config`; `before` runs on the page before it loads. */
const visit = (name, config, options) => openWidget({ browser, host, server }, name, config, options);

/** The rows of the log as the visitor reads them: each message's text, the line as "NEW". */
function rows(frame) {
  return frame.locator(".log > li:not(.day)").evaluateAll((items) =>
    items.map((li) => (li.classList.contains("new-divider") ? "NEW" : li.querySelector(".bubble")?.textContent)),
  );
}

/** Resolves once the element `selector` finds is wholly inside the log's visible area. */
async function shownInLog(page, selector) {
  await chatFrame(page).waitForFunction((selector) => {
    const view = document.querySelector(".log-scroller")?.getBoundingClientRect();
    const target = [...document.querySelectorAll(selector)].pop()?.getBoundingClientRect();
    return view && target && target.height > 0 && target.top >= view.top - 1 && target.bottom <= view.bottom + 1;
  }, selector);
}

/** Whether the element `selector` finds is wholly inside the log's visible area now. */
async function inLogNow(page, selector) {
  return chatFrame(page).evaluate((selector) => {
    const view = document.querySelector(".log-scroller").getBoundingClientRect();
    const target = [...document.querySelectorAll(selector)].pop().getBoundingClientRect();
    return target.top >= view.top - 1 && target.bottom <= view.bottom + 1;
  }, selector);
}

/** Makes every document of `page` (the host page and the chat frame) report itself hidden or shown, as a
 * browser does when its tab goes to the background and back. */
async function setHidden(page, hidden) {
  for (const frame of page.frames()) {
    await frame.evaluate((hidden) => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
  }
}

describe("new and unread messages", () => {
  test("the New messages line sits before the first unread message, in view; Jump to newest goes to the newest", async () => {
    await user("ann", "Ann Lee");
    await user("ben", "Ben Cho");
    await send("ben", "ann", "Are you there?");
    await send("ann", "ben", "Yes, what's up?");
    // Ann has read the conversation so far; then twenty messages come while she is away.
    await rest(server, "POST", "/users/ben/conversation/read", {}, "ann");
    for (let i = 1; i <= 20; i++) await send("ben", "ann", `news ${i}`);

    const { page, frame } = await visit("divider", { ...app, mode: "uid", uid: "ann", chatType: "user", defaultChatID: "ben" });
    const log = frame.getByRole("log");
    await log.getByText("New messages", { exact: true }).waitFor();
    const texts = await rows(frame);
    const at = texts.indexOf("NEW");
    assert.deepEqual(texts.slice(at - 1, at + 2), ["Yes, what's up?", "NEW", "news 1"], "the line is right before the first unread message");
    assert.equal(texts.filter((t) => t === "NEW").length, 1);
    // The view opens on the line, not at the bottom, so the jump button shows.
    await shownInLog(page, ".new-divider");
    const jump = frame.getByRole("button", { name: "Jump to newest" });
    await jump.waitFor();
    assert.equal(await inLogNow(page, ".message:last-child"), false, "the newest message is below the view");
    assert.deepEqual(await violations(chatFrame(page)), [], "the line and the jump button");
    await screenshot(page, "unread-divider");

    await jump.click();
    await shownInLog(page, ".message:last-child");
    await jump.waitFor({ state: "hidden" });
    await frame.locator(".composer textarea:focus").waitFor();

    // The line stays while the conversation is open: a live message goes below, and the view follows it.
    await send("ben", "ann", "news 21");
    await log.getByText("news 21", { exact: true }).waitFor();
    await shownInLog(page, ".message:last-child");
    assert.deepEqual((await rows(frame)).slice(at - 1, at + 2), ["Yes, what's up?", "NEW", "news 1"]);

    // Reading above the newest: the button counts what comes meanwhile.
    await frame.locator(".log-scroller").evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event("scroll"));
    });
    await jump.waitFor();
    await send("ben", "ann", "news 22");
    await send("ben", "ann", "news 23");
    const counted = frame.getByRole("button", { name: "Jump to newest, 2 new messages" });
    await counted.waitFor();
    assert.equal(await counted.locator(".jump-count").innerText(), "2");
    await screenshot(page, "unread-jump-count");
    await counted.press("Enter");
    await shownInLog(page, ".message:last-child");
    assert.equal(await frame.locator(".message:last-child .bubble").textContent(), "news 23");
    await frame.getByRole("button", { name: /Jump to newest/ }).waitFor({ state: "hidden" });

    // Opened again with nothing unread: no line.
    await frame.getByRole("button", { name: "Back to conversations" }).click();
    await frame.getByRole("button", { name: /Ben Cho/ }).click();
    await log.getByText("news 23", { exact: true }).waitFor();
    assert.equal(await frame.locator(".new-divider").count(), 0);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("in a narrow panel, the back control counts another conversation's messages and a live region reads them out", async () => {
    await user("dora", "Dora Fox");
    await user("eli", "Eli Moss");
    await user("fay", "Fay Wu");
    await send("eli", "dora", "Morning!");
    const { page, frame } = await visit("narrow-back", { ...app, mode: "uid", uid: "dora", chatType: "user", defaultChatID: "eli" });
    await frame.getByRole("log").getByText("Morning!").waitFor();
    const back = frame.getByRole("button", { name: "Back to conversations", exact: true });
    await back.waitFor();
    assert.equal(await frame.getByRole("navigation", { name: "Conversations" }).isVisible(), false, "the list is hidden");

    await send("fay", "dora", "Lunch today?");
    await frame.getByRole("button", { name: "Back to conversations, 1 unread message" }).waitFor();
    assert.equal(await frame.locator(".back-count").innerText(), "1");
    const notice = frame.getByText("New message from Fay Wu");
    await notice.waitFor({ state: "attached" });
    assert.equal(await notice.getAttribute("aria-live"), "polite");
    await send("fay", "dora", "At noon?");
    await frame.getByRole("button", { name: "Back to conversations, 2 unread messages" }).waitFor();
    await screenshot(page, "unread-back-count");
    // The open conversation's own messages are read at once and do not count.
    await send("eli", "dora", "Still there?");
    await frame.getByRole("log").getByText("Still there?").waitFor();
    await frame.getByRole("button", { name: "Back to conversations, 2 unread messages" }).waitFor();

    await frame.getByRole("button", { name: "Back to conversations, 2 unread messages" }).click();
    await frame.getByRole("button", { name: /Fay Wu/ }).locator(".unread", { hasText: "2" }).waitFor();
    await frame.getByRole("button", { name: /Fay Wu/ }).click();
    await frame.getByRole("log").getByText("At noon?").waitFor();
    assert.deepEqual(await rows(frame), ["NEW", "Lunch today?", "At noon?"]);
    await back.waitFor();
    assert.equal(await frame.locator(".back-count").isVisible(), false, "nothing unread elsewhere");
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("a wide panel with nothing open says Pick a conversation beside the list, and No conversations yet without one", async () => {
    await user("gus", "Gus Hale");
    await send("gus", "ann", "Hello from Gus");
    const wide = { ...app, width: "800px", autoOpenFirstItem: false };
    const ann = await visit("pick", { ...wide, mode: "uid", uid: "ann" }, { viewport: { width: 1000, height: 700 } });
    await ann.frame.getByRole("button", { name: /Gus Hale/ }).waitFor();
    const pane = ann.frame.locator(".chat-pane");
    await pane.getByText("Pick a conversation").waitFor();
    assert.equal(await pane.getByText("No conversations yet.").isVisible(), false);
    await screenshot(ann.page, "unread-pick-a-conversation");
    await ann.frame.getByRole("button", { name: /Gus Hale/ }).click();
    await ann.frame.getByRole("log").getByText("Hello from Gus").waitFor();
    await ann.page.close();

    const fresh = await visit("pick-empty", { ...wide, mode: "guest", user: { name: "New Guest" } }, { viewport: { width: 1000, height: 700 } });
    const empty = fresh.frame.locator(".chat-pane");
    await empty.getByText("No conversations yet.").waitFor();
    assert.equal(await empty.getByText("Pick a conversation").isVisible(), false);
    await fresh.page.close();
  });

  test("the host page's title counts unread messages while the page is hidden", async () => {
    await user("hana", "Hana Ito");
    await user("ivan", "Ivan Roy");
    await send("ivan", "hana", "First things first");
    await rest(server, "POST", "/users/ivan/conversation/read", {}, "hana");
    const { page, frame } = await visit("title", { ...app, mode: "uid", uid: "hana", chatType: "user", defaultChatID: "ivan" });
    await frame.getByRole("log").getByText("First things first").waitFor();
    assert.equal(await page.title(), "Host site");

    await setHidden(page, true);
    assert.equal(await page.title(), "Host site", "nothing unread: the title is the page's own");
    await send("ivan", "hana", "Are you back?");
    await page.waitForFunction(() => document.title === "(1) Host site");
    await send("ivan", "hana", "Ping");
    await page.waitForFunction(() => document.title === "(2) Host site");

    await setHidden(page, false);
    await page.waitForFunction(() => document.title === "Host site");
    // What came while the page was hidden is new when the visitor is back (and read now).
    await frame.getByRole("log").getByText("Ping").waitFor();
    assert.deepEqual(await rows(frame), ["First things first", "NEW", "Are you back?", "Ping"]);
    await page.waitForFunction(() => window.__details.filter(([name]) => name === "onUnreadCountChanged").pop()[1].count === 0);
    assert.equal(await page.title(), "Host site");
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("a soft tone plays for a message that comes while the panel is closed, once the visitor used the panel, if the variant allows", async () => {
    await user("kai", "Kai Ora");
    // Counts the notes the frame plays (each tone is made of oscillators).
    const countTones = (page) =>
      page.addInitScript(() => {
        window.__notes = 0;
        const made = window.AudioContext && window.AudioContext.prototype.createOscillator;
        if (made) {
          window.AudioContext.prototype.createOscillator = function () {
            window.__notes++;
            return made.call(this);
          };
        }
      });
    const notes = (page) => chatFrame(page).evaluate(() => window.__notes);
    // Resolves once the host page was told of the message `text` (the frame got it live).
    const received = (page, text) =>
      page.waitForFunction((text) => window.__details.some(([name, d]) => name === "onMessageReceived" && d.data.text === text), text);

    for (const [name, variant, plays] of [
      ["on", undefined, true],
      ["off", { chatFeatures: { inAppSounds: { incomingMessageSound: false } } }, false],
    ]) {
      const uid = `jade-${name}`;
      await user(uid, `Jade ${name}`);
      const docked = { ...app, isDocked: true, mount: undefined, mode: "uid", uid, chatType: "user", defaultChatID: "kai", variant };
      const { page, frame } = await visit(`sound-${name}`, docked, { before: countTones });
      // The frame loads on intent (a focus on the launcher) while the panel stays closed. The first message
      // may come before its connection does (it is then read with the list); the second comes live.
      await page.getByRole("button", { name: "Open chat" }).focus();
      await send("kai", uid, "first, before any interaction");
      await page.getByRole("button", { name: "Open chat (1 unread)" }).waitFor();
      await send("kai", uid, "second, before any interaction");
      await received(page, "second, before any interaction");
      assert.equal(await notes(page), 0, "no sound before the visitor interacted with the panel");

      await page.getByRole("button", { name: /Open chat/ }).click();
      await frame.getByRole("textbox", { name: "Message" }).click();
      await frame.getByRole("button", { name: "Close chat" }).click();
      await page.getByRole("button", { name: "Open chat", exact: true }).waitFor();
      await send("kai", uid, "while the panel is closed");
      await received(page, "while the panel is closed");
      await page.getByRole("button", { name: "Open chat (1 unread)" }).waitFor();
      if (plays) await chatFrame(page).waitForFunction(() => window.__notes > 0);
      else assert.equal(await notes(page), 0, "no tone when the variant turns it off");
      assert.deepEqual(page.pageErrors, []);
      await page.close();
    }
  });
});
