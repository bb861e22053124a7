/**
 * GitHub App authentication against the fake: the installation token exchange (JWT RS256,
 * iss = app id, verified with the test App's public key), token reuse per container, and the
 * token fallback.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../lib/errors.ts";
import { createGitHubClientProvider } from "../../../lib/github/adapters/github-client.ts";
import { clientsForFake, fakeSecrets, TEST_APP_ID, TOKEN_REF } from "../../factories/github.ts";
import {
  type GitHubWorld,
  startGitHubWorld,
  TEST_INSTALLATION_ID,
} from "../../support/github-fake/github-world.ts";

describe("GitHub App authentication", () => {
  let world: GitHubWorld;
  let sha: string;

  beforeAll(async () => {
    world = await startGitHubWorld();
    sha = await world.repo.commitFiles({ "a.yaml": "kind: ConfigMap\n" });
  });
  afterAll(async () => {
    await world.close();
  });
  afterEach(() => {
    // Assess (every test)
    expect(world.fake.violations).toEqual([]);
    world.fake.reset();
  });

  it("exchanges a well-formed RS256 JWT (iss = app id) for an installation token and uses it", async () => {
    // Prepare
    const { clients } = clientsForFake(world.fake.url, "app");
    const before = world.fake.issuedTokens.length;

    // Act
    const { octokit, mode } = await clients.forInstallation(TEST_INSTALLATION_ID);
    await octokit.rest.git.getRef({ owner: "acme", repo: "deploy", ref: "heads/main" });

    // Assess
    const issued = world.fake.issuedTokens.slice(before);
    expect(mode).toBe("app");
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ installationId: TEST_INSTALLATION_ID, jwt: { iss: TEST_APP_ID } });
    expect((issued[0]?.jwt.exp ?? 0) - (issued[0]?.jwt.iat ?? 0)).toBeLessThanOrEqual(600);
    expect(world.fake.requests.map((r) => [r.route, r.auth])).toEqual([
      ["POST /app/installations/{installation_id}/access_tokens", "jwt"],
      ["GET /repos/{owner}/{repo}/git/ref/{ref}", "installation-token"],
    ]);
  });

  it("reuses the client and its token for later jobs of the same installation", async () => {
    // Prepare
    const { clients, secrets } = clientsForFake(world.fake.url, "app");

    // Act
    for (let job = 0; job < 3; job += 1) {
      const { octokit } = await clients.forInstallation(TEST_INSTALLATION_ID);
      await octokit.rest.repos.createCommitStatus({
        owner: "acme",
        repo: "deploy",
        sha,
        state: "success",
        context: "pullbridge/prod",
      });
    }

    // Assess
    expect(world.fake.requests.filter((r) => r.route?.endsWith("/access_tokens"))).toHaveLength(1);
    expect(secrets.reads).toHaveLength(1);
  });

  it("falls back to the token when the job has no installation id", async () => {
    // Prepare
    const { clients } = clientsForFake(world.fake.url, "app");

    // Act
    const { octokit, mode } = await clients.forInstallation(undefined);
    await octokit.rest.git.getRef({ owner: "acme", repo: "deploy", ref: "heads/main" });

    // Assess
    expect(mode).toBe("token");
    expect(world.fake.requests.map((r) => r.auth)).toEqual(["token"]);
  });

  it("refuses with a config error when neither an App nor a token is configured", async () => {
    // Prepare
    const clients = createGitHubClientProvider({
      config: { baseUrl: world.fake.url },
      secrets: fakeSecrets({}),
    });

    // Act
    const result = clients.forInstallation(TEST_INSTALLATION_ID);

    // Assess
    await expect(result).rejects.toBeInstanceOf(ConfigError);
  });

  it("does not cache a failed secret read for the container's lifetime", async () => {
    // Prepare
    const values: Record<string, string> = {};
    const clients = createGitHubClientProvider({
      config: { baseUrl: world.fake.url, tokenRef: TOKEN_REF },
      secrets: fakeSecrets(values),
    });
    const firstAttempt = await clients.forInstallation(undefined).catch((error: unknown) => error);
    values[TOKEN_REF] = "test-token";

    // Act
    const { mode } = await clients.forInstallation(undefined);

    // Assess
    expect(firstAttempt).toBeInstanceOf(ConfigError);
    expect(mode).toBe("token");
  });
});
