import { describe, expect, it } from "vitest";
import { environmentNameOf, parseTargetsConfig, targetSchema } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";

const base = { name: "web", repo: "acme/deploy", cluster: "prod", namespace: "web" };

describe("a target's GitHub environment", () => {
  it("defaults to deployments on, in an environment named after the target, without a URL", () => {
    // Act
    const target = targetSchema.parse(base);

    // Assess
    expect(target.environment).toEqual({ deployments: true });
    expect(environmentNameOf(target)).toBe("web");
  });

  it("takes a name and an https URL", () => {
    // Act
    const target = targetSchema.parse({
      ...base,
      environment: { name: "production (eu-west-1)", url: "https://shop.example.com/" },
    });

    // Assess
    expect(environmentNameOf(target)).toBe("production (eu-west-1)");
    expect(target.environment.url).toBe("https://shop.example.com/");
  });

  it.each([
    [{ name: "" }, "targets[0].environment.name"],
    [{ name: "a,b" }, "targets[0].environment.name"],
    [{ name: "x".repeat(256) }, "targets[0].environment.name"],
    [{ url: "ftp://shop.example.com" }, "targets[0].environment.url"],
    [{ url: "not a url" }, "targets[0].environment.url"],
    [{ deployment: false }, "targets[0].environment"],
  ])("refuses %j, naming %s", (environment, field) => {
    // Act
    const attempt = () =>
      parseTargetsConfig({
        version: 1,
        clusters: { prod: { type: "eks", name: "prod" } },
        targets: [{ ...base, environment }],
      });

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^${field.replace(/[[\].]/g, "\\$&")}:`));
  });
});
