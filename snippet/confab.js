// Confab loader. A site's snippet pulls this in on every page, so it holds only what must run before the
// visitor shows intent: the JS API, the config check and the launcher. On intent (hover, focus or click of
// the launcher, openChat(), an embedded panel coming into view, a guest this device remembers) it loads
// confab-host.js, which creates the chat frame and speaks with it. It never throws into the host page and
// writes nothing to cookies or storage. The server replaces __CONFAB_SPEC__ with the config rules from
// confab-protocol and minifies it.
(function (w, d) {
if (w.Confab && w.Confab.start) return;
var S = __CONFAB_SPEC__;
var EVENTS = ["onMessageReceived", "onOpenChat", "onCloseChat", "onActiveChatChanged", "onUnreadCountChanged", "onLogout", "onError"];
// The identifier rule (uids and guids), as the spec gives it for appID.
var ID = S.rules[0];
var script = d.currentScript;
var scriptURL = script && script.src ? script.src : location.href;
var handlers = {};
// Where the host module keeps a remembered guest's token, per app.
var GUEST = "confab:guest:";
// The running widget: {c: config, el: mount element or launcher host, h: the host module once loaded,
// q: API calls waiting for it}.
var widget = null;

function own(o, k) { return Object.hasOwn(o, k) && o[k]; }
function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
function problem(code, field, message) { return { code: code, field: field || null, message: message }; }
function invalid(k, rule) { return problem("CONFIG_INVALID_FIELD", k, "config." + k + " " + rule); }
function missing(k, why) { return problem("CONFIG_MISSING_FIELD", k, "config." + k + " is required" + (why || "")); }

function emit(name, detail) {
  (handlers[name] || []).forEach(function (cb) {
    try { cb(detail); } catch (e) { console.error("Confab: " + name + " handler threw", e); }
  });
}
function report(p) {
  console.error("Confab: " + p.message + " [" + p.code + (p.field ? " " + p.field : "") + "]");
  emit("onError", p);
}

// Checks a config against the spec. Returns {problems, config}: config holds known keys only, with
// defaults applied. Type problems are reported alone; value problems follow the Rust checker's order.
function check(raw) {
  if (!isObject(raw)) return { problems: [problem("CONFIG_NOT_OBJECT", 0, "Confab.start needs a config object")] };
  var out = [], c = {}, k;
  Object.keys(raw).forEach(function (k) {
    var kind = own(S.keys, k), v = raw[k];
    if (!kind) return console.warn("Confab: unknown key config." + k + " ignored");
    if (v == null) return;
    if (kind == "length" && typeof v == "number") {
      if (!(v > 0 && isFinite(v))) return out.push(invalid(k, "must be a positive number"));
      v += "px";
    }
    var want = kind == "object" ? "an object" : kind == "boolean" ? "true or false" : "a string";
    if (kind == "object" ? !isObject(v) : typeof v != (kind == "boolean" ? kind : "string")) return out.push(invalid(k, "must be " + want));
    c[k] = v;
  });
  if (out.length) return { problems: out };
  ["appID", "mode"].concat(own(S.modes, c.mode) || []).forEach(function (k) { if (!c[k]) out.push(missing(k)); });
  if (c.isDocked === false && !c.mount) out.push(missing("mount", " when isDocked is false"));
  var region = c.region || S.region;
  if (region != S.region) out.push(problem("CONFIG_REGION_MISMATCH", "region", 'config.region is "' + region + '" but this server runs region "' + S.region + '"'));
  if (c.user) {
    var user = {};
    S.userKeys.forEach(function (k) {
      var v = c.user[k], f = "user." + k;
      if (v == null) return;
      if (typeof v != "string") out.push(invalid(f, "must be a string"));
      else if (v.length > S.maxString) out.push(invalid(f, "is too long"));
      else user[k] = v;
    });
    c.user = user;
  }
  for (k in S.defaults) if (!c[k]) c[k] = S.defaults[k];
  if (c.isDocked === undefined) c.isDocked = true;
  S.rules.forEach(function (r) { if (c[r[0]] && !RegExp(r[1]).test(c[r[0]])) out.push(invalid(r[0], r[2])); });
  return { problems: out, config: c };
}

// Loads the host module once; it takes over the widget through the context put on its script element.
function load() {
  var x = widget;
  // Not before the launcher or the mount is in place (the variant is on its way).
  if (x.s || !x.el) return;
  x.s = d.createElement("script");
  x.s.src = new URL("confab-host.js", scriptURL).href;
  x.s.confab = {
    w: x, emit: emit, report: report, problem: problem,
    // Answers whether the widget still runs (a logout while the module loaded ends it).
    attach: function (h) { if (widget == x) return x.h = h, x.q.forEach(function (a) { h[a[0]](a[1], a[2]); }), 1; }
  };
  x.s.onerror = function () {
    x.s.remove();
    x.s = null;
    x.q = [];
    report(problem("FRAME_LOAD_FAILED", 0, "the chat could not be loaded"));
  };
  d.head.appendChild(x.s);
}
// Runs an action of the host module ("open", "close", "chat"), loading it first if need be.
function act(name, a, b) {
  if (widget.h) widget.h[name](a, b);
  else widget.q.push([name, a, b]), load();
}

// The docked launcher, in its own Shadow DOM so the host page's CSS cannot reach it (nor it the page). The
// server renders it (its style and button) with the variant's side, colour, shape and icon.
function launch(html) {
  var el = d.createElement("div");
  el.setAttribute("data-confab", "launcher");
  el.attachShadow({ mode: "open" }).innerHTML = html;
  var button = el.shadowRoot.lastChild;
  button.onpointerenter = button.onfocus = load;
  button.onclick = function () { act("toggle"); };
  d.body.appendChild(el);
  return el;
}

// Embedded: the mount element takes the panel's size; the frame comes when it scrolls into view.
function embed(c, el) {
  el.style.width = c.width;
  el.style.height = c.height;
  var io = new IntersectionObserver(function (seen) {
    if (seen.some(function (x) { return x.isIntersecting; })) io.disconnect(), load();
  });
  io.observe(el);
  widget.io = io;
  return el;
}

function guard(fn) {
  return function (a) {
    try { return fn(a); } catch (e) { report(problem("FRAME_LOAD_FAILED", 0, "Confab failed: " + (e && e.message))); return false; }
  };
}
// The mount element of an embedded panel, or the problem with config.mount.
function place(c, p) {
  try { var el = d.querySelector(c.mount); } catch (e) { return p.push(invalid("mount", "is not a CSS selector")); }
  if (!el) p.push(problem("CONFIG_MOUNT_NOT_FOUND", "mount", 'config.mount "' + c.mount + '" matches no element'));
  return el;
}
function start(config) {
  if (widget) return report(problem("WIDGET_ALREADY_STARTED", 0, "Confab.start already ran; call Confab.logout() first")), false;
  var r = check(config), c = r.config, p = r.problems, el = !p.length && !c.isDocked && place(c, p), x;
  if (p.length) return p.forEach(report), false;
  x = widget = { c: c, q: [], apiOrigin: new URL(c.apiBase || scriptURL).origin };
  // The variant (its settings, and the launcher rendered with it) for variantID or the app's default, in
  // one request; the launcher waits for it. The snippet's keys win over the variant's, and a page's own
  // `variant` over the stored one (the console's preview).
  fetch(x.apiOrigin + "/widget/launcher?appID=" + c.appID + (c.variantID ? "&variantID=" + c.variantID : "") + (config.dockedAlignment ? "&side=" + c.dockedAlignment : ""), { signal: AbortSignal.timeout(5e3) })
    .then(function (a) { return a.json(); }).catch(Object).then(guard(function (j) {
    if (widget != x) return;
    if (j.unknownVariant) report(invalid("variantID", "names no variant of this app")), delete c.variantID;
    c.variant = c.variant || j.settings;
    if (config.isDocked == null && j.docked === false && c.mount) c.isDocked = false, el = place(c, p);
    if (!config.theme && j.theme) c.theme = j.theme;
    c.dockedAlignment = j.side || c.dockedAlignment;
    x.close = j.close;
    if (!el && !j.html) p.push(problem("FRAME_LOAD_FAILED", 0, (j.error || {}).message || "the chat server could not be reached"));
    if (p.length) return p.forEach(report), widget = null;
    x.el = el ? embed(c, el) : launch(j.html);
    // A guest this device remembers has chatted before: the chat loads now, so the launcher can show
    // their unread replies.
    try { if (localStorage[GUEST + c.appID]) load(); } catch (e) {}
    // An openChat() or chatWithUser() while the variant came.
    if (x.q.length) load();
  }));
  return true;
}
function on(name, cb) {
  if (EVENTS.indexOf(name) < 0 || typeof cb != "function") return console.warn("Confab.on: unknown event " + name + " or missing callback"), false;
  (handlers[name] = handlers[name] || []).push(cb);
  return true;
}
function chatWith(kind) {
  return function (id) {
    if (typeof id != "string" || !RegExp(ID[1]).test(id)) return report(invalid(kind == "user" ? "uid" : "guid", ID[2])), false;
    return !!widget && (act("chat", kind, id), true);
  };
}
function logout() {
  var x = widget;
  if (!x) return true;
  widget = null;
  try { localStorage.removeItem(GUEST + x.c.appID); } catch (e) {}
  if (x.io) x.io.disconnect();
  if (x.h) x.h.destroy();
  if (!x.el) ; else if (x.c.isDocked) x.el.remove(); else x.el.style.width = x.el.style.height = "";
  emit("onLogout", {});
  return true;
}
var api = {
  start: guard(start),
  on: on,
  openChat: guard(function () { return !!widget && (act("open"), true); }),
  closeChat: guard(function () { return !!widget && (act("close"), true); }),
  chatWithUser: guard(chatWith("user")),
  chatWithGroup: guard(chatWith("group")),
  logout: guard(logout),
  validateConfig: guard(function (config) { return check(config).problems; })
};
w.Confab = api;
// The other platform's names (CometChatAuth.start, chatWithUser, chatWithGroup, logout, uiEvent) on top of
// Confab's own.
if (!w.CometChatApp) w.CometChatApp = { ...api, CometChatAuth: { start: api.start }, uiEvent: api.on };
})(window, document);
