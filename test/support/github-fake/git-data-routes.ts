/**
 * The GitHub fake's Git data API (blobs, trees, commits, refs) and pull-request creation/listing,
 * done with git plumbing on the served repository, so what a client writes becomes a real commit
 * that the next tarball, branch lookup or local-git read sees. Ref updates are compare-and-swap
 * (`git update-ref <ref> <new> <old>`) and refuse a non-fast-forward unless `force` — as GitHub does.
 *
 * The served repository usually has a checked-out working tree; updating its branch here does not
 * touch that tree, so a test that then commits "by hand" first runs `git reset --hard`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type GitDataReply = { status: number; body?: unknown; headers?: Record<string, string> };

/** A pull request as the fake keeps it (shared with github-fake's `GET /pulls/{n}`). */
export type GitDataPullRequest = {
  number: number;
  head: string;
  base: string;
  title?: string;
  body?: string;
};

export type GitDataContext = {
  repos: ReadonlyMap<string, string>;
  pullRequests: Map<string, GitDataPullRequest>;
  baseUrl: () => string;
  /** The fake's record of a commit's signature (see `setCommitVerification`). */
  verificationOf?: (repo: string, sha: string) => { verified: boolean; reason: string } | undefined;
};

export type GitDataRoutes = {
  /** Answers a Git data / pulls route, or undefined when `route` is not one of them. */
  handle(
    route: string,
    repo: string,
    params: Readonly<Record<string, string>>,
    query: URLSearchParams,
    body: Record<string, unknown>,
    rule: (status: number, message: string) => GitDataReply,
  ): Promise<GitDataReply | undefined>;
  /** Runs `hook` before each ref update is checked (tests push "concurrently" from it). */
  beforeRefUpdate(hook: ((repo: string, ref: string) => Promise<void>) | undefined): void;
  /** Ref updates the fake refused as not fast-forward (and how many forced updates it saw). */
  readonly refUpdates: { fastForward: number; rejected: number; forced: number };
  /** Zeroes the counts and drops the hook (with the fake's `reset`). */
  reset(): void;
};

const DOCS = "https://docs.github.com/rest";
const errorBody = (status: number, message: string) => ({
  message,
  documentation_url: DOCS,
  status: String(status),
});

function git(
  dir: string,
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      {
        cwd: dir,
        env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", ...options.env },
        maxBuffer: 64 * 1024 * 1024,
        encoding: "buffer",
      },
      (error, stdout) => (error ? reject(error) : resolve(stdout.toString("utf8"))),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

async function gitOk(dir: string, args: string[]): Promise<boolean> {
  try {
    await git(dir, args);
    return true;
  } catch {
    return false;
  }
}

type Person = { name: string; email: string; date: string };

function parsePerson(line: string): Person {
  const m = /^(.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!m) return { name: line, email: "", date: "1970-01-01T00:00:00Z" };
  return {
    name: m[1] ?? "",
    email: m[2] ?? "",
    date: new Date(Number(m[3]) * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
  };
}

/** Creates the routes over the fake's repositories. */
export function createGitDataRoutes(context: GitDataContext): GitDataRoutes {
  let hook: ((repo: string, ref: string) => Promise<void>) | undefined;
  const refUpdates = { fastForward: 0, rejected: 0, forced: 0 };
  const notFound: GitDataReply = { status: 404, body: errorBody(404, "Not Found") };

  async function commitBody(dir: string, repoUrl: string, sha: string) {
    const raw = await git(dir, ["cat-file", "commit", sha]);
    const split = raw.indexOf("\n\n");
    const headers = raw.slice(0, split).split("\n");
    const message = raw.slice(split + 2).replace(/\n$/, "");
    const field = (k: string) =>
      headers.filter((h) => h.startsWith(`${k} `)).map((h) => h.slice(k.length + 1));
    const tree = field("tree")[0] ?? "";
    return {
      sha,
      node_id: `C_${sha}`,
      url: `${repoUrl}/git/commits/${sha}`,
      html_url: `${repoUrl.replace("/repos/", "/")}/commit/${sha}`,
      author: parsePerson(field("author")[0] ?? ""),
      committer: parsePerson(field("committer")[0] ?? ""),
      message,
      tree: { sha: tree, url: `${repoUrl}/git/trees/${tree}` },
      parents: field("parent").map((p) => ({
        sha: p,
        url: `${repoUrl}/git/commits/${p}`,
        html_url: `${repoUrl}/commit/${p}`,
      })),
      verification: {
        verified: false,
        reason: "unsigned",
        ...context.verificationOf?.(repoUrl.slice(repoUrl.indexOf("/repos/") + 7), sha),
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
  }

  async function refBody(dir: string, repoUrl: string, ref: string) {
    const sha = (await git(dir, ["rev-parse", "--verify", "--quiet", `refs/${ref}`])).trim();
    return {
      ref: `refs/${ref}`,
      node_id: `REF_${ref}`,
      url: `${repoUrl}/git/refs/${ref}`,
      object: { sha, type: "commit", url: `${repoUrl}/git/commits/${sha}` },
    };
  }

  function pullBody(repo: string, pr: GitDataPullRequest) {
    const url = context.baseUrl();
    const [owner = ""] = repo.split("/");
    return {
      id: pr.number,
      node_id: `PR_${pr.number}`,
      number: pr.number,
      url: `${url}/repos/${repo}/pulls/${pr.number}`,
      html_url: `${url}/${repo}/pull/${pr.number}`,
      state: "open",
      title: pr.title ?? "",
      body: pr.body ?? null,
      head: { label: `${owner}:${pr.head}`, ref: pr.head },
      base: { label: `${owner}:${pr.base}`, ref: pr.base },
    };
  }

  return {
    refUpdates,
    reset() {
      hook = undefined;
      Object.assign(refUpdates, { fastForward: 0, rejected: 0, forced: 0 });
    },
    beforeRefUpdate(next) {
      hook = next;
    },
    async handle(route, repo, params, query, body, rule) {
      const dir = context.repos.get(repo);
      const repoUrl = `${context.baseUrl()}/repos/${repo}`;
      switch (route) {
        case "GET /repos/{owner}/{repo}/git/commits/{commit_sha}": {
          if (dir === undefined) return notFound;
          const sha = params.commit_sha ?? "";
          if (!/^[0-9a-f]{40}$/.test(sha) || !(await gitOk(dir, ["cat-file", "-e", `${sha}^{commit}`])))
            return notFound;
          return { status: 200, body: await commitBody(dir, repoUrl, sha) };
        }
        case "GET /repos/{owner}/{repo}/git/trees/{tree_sha}": {
          if (dir === undefined) return notFound;
          const sha = params.tree_sha ?? "";
          if (!(await gitOk(dir, ["cat-file", "-e", `${sha}^{tree}`]))) return notFound;
          const recursive = query.has("recursive");
          const out = await git(dir, ["ls-tree", "-z", "--long", ...(recursive ? ["-r", "-t"] : []), sha]);
          const tree = out
            .split("\0")
            .filter((l) => l !== "")
            .map((line) => {
              const [meta = "", path = ""] = line.split("\t");
              const [mode = "", type = "", objectSha = "", size = "-"] = meta.split(/\s+/);
              return {
                path,
                mode,
                type,
                sha: objectSha,
                ...(type === "blob" ? { size: Number(size) } : {}),
                url: `${repoUrl}/git/${type}s/${objectSha}`,
              };
            });
          const treeSha = (await git(dir, ["rev-parse", `${sha}^{tree}`])).trim();
          return {
            status: 200,
            body: { sha: treeSha, url: `${repoUrl}/git/trees/${treeSha}`, tree, truncated: false },
          };
        }
        case "GET /repos/{owner}/{repo}/git/blobs/{file_sha}": {
          if (dir === undefined) return notFound;
          const sha = params.file_sha ?? "";
          if (!/^[0-9a-f]{40}$/.test(sha) || !(await gitOk(dir, ["cat-file", "-e", `${sha}^{blob}`])))
            return notFound;
          const content = await new Promise<Buffer>((resolve, reject) =>
            execFile(
              "git",
              ["cat-file", "blob", sha],
              { cwd: dir, encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
              (e, out) => (e ? reject(e) : resolve(out)),
            ),
          );
          return {
            status: 200,
            body: {
              sha,
              node_id: `B_${sha}`,
              size: content.length,
              url: `${repoUrl}/git/blobs/${sha}`,
              content: content.toString("base64"),
              encoding: "base64",
            },
          };
        }
        case "POST /repos/{owner}/{repo}/git/blobs": {
          if (dir === undefined) return notFound;
          const content = String(body.content ?? "");
          const bytes =
            body.encoding === "base64" ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
          const sha = (await git(dir, ["hash-object", "-w", "--stdin"], { input: bytes })).trim();
          return { status: 201, body: { sha, url: `${repoUrl}/git/blobs/${sha}` } };
        }
        case "POST /repos/{owner}/{repo}/git/trees": {
          if (dir === undefined) return notFound;
          const index = await mkdtemp(join(tmpdir(), "pullbridge-fake-index-"));
          const env = { GIT_INDEX_FILE: join(index, "index") };
          try {
            const base = typeof body.base_tree === "string" ? body.base_tree : undefined;
            if (base !== undefined) {
              if (!(await gitOk(dir, ["cat-file", "-e", `${base}^{tree}`])))
                return rule(422, `base_tree ${base} is not a tree`);
              await git(dir, ["read-tree", base], { env });
            }
            for (const entry of Array.isArray(body.tree) ? (body.tree as Record<string, unknown>[]) : []) {
              const path = String(entry.path);
              if (entry.sha === null) {
                await git(dir, ["update-index", "--force-remove", "--", path], { env });
                continue;
              }
              const sha =
                typeof entry.content === "string"
                  ? (await git(dir, ["hash-object", "-w", "--stdin"], { input: entry.content })).trim()
                  : String(entry.sha);
              if (!(await gitOk(dir, ["cat-file", "-e", sha])))
                return rule(422, `tree.sha ${sha} is not a valid blob`);
              await git(
                dir,
                ["update-index", "--add", "--cacheinfo", `${String(entry.mode)},${sha},${path}`],
                { env },
              );
            }
            const tree = (await git(dir, ["write-tree"], { env })).trim();
            return {
              status: 201,
              body: { sha: tree, url: `${repoUrl}/git/trees/${tree}`, tree: [], truncated: false },
            };
          } finally {
            await rm(index, { recursive: true, force: true });
          }
        }
        case "POST /repos/{owner}/{repo}/git/commits": {
          if (dir === undefined) return notFound;
          const tree = String(body.tree);
          if (!(await gitOk(dir, ["cat-file", "-e", `${tree}^{tree}`])))
            return rule(422, `Tree SHA does not exist: ${tree}`);
          const parents = Array.isArray(body.parents) ? body.parents.map(String) : [];
          for (const p of parents)
            if (!(await gitOk(dir, ["cat-file", "-e", `${p}^{commit}`])))
              return rule(422, `Parent SHA does not exist or is not a commit object: ${p}`);
          const person = (value: unknown, fallback: { name: string; email: string }) => {
            const p = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
            return {
              name: String(p.name ?? fallback.name),
              email: String(p.email ?? fallback.email),
              date: typeof p.date === "string" ? p.date : undefined,
            };
          };
          const author = person(body.author, {
            name: "fake-app[bot]",
            email: "fake-app[bot]@users.noreply.github.com",
          });
          const committer = person(body.committer, author);
          const env: Record<string, string> = {
            GIT_AUTHOR_NAME: author.name,
            GIT_AUTHOR_EMAIL: author.email,
            GIT_COMMITTER_NAME: committer.name,
            GIT_COMMITTER_EMAIL: committer.email,
            ...(author.date === undefined ? {} : { GIT_AUTHOR_DATE: author.date }),
            ...(committer.date === undefined ? {} : { GIT_COMMITTER_DATE: committer.date }),
          };
          const sha = (
            await git(dir, ["commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-F", "-"], {
              input: String(body.message),
              env,
            })
          ).trim();
          return { status: 201, body: await commitBody(dir, repoUrl, sha) };
        }
        case "POST /repos/{owner}/{repo}/git/refs": {
          if (dir === undefined) return notFound;
          const ref = String(body.ref);
          const sha = String(body.sha);
          if (!/^refs\/[^/]+\/.+/.test(ref)) return rule(422, `${ref} is not a valid ref name.`);
          if (!(await gitOk(dir, ["cat-file", "-e", `${sha}^{commit}`])))
            return rule(422, "Object does not exist");
          // An empty old value makes update-ref refuse an existing ref atomically.
          if (!(await gitOk(dir, ["update-ref", ref, sha, ""])))
            return { status: 422, body: errorBody(422, "Reference already exists") };
          return { status: 201, body: await refBody(dir, repoUrl, ref.slice("refs/".length)) };
        }
        case "PATCH /repos/{owner}/{repo}/git/refs/{ref}": {
          if (dir === undefined) return notFound;
          const ref = params.ref ?? "";
          const sha = String(body.sha);
          await hook?.(repo, ref);
          const current = (
            await git(dir, ["rev-parse", "--verify", "--quiet", `refs/${ref}`]).catch(() => "")
          ).trim();
          if (current === "") return { status: 422, body: errorBody(422, "Reference does not exist") };
          if (!(await gitOk(dir, ["cat-file", "-e", `${sha}^{commit}`])))
            return rule(422, "Object does not exist");
          const force = body.force === true;
          if (force) refUpdates.forced += 1;
          if (!force && !(await gitOk(dir, ["merge-base", "--is-ancestor", current, sha]))) {
            refUpdates.rejected += 1;
            return { status: 422, body: errorBody(422, "Update is not a fast forward") };
          }
          if (!(await gitOk(dir, ["update-ref", `refs/${ref}`, sha, current]))) {
            refUpdates.rejected += 1;
            return { status: 422, body: errorBody(422, "Update is not a fast forward") };
          }
          if (!force) refUpdates.fastForward += 1;
          return { status: 200, body: await refBody(dir, repoUrl, ref) };
        }
        case "POST /repos/{owner}/{repo}/pulls": {
          if (dir === undefined) return notFound;
          const [head, base] = [String(body.head).replace(/^[^:]+:/, ""), String(body.base)];
          if (!(await gitOk(dir, ["rev-parse", "--verify", "--quiet", `refs/heads/${head}`])))
            return rule(422, `head ${head} does not exist`);
          if (!(await gitOk(dir, ["rev-parse", "--verify", "--quiet", `refs/heads/${base}`])))
            return rule(422, `base ${base} does not exist`);
          const existing = [...context.pullRequests.entries()].find(
            ([key, pr]) => key.startsWith(`${repo}#`) && pr.head === head && pr.base === base,
          );
          if (existing !== undefined)
            return {
              status: 422,
              body: {
                ...errorBody(422, "Validation Failed"),
                errors: [
                  {
                    resource: "PullRequest",
                    code: "custom",
                    message: `A pull request already exists for ${head}.`,
                  },
                ],
              },
            };
          const numbers = [...context.pullRequests.keys()]
            .filter((k) => k.startsWith(`${repo}#`))
            .map((k) => Number(k.split("#")[1]));
          const pr: GitDataPullRequest = {
            number: Math.max(0, ...numbers) + 1,
            head,
            base,
            title: String(body.title ?? ""),
            ...(typeof body.body === "string" ? { body: body.body } : {}),
          };
          context.pullRequests.set(`${repo}#${pr.number}`, pr);
          return { status: 201, body: pullBody(repo, pr) };
        }
        case "GET /repos/{owner}/{repo}/pulls": {
          if (dir === undefined) return notFound;
          const head = query.get("head")?.replace(/^[^:]+:/, "");
          const base = query.get("base");
          const pulls = [...context.pullRequests.entries()]
            .filter(
              ([key, pr]) =>
                key.startsWith(`${repo}#`) &&
                (head === undefined || pr.head === head) &&
                (base === null || pr.base === base),
            )
            .map(([, pr]) => pullBody(repo, pr));
          return { status: 200, body: pulls };
        }
        default:
          return undefined;
      }
    },
  };
}
