// Shared pieces of the end-to-end tests: a real confab-server process, a host site on another origin, and
// headless Chromium driven by Playwright.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "../..");
export const artifacts = join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });

const serverBin =
  process.env.CONFAB_SERVER_BIN || join(process.env.CARGO_TARGET_DIR || join(repo, "target"), "debug/confab-server");

/**
 * Starts confab-server on a loopback port with a fresh data directory; resolves once it listens. With
 * `owner` (an email), a console owner is created first: `server.owner` is `{ email, password }`, the
 * one-time password `owner create` printed. `args` are more `serve` flags (limits, for example).
 */
export async function startServer({ region = "local", owner, args = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "confab-e2e-"));
  const password = owner ? createOwner(dataDir, owner, region) : undefined;
  const server = await spawnServer(dataDir, ["--region", region, ...args], () => rmSync(dataDir, { recursive: true, force: true }));
  if (owner) server.owner = { email: owner, password };
  return server;
}

/** Runs `confab-server owner create` on `dataDir`; returns the one-time password it prints. */
function createOwner(dataDir, email, region) {
  const args = ["owner", "create", "--email", email, "--data-dir", dataDir, "--region", region];
  const stdout = execFileSync(serverBin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return stdout.trim().split("\n").pop().trim();
}

/**
 * Starts `count` nodes of one cluster: a fresh database on the test PostgreSQL server and the test Redis
 * server (CONFAB_TEST_DATABASE_URL and CONFAB_TEST_REDIS_URL, which the test command sets), each node with
 * the demo. Resolves the nodes, in start order; every node carries the demo app's credentials.
 */
export async function startCluster(count) {
  const { CONFAB_TEST_DATABASE_URL: server, CONFAB_TEST_REDIS_URL: redis } = process.env;
  if (!server || !redis) {
    throw new Error("CONFAB_TEST_DATABASE_URL and CONFAB_TEST_REDIS_URL are not set: run `bash scripts/test.sh`");
  }
  const name = `confab_e2e_${process.pid}_${Date.now()}`;
  execFileSync("psql", [server, "-qc", `CREATE DATABASE ${name}`]);
  const database = new URL(server);
  database.pathname = `/${name}`;
  // The nodes share a data directory only for the demo app's public ids, which the first node writes.
  const dataDir = mkdtempSync(join(tmpdir(), "confab-e2e-cluster-"));
  const args = ["--database-url", database.toString(), "--redis-url", redis, "--cluster-name", name];
  const nodes = [];
  for (let i = 0; i < count; i++) {
    nodes.push(await spawnServer(dataDir, args, () => {}));
  }
  for (const node of nodes) node.credentials = nodes[0].credentials;
  const stopNode = nodes.map((node) => node.stop);
  for (const node of nodes) {
    node.stop = () => {
      stopNode.forEach((stop) => stop());
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  return nodes;
}

/** Starts `serve --demo` on `dataDir` with `extra` arguments; `cleanup` runs after it is killed. */
async function spawnServer(dataDir, extra, cleanup) {
  const child = spawn(
    serverBin,
    ["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--widget-dir", join(repo, "dist"), "--console-dir", join(repo, "console/dist"), ...extra],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CONFAB_LOG: "warn" } },
  );
  let stdout = "";
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${stdout}`)), 30000);
    child.on("exit", (code) => fail(new Error(`server exited with ${code}:\n${stdout}`)));
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const m = stdout.match(/Confab is listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
  });
  const start = stdout.indexOf("{");
  const credentials = start >= 0 ? JSON.parse(stdout.slice(start, stdout.lastIndexOf("}") + 1)) : undefined;
  return {
    base,
    credentials,
    stop() {
      child.kill("SIGKILL");
      cleanup();
    },
  };
}

/** A host website on http://localhost:PORT (another origin than the server on 127.0.0.1). */
export async function startHost() {
  const pages = new Map();
  const server = createServer((req, res) => {
    const html = pages.get(new URL(req.url, "http://x").pathname);
    res.writeHead(html ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(html || "not found");
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const origin = `http://localhost:${server.address().port}`;
  return {
    origin,
    /** Serves `html` at `path` and returns its URL. */
    page(path, html) {
      pages.set(path, html);
      return origin + path;
    },
    stop: () => new Promise((ok) => server.close(ok)),
  };
}

/**
 * A host page with the snippet pasted in. It records onError and the open/close events in window.__errors
 * and window.__events, and has a button of its own to show that the page stays usable.
 * `start` is the JS expression that starts the widget (default: Confab.start(config)).
 */
export function hostPage({ loaderSrc, config, mount = "", start = "Confab.start(config)" }) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host site</title>
<script defer src="${loaderSrc}"></script>
<style>body{font:16px system-ui;margin:2rem;background:#fafafa} #chat{border:1px dashed #999}</style></head>
<body><h1>Host site</h1>
<button id="host-button" onclick="this.dataset.clicks = (+this.dataset.clicks || 0) + 1">Host button</button>
<p>Content of the host page.</p>${mount}
<script>
window.__errors = []; window.__events = [];
window.addEventListener("DOMContentLoaded", function () {
  if (!window.Confab) { window.__noLoader = true; return; }
  ["onOpenChat", "onCloseChat", "onLogout"].forEach(function (name) {
    Confab.on(name, function () { window.__events.push(name); });
  });
  Confab.on("onError", function (e) { window.__errors.push(e); });
  window.__details = [];
  ["onMessageReceived", "onUnreadCountChanged", "onActiveChatChanged"].forEach(function (name) {
    Confab.on(name, function (detail) { window.__details.push([name, detail]); });
  });
  var config = ${JSON.stringify(config)};
  window.__started = ${start};
});
</script></body></html>`;
}

/** Headless Chromium from Debian's package, with the flags this closed network needs, and `extra` ones. */
export async function launchBrowser(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      ...extra,
    ],
  });
}

/** Saves a screenshot of `page` as artifacts/NAME.png. */
export async function screenshot(page, name) {
  // Transitions (the panel fading in) are finished first, so each picture shows a settled state.
  await page.screenshot({ path: join(artifacts, `${name}.png`), animations: "disabled" });
}

/** A new page that collects console errors and uncaught page errors. */
export async function newPage(browser, viewport = { width: 1280, height: 800 }) {
  const page = await browser.newPage({ viewport });
  page.consoleErrors = [];
  page.pageErrors = [];
  page.on("console", (m) => m.type() === "error" && page.consoleErrors.push(m.text()));
  page.on("pageerror", (e) => page.pageErrors.push(String(e)));
  if (process.env.CONFAB_E2E_TRACE) {
    page.on("websocket", (ws) => {
      ws.on("framesent", (f) => console.log("ws >", String(f.payload).slice(0, 160)));
      ws.on("framereceived", (f) => console.log("ws <", String(f.payload).slice(0, 160)));
    });
  }
  return page;
}

/**
 * Calls the server's REST API with the app's REST API key (acting as `onBehalfOf` when given); resolves the
 * parsed answer or throws.
 */
export async function rest(server, method, path, body, onBehalfOf) {
  const headers = { appid: server.credentials.appId, apikey: server.credentials.apiKey, "content-type": "application/json" };
  if (onBehalfOf) headers.onBehalfOf = onBehalfOf;
  const response = await fetch(`${server.base}/v3${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * The axe violations in `target` (a page or a frame), each as "rule: nodes": in the whole document, or in
 * the element `selector` finds; with `serious`, only the serious and critical ones.
 */
export async function axeViolations(target, { selector, serious = false } = {}) {
  if (!(await target.evaluate(() => !!window.axe))) await target.evaluate(axeSource);
  const result = await target.evaluate(
    (selector) => window.axe.run(selector ? document.querySelector(selector) : document, { resultTypes: ["violations"] }),
    selector,
  );
  return result.violations
    .filter((v) => !serious || v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** The chat frame of `page` as a Playwright frame locator (for finding by role and text). */
export const frameOf = (page) => page.frameLocator('iframe[title="Chat"]');

/** The chat frame of `page` as a frame (for `evaluate`). */
export const chatFrame = (page) => page.frames().find((f) => f.url().includes("/widget/frame"));

/** Makes user `uid` named `name` as uid sign-in does (the demo app's is open), so a page can sign them in by uid. */
export async function makeUser(server, uid, name) {
  await rest(server, "POST", "/auth/uid", { uid, user: { name } });
}

/** `from` sends `text` to user `to` through the REST API; resolves the stored message. */
export async function sendText(server, from, to, text) {
  return (await rest(server, "POST", "/messages", { receiver: to, receiverType: "user", type: "text", data: { text } }, from)).data;
}

/**
 * A new page of `browser` showing a host page of `host` at `/name` with the widget of `server` started with
 * `config` (embedded in a `#chat` element unless it is docked); `before(page)` runs before it loads.
 * Resolves the page and the chat frame's locator.
 */
export async function openWidget({ browser, host, server }, name, config, { viewport = { width: 900, height: 700 }, before } = {}) {
  const page = await newPage(browser, viewport);
  if (before) await before(page);
  const mount = config.isDocked ? "" : '<div id="chat"></div>';
  await page.goto(host.page(`/${name}`, hostPage({ loaderSrc: `${server.base}/widget/confab.js`, config, mount })));
  return { page, frame: frameOf(page) };
}
