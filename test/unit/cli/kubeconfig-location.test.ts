import { describe, expect, it } from "vitest";
import { locateKubeconfig } from "../../../lib/cli/kubeconfig-location.ts";

const existing =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe("locateKubeconfig", () => {
  it("prefers --kubeconfig, then the first existing $KUBECONFIG entry, then ~/.kube/config", () => {
    // Prepare
    const exists = existing("/flag", "/b", "/home/u/.kube/config");

    // Act
    const flag = locateKubeconfig({ flag: "/flag", env: { KUBECONFIG: "/b" }, home: "/home/u", exists });
    const fromEnv = locateKubeconfig({
      flag: undefined,
      env: { KUBECONFIG: "/a:/b" },
      home: "/home/u",
      exists,
    });
    const fallback = locateKubeconfig({ flag: undefined, env: {}, home: "/home/u", exists });

    // Assess
    expect(flag).toEqual({ path: "/flag", from: "--kubeconfig" });
    expect(fromEnv).toEqual({ path: "/b", from: "$KUBECONFIG" });
    expect(fallback).toEqual({ path: "/home/u/.kube/config", from: "~/.kube/config" });
  });

  it("returns undefined when there is no kubeconfig at all, and fails on a missing explicit one", () => {
    // Act
    const none = locateKubeconfig({ flag: undefined, env: {}, home: "/home/u", exists: existing() });
    const missingFlag = () =>
      locateKubeconfig({ flag: "/nope", env: {}, home: "/home/u", exists: existing() });
    const missingEnv = () =>
      locateKubeconfig({
        flag: undefined,
        env: { KUBECONFIG: "/x:/y" },
        home: "/home/u",
        exists: existing(),
      });

    // Assess
    expect(none).toBeUndefined();
    expect(missingFlag).toThrow("--kubeconfig: /nope does not exist");
    expect(missingEnv).toThrow("$KUBECONFIG: none of /x, /y exists");
  });
});
