import { describe, expect, it } from "vitest";
import {
  API_ERROR_TABLE,
  type ApiFailure,
  classifyApiFailure,
  parseRetryAfter,
} from "../../../lib/cluster/classify-api-error.ts";

const answer = (
  status: number,
  message = "boom",
  extra: { reason?: string; ownPrecondition?: boolean } = {},
): ApiFailure => ({
  answer: {
    status,
    message,
    reason: extra.reason,
    causes: [],
    ownPrecondition: extra.ownPrecondition,
  },
});
const network = (kind: "deadline" | "aborted" | "closed" | "socket", code?: string): ApiFailure => ({
  network: { kind, code, message: "x" },
});

/** One typical failure per row, in table order (the messages are the API server's own wording). */
const EXAMPLES: ReadonlyArray<[string, ApiFailure, boolean]> = [
  ["aborted", network("aborted"), true],
  ["timeout", network("deadline"), true],
  ["closed", network("closed"), true],
  ["tls", network("socket", "DEPTH_ZERO_SELF_SIGNED_CERT"), false],
  ["connection", network("socket", "ECONNRESET"), true],
  [
    "conversion",
    answer(
      500,
      "failed to convert new object (p/d; apps/v1, Kind=Deployment) to proper version: quantities must match",
    ),
    false,
  ],
  [
    "schema",
    answer(
      500,
      "failed to create typed patch object (p/s; /v1, Kind=Secret): .stringData.pin: expected string",
    ),
    false,
  ],
  [
    "admission-unavailable",
    answer(500, 'Internal error occurred: failed calling webhook "deny.example.com": connection refused'),
    true,
  ],
  ["storage-initializing", answer(429, "storage is (re)initializing"), true],
  ["throttled", answer(429, "Too many requests, please try again later."), true],
  ["unavailable", answer(503, "service unavailable"), true],
  ["server-error", answer(502, "bad gateway"), true],
  [
    "field-conflict",
    answer(409, 'Apply failed with 1 conflict: conflict with "kubectl": .data.color'),
    false,
  ],
  ["version-conflict", answer(409, "the object has been modified", { ownPrecondition: true }), true],
  ["version-conflict", answer(409, "Operation cannot be fulfilled: the object has been modified"), false],
  ["already-exists", answer(409, 'configmaps "a" already exists'), true],
  ["conflict", answer(409, "something else"), false],
  ["quota-exceeded", answer(403, "exceeded quota: q, requested: count/configmaps=1"), false],
  ["quota-pending", answer(403, "status unknown for quota: q, resources: count/configmaps"), true],
  [
    "namespace-terminating",
    answer(403, "unable to create new content in namespace x because it is being terminated"),
    true,
  ],
  [
    "admission-denied",
    answer(422, "ValidatingAdmissionPolicy 'no-x' with binding 'no-x' denied request: failed expression"),
    false,
  ],
  ["admission-denied", answer(400, 'admission webhook "deny.example.com" denied the request: no'), false],
  ["forbidden", answer(403, 'configmaps "a" is forbidden: User "w" cannot patch resource'), false],
  ["unauthorized", answer(401, "Unauthorized"), true],
  ["validation", answer(422, 'ConfigMap "s" is invalid'), false],
  ["not-found", answer(404, 'namespaces "nope" not found'), false],
  ["gone", answer(410, "The provided continue parameter is too old"), true],
  ["bad-request", answer(400, "unable to parse requirement"), false],
  ["client-error", answer(415, "the body of the request was in an unknown format"), false],
  ["unknown", answer(0, ""), true],
];

describe("the API error classification table", () => {
  it.each(EXAMPLES)("classifies a typical %s failure (retryable: %s)", (id, failure, retryable) => {
    // Act
    const row = classifyApiFailure(failure);

    // Assess
    expect([row.id, row.retryable]).toEqual([id, retryable]);
  });

  it("reaches every row of the table with one of the examples, so no row is shadowed by an earlier one", () => {
    // Act
    const reached = new Set(EXAMPLES.map(([, failure]) => classifyApiFailure(failure)));

    // Assess
    expect(API_ERROR_TABLE.filter((row) => !reached.has(row)).map((row) => row.id)).toEqual([]);
  });

  it("waits in-process only for answers that mean the request was not processed", () => {
    // Act
    const waiting = API_ERROR_TABLE.filter((row) => row.waitInProcess).map((row) => row.id);

    // Assess
    expect(waiting).toEqual(["storage-initializing", "throttled", "unavailable"]);
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds and HTTP dates, and ignores what it cannot read", () => {
    // Prepare
    const now = Date.parse("2026-01-01T00:00:00Z");

    // Act
    const values = [
      parseRetryAfter("1", now),
      parseRetryAfter(" 30 ", now),
      parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now),
      parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now),
      parseRetryAfter("soon", now),
      parseRetryAfter(undefined, now),
    ];

    // Assess
    expect(values).toEqual([1000, 30_000, 5000, 0, undefined, undefined]);
  });
});
