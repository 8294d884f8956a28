// End-to-end: acting on messages, in headless Chromium, with two people in one conversation. The message's
// actions button opens a menu driven by the keyboard; Edit (or Up in an empty message box) edits one's own
// message and Delete deletes it, live on the other side; reactions are given from the picker or by pressing
// a count, the own ones pressed, who reacted named, live both ways; Reply quotes a message, and a press on
// the quote brings the quoted message into view; a thread opens in the log with its own composer, and its
// parent counts replies live; @ in a group offers its members, and a mention is stored and highlighted;
// Mark unread leaves the conversation unread from a message;
// a variant that turns these off shows none of them; and
// the menu, the counts and the quote pass axe.
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
  const { page, frame } = await openWidget({ browser, host, server }, `${uid}-${peer}`, config, { viewport: { width: 900, height: 760 } });
  await frame.getByRole("textbox", { name: "Message" }).waitFor();
  return { page, frame };
}

/** The row of the message whose bubble says `text`. */
const row = (frame, text) => frame.locator(".message", { has: frame.locator(".bubble", { hasText: text }) }).last();

/** The name of what has the focus in the chat frame. */
const focused = (page) => chatFrame(page).evaluate(() => document.activeElement?.getAttribute("aria-label") || document.activeElement?.textContent);

/** The reaction counts under the message saying `text`: [emoji, count, pressed]. */
const chips = (frame, text) =>
  row(frame, text)
    .locator(".chip")
    .evaluateAll((list) => list.map((c) => [c.firstChild.textContent, c.querySelector(".chip-count").textContent, c.getAttribute("aria-pressed")]));

/** Opens the actions menu of the message saying `text` from the keyboard. */
async function openMenu(page, frame, text) {
  const button = row(frame, text).getByRole("button", { name: "Message actions" });
  await button.focus();
  await button.press("Enter");
  await frame.getByRole("menu", { name: "Message actions" }).waitFor();
  return button;
}

const violations = (page) => axeViolations(chatFrame(page), { serious: true });

describe("acting on messages", () => {
  test("the actions menu works from the keyboard and offers what the message allows", async () => {
    await makeUser(server, "ana", "Ana Ruiz");
    await makeUser(server, "bo", "Bo Chen");
    await send("bo", "ana", "Hello Ana");
    await send("ana", "bo", "Hi Bo");
    const { page, frame } = await visit("ana", "bo");
    await row(frame, "Hi Bo").waitFor();

    const theirs = await openMenu(page, frame, "Hello Ana");
    const items = () => frame.getByRole("menu").getByRole("menuitem").allTextContents();
    assert.deepEqual(await items(), ["Add reaction", "Reply", "Reply in thread", "Mark unread"], "someone else's message");
    assert.equal(await theirs.getAttribute("aria-expanded"), "true");
    assert.equal(await focused(page), "Add reaction", "the first item has the focus");
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(page), "Reply");
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(page), "Reply in thread");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(page), "Add reaction", "Down wraps around");
    await page.keyboard.press("ArrowUp");
    assert.equal(await focused(page), "Mark unread", "so does Up");
    await page.keyboard.press("Home");
    await page.keyboard.press("End");
    assert.equal(await focused(page), "Mark unread");
    await page.keyboard.press("Home");
    assert.equal(await focused(page), "Add reaction");
    assert.deepEqual(await violations(page), [], "the open menu");
    await screenshot(page, "rich-menu");
    await page.keyboard.press("Escape");
    await frame.getByRole("menu").waitFor({ state: "detached" });
    assert.equal(await focused(page), "Message actions", "Escape gives the focus back to the button");
    assert.equal(await theirs.getAttribute("aria-expanded"), "false");
    assert.ok(await frame.getByRole("textbox", { name: "Message" }).isVisible(), "Escape in the menu does not close the panel");

    await openMenu(page, frame, "Hi Bo");
    assert.deepEqual(await items(), ["Add reaction", "Reply", "Reply in thread", "Edit", "Delete"], "one's own message: edit and delete, no mark unread");
    // A press elsewhere closes it.
    await frame.getByRole("textbox", { name: "Message" }).click();
    await frame.getByRole("menu").waitFor({ state: "detached" });
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("one's own message is edited (from the menu or with Up) and deleted, live on the other side", async () => {
    await makeUser(server, "cai", "Cai Park");
    await makeUser(server, "dov", "Dov Levi");
    await send("dov", "cai", "Ready?");
    const cai = await visit("cai", "dov");
    const dov = await visit("dov", "cai");
    const box = cai.frame.getByRole("textbox", { name: "Message" });
    await box.fill("See you at nine");
    await box.press("Enter");
    await row(cai.frame, "See you at nine").locator(".mark.sent, .mark.delivered, .mark.read").waitFor();
    await row(dov.frame, "See you at nine").waitFor();

    // Up in the empty box edits the last own message.
    await box.press("ArrowUp");
    await cai.frame.getByText("Editing your message").waitFor();
    assert.equal(await box.inputValue(), "See you at nine");
    await box.fill("See you at ten");
    await screenshot(cai.page, "rich-editing");
    await box.press("Enter");
    await row(cai.frame, "See you at ten").locator(".edited").waitFor();
    await row(dov.frame, "See you at ten").locator(".edited").waitFor();
    assert.equal(await cai.frame.locator(".bubble", { hasText: "See you at nine" }).count(), 0);
    assert.equal(await box.inputValue(), "", "the box is empty after the edit");
    await cai.frame.getByText("Editing your message").waitFor({ state: "hidden" });

    // Escape cancels an edit, and leaves the message as it was.
    await box.press("ArrowUp");
    await cai.frame.getByText("Editing your message").waitFor();
    await box.press("Escape");
    await cai.frame.getByText("Editing your message").waitFor({ state: "hidden" });
    assert.equal(await box.inputValue(), "");
    assert.ok(await box.isVisible(), "Escape while editing does not close the panel");

    // The menu's Edit, then Delete.
    await openMenu(cai.page, cai.frame, "See you at ten");
    await cai.page.keyboard.press("End");
    await cai.page.keyboard.press("ArrowUp");
    assert.equal(await focused(cai.page), "Edit");
    await cai.page.keyboard.press("Enter");
    await cai.frame.getByText("Editing your message").waitFor();
    assert.equal(await box.inputValue(), "See you at ten");
    await cai.frame.getByRole("button", { name: "Cancel" }).click();
    await openMenu(cai.page, cai.frame, "See you at ten");
    await cai.frame.getByRole("menuitem", { name: "Delete" }).click();
    await cai.frame.locator(".message.own .deleted").waitFor();
    await dov.frame.locator(".message.other .deleted", { hasText: "This message was deleted." }).waitFor();
    assert.equal(await dov.frame.locator(".bubble", { hasText: "See you at ten" }).count(), 0);
    // A deleted message has nothing left to act on.
    assert.equal(await cai.frame.locator(".message.own", { has: cai.frame.locator(".deleted") }).getByRole("button", { name: "Message actions" }).count(), 0);
    assert.deepEqual([...cai.page.pageErrors, ...dov.page.pageErrors], []);
    await cai.page.close();
    await dov.page.close();
  });

  test("reactions are given from the picker or a count, own ones pressed, named, live both ways", async () => {
    await makeUser(server, "eva", "Eva Stone");
    await makeUser(server, "fil", "Fil Novak");
    await send("fil", "eva", "The launch went well");
    const eva = await visit("eva", "fil");
    const fil = await visit("fil", "eva");

    await openMenu(eva.page, eva.frame, "The launch went well");
    await eva.page.keyboard.press("Enter");
    const picker = eva.frame.getByRole("dialog", { name: "Add reaction" });
    await picker.waitFor();
    assert.equal(await focused(eva.page), "React with 👍");
    await eva.page.keyboard.press("ArrowRight");
    await eva.page.keyboard.press("Enter");
    await picker.waitFor({ state: "detached" });
    await row(eva.frame, "The launch went well").locator(".chip").waitFor();
    assert.deepEqual(await chips(eva.frame, "The launch went well"), [["❤️", "1", "true"]]);
    await row(fil.frame, "The launch went well").locator(".chip").waitFor();
    assert.deepEqual(await chips(fil.frame, "The launch went well"), [["❤️", "1", "false"]], "live, and not Fil's");
    assert.equal(await row(fil.frame, "The launch went well").locator(".chip").getAttribute("aria-label"), "❤️ 1: Eva Stone");

    // Fil adds his by pressing the count; both see 2.
    await row(fil.frame, "The launch went well").getByRole("button", { name: "❤️ 1: Eva Stone" }).click();
    await row(fil.frame, "The launch went well").getByRole("button", { name: "❤️ 2: Eva Stone, You" }).waitFor();
    await row(eva.frame, "The launch went well").getByRole("button", { name: "❤️ 2: You, Fil Novak" }).waitFor();
    assert.deepEqual(await chips(fil.frame, "The launch went well"), [["❤️", "2", "true"]]);

    // A typed emoji from the picker's field.
    await openMenu(fil.page, fil.frame, "The launch went well");
    await fil.page.keyboard.press("Enter");
    await fil.frame.getByRole("textbox", { name: "Any emoji" }).fill("🚀");
    await fil.frame.getByRole("textbox", { name: "Any emoji" }).press("Enter");
    await row(eva.frame, "The launch went well").getByRole("button", { name: "🚀 1: Fil Novak" }).waitFor();
    // Who reacted shows on hover too.
    await row(eva.frame, "The launch went well").getByRole("button", { name: "🚀 1: Fil Novak" }).hover();
    assert.equal(await row(eva.frame, "The launch went well").locator(".chip").nth(1).getAttribute("data-names"), "Fil Novak");
    assert.deepEqual(await violations(eva.page), [], "the counts");
    await screenshot(eva.page, "rich-reactions");

    // Eva takes hers back.
    await row(eva.frame, "The launch went well").getByRole("button", { name: "❤️ 2: You, Fil Novak" }).click();
    await row(fil.frame, "The launch went well").getByRole("button", { name: "❤️ 1: You" }).waitFor();
    assert.deepEqual(await chips(eva.frame, "The launch went well"), [["❤️", "1", "false"], ["🚀", "1", "false"]]);

    // Reloaded, the counts come with the message, Fil's pressed for him; the records are not rows.
    await fil.page.reload();
    await row(fil.frame, "The launch went well").locator(".chip").first().waitFor();
    assert.deepEqual(await chips(fil.frame, "The launch went well"), [["❤️", "1", "true"], ["🚀", "1", "true"]]);
    assert.equal(await fil.frame.locator(".log .action").count(), 0, "no row for the reaction records");
    assert.deepEqual([...eva.page.pageErrors, ...fil.page.pageErrors], []);
    await eva.page.close();
    await fil.page.close();
  });

  test("Reply quotes the message; a press on the quote brings it into view", async () => {
    await makeUser(server, "gil", "Gil Amar");
    await makeUser(server, "hal", "Hal Berg");
    const asked = await send("hal", "gil", "Can you send the invoice for March?");
    // Within the first page, more than the log shows at once.
    for (let i = 1; i <= 25; i++) await send(i % 2 ? "hal" : "gil", i % 2 ? "gil" : "hal", `filler ${i}`);
    // Hal has read it all: his view opens at the newest.
    await rest(server, "POST", "/users/gil/conversation/read", {}, "hal");
    const gil = await visit("gil", "hal");
    const hal = await visit("hal", "gil");
    await row(gil.frame, "filler 25").waitFor();
    await gil.frame.locator(".log-scroller").evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event("scroll"));
    });
    await row(gil.frame, "Can you send the invoice").waitFor();

    await openMenu(gil.page, gil.frame, "Can you send the invoice");
    await gil.page.keyboard.press("ArrowDown");
    await gil.page.keyboard.press("Enter");
    await gil.frame.getByText("Replying to Hal Berg: Can you send the invoice for March?").waitFor();
    assert.equal(await focused(gil.page), "Message", "the box has the focus");
    await gil.page.keyboard.type("Sent it this morning");
    await gil.page.keyboard.press("Enter");
    await gil.frame.getByText("Replying to Hal Berg").waitFor({ state: "hidden" });
    const reply = row(gil.frame, "Sent it this morning");
    await reply.locator(".quote", { hasText: "Can you send the invoice for March?" }).waitFor();
    const quote = row(hal.frame, "Sent it this morning").getByRole("button", { name: "You Can you send the invoice for March?" });
    await quote.waitFor();
    assert.deepEqual(await violations(hal.page), [], "the quote");
    await screenshot(hal.page, "rich-quote");

    // Hal's view is at the newest; the quoted message is far above.
    const inView = (page, text) =>
      chatFrame(page).evaluate((text) => {
        const view = document.querySelector(".log-scroller").getBoundingClientRect();
        const bubble = [...document.querySelectorAll(".bubble")].find((b) => b.textContent.includes(text));
        const box = bubble?.getBoundingClientRect();
        return !!box && box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
      }, text);
    assert.equal(await inView(hal.page, "Can you send the invoice"), false);
    await quote.click();
    await hal.frame.locator(".message.flash").waitFor();
    assert.ok(await inView(hal.page, "Can you send the invoice"), "the quoted message is in view");
    assert.equal(await chatFrame(hal.page).evaluate(() => document.activeElement.dataset.id), asked.id, "the focus is on the quoted message");
    assert.deepEqual([...gil.page.pageErrors, ...hal.page.pageErrors], []);
    await gil.page.close();
    await hal.page.close();
  });

  test("Mark unread closes the conversation, which the list then shows unread from that message on", async () => {
    await makeUser(server, "kim", "Kim Ode");
    await makeUser(server, "lev", "Lev Tal");
    await send("lev", "kim", "First point");
    await send("lev", "kim", "Second point");
    await send("lev", "kim", "Third point");
    // Wide: the list beside the conversation.
    const config = { ...app, width: "800px", mode: "uid", uid: "kim", chatType: "user", defaultChatID: "lev" };
    const { page, frame } = await openWidget({ browser, host, server }, "kim-unread", config, { viewport: { width: 1000, height: 760 } });
    await row(frame, "Third point").waitFor();
    const lev = frame.getByRole("button", { name: /Lev Tal/ });
    await lev.waitFor();
    assert.equal(await lev.locator(".unread").isVisible(), false, "read while open");

    await openMenu(page, frame, "Second point");
    await frame.getByRole("menuitem", { name: "Mark unread" }).click();
    await frame.locator(".chat-pane").getByText("Pick a conversation").waitFor();
    await lev.locator(".unread", { hasText: "2" }).waitFor();
    const stored = await rest(server, "GET", "/users/lev/conversation", undefined, "kim");
    assert.equal(stored.data.unreadMessageCount, 2, "the server keeps it unread");
    // Opened again: the line before the first of them.
    await lev.click();
    await frame.locator(".new-divider").waitFor();
    const texts = await frame.locator(".log > li:not(.day)").evaluateAll((items) =>
      items.map((li) => (li.classList.contains("new-divider") ? "NEW" : li.querySelector(".bubble")?.textContent)),
    );
    assert.deepEqual(texts, ["First point", "NEW", "Second point", "Third point"]);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("Reply in thread: the thread has its own composer and paging; the parent counts its replies live", async () => {
    await makeUser(server, "mia", "Mia Holt");
    await makeUser(server, "ned", "Ned Vos");
    const parent = await send("ned", "mia", "Plan for Friday?");
    // More replies than a page holds, from the REST API.
    for (let i = 1; i <= 32; i++) {
      await rest(server, "POST", `/messages/${parent.id}/thread`, { receiver: "mia", receiverType: "user", type: "text", data: { text: `idea ${i}` } }, "ned");
    }
    await send("ned", "mia", "Also: lunch?");
    const mia = await visit("mia", "ned");
    const ned = await visit("ned", "mia");
    await row(mia.frame, "Also: lunch?").waitFor();
    assert.equal(await mia.frame.locator(".bubble", { hasText: "idea 1" }).count(), 0, "the conversation's log leaves replies out");
    await row(mia.frame, "Plan for Friday?").getByRole("button", { name: "32 replies" }).waitFor();

    await openMenu(mia.page, mia.frame, "Plan for Friday?");
    await mia.frame.getByRole("menuitem", { name: "Reply in thread" }).click();
    await mia.frame.getByRole("heading", { name: "Thread" }).waitFor();
    await row(mia.frame, "idea 32").waitFor();
    assert.equal(await mia.frame.locator(".bubble", { hasText: "Also: lunch?" }).count(), 0, "the thread shows its replies only");
    assert.equal(await mia.frame.locator(".log .message").first().locator(".bubble").textContent(), "Plan for Friday?", "the parent first");
    // The older replies load on scrolling up, after the parent.
    await mia.frame.locator(".log-scroller").evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event("scroll"));
    });
    // (Exactly "idea 1": "idea 10" to "idea 19" are on the first page.)
    await row(mia.frame, /^idea 1$/).waitFor();
    const texts = await mia.frame.locator(".log .message .bubble").allTextContents();
    assert.deepEqual(texts.slice(0, 3), ["Plan for Friday?", "idea 1", "idea 2"], texts.join("|"));
    const box = mia.frame.getByRole("textbox", { name: "Message" });
    await box.fill("I'll draft it");
    await box.press("Enter");
    await row(mia.frame, "I'll draft it").locator(".mark.sent, .mark.delivered, .mark.read").waitFor();
    await screenshot(mia.page, "rich-thread");
    assert.deepEqual(await violations(mia.page), [], "the thread view");

    // Ned, in the conversation's log: the count goes up, the reply does not show.
    await row(ned.frame, "Plan for Friday?").getByRole("button", { name: "33 replies" }).waitFor();
    assert.equal(await ned.frame.locator(".bubble", { hasText: "I'll draft it" }).count(), 0);
    await row(ned.frame, "Plan for Friday?").getByRole("button", { name: "33 replies" }).click();
    await row(ned.frame, "I'll draft it").waitFor();
    const nedBox = ned.frame.getByRole("textbox", { name: "Message" });
    await nedBox.fill("Thanks!");
    await nedBox.press("Enter");
    await row(mia.frame, "Thanks!").waitFor();
    // A message outside the thread, meanwhile, waits in the conversation's log.
    await send("ned", "mia", "Lunch at one?");

    await mia.frame.getByRole("button", { name: "Back to conversation", exact: true }).click();
    await row(mia.frame, "Lunch at one?").waitFor();
    await row(mia.frame, "Plan for Friday?").getByRole("button", { name: "34 replies" }).waitFor();
    assert.equal(await mia.frame.locator(".bubble", { hasText: "Thanks!" }).count(), 0);
    const thread = await rest(server, "GET", `/messages/${parent.id}/thread?limit=100`, undefined, "mia");
    assert.equal(thread.data.length, 34);
    assert.equal(thread.data.filter((m) => m.data.text === "I'll draft it" || m.data.text === "Thanks!").length, 2, "each reply stored once");
    // Reloaded, the count is the server's.
    await mia.page.reload();
    await row(mia.frame, "Plan for Friday?").getByRole("button", { name: "34 replies" }).waitFor();
    assert.deepEqual([...mia.page.pageErrors, ...ned.page.pageErrors], []);
    await mia.page.close();
    await ned.page.close();
  });

  test("@ in a group offers its members; a mention is stored, highlighted, and marks the conversation; moderators delete anyone's", async () => {
    await makeUser(server, "oli", "Oli Grant");
    await makeUser(server, "pam", "Pam Reyes");
    await makeUser(server, "pat", "Pat Quinn");
    await makeUser(server, "rex", "Rex Moor");
    await rest(server, "POST", "/groups", { guid: "crew", name: "Crew", type: "private", owner: "oli", members: { participants: ["pam", "pat", "rex"] } });
    await rest(server, "POST", "/messages", { receiver: "crew", receiverType: "group", type: "text", data: { text: "Morning all" } }, "rex");
    const config = { ...app, mode: "uid", uid: "oli", chatType: "group", defaultChatID: "crew" };
    const { page, frame } = await openWidget({ browser, host, server }, "oli-crew", config, { viewport: { width: 900, height: 760 } });
    await row(frame, "Morning all").waitFor();
    const box = frame.getByRole("textbox", { name: "Message" });
    await box.click();
    await page.keyboard.type("Thanks @pa");
    const list = frame.getByRole("listbox", { name: "Mention someone" });
    await list.waitFor();
    assert.deepEqual(await list.getByRole("option").allTextContents(), ["Pam Reyes", "Pat Quinn"], "filtered as typed, without oneself");
    assert.equal(await box.getAttribute("aria-controls"), "mention-list");
    assert.equal(await box.getAttribute("aria-activedescendant"), "mention-0");
    assert.deepEqual(await violations(page), [], "the member list");
    await screenshot(page, "rich-mention-picker");
    await page.keyboard.press("ArrowDown");
    assert.equal(await box.getAttribute("aria-activedescendant"), "mention-1");
    await page.keyboard.press("Enter");
    await list.waitFor({ state: "hidden" });
    assert.equal(await box.inputValue(), "Thanks @Pat Quinn ", "Enter picks (and does not send)");
    await page.keyboard.type("for the notes");
    await page.keyboard.press("Enter");
    const sent = row(frame, "for the notes");
    await sent.locator(".mention", { hasText: "@Pat Quinn" }).waitFor();
    const stored = await rest(server, "GET", "/groups/crew/messages?limit=5", undefined, "oli");
    const message = stored.data.find((m) => m.data.text?.includes("for the notes"));
    assert.equal(message.data.text, "Thanks <@uid:pat> for the notes");
    assert.deepEqual(message.mentionedUsers.map((m) => m.uid), ["pat"]);

    // Pat: the list marks the conversation; the mention of him is highlighted more.
    const patConfig = { ...app, width: "800px", mode: "uid", uid: "pat", autoOpenFirstItem: false };
    const { page: patPage, frame: patFrame } = await openWidget({ browser, host, server }, "pat-list", patConfig, { viewport: { width: 1000, height: 760 } });
    const crew = patFrame.getByRole("button", { name: /Crew/ });
    await crew.locator(".mentioned").waitFor();
    assert.match(await crew.textContent(), /You were mentioned/);
    await crew.click();
    await row(patFrame, "for the notes").locator(".mention.me", { hasText: "@Pat Quinn" }).waitFor();
    await crew.locator(".mentioned").waitFor({ state: "detached" });
    // Escape closes the list without sending; a 1:1 conversation offers nobody.
    await box.click();
    await page.keyboard.type("@r");
    await list.waitFor();
    await page.keyboard.press("Escape");
    await list.waitFor({ state: "hidden" });
    assert.equal(await box.inputValue(), "@r");
    await box.fill("");

    // Oli owns the group: he may delete anyone's message in it; Pat, a participant, may not.
    await openMenu(patPage, patFrame, "Morning all");
    assert.deepEqual(await patFrame.getByRole("menuitem").allTextContents(), ["Add reaction", "Reply", "Reply in thread", "Mark unread"]);
    await patPage.keyboard.press("Escape");
    await openMenu(page, frame, "Morning all");
    assert.deepEqual(await frame.getByRole("menuitem").allTextContents(), ["Add reaction", "Reply", "Reply in thread", "Delete", "Mark unread"]);
    await frame.getByRole("menuitem", { name: "Delete" }).click();
    await patFrame.locator(".message.other .deleted").first().waitFor();
    assert.equal(await patFrame.locator(".bubble", { hasText: "Morning all" }).count(), 0);
    assert.deepEqual([...page.pageErrors, ...patPage.pageErrors], []);
    await page.close();
    await patPage.close();
  });

  test("a variant that turns reactions, replies, threads, edits and deletes off shows no actions", async () => {
    await makeUser(server, "ivy", "Ivy Cole");
    await makeUser(server, "jon", "Jon Dahl");
    const greeting = await send("jon", "ivy", "Hi Ivy");
    await rest(server, "POST", `/messages/${greeting.id}/thread`, { receiver: "ivy", receiverType: "user", type: "text", data: { text: "in a thread" } }, "jon");
    await send("ivy", "jon", "Hi Jon");
    const off = {
      chatFeatures: {
        coreMessagingExperience: { editMessage: false, deleteMessage: false, quotedReplies: false, markAsUnread: false, threadConversationAndReplies: false },
        deeperUserEngagement: { reactions: false },
      },
    };
    const { page, frame } = await visit("ivy", "jon", off);
    await row(frame, "Hi Jon").waitFor();
    assert.equal(await frame.getByRole("button", { name: "Message actions" }).count(), 0);
    assert.equal(await frame.getByRole("button", { name: "1 reply" }).count(), 0, "no reply counts");
    const box = frame.getByRole("textbox", { name: "Message" });
    await box.press("ArrowUp");
    assert.equal(await frame.getByText("Editing your message").isVisible(), false, "Up does not edit");

    // Only some off: the menu offers what is left.
    const { page: other, frame: otherFrame } = await visit("ivy", "jon", { chatFeatures: { deeperUserEngagement: { reactions: false } } });
    await row(otherFrame, "Hi Jon").waitFor();
    await openMenu(other, otherFrame, "Hi Jon");
    assert.deepEqual(await otherFrame.getByRole("menuitem").allTextContents(), ["Reply", "Reply in thread", "Edit", "Delete"]);
    await otherFrame.getByRole("menuitem", { name: "Reply", exact: true }).press("Escape");
    await openMenu(other, otherFrame, "Hi Ivy");
    assert.deepEqual(await otherFrame.getByRole("menuitem").allTextContents(), ["Reply", "Reply in thread", "Mark unread"]);
    assert.deepEqual([...page.pageErrors, ...other.pageErrors], []);
    await page.close();
    await other.close();
  });
});
