/**
 * No decrypted value appears in any report, log line or error: for values chosen at random
 * (short and long, with quotes, newlines and digits), an encrypted ConfigMap and Secret go through
 * the loader (verify, decrypt), the plan's diff and check-run text, a failure message that quotes
 * them (as an API error would), and the job's log — and none of the text carries a value.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadTargetObjects } from "../../../lib/app/load-target-objects.ts";
import { redactingGitHub, redactingLog } from "../../../lib/app/redact-job-output.ts";
import { diffTextOf } from "../../../lib/app/report-sync-result.ts";
import { ClusterError } from "../../../lib/errors.ts";
import type { JobGitHub } from "../../../lib/github/job-github-ports.ts";
import { renderObjectDiff } from "../../../lib/manifests/render-object-diff.ts";
import type { FinishReport, PendingReport } from "../../../lib/reporting/commit-reporter.ts";
import { createKeyRing } from "../../../lib/secrets/key-ring.ts";
import { createSecretValues } from "../../../lib/secrets/secret-values.ts";
import type { SyncResult } from "../../../lib/sync/sync-result.ts";
import { testAgeIdentities } from "../../factories/sops.ts";
import { encryptManifest } from "../../factories/sops-encrypt.ts";
import { aTarget } from "../../factories/sync.ts";

/** Values a secret may hold: at least 4 characters (shorter ones are redacted only where they stand alone). */
const secretValue = fc
  .oneof(
    fc.string({ minLength: 4, maxLength: 40 }),
    fc.stringMatching(/^[0-9]{4,12}$/),
    fc.stringMatching(/^-----BEGIN KEY-----\n[A-Za-z0-9+/]{16,64}\n-----END KEY-----$/),
  )
  .filter((v) => v.trim().length >= 4 && !/^\s|\s$/.test(v));

describe("decrypted values are never shown", () => {
  it("in a diff, a check run, a failure message or a log line", async () => {
    await fc.assert(
      fc.asyncProperty(secretValue, secretValue, async (value, previous) => {
        fc.pre(!previous.includes(value) && !value.includes(previous));
        // Prepare
        const files = new Map<string, Uint8Array>([
          [
            "deploy/cm.yaml",
            Buffer.from(
              await encryptManifest({
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "settings" },
                data: { token: value, note: "plain" },
              }),
            ),
          ],
        ]);
        const values = createSecretValues();
        const keys = createKeyRing({
          kms: { allowed: [], keys: { decrypt: () => Promise.reject(new Error("unused")) } },
          age: [{ name: "team-a", identities: testAgeIdentities("a") }],
        });
        const target = aTarget("web", { path: "deploy" });
        const posted: string[] = [];
        const logged: string[] = [];
        const github = redactingGitHub(
          {
            mode: "app",
            source: {} as JobGitHub["source"],
            reporter: {
              checkRuns: true,
              pending: async (r: PendingReport) => void posted.push(JSON.stringify(r)),
              finish: async (r: FinishReport) => {
                posted.push(JSON.stringify(r));
                return { warnings: [] };
              },
            },
          },
          values,
        );
        const log = redactingLog(
          {
            debug: (m, a) => logged.push(m, JSON.stringify(a)),
            info: (m, a) => logged.push(m, JSON.stringify(a)),
            warn: (m, a) => logged.push(m, JSON.stringify(a)),
            error: (m, a) => logged.push(m, JSON.stringify(a)),
          },
          values,
        );

        // Act
        const loaded = await loadTargetObjects(
          {
            readTree: async () => files,
            capabilities: async () => undefined,
            secrets: { mode: "decrypt", keys, values },
          },
          target,
        );
        const [desired] = loaded.desired;
        const live = { ...desired?.object, data: { token: previous, note: "plain" } } as never;
        const diff = renderObjectDiff(live, desired?.object, { sensitive: desired?.sensitive?.pointers });
        const text = diffTextOf({
          outcomes: [{ object: "ConfigMap settings", outcome: "updated", diff }],
        } as unknown as SyncResult);
        const error = values.redactDeep(
          new ClusterError(`apply refused: .data.token: invalid value "${value}"`, { retryable: false }),
        );
        await github.reporter.finish({
          repo: "o/r",
          target: "web",
          kind: "sync",
          sha: "a".repeat(40),
          state: "failure",
          description: `failed: ${value}`,
          title: value,
          summary: text,
        } as FinishReport);
        log.error(`sync failed: ${value}`, { error: error.message, object: { value } });

        // Assess
        expect(desired?.object.data).toMatchObject({ token: value });
        for (const shown of [diff, text, error.message, ...posted, ...logged]) {
          expect(shown).not.toContain(value);
        }
        expect(diff).toContain("*** (changed)");
      }),
      { numRuns: 60 },
    );
  });
});
