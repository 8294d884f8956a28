// End-to-end chat between visitors on a host site (http://localhost:PORT), the widget loaded from the server
// (http://127.0.0.1:PORT), in headless Chromium: each sign-in mode, a guest kept across reloads, a group of
// three, and a message written offline delivered exactly once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { frameOf, hostPage, launchBrowser, makeUser, newPage, rest, screenshot, startHost, startServer } from "./harness.mjs";

let server, host, browser, app;

before(async () => {
  server = await startServer();
  host = await startHost();
  browser = await launchBrowser();
  const { appId, authKey } = server.credentials;
  app = { appID: appId, region: "local", authKey, isDocked: false, mount: "#chat", width: "420px", height: "560px" };
});
after(async () => {
  await browser?.close();
  await host?.stop();
  server?.stop();
});


/** The URL of host page `name` that starts the widget with `config` (embedded in `#chat` unless docked) by
 * running `start`. */
function pageURL(name, config, start) {
  const mount = config.isDocked ? "" : '<div id="chat"></div>';
  return host.page(`/${name}`, hostPage({ loaderSrc: `${server.base}/widget/confab.js`, config, mount, start }));
}

/** A host page with an embedded widget started with `config`; resolves the page and the chat frame. */
async function visit(name, config) {
  const page = await newPage(browser, { width: 900, height: 700 });
  await page.goto(pageURL(name, config));
  const frame = frameOf(page);
  await frame.getByRole("region", { name: "Chat" }).waitFor();
  return { page, frame };
}

async function say(frame, text) {
  const box = frame.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

const user = (uid, name) => makeUser(server, uid, name);

describe("two visitors chatting live", () => {
  test("uid mode: created on first sight, messages both ways, read marks", async () => {
    await user("bob", "Bob Stone");
    const alice = await visit("uid-alice", { ...app, mode: "uid", uid: "alice", user: { name: "Alice Wong" }, chatType: "user", defaultChatID: "bob" });
    await alice.frame.getByRole("heading", { name: "Bob Stone" }).waitFor();
    const bob = await visit("uid-bob", { ...app, mode: "uid", uid: "bob", chatType: "user", defaultChatID: "alice" });
    await bob.frame.getByRole("heading", { name: "Alice Wong" }).waitFor();

    await say(alice.frame, "Hello Bob <b>not bold</b> https://example.com/docs");
    const line = bob.frame.getByRole("log").getByText("Hello Bob <b>not bold</b>", { exact: false });
    await line.waitFor();
    assert.equal(await bob.frame.locator(".log b").count(), 0, "message text is never HTML");
    const link = bob.frame.getByRole("link", { name: "https://example.com/docs" });
    assert.equal(await link.getAttribute("rel"), "noopener noreferrer nofollow");
    assert.equal(await link.getAttribute("target"), "_blank");
    await say(bob.frame, "Hi Alice!\nHow are you?");
    await alice.frame.getByRole("log").getByText("How are you?", { exact: false }).waitFor();
    // Bob has the conversation open, so Alice's message is marked read.
    await alice.frame.locator(".message.own .mark.read").first().waitFor();
    // Shift+Enter made a line break in one message, not two messages.
    assert.equal(await alice.frame.locator(".message.other").count(), 1);
    await screenshot(alice.page, "chat-uid-alice");
    assert.deepEqual([...alice.page.pageErrors, ...bob.page.pageErrors], []);
    await alice.page.close();
    await bob.page.close();
  });

  test("authToken mode: a token made through the REST API", async () => {
    await user("carol", "Carol King");
    await user("dave", "Dave Grey");
    const tokenOf = async (uid) => (await rest(server, "POST", `/users/${uid}/auth_tokens`, {})).data.authToken;
    const carol = await visit("token-carol", { ...app, mode: "authToken", authToken: await tokenOf("carol"), chatType: "user", defaultChatID: "dave" });
    const dave = await visit("token-dave", { ...app, mode: "authToken", authToken: await tokenOf("dave") });
    await say(carol.frame, "Token mode works");
    // Dave has no conversation open: it appears in his list, with one unread message.
    const item = dave.frame.getByRole("button", { name: /Carol King/ });
    await item.waitFor();
    await dave.frame.locator(".unread", { hasText: "1" }).waitFor();
    await item.click();
    await dave.frame.getByRole("log").getByText("Token mode works").waitFor();
    assert.equal(await dave.frame.locator(".unread").count(), 0, "opening the conversation clears its unread count");
    await carol.page.close();
    await dave.page.close();
  });

  test("guest mode: the same guest after a reload once they have written", async () => {
    const config = { ...app, mode: "guest", user: { name: "Visitor" }, chatType: "user", defaultChatID: "faq-bot" };
    const { page, frame } = await visit("guest", config);
    await frame.getByRole("textbox", { name: "Message" }).waitFor();
    const stored = () => page.evaluate(() => localStorage.length);
    assert.equal(await stored(), 0, "nothing stored before the guest writes");
    // A reload before writing: a new guest, still nothing stored.
    await page.reload();
    await frame.getByRole("textbox", { name: "Message" }).waitFor();
    assert.equal(await stored(), 0);
    await say(frame, "hello there");
    await frame.getByRole("log").getByText(/Hello! I'm the Confab FAQ bot/).waitFor();
    assert.equal(await stored(), 1);
    await page.reload();
    await frame.getByRole("log").getByText("hello there").waitFor();
    await frame.getByRole("log").getByText(/Hello! I'm the Confab FAQ bot/).waitFor();
    const guestUid = await page.evaluate(() => localStorage.getItem(Object.keys(localStorage)[0]));
    assert.ok(guestUid, "the guest's token is kept by the host site");
    // logout() forgets the guest.
    await page.evaluate(() => Confab.logout());
    assert.equal(await stored(), 0);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});

describe("groups", () => {
  test("three people in a group see each other's messages with sender names", async () => {
    for (const [uid, name] of [["gina", "Gina"], ["hal", "Hal"], ["ivy", "Ivy"]]) await user(uid, name);
    await rest(server, "POST", "/groups", { guid: "team", name: "Team room", type: "private", owner: "gina", members: { participants: ["hal", "ivy"] } });
    const people = [];
    for (const uid of ["gina", "hal", "ivy"]) {
      people.push(await visit(`group-${uid}`, { ...app, mode: "uid", uid, chatType: "group", defaultChatID: "team" }));
    }
    for (const { frame } of people) await frame.getByRole("heading", { name: "Team room" }).waitFor();
    await say(people[0].frame, "Morning, team");
    await say(people[1].frame, "Morning Gina");
    for (const { frame } of people) {
      await frame.getByRole("log").getByText("Morning, team").waitFor();
      await frame.getByRole("log").getByText("Morning Gina").waitFor();
    }
    const ivy = people[2].frame;
    assert.deepEqual(await ivy.locator(".message.other .sender").allTextContents(), ["Gina", "Hal"]);
    await screenshot(people[2].page, "chat-group");
    for (const { page } of people) await page.close();
  });
});

describe("late names", () => {
  test("a sender's name shows even when the group's members list comes after their message", async () => {
    for (const [uid, name] of [["jon", "Jon Snow"], ["kim", "Kim Park"]]) await user(uid, name);
    await rest(server, "POST", "/groups", { guid: "late", name: "Late names", type: "private", owner: "jon", members: { participants: ["kim"] } });
    const page = await newPage(browser, { width: 900, height: 700 });
    let release;
    const held = new Promise((ok) => (release = ok));
    await page.route("**/v3/groups/late/members*", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(pageURL("late-kim", { ...app, mode: "uid", uid: "kim", chatType: "group", defaultChatID: "late" }));
    const frame = frameOf(page);
    await frame.getByRole("heading", { name: "Late names" }).waitFor();
    await rest(server, "POST", "/messages", { receiver: "late", receiverType: "group", type: "text", data: { text: "Before the names" } }, "jon");
    await frame.getByRole("log").getByText("Before the names").waitFor();
    release();
    await frame.locator(".message.other .sender", { hasText: "Jon Snow" }).waitFor();
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});

describe("offline", () => {
  test("a message written while offline is sent once when the connection is back", async () => {
    await user("kim", "Kim");
    await user("lee", "Lee");
    const kim = await visit("offline-kim", { ...app, mode: "uid", uid: "kim", chatType: "user", defaultChatID: "lee" });
    const lee = await visit("offline-lee", { ...app, mode: "uid", uid: "lee", chatType: "user", defaultChatID: "kim" });
    await kim.frame.getByRole("textbox", { name: "Message" }).waitFor();
    await kim.page.context().setOffline(true);
    await kim.frame.getByText("Connection lost. Reconnecting…").waitFor();
    await say(kim.frame, "written offline");
    await kim.frame.locator(".message.own .mark.pending").waitFor();
    await screenshot(kim.page, "chat-offline");
    await kim.page.context().setOffline(false);
    await kim.frame.getByText("Connected again.").waitFor({ timeout: 20000 });
    await lee.frame.getByRole("log").getByText("written offline").waitFor();
    await kim.frame.locator(".message.own .mark.pending").waitFor({ state: "detached" });
    await lee.page.waitForTimeout(500);
    assert.equal(await lee.frame.getByRole("log").getByText("written offline").count(), 1);
    const stored = await rest(server, "GET", "/users/lee/messages?limit=10", undefined).catch(() => null);
    void stored;
    await kim.page.close();
    await lee.page.close();
  });
});

describe("docked panel and the JS API", () => {
  test("the launcher counts unread messages, chatWithUser opens the chat, and the count clears", async () => {
    await user("mia", "Mia");
    await user("ned", "Ned");
    const mia = await visit("api-mia", { ...app, mode: "uid", uid: "mia", chatType: "user", defaultChatID: "ned" });
    const ned = await newPage(browser, { width: 900, height: 700 });
    await ned.goto(pageURL("api-ned", { ...app, isDocked: true, mount: undefined, mode: "uid", uid: "ned" }));
    // The frame loads (and signs in) when the visitor shows intent; here, a focus on the launcher.
    await ned.getByRole("button", { name: "Open chat" }).focus();
    await ned.waitForFunction(() => window.__details.some(([name]) => name === "onUnreadCountChanged"));
    // The badge counts each message. (Two messages that arrive together, while the new conversation is
    // still being fetched, may count up in one step.)
    await say(mia.frame, "first");
    await ned.getByRole("button", { name: "Open chat (1 unread)" }).waitFor();
    await say(mia.frame, "second");
    await ned.getByRole("button", { name: "Open chat (2 unread)" }).waitFor();
    await screenshot(ned, "docked-unread-badge");
    const details = await ned.evaluate(() => window.__details);
    const received = details.filter(([name]) => name === "onMessageReceived").map(([, d]) => d.data.text);
    assert.deepEqual(received, ["first", "second"]);
    assert.deepEqual(details.filter(([name]) => name === "onUnreadCountChanged").map(([, d]) => d.count).slice(-2), [1, 2]);

    await ned.evaluate(() => Confab.chatWithUser("mia"));
    const frame = frameOf(ned);
    await frame.getByRole("heading", { name: "Mia" }).waitFor();
    await frame.getByRole("log").getByText("second").waitFor();
    await ned.waitForFunction(() => window.__details.some(([name, d]) => name === "onActiveChatChanged" && d && d.id === "mia"));
    await ned.waitForFunction(() => window.__details.filter(([name]) => name === "onUnreadCountChanged").pop()[1].count === 0);
    // Mia sees her messages read.
    await mia.frame.locator(".message.own .mark.read").first().waitFor();
    await frame.getByRole("button", { name: "Close chat" }).click();
    await ned.getByRole("button", { name: "Open chat", exact: true }).waitFor();
    assert.deepEqual(ned.pageErrors, []);
    await mia.page.close();
    await ned.close();
  });
});

describe("history", () => {
  test("older messages load page by page as the visitor scrolls up", async () => {
    await user("olga", "Olga");
    await user("pete", "Pete");
    for (let i = 1; i <= 75; i++) {
      await rest(server, "POST", "/messages", { receiver: "pete", receiverType: "user", type: "text", data: { text: `note ${i}` } }, "olga");
    }
    const { page, frame } = await visit("history", { ...app, mode: "uid", uid: "pete", chatType: "user", defaultChatID: "olga" });
    const log = frame.getByRole("log");
    await log.getByText("note 75", { exact: true }).waitFor();
    assert.equal(await frame.locator(".message").count(), 30, "the newest page first");
    for (let loaded = 30; loaded < 75; loaded = await frame.locator(".message").count()) {
      await frame.locator(".log-scroller").evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event("scroll")); });
      await frame.locator(".message").nth(Math.min(loaded + 30, 75) - 1).waitFor();
    }
    await log.getByText("note 1", { exact: true }).waitFor();
    const texts = await frame.locator(".message .bubble").allTextContents();
    assert.deepEqual(texts, Array.from({ length: 75 }, (_, i) => `note ${i + 1}`), "every message once, in order");
    assert.equal(await frame.locator(".day").count(), 1, "one day separator for one day");
    await page.close();
  });
});

describe("where the visitor cannot write", () => {
  test("the composer is disabled with the reason: a members-only group, a user who blocked the visitor", async () => {
    for (const [uid, name] of [["quinn", "Quinn"], ["rosa", "Rosa"]]) await user(uid, name);
    await rest(server, "POST", "/groups", { guid: "staff", name: "Staff only", type: "password", password: "s3cret", owner: "rosa" });
    const { page, frame } = await visit("members-only", { ...app, mode: "uid", uid: "quinn", chatType: "group", defaultChatID: "staff" });
    await frame.getByRole("heading", { name: "Staff only" }).waitFor();
    const box = frame.getByRole("textbox", { name: "Message" });
    await frame.getByText("Only members of this group can write here").waitFor();
    assert.equal(await box.isDisabled(), true);
    assert.equal(await frame.getByRole("button", { name: "Send" }).isDisabled(), true);
    assert.equal(await box.getAttribute("aria-describedby"), "composer-reason");

    await rest(server, "POST", "/users/rosa/blockedusers", { blockedUids: ["quinn"] });
    await page.evaluate(() => Confab.chatWithUser("rosa"));
    await frame.getByRole("heading", { name: "Rosa" }).waitFor();
    await frame.getByText("You cannot message this user").waitFor();
    assert.equal(await box.isDisabled(), true);
    await page.close();
  });
});

describe("a long conversation", () => {
  test("hundreds of messages scroll both ways while the page holds a bounded window of them", async () => {
    await user("sam", "Sam");
    await user("tess", "Tess");
    const total = 400;
    for (let i = 1; i <= total; i++) {
      await rest(server, "POST", "/messages", { receiver: "tess", receiverType: "user", type: "text", data: { text: `line ${i}` } }, "sam");
    }
    const { page, frame } = await visit("long", { ...app, mode: "uid", uid: "tess", chatType: "user", defaultChatID: "sam" });
    const log = frame.getByRole("log");
    await log.getByText(`line ${total}`, { exact: true }).waitFor();
    const scroller = frame.locator(".log-scroller");
    const rendered = () => frame.locator(".message").count();
    let most = 0;
    const scrollTo = (where) => scroller.evaluate((el, where) => {
      el.scrollTop = where === "top" ? 0 : el.scrollHeight;
      el.dispatchEvent(new Event("scroll"));
    }, where);
    const seen = (text) => log.getByText(text, { exact: true }).count();
    for (let step = 0; !(await seen("line 1")); step++) {
      assert.ok(step < 200, "the oldest message was never reached");
      await scrollTo("top");
      await page.waitForTimeout(60);
      most = Math.max(most, await rendered());
    }
    const oldest = await frame.locator(".message .bubble").allTextContents();
    assert.deepEqual(oldest.slice(0, 3), ["line 1", "line 2", "line 3"], "in order from the first");
    for (let step = 0; !(await seen(`line ${total}`)); step++) {
      assert.ok(step < 200, "the newest message was never reached again");
      await scrollTo("bottom");
      await page.waitForTimeout(60);
      most = Math.max(most, await rendered());
    }
    console.log(`long conversation: ${total} messages loaded, at most ${most} in the page`);
    assert.ok(most <= 150, `${most} messages in the page at once`);
    await say(frame, "still live");
    await log.getByText("still live").waitFor();
    await page.close();
  });
});

describe("the JS API before the chat is ready", () => {
  test("chatWithUser called at start opens that conversation once signed in", async () => {
    await user("uma", "Uma");
    await user("vic", "Vic Lane");
    const page = await newPage(browser, { width: 900, height: 700 });
    const start = `Confab.start(config) && Confab.chatWithUser("vic")`;
    await page.goto(pageURL("early-chat", { ...app, mode: "uid", uid: "uma" }, start));
    await frameOf(page).getByRole("heading", { name: "Vic Lane" }).waitFor();
    await page.close();
  });

  test("a logout while the chat is still loading leaves no chat behind", async () => {
    const page = await newPage(browser, { width: 900, height: 700 });
    const start = `Confab.start(config) && Confab.openChat() && Confab.logout()`;
    await page.goto(pageURL("early-logout", { ...app, mode: "uid", uid: "uma" }, start));
    await page.waitForFunction(() => window.__events.includes("onLogout"));
    await page.waitForTimeout(1500);
    assert.equal(await page.locator("iframe").count(), 0, "no frame after logout");
    assert.deepEqual(await page.evaluate(() => window.__errors), []);
    await page.close();
  });
});

describe("the first connection", () => {
  test("a message sent after the list was read but before the socket signed in is not missed", async () => {
    await user("rita", "Rita Lane");
    await user("finn", "Finn Cole");
    const page = await newPage(browser, { width: 900, height: 700 });
    // Finn's socket is held back (by the browser, before it reaches the server) until Rita has written.
    let release;
    const held = new Promise((ok) => (release = ok));
    await page.context().routeWebSocket(/\/v3\/ws$/, async (ws) => {
      await held;
      ws.connectToServer();
    });
    await page.goto(pageURL("first-connection", { ...app, mode: "uid", uid: "finn" }));
    const frame = frameOf(page);
    await frame.getByRole("navigation", { name: "Conversations" }).getByText("No conversations yet.").waitFor();
    await rest(server, "POST", "/messages", { receiver: "finn", receiverType: "user", type: "text", data: { text: "sent in the gap" } }, "rita");
    release();
    const item = frame.getByRole("button", { name: /Rita Lane/ });
    await item.waitFor();
    await frame.locator(".unread", { hasText: "1" }).waitFor();
    await item.click();
    await frame.getByRole("log").getByText("sent in the gap").waitFor();
    assert.equal(await frame.getByRole("log").getByText("sent in the gap").count(), 1, "shown once");
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});

describe("a remembered guest", () => {
  test("comes back to a launcher that shows their unread replies, before any sign of intent", async () => {
    await user("vera", "Vera Support");
    const config = { ...app, isDocked: true, mount: undefined, mode: "guest", user: { name: "Returning" }, chatType: "user", defaultChatID: "vera" };
    const page = await newPage(browser, { width: 900, height: 700 });
    const url = pageURL("returning-guest", config);
    await page.goto(url);
    await page.getByRole("button", { name: "Open chat" }).click();
    const frame = frameOf(page);
    await say(frame, "is anyone there?");
    await page.waitForFunction(() => localStorage.length === 1);
    // The guest leaves; the answer comes while they are away.
    await page.mouse.move(5, 5);
    await page.goto("about:blank");
    const guest = (await rest(server, "GET", "/conversations", undefined, "vera")).data[0].conversationWith.uid;
    await rest(server, "POST", "/messages", { receiver: guest, receiverType: "user", type: "text", data: { text: "Yes! Sorry for the wait." } }, "vera");

    // Back later, with the pointer away from the launcher and nothing focused.
    await page.goto(url);
    await page.getByRole("button", { name: "Open chat (1 unread)" }).waitFor();
    assert.deepEqual(await page.evaluate(() => window.__events), [], "the panel stays closed");
    await page.getByRole("button", { name: "Open chat (1 unread)" }).click();
    await frame.getByRole("log").getByText("Yes! Sorry for the wait.").waitFor();
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});

/** Resolves once `condition()` holds, checking every 50 ms for up to `ms`. */
async function until(condition, what, ms = 10000) {
  for (const end = Date.now() + ms; !condition(); ) {
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

describe("resuming", () => {
  test("a new visitor's socket does not ask to resume", async () => {
    const page = await newPage(browser, { width: 900, height: 700 });
    // Every socket passes through here: its first frame (the auth frame) is kept, and so are the ids of the
    // messages it receives.
    const auths = [];
    const received = [];
    await page.context().routeWebSocket(/\/v3\/ws$/, (ws) => {
      const upstream = ws.connectToServer();
      let first = true;
      ws.onMessage((message) => {
        if (first) auths.push(JSON.parse(String(message)));
        first = false;
        upstream.send(message);
      });
      upstream.onMessage((message) => {
        const frame = JSON.parse(String(message));
        if (frame.type === "message") received.push(Number(frame.message.id));
        ws.send(message);
      });
    });
    const config = { ...app, mode: "guest", user: { name: "Fresh Visitor" }, chatType: "user", defaultChatID: "faq-bot" };
    await page.goto(pageURL("fresh-guest-socket", config));
    const frame = frameOf(page);
    await frame.getByRole("textbox", { name: "Message" }).waitFor();
    await until(() => auths.length === 1, "the first auth frame");
    assert.equal(auths[0].type, "auth");
    assert.ok(!("lastMessageId" in auths[0]), `a new guest asks to resume: ${JSON.stringify(auths[0])}`);

    // Once there are messages, the next sign-in resumes after the newest.
    await say(frame, "hello there");
    await frame.getByRole("log").getByText(/Hello! I'm the Confab FAQ bot/).waitFor();
    await page.waitForFunction(() => localStorage.length === 1);
    const newest = Math.max(...received);
    await page.reload();
    await frame.getByRole("log").getByText(/Hello! I'm the Confab FAQ bot/).waitFor();
    await until(() => auths.length === 2, "the auth frame after the reload");
    assert.equal(auths[1].type, "auth");
    assert.equal(auths[1].lastMessageId, String(newest), "resumes after the newest message");
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});

describe("the new-conversation picker", () => {
  test("the new-conversation picker shows only the users the visitor may see", async () => {
    // An agent (a role everyone may see), a user with the default role, and another guest.
    await rest(server, "POST", "/users", { uid: "agent-ann", name: "Ann Agent", role: "agent" });
    await rest(server, "POST", "/users", { uid: "secret-sam", name: "Sam Secret", role: "default" });
    const other = (await rest(server, "POST", "/auth/guest", { user: { name: "Other Guest" } })).data.user;
    const { page, frame } = await visit("picker-guest", { ...app, mode: "guest", user: { name: "Picking Guest" } });
    await frame.getByRole("button", { name: "New conversation" }).click();
    const picker = frame.locator(".picker");
    const people = picker.locator("ul").first();
    await people.getByRole("button", { name: "Ann Agent" }).waitFor();
    // Both lists are in once the loading line is hidden.
    await picker.locator(":scope > .empty").waitFor({ state: "hidden" });
    const names = await people.locator(".conversation-name").allTextContents();
    assert.ok(names.includes("Ann Agent"), `the agent is listed: ${names}`);
    assert.ok(!names.includes("Sam Secret"), `a user with the default role and no conversation is listed: ${names}`);
    assert.ok(!names.includes(other.name), `another guest is listed: ${names}`);
    assert.equal(await picker.getByRole("button", { name: other.name }).count(), 0);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});
