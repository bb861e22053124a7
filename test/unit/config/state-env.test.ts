import { describe, expect, it } from "vitest";
import { loadOptionalStateStoreEnv, loadStateStoreEnv } from "../../../lib/config/state-env.ts";
import { ConfigError } from "../../../lib/errors.ts";

describe("state store configuration", () => {
  it("reads the bucket, the endpoint override and the region", () => {
    // Act
    const env = loadStateStoreEnv({
      PULLBRIDGE_STATE_BUCKET: "pullbridge-prod-statebucket-1x2y3z",
      PULLBRIDGE_S3_ENDPOINT: "http://127.0.0.1:5000",
      AWS_REGION: "eu-west-1",
    });

    // Assess
    expect(env).toEqual({
      bucket: "pullbridge-prod-statebucket-1x2y3z",
      endpoint: "http://127.0.0.1:5000",
      region: "eu-west-1",
    });
  });

  it("is absent without a bucket, and required where asked for", () => {
    expect(loadOptionalStateStoreEnv({})).toBeUndefined();
    expect(() => loadStateStoreEnv({ PULLBRIDGE_STATE_BUCKET: " " })).toThrow(
      new ConfigError("PULLBRIDGE_STATE_BUCKET", "is required"),
    );
  });

  it.each(["Upper-Case", "ab", "-leading", "trailing-", "under_score", `a${"b".repeat(63)}`])(
    "refuses the bucket name %j, naming the variable",
    (bucket) => {
      expect(() => loadOptionalStateStoreEnv({ PULLBRIDGE_STATE_BUCKET: bucket })).toThrow(
        /^PULLBRIDGE_STATE_BUCKET: ".*" is not an S3 bucket name/,
      );
    },
  );

  it("refuses an endpoint that is not a URL", () => {
    expect(() =>
      loadOptionalStateStoreEnv({ PULLBRIDGE_STATE_BUCKET: "state", PULLBRIDGE_S3_ENDPOINT: "not a url" }),
    ).toThrow(new ConfigError("PULLBRIDGE_S3_ENDPOINT", "must be a URL"));
  });
});
