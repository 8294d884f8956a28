// End-to-end: the message search, in headless Chromium. The header's "Search messages" button opens the
// search view over the panel with the focus in its field; it finds messages in the open conversation ("This
// conversation") or in all of the visitor's, never in a conversation they are not part of; Enter on a result
// opens its conversation with the message in view and focused (loading older pages when it is further
// back; a thread reply brings its thread's first message); Escape closes the view and gives the focus back
// to the button; a variant that turns search off has no button; and the view with results passes axe.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { axeViolations, chatFrame, launchBrowser, makeUser, openWidget, rest, screenshot, sendText, startHost, startServer } from "./harness.mjs";

let server, host, browser, app;

before(async () => {
  server = await startServer();
  host = await startHost();
  browser = await launchBrowser();
  const { appId, authKey } = server.credentials;
  app = { appID: appId, region: "local", authKey, isDocked: false, mount: "#chat", width: "520px", height: "620px" };
});
after(async () => {
  await browser?.close();
  await host?.stop();
  server?.stop();
});

const send = (from, to, text) => sendText(server, from, to, text);

/** `uid`'s page with the conversation with `peer` open (with `variant`'s settings); resolves the page and its frame. */
async function visit(uid, peer, variant) {
  const config = { ...app, mode: "uid", uid, chatType: "user", defaultChatID: peer, variant };
  const { page, frame } = await openWidget({ browser, host, server }, `${uid}-${peer}-${Date.now()}`, config, { viewport: { width: 900, height: 760 } });
  await frame.getByRole("textbox", { name: "Message" }).waitFor();
  return { page, frame };
}

/** The row of the message whose bubble says `text`. */
const row = (frame, text) => frame.locator(".message", { has: frame.locator(".bubble", { hasText: text }) }).last();

/** The name of what has the focus in the chat frame. */
const focused = (page) => chatFrame(page).evaluate(() => document.activeElement?.getAttribute("aria-label") || document.activeElement?.textContent);

/** Opens the search from the header's button; resolves the view. */
async function openSearch(frame) {
  await frame.getByRole("button", { name: "Search messages" }).click();
  const view = frame.getByRole("dialog", { name: "Search messages" });
  await view.waitFor();
  return view;
}

/** Types `text` in the search field and waits for the count it should find (or "No messages found"). */
async function find(page, frame, text, count) {
  const field = frame.getByRole("searchbox", { name: "Search" });
  await field.fill("");
  await field.pressSequentially(text, { delay: 20 });
  const said = count ? `${count} found` : "No messages found";
  await frame.locator(".search-status", { hasText: said }).waitFor();
  return frame.locator(".search-result");
}

/** Picks a scope of the open search. */
const scope = (frame, name) => frame.locator(".search-scopes label", { hasText: name }).click();

/** Each result as [title, sender, text]. */
const results = (frame) =>
  frame.locator(".search-result").evaluateAll((rows) => rows.map((r) => [r.querySelector("b").textContent, r.querySelector("small").textContent, r.querySelector("p").textContent]));

/** Resolves once message `id` has the focus in the chat frame and shows whole in the log's view. */
async function shownAndFocused(page, id) {
  await chatFrame(page).waitForFunction((id) => {
    const row = document.activeElement;
    const view = document.querySelector(".log-scroller");
    if (!row?.matches(`.message[data-id="${id}"]`) || !view) return false;
    const [r, v] = [row.getBoundingClientRect(), view.getBoundingClientRect()];
    return r.top >= v.top - 1 && r.bottom <= v.bottom + 1;
  }, String(id));
}

const violations = (page) => axeViolations(chatFrame(page), { serious: true });

describe("searching messages", () => {
  test("the search finds messages in this conversation or in all of the visitor's, and opens one in context", async () => {
    await makeUser(server, "ana", "Ana Ruiz");
    await makeUser(server, "bo", "Bo Chen");
    await makeUser(server, "cy", "Cy Diaz");
    await makeUser(server, "dee", "Dee Park");
    await makeUser(server, "eve", "Eve Nagy");
    await send("bo", "ana", "The blue kite is ready");
    await send("ana", "bo", "Bring the kite tomorrow");
    await send("bo", "ana", "Something else entirely");
    const festival = await send("cy", "ana", "Kite festival on Sunday");
    await send("dee", "eve", "Secret kite plans");
    await send("ana", "cy", "Sounds good");
    const { page, frame } = await visit("ana", "bo");
    await row(frame, "Something else entirely").waitFor();

    const view = await openSearch(frame);
    assert.equal(await focused(page), "Search", "the field has the focus");
    const scopes = await frame.getByRole("radiogroup", { name: "Where to search" }).getByRole("radio").evaluateAll((radios) =>
      radios.map((r) => [r.parentElement.textContent, r.checked]),
    );
    assert.deepEqual(scopes, [["This conversation", true], ["All conversations", false]], "this conversation first");
    assert.equal(await frame.locator(".panel-header").evaluate((header) => header.closest("[inert]") !== null), true, "the rest of the panel is out of reach");

    await find(page, frame, "kite", 2);
    assert.deepEqual(
      await results(frame),
      [
        ["Bo Chen", "You", "Bring the kite tomorrow"],
        ["Bo Chen", "Bo Chen", "The blue kite is ready"],
      ],
      "this conversation only, newest first",
    );
    assert.deepEqual(await frame.locator(".search-result mark").allTextContents(), ["kite", "kite"]);

    await scope(frame, "All conversations");
    await frame.locator(".search-status", { hasText: "3 found" }).waitFor();
    assert.deepEqual(await results(frame), [
      ["Cy Diaz", "Cy Diaz", "Kite festival on Sunday"],
      ["Bo Chen", "You", "Bring the kite tomorrow"],
      ["Bo Chen", "Bo Chen", "The blue kite is ready"],
    ]);
    assert.equal(await frame.locator(".search-result", { hasText: "Secret" }).count(), 0, "never a conversation the visitor is not part of");
    await find(page, frame, "secret", 0);
    assert.equal(await frame.locator(".search-result").count(), 0);

    await find(page, frame, "kite", 3);
    assert.deepEqual(await violations(page), [], "the search with results");
    await screenshot(page, "search-results");

    // Down to the results, Enter on Cy's: that conversation opens with the message in view and focused.
    await page.keyboard.press("ArrowDown");
    assert.match(await focused(page), /Kite festival/);
    await page.keyboard.press("Enter");
    await view.waitFor({ state: "detached" });
    await frame.getByRole("heading", { name: "Cy Diaz" }).waitFor();
    await shownAndFocused(page, festival.id);
    assert.equal(await frame.locator(".panel-header").evaluate((header) => header.closest("[inert]") !== null), false);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("Escape closes the search and gives the focus back to its button; with no conversation open, it looks everywhere", async () => {
    await makeUser(server, "fay", "Fay Ito");
    await makeUser(server, "gus", "Gus Lund");
    await send("gus", "fay", "Lunch at noon?");
    const { page, frame } = await visit("fay", "gus");
    await row(frame, "Lunch at noon?").waitFor();

    const view = await openSearch(frame);
    await find(page, frame, "lunch", 1);
    await page.keyboard.press("Escape");
    await view.waitFor({ state: "detached" });
    assert.equal(await focused(page), "Search messages", "the focus is back on the button");
    assert.ok(await frame.getByRole("textbox", { name: "Message" }).isVisible(), "the conversation stays open");

    // The close button does the same.
    await openSearch(frame);
    await frame.getByRole("button", { name: "Close" }).click();
    await view.waitFor({ state: "detached" });
    assert.equal(await focused(page), "Search messages");

    // Back at the list: one scope, all conversations.
    await frame.getByRole("button", { name: "Back to conversations" }).click();
    await openSearch(frame);
    assert.equal(await frame.getByRole("radiogroup").count(), 0, "no choice of scope");
    await find(page, frame, "noon", 1);
    assert.deepEqual(await results(frame), [["Gus Lund", "Gus Lund", "Lunch at noon?"]]);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("a result further back than the first page opens with the older pages loaded; a thread reply, its thread's first message", async () => {
    await makeUser(server, "hal", "Hal Berg");
    await makeUser(server, "ida", "Ida Moss");
    const needle = await send("ida", "hal", "The needle in the haystack");
    await rest(server, "POST", `/messages/${needle.id}/thread`, { receiver: "ida", receiverType: "user", type: "text", data: { text: "A threaded answer" } }, "hal");
    for (let i = 1; i <= 45; i++) await send(i % 2 ? "ida" : "hal", i % 2 ? "hal" : "ida", `filler ${i}`);
    const { page, frame } = await visit("hal", "ida");
    await row(frame, "filler 45").waitFor();
    assert.equal(await frame.locator(".bubble", { hasText: "needle" }).count(), 0, "not in the first page");

    const view = await openSearch(frame);
    const found = await find(page, frame, "needle", 1);
    await found.first().focus();
    await page.keyboard.press("Enter");
    await view.waitFor({ state: "detached" });
    await shownAndFocused(page, needle.id);

    // A reply in a thread (the log leaves replies out): the thread's first message.
    await frame.locator(".log-scroller").evaluate((el) => (el.scrollTop = el.scrollHeight));
    await openSearch(frame);
    await find(page, frame, "threaded", 1);
    assert.deepEqual(await results(frame), [["Ida Moss", "You", "A threaded answer"]]);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await view.waitFor({ state: "detached" });
    await shownAndFocused(page, needle.id);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("a variant that turns search off shows no search button", async () => {
    await makeUser(server, "jan", "Jan Roos");
    await makeUser(server, "kai", "Kai Wolf");
    await send("kai", "jan", "Hello Jan");
    const off = { chatFeatures: { coreMessagingExperience: { conversationAndAdvancedSearch: false } } };
    const { page, frame } = await visit("jan", "kai", off);
    await row(frame, "Hello Jan").waitFor();
    assert.equal(await frame.getByRole("button", { name: "Search messages" }).count(), 0);
    const on = await visit("jan", "kai");
    await on.frame.getByRole("button", { name: "Search messages" }).waitFor();
    assert.deepEqual([...page.pageErrors, ...on.page.pageErrors], []);
    await page.close();
    await on.page.close();
  });
});
