// The console's live preview, inside an iframe of the variant editor (same origin). It tells the console
// it is ready; the console answers with a widget config (authToken mode, the edited settings as the
// `variant` key) after every change. Each config restarts the widget: Confab.logout(), then
// Confab.start(config), debounced so typing does not restart it on every key. Only messages from the
// parent window on this origin are read.
(function () {
  "use strict";
  var READY = "confab-console:preview-ready";
  var CONFIG = "confab-console:preview-config";
  var DEBOUNCE_MS = 400;
  var status = document.getElementById("status");
  var pending = null;
  var timer = 0;

  function say(text) { status.textContent = text; }

  function restart() {
    timer = 0;
    var config = pending;
    if (!config) return;
    if (!window.Confab) return say("The widget is not available on this server (build it with scripts/build-widget.sh).");
    Confab.logout();
    var docked = !!(config.variant && config.variant.noCode && config.variant.noCode.docked);
    var start = Object.assign({}, config, { isDocked: docked, width: "100%", height: "100%" });
    if (!docked) start.mount = "#confab-preview";
    say("");
    if (Confab.start(start) && docked) Confab.openChat();
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== location.origin || event.source !== window.parent) return;
    var data = event.data;
    if (!data || data.type !== CONFIG || !data.config || typeof data.config !== "object") return;
    pending = data.config;
    clearTimeout(timer);
    timer = setTimeout(restart, DEBOUNCE_MS);
  });

  if (window.Confab) {
    Confab.on("onError", function (error) {
      say("The widget reports " + error.code + (error.field ? " (" + error.field + ")" : "") + ": " + error.message);
    });
  }
  if (window.parent !== window) window.parent.postMessage({ type: READY }, location.origin);
  else say("This page is the console's live preview; open a variant in the console to use it.");
})();
