// End-to-end: the reaction picker (src/lazy/emoji.js) and the message search (src/lazy/search.js) on their
// own, in headless Chromium, on a blank page with a panel-sized box: no server. What a visitor notices: where
// the focus is, what the keys do, what is picked or opened, what is shown and read out, and an axe scan of
// each open view (no violation at all).
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { axeViolations, launchBrowser, newPage, repo } from "./harness.mjs";

const BLANK =
  '<!doctype html><html lang="en"><body><div id="panel" style="position:relative;width:360px;height:560px"><button id="anchor">+</button></div></body></html>';
let browser;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A blank page with `name` (emoji or search) loaded; `html` replaces the blank page. */
async function pageWith(name, { viewport = { width: 800, height: 700 }, html = BLANK } = {}) {
  const page = await newPage(browser, viewport);
  await page.setContent(html);
  await page.addScriptTag({ path: join(repo, `src/lazy/${name}.js`), type: "module" });
  await page.waitForFunction((n) => typeof globalThis.confabLazy?.[n] === "function", name);
  return page;
}

/** Every axe violation inside the element `selector`, whatever its impact. */
const violations = (page, selector) => axeViolations(page, { selector });

const focused = (page) =>
  page.evaluate(() => {
    const node = document.activeElement;
    return node.getAttribute("aria-label") || node.id || node.textContent;
  });

// ---------------------------------------------------------------------------------------------------------
// The reaction picker

const COMMON = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
const EMOJI_LABELS = { dialog: "Add a reaction", other: "Any emoji", add: "Add", invalid: "That is not an emoji", reactWith: "React with {emoji}" };

/** Opens the picker on #anchor (focused first, as the button pressed); picks go to window.picked. */
async function openPicker(page, common = COMMON) {
  await page.evaluate(
    ({ common, labels }) => {
      window.picked = [];
      const anchor = document.getElementById("anchor");
      anchor.focus();
      window.picker = confabLazy.emoji({ anchor, common, labels, onPick: (emoji) => window.picked.push(emoji) });
    },
    { common, labels: EMOJI_LABELS },
  );
  await page.getByRole("dialog", { name: "Add a reaction" }).waitFor();
}

const picked = (page) => page.evaluate(() => window.picked);
const pickerOpen = (page) => page.evaluate(() => document.querySelectorAll(".emoji-picker").length);

describe("the reaction picker", () => {
  test("opens with the focus on the first emoji; arrows, Home and End move it; Enter picks and gives the focus back", async () => {
    const page = await pageWith("emoji");
    await openPicker(page);
    assert.equal(await focused(page), "React with 👍");
    await page.keyboard.press("ArrowRight");
    assert.equal(await focused(page), "React with ❤️");
    await page.keyboard.press("ArrowRight");
    assert.equal(await focused(page), "React with 😂");
    await page.keyboard.press("ArrowLeft");
    assert.equal(await focused(page), "React with ❤️");
    await page.keyboard.press("End");
    assert.equal(await focused(page), "React with 🙏");
    await page.keyboard.press("Home");
    assert.equal(await focused(page), "React with 👍");
    await page.keyboard.press("ArrowLeft");
    assert.equal(await focused(page), "React with 🙏", "Left from the first wraps to the last");
    // One stop for the row: only the focused emoji is in the Tab order.
    const stops = await page.evaluate(() => [...document.querySelectorAll(".emoji-one")].map((b) => b.tabIndex));
    assert.deepEqual(stops, [-1, -1, -1, -1, -1, 0]);
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Enter");
    assert.deepEqual(await picked(page), ["😂"]);
    assert.equal(await pickerOpen(page), 0, "picking closes it");
    assert.equal(await focused(page), "anchor");
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("a click picks; Escape closes without picking; a press outside closes; the focus goes back each time", async () => {
    const page = await pageWith("emoji");
    await openPicker(page);
    await page.getByRole("button", { name: "React with 🙏" }).click();
    assert.deepEqual(await picked(page), ["🙏"]);
    assert.equal(await pickerOpen(page), 0);
    assert.equal(await focused(page), "anchor");

    await openPicker(page);
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Escape");
    assert.equal(await pickerOpen(page), 0, "Escape closes it");
    assert.deepEqual(await picked(page), []);
    assert.equal(await focused(page), "anchor");

    await openPicker(page);
    await page.mouse.click(700, 600);
    assert.equal(await pickerOpen(page), 0, "a press outside closes it");
    assert.deepEqual(await picked(page), []);
    assert.equal(await page.evaluate(() => document.getElementById("anchor").getAttribute("aria-expanded")), "false");

    // close() from the caller, twice: nothing breaks.
    await openPicker(page);
    assert.equal(await page.evaluate(() => document.getElementById("anchor").getAttribute("aria-expanded")), "true");
    await page.evaluate(() => (window.picker.close(), window.picker.close()));
    assert.equal(await pickerOpen(page), 0);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("a typed emoji is picked (Enter or Add); an invalid one shows an alert and the picker stays open", async () => {
    const page = await pageWith("emoji");
    await openPicker(page);
    const field = page.getByRole("textbox", { name: "Any emoji" });
    assert.equal(await field.getAttribute("placeholder"), "Any emoji");
    await field.fill("  🦄 ");
    await field.press("Enter");
    assert.deepEqual(await picked(page), ["🦄"], "trimmed");
    assert.equal(await pickerOpen(page), 0);

    await openPicker(page);
    // A family: several code points joined, one emoji.
    await page.getByRole("textbox", { name: "Any emoji" }).fill("👨‍👩‍👧");
    await page.getByRole("button", { name: "Add" }).click();
    assert.deepEqual(await picked(page), ["👨‍👩‍👧"]);

    await openPicker(page);
    for (const bad of ["a b", "#1", "50%", "a/b", "why?", "x".repeat(21), "   ", "a\u0007"]) {
      await page.getByRole("textbox", { name: "Any emoji" }).fill(bad);
      await page.getByRole("textbox", { name: "Any emoji" }).press("Enter");
      await page.getByRole("alert").filter({ hasText: "That is not an emoji" }).waitFor();
      assert.equal(await pickerOpen(page), 1, `"${bad}" keeps the picker open`);
      assert.equal(await page.getByRole("textbox", { name: "Any emoji" }).getAttribute("aria-invalid"), "true");
    }
    assert.deepEqual(await picked(page), []);
    // Typing again takes the error away; 20 characters are allowed.
    await page.getByRole("textbox", { name: "Any emoji" }).fill("x".repeat(20));
    assert.equal(await page.getByRole("alert").textContent(), "");
    await page.getByRole("button", { name: "Add" }).click();
    assert.deepEqual(await picked(page), ["x".repeat(20)]);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("Tab goes round inside; only one picker at a time; a removed anchor is not focused", async () => {
    const page = await pageWith("emoji");
    await openPicker(page);
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "Any emoji");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "Add");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "React with ❤️", "back to the row, where the focus was in it");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(page), "Add");

    // A second picker (another message's button) closes the first.
    await page.evaluate((labels) => {
      const other = document.createElement("button");
      other.id = "other";
      other.textContent = "+";
      document.getElementById("panel").append(other);
      confabLazy.emoji({ anchor: other, common: ["👍"], labels, onPick: () => {} });
    }, EMOJI_LABELS);
    assert.equal(await pickerOpen(page), 1);
    assert.equal(await focused(page), "React with 👍");
    await page.keyboard.press("Escape");
    assert.equal(await focused(page), "other");

    // The message re-rendered as the reaction was picked: its button is gone.
    await openPicker(page);
    await page.evaluate(() => document.getElementById("anchor").remove());
    await page.getByRole("button", { name: "React with 😮" }).click();
    assert.deepEqual(await picked(page), ["😮"]);
    assert.equal(await pickerOpen(page), 0);
    assert.equal(await page.evaluate(() => document.activeElement === document.body), true);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("stays inside a 300 px wide frame, flips above at the bottom, and mirrors its arrows right to left", async () => {
    const corner = (dir, side) =>
      `<!doctype html><html lang="en" dir="${dir}"><body style="margin:0"><div id="panel" style="position:relative;width:300px;height:400px"><button id="anchor" style="position:absolute;${side}:0;bottom:0">+</button></div></body></html>`;
    for (const [dir, side] of [
      ["ltr", "right"],
      ["rtl", "left"],
    ]) {
      const page = await pageWith("emoji", { viewport: { width: 300, height: 400 }, html: corner(dir, side) });
      await openPicker(page);
      const box = await page.locator(".emoji-picker").boundingBox();
      const anchor = await page.locator("#anchor").boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 300, `${dir}: inside horizontally (${box.x}, ${box.width})`);
      assert.ok(box.y >= 0 && box.y + box.height <= 400, `${dir}: inside vertically (${box.y}, ${box.height})`);
      assert.ok(box.y + box.height <= anchor.y + 1, `${dir}: above the button at the bottom`);
      await page.keyboard.press(dir === "rtl" ? "ArrowLeft" : "ArrowRight");
      assert.equal(await focused(page), "React with ❤️", `${dir}: the arrow pointing forward moves forward`);
      await page.close();
    }
    // At the top, it opens below the button.
    const page = await pageWith("emoji", { viewport: { width: 300, height: 400 } });
    await openPicker(page);
    const box = await page.locator(".emoji-picker").boundingBox();
    const anchor = await page.locator("#anchor").boundingBox();
    assert.ok(box.y >= anchor.y + anchor.height, "below the button at the top");
    assert.ok(box.x >= 0 && box.x + box.width <= 300);
    await page.close();
  });

  test("the open picker passes axe", async () => {
    const page = await pageWith("emoji");
    await openPicker(page);
    assert.deepEqual(await violations(page, ".emoji-picker"), [], "the picker");
    await page.getByRole("textbox", { name: "Any emoji" }).fill("no way");
    await page.getByRole("button", { name: "Add" }).click();
    await page.getByRole("alert").filter({ hasText: "That is not an emoji" }).waitFor();
    assert.deepEqual(await violations(page, ".emoji-picker"), [], "the picker with its error");
    await page.evaluate(() => document.documentElement.setAttribute("dir", "rtl"));
    assert.deepEqual(await violations(page, ".emoji-picker"), [], "right to left");
    await page.close();
  });
});

// ---------------------------------------------------------------------------------------------------------
// The message search

const SEARCH_LABELS = {
  title: "Search messages",
  close: "Close search",
  input: "Search",
  scope: "Where",
  results: "Messages found",
  searching: "Searching…",
  none: "No messages found",
  failed: "The search failed",
  count: "{count} results",
};
const SCOPES = [
  { id: "conversation", label: "This conversation" },
  { id: "all", label: "All conversations" },
];

/**
 * Opens the search over #panel. Each call of `search` is recorded in window.calls as [text, scope] and
 * waits in window.pending until the test answers it with answer(index, results) or fail(index).
 */
async function openSearch(page, scopes = SCOPES) {
  await page.evaluate(
    ({ labels, scopes }) => {
      window.calls = [];
      window.pending = [];
      window.opened = [];
      window.closedByVisitor = 0;
      document.getElementById("anchor").focus();
      window.answer = (i, results) => window.pending[i].ok(results);
      window.fail = (i) => window.pending[i].fail(new Error("offline"));
      window.view = confabLazy.search({
        container: document.getElementById("panel"),
        labels,
        scopes,
        search: (text, scope) => {
          window.calls.push([text, scope]);
          return new Promise((ok, fail) => window.pending.push({ ok, fail }));
        },
        onOpen: (result) => window.opened.push(result.id),
        onClose: () => window.closedByVisitor++,
      });
    },
    { labels: SEARCH_LABELS, scopes },
  );
  await page.getByRole("dialog", { name: "Search messages" }).waitFor();
}

const calls = (page) => page.evaluate(() => window.calls);
const status = (page) => page.locator(".search-status").textContent();
const now = () => Math.floor(Date.now() / 1000);

const RESULTS = [
  { id: 11, title: "Ann Lee", sender: "Ann Lee", text: "Hello there, hello again. Othello says HELLO", at: now() },
  { id: 12, title: "Support", sender: "Bo", text: "We said hello yesterday", at: now() - 86400 * 400 },
  { id: 13, title: "Team", sender: "Cy", text: "hello world", at: now() - 60 },
];

/** Types `text` into the search field (a key at a time), then waits for the call it makes. */
async function typeAndWait(page, text, count) {
  await page.getByRole("searchbox", { name: "Search" }).pressSequentially(text, { delay: 20 });
  await page.waitForFunction((n) => window.calls.length >= n, count);
}

describe("the message search", () => {
  test("opens with the focus in the field; typing searches once after a pause, in the chosen scope", async () => {
    const page = await pageWith("search");
    await openSearch(page);
    const dialog = page.getByRole("dialog", { name: "Search messages" });
    assert.equal(await dialog.getAttribute("aria-modal"), "true");
    assert.equal(await focused(page), "Search");
    assert.equal(await page.getByRole("searchbox", { name: "Search" }).getAttribute("placeholder"), "Search");
    assert.equal(await page.getByRole("radio", { name: "This conversation" }).isChecked(), true, "the first scope is chosen");
    assert.equal(await page.getByRole("radio", { name: "All conversations" }).isChecked(), false);
    assert.equal(await page.evaluate(() => document.getElementById("anchor").inert), true, "the panel behind is inert");

    await page.getByRole("searchbox", { name: "Search" }).pressSequentially("hello", { delay: 40 });
    assert.deepEqual(await calls(page), [], "nothing while typing");
    await page.waitForTimeout(150);
    assert.deepEqual(await calls(page), [], "nothing before the pause is over");
    await page.waitForTimeout(300);
    assert.deepEqual(await calls(page), [["hello", "conversation"]], "once, after the pause");
    assert.equal(await status(page), "Searching…");
    assert.equal(await page.locator(".search-status").getAttribute("aria-live"), "polite");

    await page.evaluate((r) => window.answer(0, r), RESULTS);
    await page.locator(".search-result").first().waitFor();
    assert.equal(await status(page), "3 results", "the count is read out");
    const list = page.getByRole("list", { name: "Messages found" });
    assert.equal(await list.getByRole("listitem").count(), 3);

    // The other scope asks again at once, with the same words.
    await page.getByText("All conversations").click();
    await page.waitForFunction(() => window.calls.length === 2);
    assert.deepEqual((await calls(page))[1], ["hello", "all"]);
    // Spaces only, or nothing: no search, nothing shown.
    await page.getByRole("searchbox", { name: "Search" }).fill("   ");
    await page.waitForTimeout(400);
    assert.equal((await calls(page)).length, 2);
    assert.equal(await status(page), "");
    assert.equal(await page.locator(".search-result").count(), 0);
    // Over 100 characters: no search either.
    await page.getByRole("searchbox", { name: "Search" }).fill("a".repeat(101));
    await page.waitForTimeout(400);
    assert.equal((await calls(page)).length, 2);
    await page.getByRole("searchbox", { name: "Search" }).fill("a".repeat(100));
    await page.waitForFunction(() => window.calls.length === 3);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("results show conversation, time, sender and the text with each word's starts marked, as text", async () => {
    const page = await pageWith("search");
    await openSearch(page);
    await typeAndWait(page, "hello th", 1);
    const long = `${"lorem ipsum ".repeat(20)}the café is open ${"dolor sit ".repeat(20)}`;
    const results = [
      ...RESULTS,
      { id: 14, title: "<b>Group</b>", sender: "<i>Eve</i>", text: "<img src=x onerror=alert(1)> hello", at: now() },
      { id: 15, title: "Long", sender: "Dee", text: long, at: now() },
    ];
    await page.evaluate((r) => window.answer(0, r), results);
    await page.locator(".search-result").nth(4).waitFor();
    const rows = await page.locator(".search-result").evaluateAll((nodes) =>
      nodes.map((n) => ({
        title: n.querySelector("b").textContent,
        time: n.querySelector("time")?.textContent,
        datetime: n.querySelector("time")?.getAttribute("datetime"),
        sender: n.querySelector("small").textContent,
        text: n.querySelector("p").textContent,
        marks: [...n.querySelectorAll("mark")].map((m) => m.textContent),
      })),
    );
    // "hello" and "th" as the start of a word, in any case; not inside "Othello".
    assert.deepEqual(rows[0].marks, ["Hello", "th", "hello", "HELLO"]);
    assert.equal(rows[0].text, "Hello there, hello again. Othello says HELLO");
    assert.equal(rows[0].title, "Ann Lee");
    assert.equal(rows[0].sender, "Ann Lee");
    assert.match(rows[0].time, /^\d{1,2}:\d{2}\s?(AM|PM)$/, "today: the time of day");
    assert.match(rows[1].time, /[A-Z][a-z]{2} \d{1,2}, \d{4}/, "another year: the date");
    assert.equal(new Date(rows[1].datetime).getTime(), RESULTS[1].at * 1000);
    assert.deepEqual(rows[1].marks, ["hello"]);
    // Markup in a result is text: nothing of it becomes an element.
    assert.equal(await page.locator(".search img, .search i, .search-result b b").count(), 0, "no element from the result's text");
    assert.equal(rows[3].text, "<img src=x onerror=alert(1)> hello");
    assert.equal(rows[3].title, "<b>Group</b>");
    assert.equal(rows[3].sender, "<i>Eve</i>");
    // A long text: about 120 characters around the first match ("the" starts with "th").
    assert.ok([...rows[4].text].length <= 124, `short excerpt (${rows[4].text.length})`);
    assert.ok(rows[4].text.startsWith("…") && rows[4].text.endsWith("…"));
    assert.ok(rows[4].text.includes("the café is open"));
    assert.deepEqual(rows[4].marks, ["th"]);

    // Accents folded, as the server finds them.
    await page.getByRole("searchbox", { name: "Search" }).fill("cafe");
    await page.waitForFunction(() => window.calls.length === 2);
    await page.evaluate(() => window.answer(1, [{ id: 1, title: "A", sender: "B", text: "Un CAFÉ, deux cafés", at: 0 }]));
    await page.getByText("1 results").waitFor();
    assert.deepEqual(await page.locator(".search-result mark").allTextContents(), ["CAFÉ", "café"]);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("Down and Up move between the field and the results; Enter opens one and closes the search", async () => {
    const page = await pageWith("search");
    await openSearch(page);
    await typeAndWait(page, "hello", 1);
    await page.evaluate((r) => window.answer(0, r), RESULTS);
    await page.locator(".search-result").nth(2).waitFor();
    const at = () => page.evaluate(() => [...document.querySelectorAll(".search-result")].indexOf(document.activeElement));
    await page.keyboard.press("ArrowDown");
    assert.equal(await at(), 0);
    await page.keyboard.press("ArrowDown");
    assert.equal(await at(), 1);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    assert.equal(await at(), 2, "stays on the last");
    await page.keyboard.press("ArrowUp");
    assert.equal(await at(), 1);
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    assert.equal(await focused(page), "Search", "Up from the first goes back to the field");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    assert.deepEqual(await page.evaluate(() => window.opened), [12]);
    assert.equal(await page.locator(".search").count(), 0, "closed on the result");
    assert.equal(await page.evaluate(() => window.closedByVisitor), 0);
    assert.equal(await page.evaluate(() => document.getElementById("anchor").inert), false, "the panel is usable again");

    // A click opens one too.
    await openSearch(page);
    await typeAndWait(page, "hello", 1);
    await page.evaluate((r) => window.answer(0, r), RESULTS);
    await page.locator(".search-result").nth(2).click();
    assert.deepEqual(await page.evaluate(() => window.opened), [13]);
    assert.equal(await page.locator(".search").count(), 0);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("an older answer that comes late is ignored; nothing found and a failure are shown", async () => {
    const page = await pageWith("search");
    await openSearch(page);
    await typeAndWait(page, "first", 1);
    await typeAndWait(page, " second", 2);
    assert.deepEqual(await calls(page), [
      ["first", "conversation"],
      ["first second", "conversation"],
    ]);
    await page.evaluate(() => window.answer(1, [{ id: 2, title: "New", sender: "S", text: "first second", at: 0 }]));
    await page.getByText("1 results").waitFor();
    // The first query's answer comes after the second's: dropped.
    await page.evaluate((r) => window.answer(0, r), RESULTS);
    await page.waitForTimeout(100);
    assert.equal(await page.locator(".search-result").count(), 1);
    assert.equal(await page.locator(".search-result b").textContent(), "New");
    assert.equal(await status(page), "1 results");

    // A late answer after the query was emptied is dropped too.
    await typeAndWait(page, "x", 3);
    await page.getByRole("searchbox", { name: "Search" }).fill("");
    await page.waitForTimeout(50);
    await page.evaluate((r) => window.answer(2, r), RESULTS);
    await page.waitForTimeout(100);
    assert.equal(await page.locator(".search-result").count(), 0);

    await typeAndWait(page, "nothing", 4);
    await page.evaluate(() => window.answer(3, []));
    await page.getByText("No messages found").waitFor();
    assert.equal(await page.getByRole("list", { name: "Messages found" }).count(), 0, "no empty list");

    await page.getByRole("searchbox", { name: "Search" }).fill("broken");
    await page.waitForFunction(() => window.calls.length === 5);
    await page.evaluate(() => window.fail(4));
    await page.getByText("The search failed").waitFor();
    // A failed search is asked again on Enter.
    await page.getByRole("searchbox", { name: "Search" }).press("Enter");
    assert.equal((await calls(page)).length, 6);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("Escape and the close button close it (onClose); Tab stays inside; one scope shows no choice", async () => {
    const page = await pageWith("search");
    await openSearch(page);
    await typeAndWait(page, "hello", 1);
    await page.evaluate((r) => window.answer(0, r), RESULTS);
    await page.locator(".search-result").nth(2).waitFor();
    // From the field: the chosen scope, the three results, the close button, and round again.
    const seen = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press("Tab");
      seen.push(await page.evaluate(() => (document.activeElement.closest(".search") ? document.activeElement.className || document.activeElement.type : "outside")));
    }
    assert.deepEqual(seen, ["radio", "search-result", "search-result", "search-result", "search-close", "search", "radio"]);
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(page), "Close search");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await page.evaluate(() => [...document.querySelectorAll(".search-result")].indexOf(document.activeElement)), 2, "Shift+Tab from the first goes round to the last");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    assert.equal(await focused(page), "Search");
    await page.keyboard.press("Escape");
    assert.equal(await page.locator(".search").count(), 0, "Escape closes it");
    assert.equal(await page.evaluate(() => window.closedByVisitor), 1);
    assert.equal(await focused(page), "anchor", "the focus is back where it was");
    assert.deepEqual(await page.evaluate(() => window.opened), []);

    await openSearch(page, [SCOPES[0]]);
    assert.equal(await page.getByRole("radio").count(), 0, "one scope: no choice");
    await page.getByRole("button", { name: "Close search" }).click();
    assert.equal(await page.locator(".search").count(), 0);
    assert.equal(await page.evaluate(() => window.closedByVisitor), 1);

    // A search pending as the view closes answers into nothing.
    await openSearch(page, []);
    await typeAndWait(page, "late", 1);
    await page.evaluate(() => window.view.close());
    await page.evaluate((r) => window.answer(0, r), RESULTS);
    assert.equal(await page.locator(".search").count(), 0);
    assert.deepEqual(await calls(page), [["late", undefined]]);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });

  test("the open search passes axe, with results and right to left", async () => {
    const page = await pageWith("search");
    await openSearch(page);
    assert.deepEqual(await violations(page, "#panel"), [], "the empty search");
    await typeAndWait(page, "hello", 1);
    await page.evaluate((r) => window.answer(0, r), RESULTS);
    await page.locator(".search-result").nth(2).waitFor();
    assert.deepEqual(await violations(page, "#panel"), [], "the search with results");
    await page.locator(".search-result").first().hover();
    assert.deepEqual(await violations(page, "#panel"), [], "a result under the pointer");
    await page.evaluate(() => document.documentElement.setAttribute("dir", "rtl"));
    assert.deepEqual(await violations(page, "#panel"), [], "right to left");
    await page.close();
  });
});
