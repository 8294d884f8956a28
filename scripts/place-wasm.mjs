// Puts the split widget into dist/: the files wasm-split and wasm-bindgen wrote (the JS glue, the main wasm,
// the split loader and one wasm file per part loaded on first use) get one content hash in their names, the
// references between them follow, and the frame page gets the bootstrap that starts the panel.
//
//   node scripts/place-wasm.mjs SPLIT_DIR DIST_DIR
//
// Run by scripts/build-widget.sh. One hash for all of them: the glue imports the loader and the loader
// imports the glue, so neither name can be a hash of its own file.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [splitDir, distDir] = process.argv.slice(2);
if (!splitDir || !distDir) {
  console.error("usage: node scripts/place-wasm.mjs SPLIT_DIR DIST_DIR");
  process.exit(2);
}
/** Where the server mounts dist/ (Trunk.toml's public_url). */
const BASE = "/widget/";
const GLUE = "confab-widget.js";
const MAIN = "confab-widget_bg.wasm";
const LOADER = "__wasm_split.js";

const names = readdirSync(splitDir).filter((name) => name === GLUE || name === LOADER || name.endsWith(".wasm"));
for (const needed of [GLUE, MAIN, LOADER]) {
  if (!names.includes(needed)) throw new Error(`place-wasm: ${join(splitDir, needed)} is missing`);
}
const hash = createHash("sha256");
for (const name of names.sort()) hash.update(name).update(readFileSync(join(splitDir, name)));
const h = hash.digest("hex").slice(0, 16);

/** Each file's name in dist/: the content hash before the extension (`_bg` kept last, as trunk does). */
const placed = new Map(
  names.map((name) => {
    if (name === GLUE) return [name, `confab-widget-${h}.js`];
    if (name === MAIN) return [name, `confab-widget-${h}_bg.wasm`];
    if (name === LOADER) return [name, `confab-split-${h}.js`];
    return [name, name.replace(/\.wasm$/, `-${h}.wasm`)];
  }),
);
/**
 * `text` pointing at the placed files: its module imports (`from "./NAME.js"`), the loader's fetches
 * (`"./NAME.wasm"`) and the glue's default wasm (`"NAME_bg.wasm"`). The wasm's own import module name
 * (`"./__wasm_split.js"`, a key of the glue's imports object) stays as it is.
 */
function relink(text) {
  for (const [from, to] of placed) {
    const name = from.replaceAll(".", "\\.");
    const pattern = from.endsWith(".js") ? new RegExp(`(from\\s*)(["'])\\./${name}\\2`, "g") : new RegExp(`(["'])(\\./)?${name}\\1`, "g");
    text = text.replace(pattern, (match) => match.replace(from, to));
  }
  return text;
}
for (const [from, to] of placed) {
  const body = readFileSync(join(splitDir, from));
  writeFileSync(join(distDir, to), from.endsWith(".js") ? relink(body.toString("utf8")) : body);
}
const glue = readFileSync(join(distDir, placed.get(GLUE)), "utf8");
if (!new RegExp(`from\\s*["']\\./${placed.get(LOADER)}["']`).test(glue)) throw new Error("place-wasm: the JS glue does not import the split loader");

// The frame's bootstrap, in the form trunk wrote (the size report reads the glue's and the wasm's paths
// from it); the server allows this inline script by its hash.
const js = BASE + placed.get(GLUE);
const wasm = BASE + placed.get(MAIN);
const bootstrap = `<script type="module">
import init from '${js}';
await init({ module_or_path: '${wasm}' });
</script>
<link rel="modulepreload" href="${js}"><link rel="modulepreload" href="${BASE + placed.get(LOADER)}"><link rel="preload" href="${wasm}" crossorigin="anonymous" as="fetch" type="application/wasm">`;
// It takes the place of the rust link trunk skipped (index.html's `data-trunk-skip`).
const page = join(distDir, "index.html");
const html = readFileSync(page, "utf8");
const link = /<link data-trunk rel="rust"[^>]*>/;
if (!link.test(html)) throw new Error(`place-wasm: ${page} has no skipped rust link to put the bootstrap in`);
writeFileSync(page, html.replace(link, () => bootstrap));
const parts = [...placed.values()].filter((name) => name.startsWith("split_") || name.startsWith("chunk_"));
console.error(`place-wasm: ${placed.get(GLUE)}, ${placed.get(MAIN)} and ${parts.length} part(s) loaded on first use`);
