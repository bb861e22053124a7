import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import {
  createRedactor,
  REDACTED,
  secretRedactor,
  secretValueForms,
} from "../../../lib/manifests/redact-secret-values.ts";

const secret = (fields: { data?: unknown; stringData?: unknown }): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "s", namespace: "apps" },
  ...fields,
});
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("secret redaction", () => {
  it("removes a stringData number the API server echoes in its schema error", () => {
    // Prepare
    const redact = secretRedactor(secret({ stringData: { pin: 98765432 } }));
    const message =
      "failed to create typed patch object (apps/s; /v1, Kind=Secret): .stringData.pin: expected string, got &value.valueUnstructured{Value:98765432}";

    // Act
    const redacted = redact?.(message);

    // Assess
    expect(redacted).toBe(
      "failed to create typed patch object (apps/s; /v1, Kind=Secret): .stringData.pin: expected string, got &value.valueUnstructured{Value:***}",
    );
  });

  it("removes data values both as written (base64) and decoded, and multi-line values line by line", () => {
    // Prepare
    const key = "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG\n-----END KEY-----";
    const redact = createRedactor(
      secretValueForms(secret({ data: { password: b64("hunter2-secret"), key: b64(key) } })),
    );

    // Act
    const redacted = redact(
      `got ${b64("hunter2-secret")} which is "hunter2-secret"; line MIIBVwIBADANBgkqhkiG of the key`,
    );

    // Assess
    expect(redacted).toBe(`got ${REDACTED} which is "${REDACTED}"; line ${REDACTED} of the key`);
  });

  it("redacts short values only where they stand alone, so field paths stay readable", () => {
    // Prepare
    const redact = createRedactor(secretValueForms(secret({ stringData: { enabled: true, n: 1 } })));

    // Act
    const redacted = redact("apiVersion v1: .stringData.n: got {Value:1}, .stringData.enabled: got true");

    // Assess
    expect(redacted).toBe("apiVersion v1: .stringData.n: got {Value:***}, .stringData.enabled: got ***");
  });

  it("leaves other kinds and Secrets without values alone", () => {
    // Act
    const forms = [
      secretValueForms({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "c" },
        data: { a: "visible" },
      }),
      secretValueForms({
        apiVersion: "example.com/v1",
        kind: "Secret",
        metadata: { name: "c" },
        data: { a: "x" },
      }),
    ];

    // Assess
    expect(forms).toEqual([[], []]);
    expect(secretRedactor(secret({}))).toBeUndefined();
  });

  it("never lets a value through, however it is printed in a message (property)", () => {
    // Prepare: values from an alphabet the message template does not use, so every occurrence is the value's.
    const value = fc.stringMatching(/^[A-Za-z0-9+/=_.-]{1,40}$/);
    const printed = fc.oneof(
      fc.record({ kind: fc.constant("stringData" as const), value }),
      fc.record({ kind: fc.constant("data" as const), value }),
      fc.record({
        kind: fc.constant("number" as const),
        value: fc.integer({ min: 0, max: 2 ** 40 }).map(String),
      }),
    );
    const wrap = fc.constantFrom(
      (v: string) => `{Value:${v}}`,
      (v: string) => ` "${v}" `,
      (v: string) => `: ${v}\n`,
      (v: string) => `[${v},`,
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(printed, wrap), { minLength: 1, maxLength: 5 }), (entries) => {
        const stringData: Record<string, unknown> = {};
        const data: Record<string, string> = {};
        let message = "refused:";
        entries.forEach(([entry, around], i) => {
          if (entry.kind === "data") data[`k${i}`] = b64(entry.value);
          else stringData[`k${i}`] = entry.kind === "number" ? Number(entry.value) : entry.value;
          message += around(entry.value);
          if (entry.kind === "data") message += around(b64(entry.value));
        });

        // Act
        const redacted = secretRedactor(secret({ data, stringData }))?.(message) ?? message;

        // Assess: no value survives where it stands alone (short ones) or anywhere (long ones).
        for (const [entry] of entries) {
          const forms = entry.kind === "data" ? [entry.value, b64(entry.value)] : [entry.value];
          for (const form of forms) {
            const standalone = new RegExp(
              `(?<![A-Za-z0-9])${form.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?![A-Za-z0-9])`,
            );
            expect(form.length >= 4 ? redacted.includes(form) : standalone.test(redacted)).toBe(false);
          }
        }
      }),
    );
  });
});
