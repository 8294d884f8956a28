// End-to-end: the panel's wasm parts loaded on first use (scripts/build-widget.sh splits them from the main
// wasm), in headless Chromium against a real server. Opening the panel fetches none of them; the thread
// view, the search wiring and the new-conversation picker are each fetched the first time they are used,
// and work; a part that cannot be fetched says so, leaves the panel usable, and is tried again next time.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { launchBrowser, makeUser, openWidget, rest, sendText, startHost, startServer } from "./harness.mjs";

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

/** `uid`'s page with the conversation with `peer` open, and the wasm parts it has fetched (by name). */
async function visit(uid, peer) {
  const parts = [];
  const config = { ...app, mode: "uid", uid, chatType: "user", defaultChatID: peer };
  const { page, frame } = await openWidget({ browser, host, server }, `${uid}-${peer}`, config, {
    viewport: { width: 900, height: 760 },
    before: (page) =>
      page.on("request", (request) => {
        const part = new URL(request.url()).pathname.match(/\/widget\/split_([a-z_]+)-[0-9a-f]+\.wasm$/);
        if (part) parts.push(part[1]);
      }),
  });
  await frame.getByRole("textbox", { name: "Message" }).waitFor();
  return { page, frame, parts };
}

const row = (frame, text) => frame.locator(".message", { has: frame.locator(".bubble", { hasText: text }) }).last();

describe("wasm parts loaded on first use", () => {
  test("opening the panel fetches no part; the thread view, the search and the picker each fetch theirs once, and work", async () => {
    await makeUser(server, "pia", "Pia Lund");
    await makeUser(server, "quin", "Quin Roy");
    const parent = await sendText(server, "quin", "pia", "Where do we meet?");
    await rest(server, "POST", `/messages/${parent.id}/thread`, { receiver: "pia", receiverType: "user", type: "text", data: { text: "At the station" } }, "quin");
    const { page, frame, parts } = await visit("pia", "quin");
    await row(frame, "Where do we meet?").waitFor();
    assert.deepEqual(parts, [], "no part at opening");

    await row(frame, "Where do we meet?").getByRole("button", { name: "1 reply" }).click();
    await frame.getByRole("heading", { name: "Thread" }).waitFor();
    await row(frame, "At the station").waitFor();
    assert.deepEqual(parts, ["thread_view"]);
    await frame.getByRole("button", { name: "Back to conversation", exact: true }).click();
    await row(frame, "Where do we meet?").getByRole("button", { name: "1 reply" }).click();
    await row(frame, "At the station").waitFor();
    assert.deepEqual(parts, ["thread_view"], "fetched once");

    await frame.getByRole("button", { name: "Back to conversation", exact: true }).click();
    await frame.getByRole("button", { name: "Search messages" }).click();
    await frame.getByRole("dialog", { name: "Search messages" }).waitFor();
    await frame.getByRole("searchbox", { name: "Search" }).pressSequentially("station", { delay: 20 });
    await frame.locator(".search-result", { hasText: "At the station" }).waitFor();
    assert.deepEqual(parts, ["thread_view", "search_wiring"]);
    await page.keyboard.press("Escape");

    await frame.getByRole("button", { name: "New conversation" }).click();
    await frame.locator(".picker").getByRole("button", { name: "Quin Roy" }).waitFor();
    assert.deepEqual(parts, ["thread_view", "search_wiring", "new_conversation"]);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("a part that cannot be fetched says so, the panel goes on, and the next try loads it", async () => {
    await makeUser(server, "rae", "Rae Moss");
    await makeUser(server, "sol", "Sol Park");
    const parent = await sendText(server, "sol", "rae", "Lunch at one?");
    await rest(server, "POST", `/messages/${parent.id}/thread`, { receiver: "rae", receiverType: "user", type: "text", data: { text: "Make it two" } }, "sol");
    const { page, frame } = await visit("rae", "sol");
    await page.route(/\/widget\/split_thread_view-.*\.wasm$/, (route) => route.abort("internetdisconnected"));
    const replies = row(frame, "Lunch at one?").getByRole("button", { name: "1 reply" });
    await replies.click();
    await frame.locator("#composer-notice", { hasText: "This could not be loaded. Try again." }).waitFor();
    assert.equal(await frame.getByRole("heading", { name: "Thread" }).isVisible(), false, "no thread view");
    // The panel goes on: a message is sent and shows.
    const box = frame.getByRole("textbox", { name: "Message" });
    await box.fill("Still here");
    await box.press("Enter");
    await row(frame, "Still here").locator(".mark.sent, .mark.delivered, .mark.read").waitFor();

    await page.unroute(/\/widget\/split_thread_view-.*\.wasm$/);
    await replies.click();
    await frame.getByRole("heading", { name: "Thread" }).waitFor();
    await row(frame, "Make it two").waitFor();
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
});
