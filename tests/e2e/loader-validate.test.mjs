// Unit tests of the loader's config checker: the loader as the server serves it, run in a bare VM context,
// against the same cases the Rust checker runs (protocol/tests/config_cases.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import vm from "node:vm";
import { repo, startServer } from "./harness.mjs";

const cases = JSON.parse(readFileSync(join(repo, "protocol/tests/config_cases.json"), "utf8"));
let server, Confab, warnings;
// Results come from the VM's realm; JSON brings them into this one for deepEqual.
const problems = (config) => JSON.parse(JSON.stringify(Confab.validateConfig(config)));

before(async () => {
  server = await startServer();
  const source = await (await fetch(`${server.base}/widget/confab.js`)).text();
  warnings = [];
  const console = { error() {}, warn: (m) => warnings.push(m) };
  const window = { console };
  const context = vm.createContext({ window, document: {}, location: { href: server.base, origin: server.base }, console, URL });
  vm.runInContext(source, context);
  Confab = window.Confab;
});
after(() => server.stop());

for (const c of cases) {
  test(`config case: ${c.name}`, () => {
    const got = problems(c.config).map((p) => [p.code, p.field || ""]);
    assert.deepEqual(got, c.expect);
  });
}

test("each problem names its field in a sentence", () => {
  const [problem] = problems({ appID: "a1", mode: "guest", authKey: "k", dockedAlignment: "up" });
  assert.equal(problem.field, "dockedAlignment");
  assert.match(problem.message, /config\.dockedAlignment must be one of "left", "right"/);
});

test("unknown keys are ignored with a console warning", () => {
  warnings.length = 0;
  assert.deepEqual(problems({ appID: "a1", mode: "guest", authKey: "k", isdocked: false }), []);
  assert.match(warnings.join("\n"), /unknown key config\.isdocked ignored/);
});

test("keys named like Object.prototype members are not mistaken for rules", () => {
  const got = problems({ appID: "a1", mode: "constructor", authKey: "k" }).map((p) => [p.code, p.field]);
  assert.deepEqual(got, [["CONFIG_INVALID_FIELD", "mode"]]);
});
