// End-to-end: files in the panel. A visitor attaches pictures with the button, a drop and a paste; the agent
// sees the thumbnails live and opens them in the viewer by keyboard; a PDF downloads under its name; a voice
// note is recorded with Chromium's fake microphone; a file over the limit says why and can be removed; a
// file picked offline is sent once when the connection is back; an uploaded HTML or SVG file never runs;
// the panel with files passes axe.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { deflateSync, crc32 } from "node:zlib";
import { axeViolations, chatFrame, frameOf, hostPage, launchBrowser, makeUser, newPage, rest, screenshot, startHost, startServer } from "./harness.mjs";

/** The largest plain file this test's server takes: small, so "too big" needs no large upload. */
const MAX_FILE_BYTES = 50_000;
let server, host, browser, app;

before(async () => {
  server = await startServer({ args: ["--max-file-bytes", String(MAX_FILE_BYTES)] });
  host = await startHost();
  // A fake microphone that the browser grants without asking: the voice note records a tone.
  browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
  const { appId, authKey } = server.credentials;
  app = { appID: appId, region: "local", authKey, isDocked: false, mount: "#chat", width: "420px", height: "600px" };
});
after(async () => {
  await browser?.close();
  await host?.stop();
  server?.stop();
});


/** A `width` × `height` PNG of one colour (`[r, g, b]`). */
function png(width, height, [r, g, b]) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

/** The smallest PDF a reader opens. */
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");

const user = (uid, name) => makeUser(server, uid, name);

/** `uid`'s page with the conversation with `peer` open; resolves the page and the chat frame. */
async function visit(uid, peer) {
  const page = await newPage(browser, { width: 900, height: 760 });
  const config = { ...app, mode: "uid", uid, chatType: "user", defaultChatID: peer };
  await page.goto(host.page(`/${uid}-${peer}`, hostPage({ loaderSrc: `${server.base}/widget/confab.js`, config, mount: '<div id="chat"></div>' })));
  const frame = frameOf(page);
  await frame.getByRole("textbox", { name: "Message" }).waitFor();
  return { page, frame };
}

/** Hands `files` (`{ name, mimeType, buffer }`) to the panel the way `how` does: a `drop` onto it or a
 * `paste` into the message box, with a real `DataTransfer`. */
async function handOver(page, how, files) {
  const list = files.map((f) => ({ name: f.name, type: f.mimeType, bytes: [...f.buffer] }));
  await chatFrame(page).evaluate(
    ([how, list]) => {
      const data = new DataTransfer();
      for (const f of list) data.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      if (how === "paste") {
        document.querySelector(".composer textarea").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
        return;
      }
      const panel = document.querySelector("section.panel");
      for (const type of ["dragenter", "dragover", "drop"]) {
        panel.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
      }
    },
    [how, list],
  );
}

/** Resolves once the player `locator` finds has read its file's metadata from its signed URL. */
function playable(locator) {
  return locator.evaluate((player) =>
    player.readyState >= 1
      ? null
      : new Promise((ok, fail) => {
          player.addEventListener("loadedmetadata", ok, { once: true });
          player.addEventListener("error", () => fail(new Error(`${player.src} does not load`)), { once: true });
          player.load();
        }),
  );
}

/** The messages `uid` has with `peer`, oldest first, as the REST API lists them. */
async function messagesBetween(uid, peer) {
  const answer = await rest(server, "GET", `/users/${peer}/messages?limit=100`, undefined, uid);
  return answer.data;
}

describe("media messages", () => {
  test("pictures by button, drop and paste: the agent sees them live and views them by keyboard", async () => {
    await user("vic", "Vic Visitor");
    await user("ada", "Ada Agent");
    const vic = await visit("vic", "ada");
    const ada = await visit("ada", "vic");

    await vic.frame.locator("input[type=file]").setInputFiles([
      { name: "red.png", mimeType: "image/png", buffer: png(400, 300, [220, 40, 40]) },
    ]);
    // Each goes once the one before is stored: uploads run side by side, and the first stored comes first.
    const stored = () => vic.frame.locator(".message.own .mark.pending").waitFor({ state: "detached" });
    await stored();
    await handOver(vic.page, "drop", [{ name: "green.png", mimeType: "image/png", buffer: png(300, 300, [30, 160, 60]) }]);
    await stored();
    await handOver(vic.page, "paste", [{ name: "blue.png", mimeType: "image/png", buffer: png(200, 400, [40, 60, 220]) }]);

    const thumbs = ada.frame.getByRole("log").locator("button.thumb img");
    await thumbs.nth(2).waitFor();
    assert.deepEqual(await thumbs.evaluateAll((imgs) => imgs.map((i) => i.alt)), ["red.png", "green.png", "blue.png"]);
    // The thumbnails load from their signed URLs (the server's JPEG thumbnails), with their space reserved.
    await ada.frame.locator("button.thumb img").nth(2).evaluate((img) => img.decode());
    const loaded = await thumbs.evaluateAll((imgs) => imgs.map((i) => [i.naturalWidth > 0, i.getAttribute("width")]));
    assert.deepEqual(loaded, [[true, "240"], [true, "240"], [true, "120"]]);
    await stored();
    await screenshot(vic.page, "media-sent-pictures");

    // Keyboard: Enter on the first thumbnail opens the viewer, arrows move, Escape gives the focus back.
    await ada.frame.locator("button.thumb").first().focus();
    await ada.page.keyboard.press("Enter");
    const viewer = ada.frame.getByRole("dialog");
    await viewer.waitFor();
    await viewer.getByText("red.png").waitFor();
    assert.equal(await ada.frame.locator(".viewer-close").evaluate((b) => b === document.activeElement), true, "the focus moves into the viewer");
    await ada.page.keyboard.press("ArrowRight");
    await viewer.getByText("green.png").waitFor();
    await viewer.getByText("2 of 3").waitFor();
    await ada.frame.locator(".viewer-stage img").evaluate((img) => img.decode());
    assert.ok((await ada.frame.locator(".viewer-stage img").evaluate((img) => img.naturalWidth)) === 300, "the viewer shows the full-size picture");
    await screenshot(ada.page, "media-viewer");
    await ada.page.keyboard.press("ArrowLeft");
    await ada.page.keyboard.press("ArrowLeft");
    await viewer.getByText("blue.png").waitFor();
    await ada.page.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
    const focused = await chatFrame(ada.page).evaluate(() => document.activeElement?.querySelector("img")?.alt);
    assert.equal(focused, "blue.png", "the focus returns to the thumbnail of the picture last shown");
    assert.equal(await ada.frame.getByRole("region", { name: "Chat" }).count(), 1, "Escape closed the viewer, not the panel");

    const images = (await messagesBetween("vic", "ada")).filter((m) => m.type === "image");
    assert.equal(images.length, 3, "each picture is one message, stored once");
    assert.ok(images.every((m) => m.data.attachments[0].id.startsWith("md_")));
    assert.deepEqual(vic.page.pageErrors, []);
    assert.deepEqual(ada.page.pageErrors, []);
    await vic.page.close();
    await ada.page.close();
  });

  test("a PDF shows as a card with its name, type and size, and downloads under its name", async () => {
    await user("pia", "Pia");
    await user("oto", "Oto");
    const pia = await visit("pia", "oto");
    const oto = await visit("oto", "pia");
    await pia.frame.locator("input[type=file]").setInputFiles([{ name: "Quarterly report.pdf", mimeType: "application/pdf", buffer: PDF }]);
    const card = oto.frame.getByRole("log").locator("a.file-card");
    await card.waitFor();
    assert.equal(await card.locator(".file-name").textContent(), "Quarterly report.pdf");
    assert.match(await card.locator(".file-facts").textContent(), /^PDF · \d+ byte/);
    await screenshot(oto.page, "media-file-card");
    const [download] = await Promise.all([oto.page.waitForEvent("download"), card.click()]);
    assert.equal(download.suggestedFilename(), "Quarterly report.pdf");
    const bytes = readFileSync(await download.path());
    assert.ok(bytes.equals(PDF), "the file downloads as it was sent");
    await pia.page.close();
    await oto.page.close();
  });

  test("a voice note recorded in the panel arrives as an audio player", async () => {
    await user("rae", "Rae");
    await user("sol", "Sol");
    const rae = await visit("rae", "sol");
    const sol = await visit("sol", "rae");
    await rae.frame.getByRole("button", { name: "Record a voice note" }).click();
    await rae.frame.getByText("Recording a voice note").waitFor();
    await screenshot(rae.page, "media-recording");
    await rae.page.waitForTimeout(1500);
    await rae.frame.getByRole("button", { name: "Send voice note" }).click();
    const player = sol.frame.getByRole("log").locator("audio.player");
    await player.waitFor();
    // The player reads the recording from its signed URL.
    await playable(player);
    const [note] = (await messagesBetween("rae", "sol")).filter((m) => m.type === "audio");
    assert.match(note.data.attachments[0].mimeType, /^audio\/(webm|ogg|mp4)/);
    assert.ok(note.data.attachments[0].size > 1000, "a second and a half of sound");
    await rae.page.close();
    await sol.page.close();
  });

  test("a video plays in the log with a poster the sender's browser made", async () => {
    await user("gil", "Gil");
    await user("hal", "Hal");
    const gil = await visit("gil", "hal");
    const hal = await visit("hal", "gil");
    const clip = readFileSync(new URL("../../server/tests/fixtures/media/video-vp8.webm", import.meta.url));
    await gil.frame.locator("input[type=file]").setInputFiles([{ name: "clip.webm", mimeType: "video/webm", buffer: clip }]);
    const video = hal.frame.getByRole("log").locator("video.player");
    await video.waitFor();
    assert.match(await video.getAttribute("poster"), /\/thumbnail\?exp=/, "the server keeps the poster as the thumbnail");
    await playable(video);
    const [sent] = (await messagesBetween("gil", "hal")).filter((m) => m.type === "video");
    const { width, height, thumbnail } = sent.data.attachments[0];
    assert.ok(width > 0 && height > 0 && thumbnail, JSON.stringify(sent.data.attachments[0]));
    await gil.page.close();
    await hal.page.close();
  });

  test("an upload under way shows its progress and Cancel stops it", async () => {
    await user("ora", "Ora");
    await user("pat", "Pat");
    const ora = await visit("ora", "pat");
    // The upload is held at the network until the test lets it go.
    let release;
    const held = new Promise((ok) => (release = ok));
    await ora.page.route("**/v3/media", async (route) => {
      await held;
      await route.continue().catch(() => {});
    });
    await ora.frame.locator("input[type=file]").setInputFiles([{ name: "slow.png", mimeType: "image/png", buffer: png(80, 80, [1, 2, 3]) }]);
    const bar = ora.frame.getByRole("progressbar", { name: "Uploading slow.png" });
    await bar.waitFor();
    await screenshot(ora.page, "media-uploading");
    await ora.frame.getByRole("button", { name: "Stop sending slow.png" }).click();
    await bar.waitFor({ state: "detached" });
    assert.equal(await ora.frame.locator(".message.own").count(), 0, "the cancelled file leaves the log");
    assert.equal(await ora.frame.getByRole("textbox", { name: "Message" }).evaluate((box) => box === document.activeElement), true);
    release();
    await ora.page.waitForTimeout(500);
    assert.equal((await messagesBetween("ora", "pat")).length, 0, "nothing was sent");
    await ora.page.unroute("**/v3/media");
    await ora.page.close();
  });

  test("a file over the limit says why, and Remove takes it away", async () => {
    await user("uma", "Uma");
    await user("ned", "Ned");
    const uma = await visit("uma", "ned");
    // Far over the limit: the server answers before the browser has sent the whole body, and the panel
    // still reads the refusal.
    await uma.frame.locator("input[type=file]").setInputFiles([{ name: "big.zip", mimeType: "application/zip", buffer: Buffer.alloc(MAX_FILE_BYTES * 60, 7) }]);
    const failed = uma.frame.locator(".message.own .mark.failed");
    await failed.waitFor();
    assert.equal(await failed.textContent(), "Not sent: Too big (max 48.8 kB)");
    await uma.frame.getByRole("button", { name: "Retry" }).waitFor();
    await screenshot(uma.page, "media-too-big");
    await uma.frame.getByRole("button", { name: "Remove" }).click();
    await failed.waitFor({ state: "detached" });
    assert.equal(await uma.frame.locator(".message.own").count(), 0);
    assert.equal((await messagesBetween("uma", "ned")).length, 0);
    await uma.page.close();
  });

  test("a file picked offline is sent once when the connection is back", async () => {
    await user("ivy", "Ivy");
    await user("jon", "Jon");
    const ivy = await visit("ivy", "jon");
    const jon = await visit("jon", "ivy");
    await ivy.page.context().setOffline(true);
    await ivy.frame.getByText("Connection lost. Reconnecting…").waitFor();
    await ivy.frame.locator("input[type=file]").setInputFiles([{ name: "offline.png", mimeType: "image/png", buffer: png(64, 64, [200, 200, 0]) }]);
    await ivy.frame.locator(".message.own .mark.pending").waitFor();
    // The picture shows at once, from the visitor's own copy.
    assert.match(await ivy.frame.locator(".message.own button.thumb img").getAttribute("src"), /^blob:/);
    await ivy.page.waitForTimeout(1500);
    await ivy.page.context().setOffline(false);
    await ivy.frame.getByText("Connected again.").waitFor({ timeout: 20000 });
    await jon.frame.getByRole("log").locator("button.thumb img").waitFor();
    await ivy.frame.locator(".message.own .mark.pending").waitFor({ state: "detached" });
    await jon.page.waitForTimeout(800);
    assert.equal(await jon.frame.getByRole("log").locator("button.thumb").count(), 1);
    assert.equal((await messagesBetween("ivy", "jon")).length, 1, "stored exactly once");
    await ivy.page.close();
    await jon.page.close();
  });

  test("an uploaded HTML or SVG file is a download that never runs", async () => {
    await user("kai", "Kai");
    await user("lou", "Lou");
    const kai = await visit("kai", "lou");
    const lou = await visit("lou", "kai");
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="parent.__ran=1"><script>parent.__ran=1</script></svg>');
    const html = Buffer.from("<!doctype html><script>parent.__ran=1; opener && (opener.__ran=1)</script><img src=x onerror=parent.__ran=1>");
    await kai.frame.locator("input[type=file]").setInputFiles([
      { name: "drawing.svg", mimeType: "image/svg+xml", buffer: svg },
      { name: "page.html", mimeType: "text/html", buffer: html },
    ]);
    const cards = lou.frame.getByRole("log").locator("a.file-card");
    await cards.nth(1).waitFor();
    assert.equal(await lou.frame.getByRole("log").locator("img").count(), 0, "an SVG is never shown as a picture");
    for (const href of await cards.evaluateAll((links) => links.map((a) => a.href))) {
      const answer = await fetch(href);
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get("content-disposition"), /^attachment/);
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff");
      assert.match(answer.headers.get("content-security-policy"), /sandbox/);
      // Opened directly in a tab, the file still does not run.
      const tab = await newPage(browser);
      await tab.goto(href).catch(() => {});
      await tab.waitForTimeout(300);
      assert.equal(await tab.evaluate(() => window.__ran).catch(() => undefined), undefined);
      await tab.close();
    }
    assert.equal(await chatFrame(lou.page).evaluate(() => window.__ran), undefined, "nothing ran in the panel");
    await kai.page.close();
    await lou.page.close();
  });

  test("the log with pictures, the viewer and the recorder pass axe", async () => {
    const page = await newPage(browser, { width: 900, height: 760 });
    const config = { ...app, mode: "uid", uid: "ada", chatType: "user", defaultChatID: "vic" };
    await page.goto(host.page("/axe-media", hostPage({ loaderSrc: `${server.base}/widget/confab.js`, config, mount: '<div id="chat"></div>' })));
    const frame = frameOf(page);
    await frame.getByRole("log").locator("button.thumb").nth(2).waitFor();
    const target = chatFrame(page);
    const violations = () => axeViolations(target, { serious: true });
    assert.deepEqual(await violations(), [], "the log");
    await frame.locator("button.thumb").first().click();
    await frame.getByRole("dialog").waitFor();
    assert.deepEqual(await violations(), [], "the viewer");
    // Closed by its button this time (the first test closes it with Escape).
    await frame.getByRole("button", { name: "Close" }).click();
    await frame.getByRole("dialog").waitFor({ state: "detached" });
    await frame.getByRole("button", { name: "Record a voice note" }).click();
    await frame.getByRole("button", { name: "Send voice note" }).waitFor();
    assert.deepEqual(await violations(), [], "the recorder");
    await frame.getByRole("button", { name: "Cancel" }).click();
    await frame.getByRole("button", { name: "Send voice note" }).waitFor({ state: "detached" });
    await page.close();
  });

  // Last: the app's first variant becomes its default, for every page after it.
  test("a variant that allows only photos offers only photos and sends only photos", async () => {
    await rest(server, "POST", "/variants", {
      id: "photos-only",
      name: "Photos only",
      settings: { chatFeatures: { coreMessagingExperience: { videoSharing: false, audioSharing: false, fileSharing: false } } },
    });
    await user("eve", "Eve");
    await user("fay", "Fay");
    const page = await newPage(browser, { width: 900, height: 760 });
    const config = { ...app, mode: "uid", uid: "eve", chatType: "user", defaultChatID: "fay", variantID: "photos-only" };
    await page.goto(host.page("/photos-only", hostPage({ loaderSrc: `${server.base}/widget/confab.js`, config, mount: '<div id="chat"></div>' })));
    const frame = frameOf(page);
    await frame.getByRole("textbox", { name: "Message" }).waitFor();
    assert.equal(await frame.getByRole("button", { name: "Record a voice note" }).count(), 0, "no voice notes without audio");
    assert.equal(await frame.locator("input[type=file]").getAttribute("accept"), "image/png,image/jpeg,image/gif,image/webp");
    // A PDF handed over anyway (a drop ignores `accept`) is not sent, and the composer says so.
    await handOver(page, "drop", [{ name: "notes.pdf", mimeType: "application/pdf", buffer: PDF }]);
    await frame.getByText("This kind of file cannot be sent here: notes.pdf").waitFor();
    await handOver(page, "drop", [{ name: "ok.png", mimeType: "image/png", buffer: png(32, 32, [9, 9, 9]) }]);
    await frame.locator(".message.own button.thumb").waitFor();
    await frame.locator(".message.own .mark.pending").waitFor({ state: "detached" });
    const types = (await messagesBetween("eve", "fay")).map((m) => m.type);
    assert.deepEqual(types, ["image"]);
    await page.close();
  });
});
