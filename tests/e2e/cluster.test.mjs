// Two widgets on different nodes of one cluster (PostgreSQL and Redis): a visitor whose panel talks to node 1
// chats with one on node 2, with typing and read marks crossing between the nodes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hostPage, launchBrowser, newPage, rest, screenshot, startCluster, startHost } from "./harness.mjs";

let nodes, host, browser;

before(async () => {
  nodes = await startCluster(2);
  host = await startHost();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await host?.stop();
  nodes?.[0].stop();
});

/** A host page whose widget is loaded from (and talks to) `node`, embedded, signed in as `uid`. */
async function visit(node, name, config) {
  const { appId, authKey } = node.credentials;
  const full = { appID: appId, region: "local", authKey, isDocked: false, mount: "#chat", width: "420px", height: "560px", ...config };
  const url = host.page(`/${name}`, hostPage({ loaderSrc: `${node.base}/widget/confab.js`, config: full, mount: '<div id="chat"></div>' }));
  const page = await newPage(browser, { width: 900, height: 700 });
  await page.goto(url);
  const frame = page.frameLocator('iframe[title="Chat"]');
  await frame.getByRole("region", { name: "Chat" }).waitFor();
  return { page, frame };
}

async function say(frame, text) {
  const box = frame.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

describe("a cluster of two nodes", () => {
  test("visitors on different nodes chat, see each other typing and their messages read", async () => {
    await rest(nodes[0], "POST", "/auth/uid", { uid: "nora", user: { name: "Nora North" } });
    await rest(nodes[1], "POST", "/auth/uid", { uid: "sam", user: { name: "Sam South" } });
    const nora = await visit(nodes[0], "nora", { mode: "uid", uid: "nora", chatType: "user", defaultChatID: "sam" });
    const sam = await visit(nodes[1], "sam", { mode: "uid", uid: "sam", chatType: "user", defaultChatID: "nora" });
    await nora.frame.getByRole("heading", { name: "Sam South" }).waitFor();
    await sam.frame.getByRole("heading", { name: "Nora North" }).waitFor();

    await say(nora.frame, "Hello from node 1");
    await sam.frame.getByRole("log").getByText("Hello from node 1").waitFor();
    // Sam has the conversation open on node 2, so Nora (on node 1) sees her message read.
    await nora.frame.locator(".message.own .mark.read").first().waitFor();

    // Typing is a passing signal, not a message, and is never replayed: under load the first one may come
    // before Sam's socket is signed in on node 2, so Sam keeps typing, as a person would, until Nora sees it.
    const typing = nora.frame.locator(".typing", { hasText: "Sam South is typing" });
    for (let attempt = 1; ; attempt++) {
      await sam.frame.getByRole("textbox", { name: "Message" }).fill("Typing on node 2".slice(0, 10 + attempt));
      const seen = await typing.waitFor({ timeout: 8000 }).then(() => true, () => false);
      if (seen) break;
      assert.ok(attempt < 4, "Nora never saw Sam typing");
    }
    await sam.frame.getByRole("textbox", { name: "Message" }).fill("Typing on node 2");
    await screenshot(nora.page, "cluster-typing-across-nodes");
    await sam.frame.getByRole("textbox", { name: "Message" }).press("Enter");
    await nora.frame.getByRole("log").getByText("Typing on node 2").waitFor();
    assert.equal(await nora.frame.locator(".message.other").count(), 1, "the reply arrives once");
    assert.deepEqual([...nora.page.pageErrors, ...sam.page.pageErrors], []);
    await nora.page.close();
    await sam.page.close();
  });
});
