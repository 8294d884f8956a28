// The full-size image viewer of the Confab panel, loaded the first time a visitor opens an image (see
// src/media/lazy.rs). A modal dialog over the frame: focus moves into it, Tab stays inside, Escape closes it
// and gives the focus back to the thumbnail of the image shown, Left and Right move between the open
// conversation's images (mirrored in right-to-left languages), and the file name and position are shown and
// read out. The panel behind it is inert while it is open.
//
// confabLazy.viewer({ images: [{ src, name, view }], index, labels: { close, previous, next, position } })
// `view` names the thumbnail (its data-view attribute); `position` is "{index} of {count}".

const STYLE = `
.viewer { position: fixed; inset: 0; z-index: 10; display: grid; grid-template-rows: auto 1fr; background: #0b0d12; color: #fff; }
.viewer-bar { display: flex; align-items: center; gap: .5rem; padding: .5rem .75rem; }
.viewer-title { flex: 1; min-width: 0; margin: 0; font-size: .95rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.viewer-position { font-size: .8rem; opacity: .85; }
.viewer-stage { position: relative; min-height: 0; display: grid; place-items: center; padding: 0 3rem 1rem; }
.viewer-stage img { max-width: 100%; max-height: 100%; object-fit: contain; }
.viewer button { width: 2.5rem; height: 2.5rem; border: 0; border-radius: 50%; background: rgba(255, 255, 255, .16); color: #fff; font-size: 1.5rem; line-height: 1; cursor: pointer; }
.viewer button:hover { background: rgba(255, 255, 255, .28); }
.viewer button:focus-visible { outline: 2px solid #fff; outline-offset: 2px; }
.viewer-step { position: absolute; top: 50%; transform: translateY(-50%); }
.viewer-previous { inset-inline-start: .25rem; }
.viewer-next { inset-inline-end: .25rem; }
[dir="rtl"] .viewer-step span { display: inline-block; transform: scaleX(-1); }
`;

/** `<tag class=className>` with `text`. */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** A round button with a decorative `symbol`, named `label`. */
function button(className, label, symbol) {
  const node = element("button", className);
  node.type = "button";
  node.setAttribute("aria-label", label);
  const mark = element("span", "", symbol);
  mark.setAttribute("aria-hidden", "true");
  node.append(mark);
  return node;
}

function open({ images, index, labels }) {
  if (!images.length || document.querySelector(".viewer")) return;
  if (!document.getElementById("confab-viewer-style")) {
    const style = element("style", "", STYLE);
    style.id = "confab-viewer-style";
    document.head.append(style);
  }
  const opener = document.activeElement;
  const dialog = element("div", "viewer");
  dialog.setAttribute("role", "dialog");
  dialog.setAttribute("aria-modal", "true");
  dialog.setAttribute("aria-labelledby", "viewer-title");
  const bar = element("div", "viewer-bar");
  const title = element("p", "viewer-title");
  title.id = "viewer-title";
  // The name and the position are read out as the visitor moves.
  title.setAttribute("aria-live", "polite");
  const position = element("span", "viewer-position");
  const close = button("viewer-close", labels.close, "×");
  bar.append(title, close);
  const stage = element("div", "viewer-stage");
  const picture = element("img");
  stage.append(picture);
  const several = images.length > 1;
  const previous = button("viewer-step viewer-previous", labels.previous, "‹");
  const next = button("viewer-step viewer-next", labels.next, "›");
  if (several) stage.append(previous, next);
  dialog.append(bar, stage);

  let at = Math.min(Math.max(index, 0), images.length - 1);
  function show() {
    const image = images[at];
    picture.src = image.src;
    picture.alt = image.name;
    title.textContent = image.name;
    if (several) {
      position.textContent = labels.position.replace("{index}", at + 1).replace("{count}", images.length);
      title.append(" ", position);
    }
  }
  function move(step) {
    at = (at + step + images.length) % images.length;
    show();
  }

  // Everything else in the frame is out of reach while the dialog is open.
  const behind = [...document.body.children].filter((node) => !node.inert);
  behind.forEach((node) => (node.inert = true));
  function finish() {
    dialog.remove();
    behind.forEach((node) => (node.inert = false));
    const thumbnail = [...document.querySelectorAll("[data-view]")].find((node) => node.dataset.view === images[at].view);
    (thumbnail || opener)?.focus?.();
  }

  close.addEventListener("click", finish);
  previous.addEventListener("click", () => move(-1));
  next.addEventListener("click", () => move(1));
  dialog.addEventListener("keydown", (event) => {
    const rtl = document.documentElement.dir === "rtl";
    if (event.key === "Escape") {
      finish();
    } else if (several && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      move((event.key === "ArrowRight") !== rtl ? 1 : -1);
    } else if (event.key === "Tab") {
      const stops = [...dialog.querySelectorAll("button")];
      const last = stops.length - 1;
      const from = stops.indexOf(document.activeElement);
      const to = event.shiftKey ? (from <= 0 ? last : from - 1) : from === last ? 0 : from + 1;
      stops[to].focus();
    } else {
      return;
    }
    // The panel's own keys (Escape closes a docked panel) stay out of it.
    event.preventDefault();
    event.stopPropagation();
  });
  show();
  document.body.append(dialog);
  close.focus();
}

(globalThis.confabLazy ??= {}).viewer = open;
