// pg's crypto helpers (pg/lib/crypto/utils.js) read `crypto.webcrypto` and its `subtle` when pg is
// loaded, which makes Node load all of WebCrypto (~5–13 ms of every clone's start). dbclone's clones
// never need it there: admin connections use the private socket (no password), and only a SCRAM
// login over TCP (verifyIdentity of a reused clone, the bench) calls these helpers. This esbuild
// plugin makes the two constants lazy: WebCrypto is loaded on the first call instead. The build
// fails if pg changes the lines it rewrites, so an upgrade cannot silently drop the rewrite.
import fs from "node:fs";

const WEB = "const webCrypto = nodeCrypto.webcrypto || globalThis.crypto";
const SUBTLE = "const subtleCrypto = webCrypto.subtle";

export function pgLazyWebCryptoPlugin() {
  return {
    name: "pg-lazy-webcrypto",
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]crypto[\\/]utils\.js$/ }, (a) => {
        const text = fs.readFileSync(a.path, "utf8");
        if (!text.includes(WEB) || !text.includes(SUBTLE)) {
          return { errors: [{ text: `${a.path} no longer has the lines scripts/pg-lazy-webcrypto.mjs rewrites; update or drop that plugin` }] };
        }
        const body = text
          .replace(WEB, "let webCryptoLoaded\nconst webCryptoOf = () => (webCryptoLoaded ??= nodeCrypto.webcrypto || globalThis.crypto)")
          .replace(SUBTLE, "")
          .replace(/\bsubtleCrypto\./g, "webCryptoOf().subtle.")
          .replace(/\bwebCrypto\./g, "webCryptoOf().");
        return { contents: body, loader: "js" };
      });
    },
  };
}
