// The reaction picker of the Confab panel, loaded the first time a visitor presses a message's "add
// reaction" button. A small popover beside that button, kept inside the window (below it, or above where
// there is no room; never past either side): a row of common emoji (Left and Right move between them,
// mirrored in right-to-left languages; Home and End go to the ends; the first has the focus on open), and a
// field for any other emoji, checked before it is picked. Tab stays inside; Escape, or a press outside,
// closes it and gives the focus back to the button. One picker at a time: opening one closes the other.
//
// confabLazy.emoji({ anchor, common, labels: { dialog, other, add, invalid, reactWith }, onPick })
// returns { close() }. `common` is the emoji shown ["👍", ...]; `onPick(emoji)` is called with the one
// picked, then the picker closes. `reactWith` ("React with {emoji}") is optional: without it, each button
// is named by its emoji. A typed emoji is 1 to 20 characters with no space, control character, / ? # or %.

const STYLE = `
.emoji-picker { position: fixed; z-index: 20; max-width: calc(100vw - 8px); padding: .4rem; border: 1px solid var(--confab-border, #e2e5ee); border-radius: .75rem; background: var(--confab-bg, #fff); color: var(--confab-fg, #1f2430); box-shadow: 0 4px 16px rgba(0, 0, 0, .2); font-size: .85rem; }
.emoji-row { display: flex; flex-wrap: wrap; gap: .15rem; }
.emoji-picker button { border: 0; font: inherit; color: inherit; cursor: pointer; }
.emoji-picker :focus-visible { outline: 2px solid var(--confab-accent, #3757d4); outline-offset: 1px; }
.emoji-one { width: 2.25rem; height: 2.25rem; border-radius: 50%; background: transparent; font-size: 1.3rem; line-height: 1; }
.emoji-one:hover { background: var(--confab-bubble, #eef0f6); }
.emoji-other { display: flex; gap: .3rem; margin-top: .35rem; }
.emoji-other input { flex: 1; min-width: 0; width: 8rem; padding: .3rem .5rem; border: 1px solid var(--confab-border, #e2e5ee); border-radius: .5rem; background: transparent; font: inherit; color: inherit; }
.emoji-picker .emoji-add { padding: .3rem .7rem; border-radius: .5rem; background: var(--confab-accent, #3757d4); color: var(--confab-accent-fg, #fff); }
.emoji-error { margin: .3rem 0 0; color: var(--confab-danger, #a61b1b); }
.emoji-error:empty { margin: 0; }
`;

/** `<tag class=className>`. */
function element(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

/** A button with `text`. */
function button(className, text) {
  const node = element("button", className);
  node.type = "button";
  node.textContent = text;
  return node;
}

/** Whether `text` (trimmed) may be sent as a reaction. */
function valid(text) {
  const length = [...text].length;
  return length > 0 && length <= 20 && !/[\s\p{Cc}/?#%]/u.test(text);
}

/** Puts `popover` below `anchor` (above where it does not fit), within the window. */
function place(popover, anchor) {
  const at = anchor.getBoundingClientRect();
  const { offsetWidth: width, offsetHeight: height } = popover;
  const { clientWidth: across, clientHeight: down } = document.documentElement;
  let top = at.bottom + 4;
  if (top + height > down - 4 && at.top - height - 4 >= 4) top = at.top - height - 4;
  const start = document.documentElement.dir === "rtl" ? at.right - width : at.left;
  popover.style.top = `${Math.max(4, Math.min(top, down - height - 4))}px`;
  popover.style.left = `${Math.max(4, Math.min(start, across - width - 4))}px`;
}

let current = null;

function open({ anchor, common = [], labels, onPick }) {
  current?.close();
  if (!document.getElementById("confab-emoji-style")) {
    const style = element("style");
    style.id = "confab-emoji-style";
    style.textContent = STYLE;
    document.head.append(style);
  }
  const popover = element("div", "emoji-picker");
  popover.setAttribute("role", "dialog");
  popover.setAttribute("aria-label", labels.dialog);
  const row = element("div", "emoji-row");
  row.setAttribute("role", "toolbar");
  const choices = common.map((emoji, i) => {
    const choice = button("emoji-one", emoji);
    choice.setAttribute("aria-label", labels.reactWith ? labels.reactWith.replace("{emoji}", emoji) : emoji);
    choice.tabIndex = i ? -1 : 0;
    choice.addEventListener("click", () => pick(emoji));
    return choice;
  });
  row.append(...choices);
  const other = element("div", "emoji-other");
  const field = element("input");
  field.type = "text";
  field.autocomplete = "off";
  field.placeholder = labels.other;
  field.setAttribute("aria-label", labels.other);
  const add = button("emoji-add", labels.add);
  other.append(field, add);
  const error = element("p", "emoji-error");
  error.id = "confab-emoji-error";
  error.setAttribute("role", "alert");
  popover.append(row, other, error);

  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    current = null;
    popover.remove();
    document.removeEventListener("pointerdown", outside, true);
    removeEventListener("resize", follow);
    removeEventListener("scroll", follow, true);
    anchor.setAttribute("aria-expanded", "false");
    if (anchor.isConnected) anchor.focus();
  }
  function pick(emoji) {
    try {
      onPick(emoji);
    } finally {
      close();
    }
  }
  function typed() {
    const emoji = field.value.trim();
    if (valid(emoji)) return pick(emoji);
    // Emptied first, so the same error is announced again.
    error.textContent = "";
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", error.id);
    requestAnimationFrame(() => (error.textContent = labels.invalid));
  }
  function outside(event) {
    if (!popover.contains(event.target)) close();
  }
  function follow() {
    if (anchor.isConnected) place(popover, anchor);
    else close();
  }

  add.addEventListener("click", typed);
  field.addEventListener("input", () => {
    error.textContent = "";
    field.removeAttribute("aria-invalid");
  });
  popover.addEventListener("keydown", (event) => {
    const { key } = event;
    const from = choices.indexOf(document.activeElement);
    const last = choices.length - 1;
    let to = -1;
    if (key === "Escape") {
      close();
    } else if (key === "Enter" && event.target === field) {
      typed();
    } else if (key === "Tab") {
      const stops = [...popover.querySelectorAll("button, input")].filter((node) => node.tabIndex >= 0);
      const at = stops.indexOf(document.activeElement);
      const end = stops.length - 1;
      stops[event.shiftKey ? (at <= 0 ? end : at - 1) : at === end ? 0 : at + 1].focus();
    } else if (from >= 0 && (key === "ArrowLeft" || key === "ArrowRight")) {
      const step = (key === "ArrowRight") !== (document.documentElement.dir === "rtl") ? 1 : -1;
      to = (from + step + choices.length) % choices.length;
    } else if (from >= 0 && (key === "Home" || key === "End")) {
      to = key === "Home" ? 0 : last;
    } else {
      return;
    }
    if (to >= 0) {
      choices.forEach((choice, i) => (choice.tabIndex = i === to ? 0 : -1));
      choices[to].focus();
    }
    // The panel's own keys (Escape closes a docked panel) stay out of it.
    event.preventDefault();
    event.stopPropagation();
  });
  document.addEventListener("pointerdown", outside, true);
  addEventListener("resize", follow);
  addEventListener("scroll", follow, true);
  anchor.setAttribute("aria-expanded", "true");
  document.body.append(popover);
  place(popover, anchor);
  (choices[0] || field).focus();
  current = { close };
  return current;
}

(globalThis.confabLazy ??= {}).emoji = open;
