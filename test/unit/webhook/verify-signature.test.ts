import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { verifySignature } from "../../../lib/webhook/verify-signature.ts";

const payload = '{"zen":"Keep it logically awesome."}';

describe("verifySignature", () => {
  it("accepts GitHub's signature and says which secret matched", async () => {
    // Prepare
    const signature = await sign("old", payload);

    // Act
    const check = await verifySignature(["new", "old"], payload, signature);

    // Assess
    expect(check).toEqual({ valid: true, secretIndex: 1 });
  });

  it.each([
    ["missing", undefined, "missing"],
    ["empty", "", "missing"],
    ["not sha256", "sha1=0123456789abcdef0123456789abcdef01234567", "malformed"],
    ["upper-case hex", `sha256=${"A".repeat(64)}`, "malformed"],
    ["right form, wrong digest", `sha256=${"0".repeat(64)}`, "mismatch"],
  ])("refuses a %s signature", async (_name, signature, reason) => {
    // Act
    const check = await verifySignature(["secret"], payload, signature);

    // Assess
    expect(check).toEqual({ valid: false, reason });
  });

  it("refuses everything when no secret is configured", async () => {
    // Prepare
    const signature = await sign("secret", payload);

    // Act
    const check = await verifySignature([], payload, signature);

    // Assess
    expect(check).toEqual({ valid: false, reason: "no-secrets" });
  });

  it("refuses an empty body instead of throwing", async () => {
    // Act
    const check = await verifySignature(["secret"], "", `sha256=${"0".repeat(64)}`);

    // Assess
    expect(check).toEqual({ valid: false, reason: "mismatch" });
  });
});
