// zod 4 bundles its error messages in ~45 languages (z.locales, z.core.locales: 400 kB, a fifth of the
// CLI's main.cjs), and dbclone uses only the English default, which zod imports on its own
// (classic/schemas.js: `import en from "../locales/en.js"`). This esbuild plugin makes those two
// namespaces empty; the build fails if our sources ever reach for them, so nothing can read an empty one.
import fs from "node:fs";
import path from "node:path";

const SOURCE_DIRS = ["packages/core/src", "packages/cli/src", "actions"];

export function zodNoLocalesPlugin(repoRoot) {
  return {
    name: "zod-no-locales",
    setup(b) {
      b.onStart(() => {
        const users = [];
        for (const dir of SOURCE_DIRS) {
          for (const f of fs.readdirSync(path.join(repoRoot, dir), { recursive: true }).map(String).sort()) {
            if (!f.endsWith(".ts") || f.includes("node_modules")) continue;
            const text = fs.readFileSync(path.join(repoRoot, dir, f), "utf8");
            if (/\blocales\b/.test(text) && /["']zod(\/[^"']*)?["']/.test(text)) users.push(path.join(dir, f));
          }
        }
        if (users.length)
          return { errors: [{ text: `${users.join(", ")} use zod's locales, which scripts/zod-no-locales.mjs leaves out of the bundles: drop that plugin` }] };
      });
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (a) =>
        /[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(a.importer)
          ? { path: "zod/v4/locales (left out)", namespace: "zod-no-locales" }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: "zod-no-locales" }, () => ({ contents: "export {};\n", loader: "js" }));
    },
  };
}
