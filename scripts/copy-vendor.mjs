// Copies the front-end libraries named in package.json's "fengpingVendor" map from
// node_modules into the Django static tree. Users sit on government intranets, so every
// file a page needs is served by fengping itself; this is the whole "JS build".
import { copyFileSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const dest = join(root, "src", "fengping", "static", "vendor");
for (const [from, to] of Object.entries(pkg.fengpingVendor)) {
  const src = join(root, "node_modules", from);
  if (!existsSync(src)) {
    console.error(`missing ${src}: run 'npm ci' first`);
    process.exit(1);
  }
  const target = join(dest, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(src, target);
}
console.log(`copied ${Object.keys(pkg.fengpingVendor).length} files into ${dest}`);
