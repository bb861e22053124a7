/**
 * The real `sops` binary for tests: built once per version from the Go module proxy and cached by
 * test/support/sops/build-sops.sh (which .ci/run calls, so CI has it before the tests start).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");

let binary: string | undefined;

/** Path of the pinned `sops` (builds it the first time; the build prints the path on its last line). */
export function sopsBinary(): string {
  binary ??= execFileSync("bash", [join(ROOT, "test", "support", "sops", "build-sops.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .pop() as string;
  return binary;
}
