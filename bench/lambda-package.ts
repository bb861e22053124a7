/**
 * The functions as Lambda runs them, for the benchmarks that measure a cold start or a fresh
 * worker process: `osls package` (offline, as test/integration/deploy/serverless-package.test.ts
 * runs it) writes the zips and the CloudFormation template; a function's zip is unpacked as the
 * runtime lays it out (`<root>/var/task`, the working directory and `LAMBDA_TASK_ROOT`), and the
 * AWS SDK v3 packages the bundles leave external are copied into `<root>/node_modules` — a
 * `node_modules` outside the task, found by Node's ESM resolution the way the nodejs24.x runtime
 * provides its own SDK, and not the repository's (which no bundle could reach from there). The
 * environment is the function's own from the template, plus the variables Lambda sets.
 *
 * What this cannot reproduce offline: the runtime's exact SDK version (the copies are the
 * repository's), its bootstrap (the runtime interface client), Firecracker and arm64.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");

/** One function of the packaged stack, unpacked as Lambda unpacks it. */
export type PackagedFunction = {
  name: string;
  /** `<root>/var/task`: the unzipped package, the working directory, `LAMBDA_TASK_ROOT`. */
  taskRoot: string;
  /** The handler module Lambda imports (`functions/<name>/handler.mjs`). */
  handlerFile: string;
  /** Size of the function's zip as uploaded. */
  zipBytes: number;
  /** `.mjs` files of the function's own folder (code Lambda may load) and their bytes. */
  moduleBytes: number;
  /** Source maps shipped beside them (read at load under `--enable-source-maps`). */
  sourceMapBytes: number;
  /** The `@aws-sdk/*` packages the function's modules import, resolved from the runtime path. */
  sdkPackages: string[];
  /** The function's environment from the template, plus what Lambda sets (region, name, task root, memory). */
  env: Record<string, string>;
};

type Template = {
  Resources: Record<
    string,
    {
      Type: string;
      Properties: {
        Handler?: string;
        MemorySize?: number;
        Environment?: { Variables?: Record<string, unknown> };
      };
    }
  >;
};

/** Runs `osls package` (no AWS credentials, no network) into `outDir`; returns the directory. */
export async function packageStack(dir: string): Promise<string> {
  const outDir = resolve(dir);
  await rm(outDir, { recursive: true, force: true });
  await run(
    join(root, "node_modules", ".bin", "osls"),
    ["package", "--stage", "bench", "--region", "eu-west-1", "--package", outDir],
    {
      cwd: root,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: "",
        AWS_SECRET_ACCESS_KEY: "",
        AWS_PROFILE: "",
        SLS_TELEMETRY_DISABLED: "1",
      },
      maxBuffer: 16 << 20,
    },
  );
  return outDir;
}

/** A stand-in for a CloudFormation reference the template leaves to deploy time. */
function placeholder(key: string): string {
  if (key.endsWith("_QUEUE_URL"))
    return `https://sqs.eu-west-1.amazonaws.com/123456789012/pullbridge-bench-${key.toLowerCase().replaceAll("_", "-")}`;
  return `pullbridge-bench-${key.toLowerCase().replaceAll("_", "-")}`;
}

/** Unpacks `name` from the package in `packageDir` into `<unpackDir>/<name>/var/task`, with the runtime SDK beside it. */
export async function unpackFunction(
  packageDir: string,
  name: string,
  unpackDir: string,
): Promise<PackagedFunction> {
  const template = JSON.parse(
    await readFile(join(packageDir, "cloudformation-template-update-stack.json"), "utf8"),
  ) as Template;
  const logicalId = `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
  const fn = template.Resources[logicalId]?.Properties;
  if (!fn?.Handler) throw new Error(`no ${logicalId} in the packaged template`);
  const base = resolve(unpackDir, name);
  const taskRoot = join(base, "var", "task");
  await rm(base, { recursive: true, force: true });
  await mkdir(taskRoot, { recursive: true });
  const zip = join(packageDir, `${name}.zip`);
  await run("unzip", ["-q", zip, "-d", taskRoot]);

  const moduleDir = join(taskRoot, "functions", name);
  let moduleBytes = 0;
  let sourceMapBytes = 0;
  const sdk = new Set<string>();
  for (const file of await readdir(moduleDir)) {
    const bytes = (await stat(join(moduleDir, file))).size;
    if (file.endsWith(".mjs.map")) sourceMapBytes += bytes;
    if (!file.endsWith(".mjs")) continue;
    moduleBytes += bytes;
    const text = await readFile(join(moduleDir, file), "utf8");
    for (const m of text.matchAll(/["'](@aws-sdk\/[a-z0-9-]+)["']/g)) if (m[1]) sdk.add(m[1]);
  }
  const runtimeModules = join(base, "node_modules");
  await copyDependencyClosure([...sdk], runtimeModules);
  // The point of the exercise: the handler must find the SDK there, not in the repository.
  const fromHandler = createRequire(join(moduleDir, "handler.mjs"));
  for (const pkg of sdk) {
    const resolved = fromHandler.resolve(pkg);
    if (!resolved.startsWith(runtimeModules))
      throw new Error(`${pkg} resolves to ${resolved}, not the runtime path`);
  }

  const variables = fn.Environment?.Variables ?? {};
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    AWS_REGION: "eu-west-1",
    AWS_DEFAULT_REGION: "eu-west-1",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    AWS_LAMBDA_FUNCTION_NAME: `pullbridge-bench-${name}`,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.MemorySize ?? 512),
    LAMBDA_TASK_ROOT: taskRoot,
    TZ: ":UTC",
    // Credentials Lambda injects for the role; nothing here calls AWS.
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_SESSION_TOKEN: "bench",
  };
  for (const [key, value] of Object.entries(variables)) {
    env[key] = typeof value === "string" ? value : placeholder(key);
  }
  return {
    name,
    taskRoot,
    handlerFile: join(moduleDir, "handler.mjs"),
    zipBytes: (await stat(zip)).size,
    moduleBytes,
    sourceMapBytes,
    sdkPackages: [...sdk].sort(),
    env,
  };
}

/** Where Node would find `name` from `fromDir` inside the repository (walking up `node_modules`). */
async function locate(name: string, fromDir: string): Promise<string | undefined> {
  for (let dir = fromDir; dir.startsWith(root); dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (
      await stat(join(candidate, "package.json")).then(
        () => true,
        () => false,
      )
    )
      return candidate;
    if (dir === root) break;
  }
  return undefined;
}

/**
 * Copies `packages` and everything they depend on from the repository's node_modules into
 * `target` (a `node_modules`), keeping npm's layout (nested copies stay nested).
 */
async function copyDependencyClosure(packages: readonly string[], target: string): Promise<void> {
  await rm(target, { recursive: true, force: true });
  const seen = new Set<string>();
  const queue = await Promise.all(packages.map((p) => locate(p, root)));
  while (queue.length > 0) {
    const dir = queue.pop();
    if (dir === undefined || seen.has(dir)) continue;
    seen.add(dir);
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      queue.push(await locate(dep, dir));
    }
  }
  const nodeModules = join(root, "node_modules");
  for (const dir of seen) {
    await cp(dir, join(target, relative(nodeModules, dir)), { recursive: true, dereference: true });
  }
}
