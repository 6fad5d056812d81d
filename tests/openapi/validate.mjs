// Checks docs/openapi.yaml and the responses the integration tests recorded.
//
//   node validate.mjs DOCUMENT [RESPONSES.jsonl] [--require-every-route]
//
// 1. The document is a valid OpenAPI 3.1 document
//    (@seriousme/openapi-schema-validator).
// 2. Each recorded response (one JSON object a line: method, target, status,
//    contentType, body; tests/support/http_client.cc writes them when
//    SWITCHBOARD_RECORD_RESPONSES names a file) is matched to the document's
//    operation by method and path; its status must be documented there, and
//    a JSON body must validate against that status's schema (ajv, JSON Schema
//    2020-12, formats checked). Requests to paths or methods the document
//    does not have (the tests' 404 and 405 probes) are counted, not checked.
// 3. With --require-every-route, every operation must have at least one
//    recorded response (scripts/test runs the whole suite, so it can).
// Exit 0 when all holds; 1 with one line per problem otherwise.
import { readFileSync, existsSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import YAML from "yaml";

const args = process.argv.slice(2);
const requireEveryRoute = args.includes("--require-every-route");
const [documentPath, responsesPath] = args.filter((a) => !a.startsWith("--"));
if (!documentPath) {
  console.error("usage: node validate.mjs DOCUMENT [RESPONSES.jsonl] [--require-every-route]");
  process.exit(2);
}

const problems = [];
const documentText = readFileSync(documentPath, "utf8");
const document = YAML.parse(documentText);

const validator = new Validator();
const result = await validator.validate(document);
if (!result.valid) {
  problems.push(`${documentPath} is not a valid OpenAPI document: ${JSON.stringify(result.errors)}`);
}
if (document.openapi !== "3.1.0") problems.push(`openapi is ${document.openapi}, want 3.1.0`);

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The whole document under one id, so "#/components/..." references inside
// each schema resolve against it.
ajv.addSchema(document, "openapi.json");

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
const pointer = (segments) =>
  "#" + segments.map((s) => "/" + encodeURIComponent(String(s).replace(/~/g, "~0").replace(/\//g, "~1"))).join("");

// Path templates as regexes; literal segments win over parameters
// ("/brokers/summary" before "/brokers/{id}"), as in the server.
const templates = Object.keys(document.paths).map((path) => {
  const segments = path.split("/").slice(1);
  const regex = new RegExp(
    "^/" + segments.map((s) => (s.startsWith("{") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/") + "$");
  const literals = segments.filter((s) => !s.startsWith("{")).length;
  return { path, regex, literals };
});
templates.sort((a, b) => b.literals - a.literals);

function resolveRef(node) {
  while (node && node.$ref) {
    const parts = node.$ref.replace(/^#\//, "").split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    node = parts.reduce((n, p) => n?.[p], document);
  }
  return node;
}

const seen = new Map(); // "METHOD path" -> Set of statuses
let checked = 0, unmatched = 0;
const validators = new Map();

if (responsesPath) {
  if (!existsSync(responsesPath)) {
    problems.push(`${responsesPath}: no recorded responses (did the integration tests run?)`);
  } else {
    const lines = readFileSync(responsesPath, "utf8").split("\n").filter((l) => l.trim() !== "");
    for (const [index, line] of lines.entries()) {
      let record;
      try {
        record = JSON.parse(line);
      } catch (e) {
        problems.push(`${responsesPath}:${index + 1}: not JSON: ${e.message}`);
        continue;
      }
      const path = record.target.split("?")[0];
      const method = record.method.toLowerCase();
      const template = templates.find((t) => t.regex.test(path));
      if (!template || !document.paths[template.path][method]) {
        ++unmatched;
        continue;
      }
      ++checked;
      const where = `${record.method} ${record.target} -> ${record.status}`;
      const key = `${record.method} ${template.path}`;
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key).add(record.status);
      const operation = document.paths[template.path][method];
      const response = resolveRef(operation.responses?.[String(record.status)]);
      if (!response) {
        problems.push(`${where}: status ${record.status} is not documented for ${key}`);
        continue;
      }
      if (!response.content) {
        if (record.body !== "") problems.push(`${where}: documented without a body, got ${record.body.slice(0, 200)}`);
        continue;
      }
      const mediaType = (record.contentType || "").split(";")[0].trim();
      if (!response.content[mediaType]) {
        problems.push(`${where}: content type '${mediaType}' is not documented (${Object.keys(response.content)})`);
        continue;
      }
      if (mediaType !== "application/json") continue;
      let body;
      try {
        body = JSON.parse(record.body);
      } catch (e) {
        problems.push(`${where}: body is not JSON: ${e.message}`);
        continue;
      }
      const statusPointer = operation.responses[String(record.status)].$ref
        ? operation.responses[String(record.status)].$ref.replace(/^#/, "").split("/").slice(1).map((p) => p.replace(/~1/g, "/"))
        : ["paths", template.path, method, "responses", String(record.status)];
      const schemaRef = "openapi.json" + pointer([...statusPointer, "content", mediaType, "schema"]);
      let validate = validators.get(schemaRef);
      if (!validate) {
        validate = ajv.compile({ $ref: schemaRef });
        validators.set(schemaRef, validate);
      }
      if (!validate(body)) {
        problems.push(`${where}: ${ajv.errorsText(validate.errors)}: ${record.body.slice(0, 300)}`);
      }
    }
  }
}

const operations = [];
for (const [path, item] of Object.entries(document.paths)) {
  for (const method of METHODS) if (item[method]) operations.push(`${method.toUpperCase()} ${path}`);
}
const missing = operations.filter((op) => !seen.has(op));
if (requireEveryRoute) {
  for (const op of missing) problems.push(`${op}: no recorded response (no integration test calls it)`);
}

for (const problem of problems) console.log(`FAIL ${problem}`);
console.log(
  `openapi: ${operations.length} operations, ${checked} responses checked, ${unmatched} to undocumented paths or methods, ` +
    `${operations.length - missing.length} operations seen` +
    (missing.length && !requireEveryRoute ? ` (not seen: ${missing.join(", ")})` : ""));
console.log(`${problems.length === 0 ? 1 : 0} passed, ${problems.length === 0 ? 0 : 1} failed`);
process.exit(problems.length === 0 ? 0 : 1);
