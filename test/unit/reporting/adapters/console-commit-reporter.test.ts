import { describe, expect, it } from "vitest";
import { createConsoleCommitReporter } from "../../../../lib/reporting/adapters/console-commit-reporter.ts";
import { aFinishReport, aPendingReport } from "../../../factories/github.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("console commit reporter", () => {
  it("prints the status lines, the summary, the diff and the annotations", async () => {
    // Prepare
    const lines: string[] = [];
    const reporter = createConsoleCommitReporter({ write: (text) => lines.push(text) });

    // Act
    await reporter.pending(aPendingReport({ repo: "acme/deploy", sha: SHA }));
    const result = await reporter.finish(
      aFinishReport({
        repo: "acme/deploy",
        sha: SHA,
        state: "failure",
        description: "apps/web.yaml:3: bad indentation",
        annotations: [{ path: "apps/web.yaml", line: 3, message: "bad indentation" }],
      }),
    );

    // Assess
    expect(lines[0]).toBe("… pullbridge/prod acme/deploy@0123456 pending: syncing");
    expect(lines[1]).toContain(
      "✘ pullbridge/prod acme/deploy@0123456 failure: apps/web.yaml:3: bad indentation",
    );
    expect(lines[1]).toContain("## pullbridge / prod");
    expect(lines[1]).toContain("### Created (1)");
    expect(lines[1]).toContain("```diff");
    expect(lines[1]).toContain("  apps/web.yaml:3: bad indentation");
    expect(reporter.checkRuns).toBe(false);
    expect(result).toEqual({ warnings: [] });
  });
});
