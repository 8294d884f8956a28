// The message search of the Confab panel, loaded the first time a visitor opens it. A modal view over the
// panel (the rest of it is inert meanwhile): a close button, the search field (focused on open) and, given
// two scopes or more, a choice between them. The search runs once typing pauses for 250 ms, for 1 to 100
// characters that are not all spaces; an answer to an older query that comes late is dropped. What it
// finds is a list of buttons: conversation, time, sender, and an excerpt of the text with each query word
// marked where a word starts with it (in any case, accents aside, as the server finds them). Down from the
// field goes to the results, Up and Down move between them (Up from the first goes back to the field),
// Enter opens one; Tab stays inside; Escape closes. "Searching…", the count, "Nothing found" and a failure
// are read out politely.
//
// confabLazy.search({ container, labels, scopes, search, onOpen, onClose }) returns { close() }.
// labels: { title, close, input, scope, results, searching, none, failed, count } — `count` is "{count}
// results" or a function of the count; `scope` (the scope choice) and `results` (the list; else `title`)
// are optional. scopes: [{ id, label }], the first chosen. search(text, scopeId) resolves
// [{ id, title, sender, text, at }] (`at` in Unix seconds). onOpen(result) is called once the view has
// closed on a result; onClose() once the visitor has closed it (Escape, the close button), the focus back
// where it was before; close() closes it without either.

const STYLE = `
.search { position: absolute; inset: 0; z-index: 5; display: flex; flex-direction: column; background: var(--confab-bg, #fff); color: var(--confab-fg, #1f2430); }
.search.fixed { position: fixed; }
.search :focus-visible { outline: 2px solid var(--confab-accent, #3757d4); outline-offset: -2px; }
.search button { border: 0; background: transparent; font: inherit; color: inherit; cursor: pointer; }
.search-bar { display: flex; align-items: center; gap: .4rem; padding: .5rem .6rem; border-bottom: 1px solid var(--confab-border, #e2e5ee); }
.search .search-close { flex: none; width: 2.25rem; height: 2.25rem; border-radius: 50%; font-size: 1.4rem; line-height: 1; }
[dir="rtl"] .search-close span { display: inline-block; transform: scaleX(-1); }
.search-bar input { flex: 1; min-width: 0; padding: .4rem .7rem; border: 1px solid var(--confab-border, #e2e5ee); border-radius: 1rem; background: transparent; font: inherit; color: inherit; }
.search-scopes { display: flex; gap: .3rem; padding: .45rem .6rem 0; font-size: .8rem; }
.search-scopes label { position: relative; flex: 1; padding: .25rem .5rem; border: 1px solid var(--confab-border, #e2e5ee); border-radius: 1rem; text-align: center; cursor: pointer; }
.search-scopes label:has(:checked) { border-color: transparent; background: var(--confab-accent, #3757d4); color: var(--confab-accent-fg, #fff); }
.search-scopes label:has(:focus-visible) { outline: 2px solid var(--confab-accent, #3757d4); outline-offset: 2px; }
.search-scopes input { position: absolute; opacity: 0; pointer-events: none; }
.search-status { margin: 0; padding: .45rem .75rem; color: var(--confab-muted, #5c6475); font-size: .8rem; }
.search-status:empty { padding: 0; }
.search-results { flex: 1; overflow-y: auto; margin: 0; padding: 0; list-style: none; }
.search .search-result { display: block; width: 100%; padding: .5rem .75rem; border-bottom: 1px solid var(--confab-border, #e2e5ee); text-align: start; }
.search .search-result:hover { background: var(--confab-bubble, #eef0f6); }
.search-result > span { display: flex; gap: .5rem; align-items: baseline; }
.search-result b { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.search-result time, .search-result small { flex: none; color: var(--confab-muted, #5c6475); font-size: .75rem; }
.search-result small { display: block; }
.search-result p { margin: .1rem 0 0; font-size: .85rem; overflow-wrap: anywhere; }
.search-result mark { border-radius: 2px; background: #ffe27a; color: #1f2430; }
`;

/** `<tag class=className>` with `text`. */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** `text` in lower case without accents, as an array of [folded, index] per character of it. */
function fold(text) {
  return [...text].map((c, i) => [c.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase(), i]);
}

/**
 * The character ranges [start, end) of `chars` (text as characters) where a word starts with one of `words`,
 * in order and merged.
 */
function matches(chars, words) {
  const folded = fold(chars.join(""));
  // The folded text, and the character each of its code units comes from.
  const flat = folded.map(([f]) => f).join("");
  const from = folded.flatMap(([f, i]) => [...Array(f.length)].map(() => i));
  const found = [];
  for (const word of words) {
    const w = fold(word).map(([f]) => f).join("");
    for (let at = w ? flat.indexOf(w) : -1; at >= 0; at = flat.indexOf(w, at + 1)) {
      const start = from[at];
      if (from[at - 1] !== start && !/[\p{L}\p{N}]/u.test(chars[start - 1] || "")) found.push([start, from[at + w.length - 1] + 1]);
    }
  }
  found.sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const range of found) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

/** An excerpt of `text` (at most about 120 characters, around the first match) with the matches marked. */
function excerpt(text, words) {
  const chars = [...String(text || "")];
  const ranges = matches(chars, words);
  const first = ranges.length ? ranges[0][0] : 0;
  let start = Math.max(0, Math.min(first - 30, chars.length - 120));
  // From the start of a word, where one starts shortly after.
  const space = chars.slice(start, first).findIndex((c) => /\s/.test(c));
  if (start && space >= 0 && space < 15) start += space + 1;
  const end = Math.min(chars.length, start + 120);
  const node = element("p");
  if (start) node.append("…");
  let at = start;
  for (const [from, to] of ranges) {
    if (to <= at || from >= end) continue;
    const a = Math.max(from, at);
    node.append(chars.slice(at, a).join(""), element("mark", "", chars.slice(a, Math.min(to, end)).join("")));
    at = Math.min(to, end);
  }
  node.append(chars.slice(at, end).join(""));
  if (end < chars.length) node.append("…");
  return node;
}

/** Formats a time: the time of day today, the date before. */
function clock() {
  let lang = document.documentElement.lang || undefined;
  try {
    new Intl.DateTimeFormat(lang);
  } catch {
    lang = undefined;
  }
  const today = new Intl.DateTimeFormat(lang, { timeStyle: "short" });
  const thisYear = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });
  const before = new Intl.DateTimeFormat(lang, { dateStyle: "medium" });
  return (date) => {
    const now = new Date();
    const format = date.toDateString() === now.toDateString() ? today : date.getFullYear() === now.getFullYear() ? thisYear : before;
    return format.format(date);
  };
}

let current = null;

function open({ container, labels, scopes = [], search, onOpen, onClose }) {
  current?.close();
  if (!document.getElementById("confab-search-style")) {
    const style = element("style", "", STYLE);
    style.id = "confab-search-style";
    document.head.append(style);
  }
  const opener = document.activeElement;
  const when = clock();
  const view = element("div", "search");
  if (getComputedStyle(container).position === "static") view.classList.add("fixed");
  view.setAttribute("role", "dialog");
  view.setAttribute("aria-modal", "true");
  view.setAttribute("aria-label", labels.title);
  const bar = element("div", "search-bar");
  const back = element("button", "search-close");
  back.type = "button";
  back.setAttribute("aria-label", labels.close);
  const arrow = element("span", "", "‹");
  arrow.setAttribute("aria-hidden", "true");
  back.append(arrow);
  const field = element("input");
  field.type = "search";
  field.autocomplete = "off";
  field.placeholder = labels.input;
  field.setAttribute("aria-label", labels.input);
  bar.append(back, field);
  view.append(bar);

  let scope = scopes[0]?.id;
  if (scopes.length > 1) {
    const group = element("div", "search-scopes");
    group.setAttribute("role", "radiogroup");
    if (labels.scope) group.setAttribute("aria-label", labels.scope);
    for (const { id, label } of scopes) {
      const choice = element("label");
      const radio = element("input");
      radio.type = "radio";
      radio.name = "confab-search-scope";
      radio.checked = id === scope;
      radio.addEventListener("change", () => {
        scope = id;
        run();
      });
      choice.append(radio, label);
      group.append(choice);
    }
    view.append(group);
  }
  const status = element("p", "search-status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const list = element("ul", "search-results");
  list.setAttribute("aria-label", labels.results || labels.title);
  list.hidden = true;
  view.append(status, list);

  let timer = 0;
  let asked = 0;
  let last = "";
  let closed = false;
  function show(results, words) {
    const rows = results.map((result) => {
      const item = element("li");
      const row = element("button", "search-result");
      row.type = "button";
      const head = element("span");
      head.append(element("b", "", result.title));
      const date = new Date(result.at * 1000);
      if (!isNaN(date)) {
        const time = element("time", "", when(date));
        time.dateTime = date.toISOString();
        head.append(time);
      }
      row.append(head, element("small", "", result.sender), excerpt(result.text, words));
      row.addEventListener("click", () => {
        finish();
        onOpen?.(result);
      });
      item.append(row);
      return item;
    });
    list.replaceChildren(...rows);
    list.hidden = !rows.length;
    const count = labels.count;
    status.textContent = !rows.length ? labels.none : typeof count === "function" ? count(rows.length) : count.replace("{count}", rows.length);
  }
  function run() {
    clearTimeout(timer);
    const text = field.value.trim();
    const key = `${scope}\n${text}`;
    if (key === last) return;
    last = key;
    const mine = ++asked;
    if (!text || [...text].length > 100) {
      list.replaceChildren();
      list.hidden = true;
      status.textContent = "";
      return;
    }
    status.textContent = labels.searching;
    new Promise((resolve) => resolve(search(text, scope))).then(
      (results) => mine === asked && !closed && show(Array.isArray(results) ? results : [], text.split(/\s+/)),
      () => {
        if (mine !== asked || closed) return;
        // Asked again the next time, even unchanged.
        last = "";
        list.replaceChildren();
        list.hidden = true;
        status.textContent = labels.failed;
      },
    );
  }

  // Everything else in the panel is out of reach while the search is open.
  const behind = [...container.children].filter((node) => !node.inert);
  behind.forEach((node) => (node.inert = true));
  function finish() {
    if (closed) return;
    closed = true;
    current = null;
    clearTimeout(timer);
    const inside = view.contains(document.activeElement);
    view.remove();
    behind.forEach((node) => (node.inert = false));
    if (inside && opener?.isConnected) opener.focus?.();
  }
  function dismiss() {
    finish();
    onClose?.();
  }

  back.addEventListener("click", dismiss);
  // An emptied field clears the results at once.
  field.addEventListener("input", () => {
    clearTimeout(timer);
    if (field.value.trim()) timer = setTimeout(run, 250);
    else run();
  });
  view.addEventListener("keydown", (event) => {
    const { key, target } = event;
    const rows = [...list.querySelectorAll("button")];
    const at = rows.indexOf(target);
    if (key === "Escape") {
      dismiss();
    } else if (key === "Enter" && target === field) {
      run();
    } else if (key === "Tab") {
      const stops = [...view.querySelectorAll("button, input")].filter((node) => node.type !== "radio" || node.checked);
      const from = stops.indexOf(document.activeElement);
      const end = stops.length - 1;
      stops[event.shiftKey ? (from <= 0 ? end : from - 1) : from === end ? 0 : from + 1].focus();
    } else if (key === "ArrowDown" && (target === field || at >= 0)) {
      rows[Math.min(at + 1, rows.length - 1)]?.focus();
    } else if (key === "ArrowUp" && at >= 0) {
      (rows[at - 1] || field).focus();
    } else {
      return;
    }
    // The panel's own keys (Escape closes a docked panel) stay out of it.
    event.preventDefault();
    event.stopPropagation();
  });
  container.append(view);
  field.focus();
  current = { close: finish };
  return current;
}

(globalThis.confabLazy ??= {}).search = open;
