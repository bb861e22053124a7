/**
 * How SOPS (Go) turns values into the bytes its MAC covers, reproduced exactly: yaml.v3's
 * resolution of plain YAML scalars, Go's `strconv.FormatFloat(v, 'f', -1, 64)` and `Itoa`, and
 * Go's `True`/`False`. A MAC computed from JavaScript's own number or boolean text would differ
 * (`1e+21`, `true`), so a committed file would fail verification. Pure.
 */

/** A decoded scalar: the type the SOPS store gives it, its value, and the text its MAC bytes are. */
export type GoScalar =
  | { type: "str"; value: string }
  | { type: "int"; value: bigint }
  | { type: "float"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "null" };

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUES = new Set(["true", "True", "TRUE"]);
const FALSES = new Set(["false", "False", "FALSE"]);
const NANS = new Set([".nan", ".NaN", ".NAN"]);
const INFS = new Set([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]);
const NEG_INFS = new Set(["-.inf", "-.Inf", "-.INF"]);
/** yaml.v3's `yamlStyleFloat`. */
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Go's `strconv.ParseInt(s, 0, 64)`: a sign, then `0x`/`0o`/`0b`/a leading `0` (octal) or
 * decimal digits; undefined when it is not such an integer or leaves int64.
 */
export function parseGoInt(text: string): bigint | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, digits = ""] = match;
  let magnitude: bigint;
  if (/^0[oO]/.test(digits)) magnitude = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[0-7]+$/.test(digits)) magnitude = BigInt(`0o${digits.slice(1)}`);
  else magnitude = BigInt(digits);
  const value = sign === "-" ? -magnitude : magnitude;
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** Go's `strconv.ParseFloat(s, 64)` for the decimal forms YAML and JSON use. */
function parseGoFloat(text: string): number | undefined {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * What yaml.v3 decodes an untagged plain scalar into (its `resolve`, as `node.Decode(&interface{})`
 * sees it): null, bool, int, float or — also for timestamps, which yaml.v3 keeps as strings
 * when the target is an interface — the string itself.
 */
export function resolvePlainYamlScalar(text: string): GoScalar {
  if (NULLS.has(text)) return { type: "null" };
  if (TRUES.has(text)) return { type: "bool", value: true };
  if (FALSES.has(text)) return { type: "bool", value: false };
  if (NANS.has(text)) return { type: "float", value: Number.NaN };
  if (INFS.has(text)) return { type: "float", value: Number.POSITIVE_INFINITY };
  if (NEG_INFS.has(text)) return { type: "float", value: Number.NEGATIVE_INFINITY };
  const hint = text[0] ?? "";
  if (hint === ".") {
    const float = parseGoFloat(text);
    return float === undefined ? { type: "str", value: text } : { type: "float", value: float };
  }
  if (/[0-9+-]/.test(hint)) {
    const plain = text.replaceAll("_", "");
    const int = parseGoInt(plain);
    if (int !== undefined) return { type: "int", value: int };
    if (YAML_FLOAT.test(plain)) {
      const float = parseGoFloat(plain);
      if (float !== undefined) return { type: "float", value: float };
    }
  }
  return { type: "str", value: text };
}

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest round-trip digits, never an exponent. */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Object.is(value, -0)) return "-0";
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = "", whole = "", fraction = "", exponentText = "0"] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponentText);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** SOPS's `ToBytes` for a decoded scalar (null is never hashed: SOPS skips nil values). */
export function macText(scalar: Exclude<GoScalar, { type: "null" }>): string {
  switch (scalar.type) {
    case "str":
      return scalar.value;
    case "int":
      return scalar.value.toString();
    case "float":
      return formatGoFloat(scalar.value);
    case "bool":
      return scalar.value ? "True" : "False";
  }
}
