import { describe, expect, it } from "vitest";
import { connectionFromStaticKubeconfig } from "../../../lib/cluster/static-kubeconfig.ts";
import { ClusterError } from "../../../lib/errors.ts";

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** A kubeconfig with one context `main` (current) and another `other`, edited by `user` / `cluster`. */
function kubeconfig(options: { user?: string; cluster?: string } = {}): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "current-context: main",
    "clusters:",
    "  - name: prod",
    "    cluster:",
    "      server: https://api.prod.example:6443/",
    ...(options.cluster ?? `      certificate-authority-data: ${b64("CA PEM")}`).split("\n"),
    "  - name: lab",
    "    cluster: { server: https://lab.example, insecure-skip-tls-verify: true, tls-server-name: api.lab }",
    "users:",
    "  - name: deployer",
    "    user:",
    ...(options.user ?? "      token: s3cr3t").split("\n"),
    "  - name: admin",
    "    user: { username: admin, password: pw }",
    "contexts:",
    "  - { name: main, context: { cluster: prod, user: deployer } }",
    "  - { name: other, context: { cluster: lab, user: admin } }",
    "",
  ].join("\n");
}

describe("connectionFromStaticKubeconfig", () => {
  it("reads the current context's server, CA and bearer token", async () => {
    // Act
    const connection = connectionFromStaticKubeconfig({ text: kubeconfig() });

    // Assess
    expect(connection.server).toBe("https://api.prod.example:6443");
    expect(connection.tls).toEqual({ ca: Buffer.from("CA PEM") });
    expect(await connection.authHeaders()).toEqual({ authorization: "Bearer s3cr3t" });
  });

  it("switches to a named context: insecure TLS with a server name, basic auth", async () => {
    // Act
    const connection = connectionFromStaticKubeconfig({ text: kubeconfig(), context: "other" });

    // Assess
    expect(connection.server).toBe("https://lab.example");
    expect(connection.tls).toEqual({ rejectUnauthorized: false, servername: "api.lab" });
    expect(await connection.authHeaders()).toEqual({ authorization: `Basic ${b64("admin:pw")}` });
  });

  it("uses an inline client certificate and key", async () => {
    // Act
    const connection = connectionFromStaticKubeconfig({
      text: kubeconfig({
        user: `      client-certificate-data: ${b64("CERT")}\n      client-key-data: ${b64("KEY")}`,
      }),
    });

    // Assess
    expect(connection.tls).toEqual({
      ca: Buffer.from("CA PEM"),
      cert: Buffer.from("CERT"),
      key: Buffer.from("KEY"),
    });
    expect(await connection.authHeaders()).toEqual({});
  });

  it.each([
    [
      { user: "      exec: { command: aws, apiVersion: client.authentication.k8s.io/v1beta1 }" },
      /users\[deployer\]\.exec: exec plugins cannot run in Lambda; use `type: eks`/,
    ],
    [{ user: "      auth-provider: { name: oidc }" }, /users\[deployer\]\.auth-provider/],
    [{ user: "      tokenFile: /var/run/token" }, /users\[deployer\]\.tokenFile: file references/],
    [
      { user: "      client-certificate: /c.crt\n      client-key: /c.key" },
      /users\[deployer\]\.client-certificate: file references/,
    ],
    [
      { user: `      client-certificate-data: ${b64("CERT")}` },
      /needs both client-certificate-data and client-key-data/,
    ],
    [
      { cluster: "      certificate-authority: /ca.crt" },
      /clusters\[prod\]\.certificate-authority: file references/,
    ],
    [{ cluster: "      proxy-url: http://proxy:3128" }, /clusters\[prod\]\.proxy-url is not supported/],
  ])("refuses %j, naming the field", (edit, message) => {
    // Act
    const attempt = () => connectionFromStaticKubeconfig({ text: kubeconfig(edit) });

    // Assess
    expect(attempt).toThrow(ClusterError);
    expect(attempt).toThrow(message);
  });

  it.each([
    [
      "an unknown context",
      { text: kubeconfig(), context: "nope" },
      /no context "nope" \(known: main, other\)/,
    ],
    ["no current context", { text: "apiVersion: v1\nclusters: []\n" }, /no current-context/],
    ["broken YAML", { text: "clusters: [unclosed\n" }, /^invalid kubeconfig: /],
  ])("refuses %s as a permanent error", (_what, input, message) => {
    // Act
    const attempt = () => connectionFromStaticKubeconfig(input);

    // Assess
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ retryable: false });
    }
  });
});
