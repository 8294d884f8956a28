// Confab host module: what the loader (confab.js) loads once the visitor shows intent. It creates the
// chat frame, hands it the config, and keeps the launcher (open state, unread badge) and the site's event
// handlers in step with what the frame reports. It reaches the loader only through the context the loader
// put on this script's element, and never throws into the host page.
(function (w, d) {
"use strict";
var ctx = d.currentScript && d.currentScript.confab;
if (!ctx) return;
var M = __CONFAB_SPEC__.messages, x = ctx.w, c = x.c, emit = ctx.emit, origin = x.apiOrigin;
var READY_TIMEOUT_MS = 15000;
var root = c.isDocked ? x.el.shadowRoot : x.el;
var launcher = c.isDocked && root.querySelector("button");
var chatIcon = launcher && launcher.innerHTML;
var frame = null, ready = false, open = false, shown = false, timer = 0, unread = 0, wanted = null, title = null;

// While the page is hidden, its tab's title starts with the unread count: "(2) Title"; the page's own title
// comes back when it is shown again or the count drops to 0 (unless the page changed it meanwhile).
// `title`: [the page's title, the one shown].
function badgeTitle() {
  if (title && d.title === title[1]) d.title = title[0];
  title = null;
  if (d.hidden && unread) {
    title = [d.title];
    d.title = "(" + unread + ") " + title[0];
    title[1] = d.title;
  }
}
function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
function post(m) { if (ready) frame.contentWindow.postMessage(m, origin); }
function fail(why) {
  clearTimeout(timer);
  if (frame) frame.remove();
  frame = null; ready = false;
  show(false);
  ctx.report(ctx.problem("FRAME_LOAD_FAILED", 0, why));
}
function makeFrame() {
  if (frame) return;
  frame = d.createElement("iframe");
  frame.title = "Chat";
  frame.className = launcher ? "p" : "e";
  frame.setAttribute("referrerpolicy", "origin");
  // The microphone is for voice notes: the browser asks only when the visitor starts recording one.
  frame.setAttribute("allow", "clipboard-write; microphone");
  frame.src = origin + "/widget/frame";
  timer = setTimeout(function () { fail("the chat frame did not answer within " + READY_TIMEOUT_MS / 1000 + " s"); }, READY_TIMEOUT_MS);
  frame.addEventListener("error", function () { fail("the chat frame could not be loaded"); });
  if (!launcher) frame.style.cssText = "width:100%;height:100%;border:0;display:block;visibility:hidden";
  root.appendChild(frame);
}

// The guest's token, in this site's storage (the loader's logout removes it).
function stored() {
  try { return localStorage.getItem("confab:guest:" + c.appID) || undefined; } catch (e) {}
}
function remember(token) {
  try { localStorage.setItem("confab:guest:" + c.appID, token); } catch (e) {}
}

function onMessage(e) {
  if (!frame || e.source !== frame.contentWindow || e.origin !== origin || !isObject(e.data)) return;
  var m = e.data;
  if (m.type === M.ready) {
    clearTimeout(timer);
    ready = true;
    post({ type: M.config, config: c, guestToken: c.mode === "guest" ? stored() : undefined });
    if (wanted) post(wanted), wanted = null;
    if (launcher) show(open);
    else frame.style.visibility = "visible";
  } else if (m.type === M.close) close();
  else if (m.type === M.unread && typeof m.count === "number") {
    unread = m.count;
    show(open);
    badgeTitle();
    emit("onUnreadCountChanged", { count: unread });
  } else if (m.type === M.event && (m.name === "onMessageReceived" || m.name === "onActiveChatChanged")) emit(m.name, m.detail);
  else if (m.type === M.error && isObject(m.problem)) ctx.report(m.problem);
  else if (m.type === M.remember && typeof m.token === "string" && c.mode === "guest") remember(m.token);
}

// Docked: the panel shows once the frame is ready, so a frame that fails to load never covers the page.
// Embedded: the frame is made again if it failed.
function show(want) {
  if (want) makeFrame();
  if (!launcher) return;
  open = want;
  var visible = open && ready, focusHere = d.activeElement == x.el || d.activeElement == d.body;
  if (frame) frame.classList.toggle("o", visible);
  launcher.setAttribute("aria-busy", open && !ready);
  launcher.setAttribute("aria-expanded", visible);
  launcher.setAttribute("aria-label", visible ? "Close chat" : unread ? "Open chat (" + unread + " unread)" : "Open chat");
  launcher.innerHTML = visible
    ? x.close // the variant's close icon, rendered by the server with the launcher
    : chatIcon + (unread ? '<span class="b" aria-hidden="true">' + (unread > 99 ? "99+" : unread) + "</span>" : "");
  if (visible !== shown) {
    emit(visible ? "onOpenChat" : "onCloseChat", {});
    post({ type: M.visible, visible: visible });
    // Focus follows the panel only from the launcher (or from nowhere): never out of what the visitor
    // is doing on the page; on closing, from inside the panel back to the launcher.
    if (focusHere) (visible ? frame : launcher).focus();
  }
  shown = visible;
}
function close() {
  show(false);
}

if (launcher) {
  var side = c.dockedAlignment, style = d.createElement("style");
  style.textContent = "button[aria-busy=true]{opacity:.75}" +
    ".b{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d93025;color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}" +
    ".p{position:fixed;bottom:88px;" + side + ":20px;z-index:2147483000;width:" + c.width + ";height:" + c.height +
    ";max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);border:0;border-radius:12px;background:#fff;" +
    // Opens and closes with a short fade and rise; hidden (not focusable, not clickable) once closed.
    "box-shadow:0 8px 30px rgba(0,0,0,.22);opacity:0;visibility:hidden;transform:translateY(8px);" +
    "transition:opacity .2s,transform .2s,visibility 0s .2s}.p.o{opacity:1;visibility:visible;transform:none;transition:opacity .2s,transform .2s}" +
    "@media (max-width:450px){.p{inset:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0;transform:none}}" +
    "@media (prefers-reduced-motion:reduce){.p,.p.o{transition:none}}";
  root.appendChild(style);
  x.el.addEventListener("keydown", function (e) { if (e.key === "Escape" && open) close(); });
}
// Attached first: a widget logged out while this module loaded gets no frame.
if (ctx.attach({
  open: function () { show(true); },
  close: function () { show(false); },
  toggle: function () { show(!open); },
  chat: function (kind, id) {
    var m = { type: M.openChat, chatType: kind, id: id };
    if (ready) post(m); else wanted = m;
    show(true);
  },
  destroy: function () {
    clearTimeout(timer);
    w.removeEventListener("message", onMessage);
    d.removeEventListener("visibilitychange", badgeTitle);
    unread = 0, badgeTitle();
    if (frame) frame.remove();
  }
})) {
  w.addEventListener("message", onMessage);
  d.addEventListener("visibilitychange", badgeTitle);
  makeFrame();
}
})(window, document);
