// The keyed digest's own HMAC-SHA256 (hmac-sha256.ts, midstates computed once per key and family)
// must equal node:crypto's HMAC for every key length, prefix length, message length and encoding:
// existing images were masked with createHmac, and new builds must map every value the same way.
import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { DIGEST_DOMAIN, keyedDigest } from "../../../packages/core/src/masking/keyed-digest.js";
import { PrefixedHmac } from "../../../packages/core/src/masking/hmac-sha256.js";
import { defaultFamily, maskValue, VALUE_TRANSFORMERS, type ColumnRule } from "../../../packages/core/src/masking/index.js";

const reference = (key: Buffer, family: string, value: string, attempt = 0): Buffer => {
  const h = crypto.createHmac("sha256", key).update(`${DIGEST_DOMAIN}\u0000${family}\u0000${value}`, "utf8");
  if (attempt > 0) h.update(`\u0000${attempt}`, "utf8");
  return h.digest();
};

/** A deterministic generator (tests must not depend on luck): xorshift32. */
function generator(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
  const text = (n: number) =>
    Array.from({ length: n }, () => {
      const r = next();
      // Mostly ASCII, some 2- and 3-byte characters, lone surrogates and pairs.
      if (r < 0.7) return String.fromCharCode(32 + Math.floor(next() * 95));
      if (r < 0.8) return String.fromCharCode(0x80 + Math.floor(next() * 0x780));
      if (r < 0.9) return String.fromCharCode(0x800 + Math.floor(next() * 0xf7ff));
      return next() < 0.5 ? "😀" : String.fromCharCode(0xd800 + Math.floor(next() * 0x800));
    }).join("");
  return { next, text };
}

describe("keyed digest (HMAC-SHA256 with precomputed midstates)", () => {
  it("equals node:crypto's HMAC at every block boundary of key, family and value", () => {
    const key = Buffer.from("unit-test-key-0123456789abcdef");
    for (const keyLength of [1, 16, 63, 64, 65, 200]) {
      const k = Buffer.alloc(keyLength, 0x61 + (keyLength % 26));
      for (const family of ["", "email", "f".repeat(46), "f".repeat(47), "f".repeat(48), "f".repeat(111), "f".repeat(200)]) {
        for (const length of [0, 1, 38, 39, 40, 55, 56, 63, 64, 65, 119, 120, 300]) {
          const value = "v".repeat(length);
          for (const attempt of [0, 1, 49, 99]) expect(keyedDigest(k, family, value, attempt)).toEqual(reference(k, family, value, attempt));
        }
      }
    }
    expect(keyedDigest(key, "email", "alice@example.com").toString("hex")).toBe(reference(key, "email", "alice@example.com").toString("hex"));
  });

  it("equals node:crypto's HMAC on non-ASCII text, lone surrogates and random lengths", () => {
    const g = generator(18);
    for (let i = 0; i < 3000; i++) {
      const key = Buffer.from(g.text(1 + Math.floor(g.next() * 90)), "utf8");
      const family = g.text(Math.floor(g.next() * 80));
      const value = g.text(Math.floor(g.next() * 200));
      const attempt = i % 4 === 0 ? Math.floor(g.next() * 100) : 0;
      expect(keyedDigest(key, family, value, attempt)).toEqual(reference(key, family, value, attempt));
    }
    for (const v of ["\ud800", "a\udc00b", "\udbff\udfff", "é".repeat(100), "😀".repeat(40)])
      expect(keyedDigest(Buffer.from("k"), "x", v)).toEqual(reference(Buffer.from("k"), "x", v));
  });

  it("returns a fresh buffer per call, so a digest kept by a caller is not overwritten", () => {
    const h = new PrefixedHmac(Buffer.from("key"), Buffer.from("prefix"));
    const a = h.digest("one");
    const copy = Buffer.from(a);
    h.digest("two");
    expect(a).toEqual(copy);
  });

  it("a different key object with the same bytes gives the same digest; another key another", () => {
    const a = keyedDigest(Buffer.from("same-key-bytes-0123"), "email", "x@y.z");
    expect(keyedDigest(Buffer.from("same-key-bytes-0123"), "email", "x@y.z")).toEqual(a);
    expect(keyedDigest(Buffer.from("other-key-bytes-012"), "email", "x@y.z")).not.toEqual(a);
  });

  // Pinned with the createHmac implementation (before the midstate HMAC): 500 values per
  // transformer, attempts 0–4, ASCII and not; a change here means existing images would no
  // longer match new builds of the same data.
  it("every transformer's outputs are the ones the createHmac implementation gave", () => {
    const pinned: Record<string, string> = JSON.parse(
      `{  "firstName": "e64f66ece7944b5b",  "lastName": "a78ad99391510902",  "fullName": "66c5cc3f94d19eae",  "email": "5be2e97f1d2e80ca",  "phone": "fcf5f1b1b9352c20",  "address": "7c4d26811cbb78b9",  "company": "b893663d60fc1fe5",  "iban": "ae597daefc27c36f",  "creditCard": "4ad7e4f747801cb8",  "nationalId": "d441f8113885f9fd",  "text": "c90f964024a885c9",  "hash": "78a45768348bc1d5",  "redact": "b761f6f19721a8e3",  "dateShift": "137c4f8c1703b0b4",  "noise": "3f2fd7d70ec1286a"}`,
    );
    const key = Buffer.from("golden-key-0123456789abcdef");
    for (const name of VALUE_TRANSFORMERS) {
      const rule = { transformer: name } as ColumnRule;
      const family = defaultFamily(rule);
      const h = crypto.createHash("sha256");
      for (let i = 0; i < 500; i++) {
        const v =
          name === "creditCard"
            ? `4111 1111 1111 ${String(i).padStart(4, "0")}`
            : name === "dateShift" || name === "noise"
              ? String(i)
              : `välue ${i} ${"x".repeat(i % 70)}`;
        h.update(`${maskValue(key, family, rule, v, i % 5)}\n`);
      }
      expect(h.digest("hex").slice(0, 16), name).toBe(pinned[name]);
    }
  });
});
