/**
 * Validates requests against GitHub's published OpenAPI description (`@octokit/openapi`,
 * api.github.com): the method + path must be a documented operation, path and query
 * parameters must match their schemas, and a JSON body must validate against the operation's
 * request-body schema. Object schemas are made strict (`additionalProperties: false` where
 * GitHub lists the properties): GitHub silently ignores unknown fields, so a misspelt field
 * would otherwise pass here and do nothing there.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

type Spec = {
  info: { version: string };
  paths: Record<string, Record<string, JsonObject>>;
  components: Record<string, Record<string, JsonObject>>;
};

type Parameter = { name: string; in: string; required: boolean; schema: JsonObject; multiSegment: boolean };

/** One documented operation. */
export type Operation = {
  method: string;
  /** OpenAPI path template, e.g. `/repos/{owner}/{repo}/statuses/{sha}`. */
  path: string;
  operationId: string;
  /** `METHOD /path/template` — the key failure injection and call counting use. */
  route: string;
};

type CompiledOperation = Operation & {
  regex: RegExp;
  literalLength: number;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body: { required: boolean; schema: JsonObject | undefined } | undefined;
};

export type MatchedOperation = { operation: Operation; pathParams: Record<string, string> };

const METHODS = new Set(["get", "put", "post", "patch", "delete", "head"]);

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** GitHub-specific `format` values that are documentation, not constraints. */
const FREE_FORMATS = [
  "repo.nwo",
  "ssh-key",
  "ssh-key fingerprint",
  "uri-template",
  "binary",
  "int32",
  "int64",
];

export class OpenApiValidator {
  readonly version: string;
  readonly #spec: Spec;
  readonly #operations: CompiledOperation[] = [];
  readonly #ajv: Ajv;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(spec: Spec) {
    this.#spec = spec;
    this.version = spec.info.version;
    this.#ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(this.#ajv);
    for (const format of FREE_FORMATS) this.#ajv.addFormat(format, true);
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, raw] of Object.entries(item)) {
        if (METHODS.has(method)) this.#operations.push(this.#compile(path, method.toUpperCase(), raw));
      }
    }
  }

  /** The documented operation for a method and raw (still percent-encoded) path, most specific first. */
  match(method: string, rawPath: string): MatchedOperation | undefined {
    let best: { op: CompiledOperation; groups: string[] } | undefined;
    for (const op of this.#operations) {
      if (op.method !== method) continue;
      const m = op.regex.exec(rawPath);
      if (m && (best === undefined || op.literalLength > best.op.literalLength))
        best = { op, groups: m.slice(1) };
    }
    if (best === undefined) return undefined;
    const pathParams: Record<string, string> = {};
    best.op.pathParams.forEach((param, i) => {
      pathParams[param.name] = decodeURIComponent(best.groups[i] ?? "");
    });
    const { method: m, path, operationId, route } = best.op;
    return { operation: { method: m, path, operationId, route }, pathParams };
  }

  /** Every way the request breaks the description; empty when it conforms. */
  validate(
    matched: MatchedOperation,
    request: { query: URLSearchParams; contentType: string | undefined; body: unknown; rawBody: string },
  ): string[] {
    const op = this.#operations.find((o) => o.route === matched.operation.route);
    if (op === undefined) return [`unknown operation ${matched.operation.route}`];
    const problems: string[] = [];
    for (const param of op.pathParams) {
      problems.push(
        ...this.#check(
          `${op.route}#path.${param.name}`,
          param.schema,
          coerce(param.schema, matched.pathParams[param.name] ?? ""),
          `path parameter ${param.name}`,
        ),
      );
    }
    for (const param of op.queryParams) {
      const value = request.query.get(param.name);
      if (value === null) {
        if (param.required) problems.push(`query parameter ${param.name} is required`);
        continue;
      }
      problems.push(
        ...this.#check(
          `${op.route}#query.${param.name}`,
          param.schema,
          coerce(param.schema, value),
          `query parameter ${param.name}`,
        ),
      );
    }
    if (op.body === undefined) {
      if (request.rawBody.length > 0) problems.push(`${op.route} takes no request body`);
      return problems;
    }
    if (request.rawBody.length === 0) {
      if (op.body.required) problems.push("request body is required");
      return problems;
    }
    if (!request.contentType?.startsWith("application/json")) {
      problems.push(`content-type must be application/json, got ${request.contentType ?? "none"}`);
    }
    if (request.body === undefined) {
      problems.push("request body is not valid JSON");
    } else if (op.body.schema !== undefined) {
      problems.push(...this.#check(`${op.route}#body`, op.body.schema, request.body, "body"));
    }
    return problems;
  }

  #check(key: string, schema: JsonObject, value: unknown, what: string): string[] {
    let validate = this.#validators.get(key);
    if (validate === undefined) {
      validate = this.#ajv.compile(strictify(this.#resolve(schema, new Set())));
      this.#validators.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => {
      const extra = e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : "";
      return `${what}${e.instancePath} ${e.message ?? "is invalid"}${extra}`;
    });
  }

  /** Inlines `$ref`s (cycles become `{}`: unconstrained rather than infinite). */
  #resolve(node: Json, seen: ReadonlySet<string>): JsonObject {
    // `propertyMap`: the value is a `properties` object, whose keys are field names (one may be
    // called `description`), not schema keywords.
    const resolveAny = (value: Json, stack: ReadonlySet<string>, propertyMap = false): Json => {
      if (Array.isArray(value)) return value.map((v) => resolveAny(v, stack));
      if (!isObject(value)) return value;
      const ref = value.$ref;
      if (typeof ref === "string" && !propertyMap) {
        if (stack.has(ref)) return {};
        return resolveAny(this.#lookup(ref), new Set([...stack, ref]));
      }
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) {
        if (!propertyMap && (k === "example" || k === "examples" || k === "description")) continue;
        out[k] = resolveAny(v, stack, !propertyMap && k === "properties");
      }
      return out;
    };
    const resolved = resolveAny(node, seen);
    return isObject(resolved) ? resolved : {};
  }

  #lookup(ref: string): Json {
    const parts = ref.replace(/^#\//, "").split("/");
    let node: Json = this.#spec as unknown as Json;
    for (const part of parts) {
      if (!isObject(node)) return {};
      node = node[part.replaceAll("~1", "/").replaceAll("~0", "~")] ?? {};
    }
    return node;
  }

  #compile(path: string, method: string, raw: JsonObject): CompiledOperation {
    const params = (Array.isArray(raw.parameters) ? raw.parameters : []).map((p) => {
      const param = this.#resolve(p, new Set());
      return {
        name: String(param.name),
        in: String(param.in),
        required: param.required === true,
        schema: isObject(param.schema) ? param.schema : {},
        multiSegment: param["x-multi-segment"] === true,
      } satisfies Parameter;
    });
    const pathParams: Parameter[] = [];
    let literalLength = 0;
    const pattern = path
      .split("/")
      .map((segment) =>
        segment.replace(/\{([^}]+)\}|[^{]+/g, (piece, name: string | undefined) => {
          if (name === undefined) {
            literalLength += piece.length;
            return piece.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
          }
          const param = params.find((p) => p.in === "path" && p.name === name) ?? {
            name,
            in: "path",
            required: true,
            schema: {},
            multiSegment: false,
          };
          pathParams.push(param);
          return param.multiSegment ? "(.+?)" : "([^/]+?)";
        }),
      )
      .join("/");
    const requestBody = isObject(raw.requestBody) ? this.#resolve(raw.requestBody, new Set()) : undefined;
    const content = requestBody && isObject(requestBody.content) ? requestBody.content : undefined;
    const json = content && isObject(content["application/json"]) ? content["application/json"] : undefined;
    return {
      method,
      path,
      operationId: String(raw.operationId),
      route: `${method} ${path}`,
      regex: new RegExp(`^${pattern}/?$`),
      literalLength,
      pathParams,
      queryParams: params.filter((p) => p.in === "query"),
      body:
        requestBody === undefined
          ? undefined
          : {
              required: requestBody.required === true,
              schema: json && isObject(json.schema) ? json.schema : undefined,
            },
    };
  }
}

/** Path and query values arrive as strings; convert to what the schema expects before validating. */
function coerce(schema: JsonObject, value: string): unknown {
  if ((schema.type === "integer" || schema.type === "number") && /^-?\d+(\.\d+)?$/.test(value))
    return Number(value);
  if (schema.type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

/** Adds `additionalProperties: false` to plain object schemas that list their properties. */
function strictify(schema: JsonObject): JsonObject {
  const walk = (node: Json, insideCombinator: boolean): Json => {
    if (Array.isArray(node)) return node.map((n) => walk(n, insideCombinator));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      const combinator = k === "allOf" || k === "anyOf" || k === "oneOf";
      out[k] = walk(v, insideCombinator || combinator);
    }
    // Inside allOf/anyOf/oneOf, properties are split across branches: closing one would reject the others'.
    if (
      !insideCombinator &&
      isObject(out.properties) &&
      out.additionalProperties === undefined &&
      !out.allOf &&
      !out.anyOf &&
      !out.oneOf
    ) {
      out.additionalProperties = false;
    }
    return out;
  };
  const result = walk(schema, false);
  return isObject(result) ? result : {};
}

let cached: OpenApiValidator | undefined;

/** The validator for api.github.com, parsed once per test process (the description is ~13 MB). */
export function githubOpenApi(): OpenApiValidator {
  if (cached === undefined) {
    const file = createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json");
    cached = new OpenApiValidator(JSON.parse(readFileSync(file, "utf8")) as Spec);
  }
  return cached;
}
