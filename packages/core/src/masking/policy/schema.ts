// The JSON Schema of a masking policy. schemas/masking-policy.schema.json is this object written
// out (a unit test keeps the two equal), so editors and other tools can validate dbclone.yml too.
import { TRANSFORMERS } from "./types.js";

const identifierList = { type: "array", items: { type: "string", minLength: 1 } };

const ruleProperties = {
  transformer: { enum: [...TRANSFORMERS], description: "How the column is masked." },
  family: { type: "string", minLength: 1, description: "Columns of one family share one mapping (same input → same output)." },
  unique: { type: "boolean", description: "Outputs must be distinct (default: detected from a unique index)." },
  locale: { type: "string", pattern: "^[a-z]{2}(_[A-Z]{2})?$" },
  keepDomain: { type: "boolean", description: "email: keep the original domain." },
  keep: { type: "integer", minimum: 0, maximum: 64, description: "redact: characters kept at the end (default 4)." },
  maskChar: { type: "string", minLength: 1, maxLength: 1 },
  days: { type: "integer", minimum: 1, maximum: 36500, description: "dateShift: shift within ±days (default 30)." },
  percent: { type: "number", exclusiveMinimum: 0, maximum: 100, description: "noise: ±percent (default 10)." },
  value: { type: ["string", "number", "boolean", "null"], description: "constant: the value." },
  expression: {
    oneOf: [
      { type: "string", minLength: 1 },
      { type: "object", properties: { postgres: { type: "string" }, sqlserver: { type: "string" } }, additionalProperties: false, minProperties: 1 },
    ],
    description: "sql: an expression over the row's columns.",
  },
  length: { type: "integer", minimum: 8, maximum: 64, description: "hash: hex characters kept (default 32)." },
  part: { enum: ["street", "city", "postcode", "country", "full"] },
  format: { enum: ["us-ssn", "digits"] },
  country: { type: "string", pattern: "^[A-Z]{2}$" },
  fillNulls: { type: "boolean", description: "null/constant: replace NULLs too (default: NULL stays NULL)." },
};

const requiredOptions = [
  { if: { properties: { transformer: { const: "constant" } }, required: ["transformer"] }, then: { required: ["value"] } },
  { if: { properties: { transformer: { const: "sql" } }, required: ["transformer"] }, then: { required: ["expression"] } },
];

const columnRule = {
  oneOf: [
    { enum: [...TRANSFORMERS] },
    { type: "object", properties: ruleProperties, required: ["transformer"], additionalProperties: false, allOf: requiredOptions },
  ],
};

const defaultRule = {
  type: "object",
  properties: {
    column: { type: "string", minLength: 1, description: "Regular expression matched (case-insensitive) against column names." },
    ...ruleProperties,
  },
  required: ["column", "transformer"],
  additionalProperties: false,
  allOf: requiredOptions,
};

const database = {
  type: "object",
  properties: {
    tables: {
      type: "object",
      additionalProperties: {
        type: "object",
        properties: {
          where: { type: "string", minLength: 1 },
          columns: { type: "object", additionalProperties: { $ref: "#/definitions/columnRule" } },
          notPersonal: {
            type: "object",
            additionalProperties: { type: "string", minLength: 1 },
            description: "Unmasked columns that hold no personal data, each with the reason (recorded in the manifest).",
          },
        },
        required: ["columns"],
        additionalProperties: false,
      },
    },
    truncate: identifierList,
    exclude: identifierList,
  },
  additionalProperties: false,
};

const access = {
  type: "object",
  properties: { users: { type: "array", items: { type: "string" } }, teams: { type: "array", items: { type: "string" } } },
  additionalProperties: false,
};

export const maskingPolicySchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://dbclone.dev/schemas/masking-policy.schema.json",
  title: "dbclone masking policy",
  description: "The `masking:` section of dbclone.yml, or a policy file of its own.",
  type: "object",
  properties: {
    version: { const: 1 },
    locale: { type: "string", pattern: "^[a-z]{2}(_[A-Z]{2})?$" },
    onUnmaskedPii: { enum: ["warn", "fail"], description: "What an unmasked column that looks like personal data does to the build (default fail)." },
    leakScan: {
      type: "object",
      properties: {
        mode: { enum: ["exhaustive", "none"], description: "exhaustive (default): every original is searched for in the final disk." },
        reason: { type: "string", minLength: 1, description: "Why the scan is skipped (required with mode none; recorded in the manifest)." },
      },
      required: ["mode"],
      additionalProperties: false,
      if: { properties: { mode: { const: "none" } } },
      then: { required: ["reason"] },
    },
    defaults: { type: "array", items: { $ref: "#/definitions/defaultRule" } },
    databases: { type: "object", additionalProperties: { $ref: "#/definitions/database" } },
    variants: {
      type: "object",
      propertyNames: { pattern: "^[a-z0-9]+(?:[._-][a-z0-9]+)*$" },
      additionalProperties: {
        type: "object",
        properties: {
          access,
          locale: { type: "string", pattern: "^[a-z]{2}(_[A-Z]{2})?$" },
          defaults: { type: "array", items: { $ref: "#/definitions/defaultRule" } },
          databases: { type: "object", additionalProperties: { $ref: "#/definitions/database" } },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
  definitions: { columnRule, defaultRule, database },
} as const;
