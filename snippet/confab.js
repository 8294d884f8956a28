// Confab loader. A site's snippet pulls this in; it checks the config, draws the launcher (docked) or
// reserves the mount element (embedded), and creates the chat iframe only when the visitor shows intent.
// It never throws into the host page and writes nothing to cookies or storage.
// The server replaces __CONFAB_SPEC__ with the config rules from confab-protocol and drops comment lines
// and indentation; keep every comment on a line of its own.
(function (w, d) {
"use strict";
if (w.Confab && w.Confab.start) return;
var S = __CONFAB_SPEC__;
var C = S.codes, M = S.messages;
var EVENTS = ["onMessageReceived", "onOpenChat", "onCloseChat", "onActiveChatChanged", "onUnreadCountChanged", "onLogout", "onError"];
var ID = /^[A-Za-z0-9_-]{1,100}$/;
var ID_RULE = "must be 1-100 characters of a-z, A-Z, 0-9, _ and -";
var LENGTH = new RegExp("^\\d+(\\.\\d+)?(" + S.units.join("|") + ")$");
var LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
var ORIGIN = /^https?:\/\/[A-Za-z0-9.:\[\]-]+\/?$/;
var READY_TIMEOUT_MS = 15000;
var script = d.currentScript;
var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
var handlers = {};
var widget = null;

function own(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
function problem(code, field, message) { return { code: code, field: field || null, message: message }; }
function invalid(k, rule) { return problem(C.CONFIG_INVALID_FIELD, k, "config." + k + " " + rule); }
function missing(k, why) { return problem(C.CONFIG_MISSING_FIELD, k, "config." + k + " is required" + (why || "")); }
function oneOf(list) { return "must be one of " + list.map(function (v) { return '"' + v + '"'; }).join(", "); }

function emit(name, detail) {
  (handlers[name] || []).forEach(function (cb) {
    try { cb(detail); } catch (e) { console.error("Confab: an " + name + " handler threw", e); }
  });
}
function report(p) {
  console.error("Confab: " + p.message + " [" + p.code + (p.field ? " " + p.field : "") + "]");
  emit("onError", p);
}

// Checks a config against the spec. Returns {problems, config}: config holds known keys only, with
// defaults applied. Type problems are reported alone; value problems follow the Rust checker's key order.
function check(raw) {
  if (!isObject(raw)) return { problems: [problem(C.CONFIG_NOT_OBJECT, null, "Confab.start needs a config object")] };
  var out = [], c = {};
  Object.keys(raw).forEach(function (k) {
    var kind = own(S.keys, k) ? S.keys[k] : null, v = raw[k];
    if (!kind) return console.warn("Confab: config." + k + " is not a known key and is ignored");
    if (v === undefined || v === null) return;
    if (kind === "length" && typeof v === "number") {
      if (!(v > 0 && isFinite(v))) return out.push(invalid(k, "must be a positive number of pixels"));
      v = v + "px";
    }
    var ok = kind === "object" ? isObject(v) : kind === "boolean" ? typeof v === "boolean" : typeof v === "string";
    if (!ok) return out.push(invalid(k, "must be " + (kind === "object" ? "an object" : kind === "boolean" ? "true or false" : "a string")));
    c[k] = v;
  });
  if (out.length) return { problems: out };
  if (!c.appID) out.push(missing("appID"));
  else if (!ID.test(c.appID)) out.push(invalid("appID", ID_RULE));
  var region = c.region || S.region;
  if (region !== S.region) out.push(problem(C.CONFIG_REGION_MISMATCH, "region", 'config.region is "' + region + '" but this server runs region "' + S.region + '"'));
  if (!c.mode) out.push(missing("mode"));
  else if (!own(S.modes, c.mode)) out.push(invalid("mode", oneOf(Object.keys(S.modes))));
  else S.modes[c.mode].forEach(function (k) { if (!c[k]) out.push(missing(k)); });
  if (c.uid && !ID.test(c.uid)) out.push(invalid("uid", ID_RULE));
  if (c.user) {
    var user = {};
    S.userKeys.forEach(function (k) {
      var v = c.user[k];
      if (v === undefined || v === null) return;
      if (typeof v !== "string") out.push(invalid("user." + k, "must be a string"));
      else if (v.length > S.maxString) out.push(invalid("user." + k, "is too long"));
      else user[k] = v;
    });
    c.user = user;
  }
  if (c.isDocked === false && !c.mount) out.push(missing("mount", " when isDocked is false"));
  ["width", "height"].forEach(function (k) {
    if (c[k] === undefined) c[k] = S.defaults[k];
    if (!LENGTH.test(c[k])) out.push(invalid(k, "must be a CSS length in " + S.units.join(", ")));
  });
  ["dockedAlignment", "theme"].forEach(function (k) {
    if (c[k] === undefined) c[k] = S.defaults[k];
    if (S.enums[k].indexOf(c[k]) < 0) out.push(invalid(k, oneOf(S.enums[k])));
  });
  ["variantID", "defaultChatID"].forEach(function (k) {
    if (c[k] !== undefined && !ID.test(c[k])) out.push(invalid(k, ID_RULE));
  });
  if (c.chatType !== undefined && S.enums.chatType.indexOf(c.chatType) < 0) out.push(invalid("chatType", oneOf(S.enums.chatType)));
  if (c.language !== undefined && !LANGUAGE.test(c.language)) out.push(invalid("language", "must be a language tag such as en-US"));
  if (c.apiBase !== undefined && !ORIGIN.test(c.apiBase)) out.push(invalid("apiBase", "must be an http(s) origin such as https://chat.example.com"));
  if (c.isDocked === undefined) c.isDocked = true;
  return { problems: out, config: c };
}

// The launcher's look, inside its own Shadow DOM so the host page's CSS cannot reach it (nor it the page).
function launcherCss(c) {
  var side = c.dockedAlignment;
  return ":host{all:initial}" +
    ".l{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;" +
    "background:#3757d4;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
    ".l:focus-visible{outline:3px solid #9db0ff;outline-offset:2px}.l[aria-busy=true]{opacity:.75}" +
    ".b{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d93025;color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}" +
    ".p{position:fixed;bottom:88px;" + side + ":20px;z-index:2147483000;width:" + c.width + ";height:" + c.height +
    ";max-width:calc(100vw - 40px);max-height:calc(100vh - 108px);border:0;border-radius:12px;background:#fff;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.22);display:none}.p.o{display:block}" +
    "@media (max-width:450px){.p{inset:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}}";
}
var ICON_CHAT = '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
var ICON_CLOSE = '<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><path stroke="currentColor" stroke-width="2.5" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>';

// One running widget: the launcher or mount element, and the frame once the visitor shows intent.
function Widget(c, mountEl) {
  var apiOrigin = c.apiBase ? new URL(c.apiBase).origin : scriptOrigin;
  var frame = null, ready = false, open = false, shown = false, timer = 0, host = null, launcher = null, unread = 0, wanted = null;
  function post(m) { if (ready) frame.contentWindow.postMessage(m, apiOrigin); }
  function makeFrame(parent, className) {
    if (frame) return;
    frame = d.createElement("iframe");
    frame.title = "Chat";
    frame.className = className;
    frame.setAttribute("referrerpolicy", "origin");
    frame.setAttribute("allow", "clipboard-write");
    frame.src = apiOrigin + "/widget/frame";
    timer = setTimeout(function () { fail("the chat frame did not answer within " + READY_TIMEOUT_MS / 1000 + " s"); }, READY_TIMEOUT_MS);
    frame.addEventListener("error", function () { fail("the chat frame could not be loaded"); });
    parent.appendChild(frame);
  }
  function fail(why) {
    clearTimeout(timer);
    if (frame) frame.remove();
    frame = null; ready = false;
    if (launcher) show(false);
    report(problem(C.FRAME_LOAD_FAILED, null, why));
  }
  function onMessage(e) {
    if (!frame || e.source !== frame.contentWindow || e.origin !== apiOrigin || !isObject(e.data)) return;
    var m = e.data;
    if (m.type === M.ready) {
      clearTimeout(timer);
      ready = true;
      frame.contentWindow.postMessage({ type: M.config, config: c, guestToken: c.mode === "guest" && store() || undefined }, apiOrigin);
      if (wanted) post(wanted), wanted = null;
      if (mountEl) frame.style.visibility = "visible";
      else show(open);
    } else if (m.type === M.close && launcher) show(false), launcher.focus();
    else if (m.type === M.unread && typeof m.count === "number") {
      unread = m.count;
      if (launcher) show(open);
      emit("onUnreadCountChanged", { count: unread });
    } else if (m.type === M.event && (m.name === "onMessageReceived" || m.name === "onActiveChatChanged")) emit(m.name, m.detail);
    else if (m.type === M.error && isObject(m.problem)) report(m.problem);
    else if (m.type === M.remember && typeof m.token === "string" && c.mode === "guest") store(m.token);
  }
  // The guest's token, in this site's storage: read with no argument, written with one, removed with "".
  function store(token) {
    var key = "confab:guest:" + c.appID;
    try {
      if (token === undefined) return localStorage.getItem(key);
      if (token) localStorage.setItem(key, token); else localStorage.removeItem(key);
    } catch (e) {}
  }
  this.forget = function () { store(""); };
  // Docked: the panel shows once the frame is ready, so a frame that fails to load never covers the page.
  function show(wanted) {
    if (!launcher) return;
    open = wanted;
    if (wanted && !frame) makeFrame(host.shadowRoot, "p");
    var visible = open && ready;
    if (frame) frame.classList.toggle("o", visible);
    launcher.setAttribute("aria-busy", String(open && !ready));
    launcher.setAttribute("aria-expanded", String(visible));
    launcher.setAttribute("aria-label", visible ? "Close chat" : unread ? "Open chat (" + unread + " unread)" : "Open chat");
    launcher.innerHTML = (visible ? ICON_CLOSE : ICON_CHAT) + (unread && !visible ? '<span class="b" aria-hidden="true">' + (unread > 99 ? "99+" : unread) + "</span>" : "");
    if (visible !== shown) {
      emit(visible ? "onOpenChat" : "onCloseChat", {});
      post({ type: M.visible, visible: visible });
      if (visible) frame.focus();
    }
    shown = visible;
  }
  w.addEventListener("message", onMessage);
  if (mountEl) {
    mountEl.style.width = c.width;
    mountEl.style.height = c.height;
    var embed = function () { makeFrame(mountEl, ""); frame.style.cssText = "width:100%;height:100%;border:0;display:block;visibility:hidden"; };
    if (!w.IntersectionObserver) embed();
    else {
      var io = new IntersectionObserver(function (entries) {
        if (entries.some(function (x) { return x.isIntersecting; })) { io.disconnect(); embed(); }
      });
      io.observe(mountEl);
    }
  } else {
    host = d.createElement("div");
    host.setAttribute("data-confab", "launcher");
    host.attachShadow({ mode: "open" }).innerHTML = "<style>" + launcherCss(c) + '</style><button class="l" type="button"></button>';
    launcher = host.shadowRoot.querySelector("button");
    var warm = function () { makeFrame(host.shadowRoot, "p"); };
    launcher.addEventListener("pointerenter", warm);
    launcher.addEventListener("focus", warm);
    launcher.addEventListener("click", function () { show(!open); });
    host.addEventListener("keydown", function (e) { if (e.key === "Escape" && open) { show(false); launcher.focus(); } });
    show(false);
    d.body.appendChild(host);
  }
  this.open = function () { show(true); };
  this.chat = function (kind, id) {
    var m = { type: M.openChat, chatType: kind, id: id };
    if (ready) post(m); else wanted = m;
    show(true);
  };
  this.close = function () { show(false); };
  this.destroy = function () {
    clearTimeout(timer);
    w.removeEventListener("message", onMessage);
    if (frame) frame.remove();
    if (host) host.remove();
    if (mountEl) mountEl.removeAttribute("style");
  };
}

function guard(fn) {
  return function () {
    try { return fn.apply(null, arguments); } catch (e) { report(problem(C.FRAME_LOAD_FAILED, null, "Confab failed: " + (e && e.message))); return false; }
  };
}
function start(config) {
  if (widget) return report(problem(C.WIDGET_ALREADY_STARTED, null, "Confab.start was already called; call Confab.logout() first")), false;
  var r = check(config), mountEl = null;
  if (!r.problems.length && r.config.isDocked === false) {
    try { mountEl = d.querySelector(r.config.mount); } catch (e) { r.problems.push(invalid("mount", "is not a valid CSS selector")); }
    if (!mountEl && !r.problems.length) r.problems.push(problem(C.CONFIG_MOUNT_NOT_FOUND, "mount", 'config.mount "' + r.config.mount + '" matches no element'));
  }
  if (r.problems.length) return r.problems.forEach(report), false;
  widget = new Widget(r.config, mountEl);
  return true;
}
function on(name, cb) {
  if (EVENTS.indexOf(name) < 0 || typeof cb !== "function") return console.warn("Confab.on: unknown event " + name + " or missing callback"), false;
  (handlers[name] = handlers[name] || []).push(cb);
  return true;
}
function chatWith(kind) {
  return function (id) {
    if (typeof id !== "string" || !ID.test(id)) return report(invalid(kind === "user" ? "uid" : "guid", ID_RULE)), false;
    if (widget) widget.chat(kind, id);
    return !!widget;
  };
}
var api = {
  start: guard(start),
  on: guard(on),
  openChat: guard(function () { if (widget) widget.open(); return !!widget; }),
  closeChat: guard(function () { if (widget) widget.close(); return !!widget; }),
  chatWithUser: guard(chatWith("user")),
  chatWithGroup: guard(chatWith("group")),
  logout: guard(function () { if (widget) { widget.forget(); widget.destroy(); widget = null; emit("onLogout", {}); } return true; }),
  validateConfig: function (config) { return check(config).problems; }
};
w.Confab = api;
if (!w.CometChatApp) {
  w.CometChatApp = { CometChatAuth: { start: api.start }, chatWithUser: api.chatWithUser, chatWithGroup: api.chatWithGroup, logout: api.logout, uiEvent: api.on };
}
})(window, document);
