// Host-page cost report: Lighthouse (performance only) on a host page without the Confab snippet and with
// it (docked, guest mode), three runs each, medians; and what the page fetched from the chat server before
// the visitor showed intent. Run by scripts/test.sh after the size report; prints a table and a JSON line.
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";
import { hostPage, startHost, startServer } from "./harness.mjs";

// Budget of the chat widget issue: performance points the snippet may cost the host page.
const MAX_POINTS_LOST = 2;
const RUNS = 3;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const server = await startServer();
const host = await startHost();
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
try {
  const { appId, authKey } = server.credentials;
  const withSnippet = hostPage({ loaderSrc: `${server.base}/widget/confab.js`, config: { appID: appId, region: "local", mode: "guest", authKey } });
  const pages = {
    // The same page with the snippet's scripts taken out.
    without: host.page("/lh-without", withSnippet.replace(/<script[\s\S]*?<\/script>/g, "")),
    with: host.page("/lh-with", withSnippet),
  };
  const figures = {};
  for (const [name, url] of Object.entries(pages)) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const { lhr } = await lighthouse(url, { port: chrome.port, onlyCategories: ["performance"], output: "json", logLevel: "error" });
      const requests = (lhr.audits["network-requests"].details?.items || []).map((r) => r.url).filter((u) => u.startsWith(server.base));
      const bootup = (lhr.audits["bootup-time"].details?.items || []).filter((r) => String(r.url).startsWith(server.base));
      runs.push({
        score: Math.round(lhr.categories.performance.score * 100),
        tbt: lhr.audits["total-blocking-time"].numericValue,
        lcp: lhr.audits["largest-contentful-paint"].numericValue,
        requests,
        confabBootupMs: bootup.reduce((sum, r) => sum + r.total, 0),
      });
    }
    figures[name] = {
      score: median(runs.map((r) => r.score)),
      tbtMs: median(runs.map((r) => r.tbt)),
      lcpMs: Math.round(median(runs.map((r) => r.lcp))),
      confabBootupMs: median(runs.map((r) => r.confabBootupMs)),
      requestsToChatServer: [...new Set(runs.flatMap((r) => r.requests.map((u) => new URL(u).pathname)))],
    };
  }
  const lost = figures.without.score - figures.with.score;
  console.log("\nConfab host-page cost (Lighthouse, performance, median of %d runs)", RUNS);
  console.log("page              score   TBT ms   LCP ms   Confab script main-thread ms");
  for (const [name, f] of Object.entries(figures)) {
    console.log(`${name.padEnd(16)}  ${String(f.score).padStart(5)}  ${String(f.tbtMs).padStart(7)}  ${String(f.lcpMs).padStart(7)}  ${String(f.confabBootupMs).padStart(8)}`);
  }
  console.log(`before intent the page fetched from the chat server: ${figures.with.requestsToChatServer.join(", ") || "nothing"}`);
  console.log(`budget, points lost: ${lost} of ${MAX_POINTS_LOST}: ${lost <= MAX_POINTS_LOST ? "ok" : "OVER"}`);
  console.log(JSON.stringify({ lighthouse: figures, pointsLost: lost }));
} finally {
  await chrome.kill();
  await host.stop();
  server.stop();
}
