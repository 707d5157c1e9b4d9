import { describe, expect, it } from "vitest";
import { BadReferenceError } from "../../../packages/core/src/errors.js";
import { formatImageRef, parseImageRef } from "../../../packages/core/src/image/reference.js";

const HEX = "a".repeat(64);

describe("parseImageRef", () => {
  it.each([
    ["orders-db", { name: "orders-db" }],
    ["orders-db:1.4.0", { name: "orders-db", version: "1.4.0" }],
    ["orders-db:latest", { name: "orders-db", version: "latest" }],
    ["team/orders_db:feature-x_2", { name: "team/orders_db", version: "feature-x_2" }],
    [`orders-db@sha256:${HEX}`, { name: "orders-db", digest: `sha256:${HEX}` }],
    [`orders-db:1.0@sha256:${HEX}`, { name: "orders-db", version: "1.0", digest: `sha256:${HEX}` }],
    ["orders-db+analysts:2", { name: "orders-db", variant: "analysts", version: "2" }],
  ])("parses %s", (input, expected) => {
    expect(parseImageRef(input)).toEqual(expected);
    expect(formatImageRef(parseImageRef(input))).toBe(input);
  });

  it.each([
    ["", /is empty/],
    ["Orders", /image name 'Orders' must be lowercase/],
    ["orders:", /version '' must be 1-128/],
    ["orders:-x", /version '-x' must be/],
    ["orders:a b", /version 'a b' must be/],
    ["orders@sha256:abc", /digest 'sha256:abc' must be sha256: followed by 64 lowercase hex/],
    [`orders@md5:${HEX}`, /digest 'md5:/],
    [":1.0", /image name is missing/],
    ["localhost:5000/orders:1", /a registry host belongs in the repository location/],
    ["orders+Bad:1", /variant 'Bad' must be/],
    ["orders//x", /image name 'orders\/\/x'/],
  ])("rejects %j with a message naming the bad part and an example", (input, message) => {
    const fn = () => parseImageRef(input);
    expect(fn).toThrow(BadReferenceError);
    expect(fn).toThrow(message);
    expect(fn).toThrow(/examples: orders-db, orders-db:1.4.0/);
  });

  it("reports a usage exit code", () => {
    try {
      parseImageRef("NOPE");
      expect.unreachable();
    } catch (e) {
      expect((e as BadReferenceError).exitCode).toBe(2);
    }
  });
});
