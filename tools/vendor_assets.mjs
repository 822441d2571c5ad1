// Copy the front-end assets the site serves itself from node_modules into docs/assets/vendor/.
// Run after `npm ci`. Nothing is loaded from a CDN: readers offline or behind the
// Great Firewall get the same page.
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "docs", "assets", "vendor");
const copies = [
  ["node_modules/katex/dist/katex.min.js", "katex/katex.min.js"],
  ["node_modules/katex/dist/katex.min.css", "katex/katex.min.css"],
  ["node_modules/katex/dist/contrib/auto-render.min.js", "katex/contrib/auto-render.min.js"],
  ["node_modules/katex/dist/fonts", "katex/fonts"],
  ["node_modules/katex/LICENSE", "katex/LICENSE"],
  ["node_modules/mermaid/dist/mermaid.min.js", "mermaid/mermaid.min.js"],
  ["node_modules/mermaid/LICENSE", "mermaid/LICENSE"],
];
rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of copies) {
  const src = join(root, from);
  if (!existsSync(src)) {
    console.error(`missing ${from}: run npm ci first`);
    process.exit(1);
  }
  mkdirSync(dirname(join(vendor, to)), { recursive: true });
  cpSync(src, join(vendor, to), { recursive: true });
}
console.log(`vendored ${copies.length} assets into docs/assets/vendor/`);
