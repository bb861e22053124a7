/**
 * Image edits under adversarial input: any marker layout the locator supports (Flux setter markers
 * with and without a namespace, `:tag`, `:name`, `:digest`, pullbridge markers, kustomization
 * `images:` entries with and without markers, Helm values, sequence items), plain and quoted
 * scalars, trailing comments, CRLF and LF, a file with or without a final line break — × any tag
 * shape (semver, numeric-looking, YAML 1.1 bools, null-ish, leading zeros, dates) and digest
 * (sha256, sha512, short placeholders). The file after the edit differs from the one before only
 * inside the edited scalars (quotes included) or in whole inserted `newTag:`/`digest:` lines,
 * keeps its line ends, parses, and every value but the edited ones reads as before; the edited
 * ones read as strings in YAML 1.2 and in YAML 1.1 (Helm's parser).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { imageJobSchema } from "../../../lib/images/image-job.ts";
import { formatImageRef, parseImageRef } from "../../../lib/images/image-ref.ts";
import { planImageUpdate } from "../../../lib/images/plan-image-update.ts";
import { ECR_WEB, imageJob, imagePolicy } from "../../factories/images.ts";

type Path = readonly (string | number)[];
/** An editable scalar of the generated file: where it is (quotes included), where it sits in the document, what it must hold after. */
type Edited = { start: number; end: number; doc: number; path: Path; quote: string; expect: string };
type Built = {
  file: string;
  text: string;
  eol: string;
  edited: Edited[];
  /** Keys the edit must insert as whole lines under `at` (a mapping path), with their values. */
  inserted: { doc: number; at: Path; key: string; value: string }[];
};

/** Builds a file piece by piece, recording where the scalars that must change are. */
class FileText {
  text = "";
  edited: Edited[] = [];
  add(piece: string): this {
    this.text += piece;
    return this;
  }
  scalar(quote: string, value: string, doc: number, path: Path, expect: string): this {
    const start = this.text.length;
    this.text += `${quote}${value}${quote}`;
    this.edited.push({ start, end: this.text.length, doc, path, quote, expect });
    return this;
  }
}

const TAG_SHAPES = [
  "1.4.2",
  "v1.2.3",
  "1.10.0",
  "2.0.0",
  "20261202",
  "1e5",
  "1E5",
  "0x1F",
  "0o17",
  "0b101",
  "007",
  "0123",
  "1_000",
  "true",
  "True",
  "FALSE",
  "yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  "null",
  "Null",
  "NULL",
  "2026-12-02",
  "latest",
  "main-20261202-abc1234",
  "_nightly",
];
const tagShape = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TAG_SHAPES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,15}$/) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`),
  },
);
const digestShape = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`),
  fc.stringMatching(/^[0-9a-f]{128}$/).map((h) => `sha512:${h}`),
  fc.stringMatching(/^[0-9a-f]{32,63}$/).map((h) => `sha256:${h}`),
);

type Case = {
  layout: "deployment" | "values" | "sequence" | "kustomize" | "kustomize-marked" | "kustomize-flux";
  quote: "" | "'" | '"';
  eol: "\n" | "\r\n";
  space: string;
  note: string;
  finalBreak: boolean;
  namespaced: boolean;
  pullbridgeMarker: boolean;
  /** A `:name` marker on an unmarked entry's newName (writes nothing; the entry rule keeps the entry). */
  nameMarker: boolean;
  hasNewTag: boolean;
  hasDigest: boolean;
  pin: boolean;
  current: string;
  candidate: string;
  oldDigest: string;
  newDigest: string;
};

const anyCase: fc.Arbitrary<Case> = fc
  .record({
    layout: fc.constantFrom(
      "deployment",
      "values",
      "sequence",
      "kustomize",
      "kustomize-marked",
      "kustomize-flux",
    ),
    quote: fc.constantFrom("", "'", '"'),
    eol: fc.constantFrom("\n", "\r\n"),
    space: fc.constantFrom(" ", "  ", "   ", "\t"),
    note: fc.constantFrom("", "bumped by pullbridge", "do not edit: # really"),
    finalBreak: fc.boolean(),
    namespaced: fc.boolean(),
    pullbridgeMarker: fc.boolean(),
    nameMarker: fc.boolean(),
    hasNewTag: fc.boolean(),
    hasDigest: fc.boolean(),
    pin: fc.boolean(),
    current: tagShape,
    candidate: tagShape,
    oldDigest: digestShape,
    newDigest: digestShape,
  })
  .filter((c) => c.current !== c.candidate && c.oldDigest !== c.newDigest)
  .map((c) => {
    // The policy orders alphabetically: the pushed tag is the greater of the two.
    const [current, candidate] =
      c.current < c.candidate ? [c.current, c.candidate] : [c.candidate, c.current];
    // Flux's :digest layout needs a pinning policy (else it is refused, on purpose).
    return { ...c, current, candidate, pin: c.layout === "kustomize-flux" ? true : c.pin };
  });

function marker(c: Case, scope: "" | "tag" | "name" | "digest"): string {
  const policy = c.namespaced ? "apps:web" : "web";
  const value = scope === "" ? policy : `${policy}:${scope}`;
  return c.pullbridgeMarker ? `# pullbridge:image ${value}` : `# {"$imagepolicy": "${value}"}`;
}

/** The generated file: one of the layouts, with the scalars that must change recorded. */
function build(c: Case): Built {
  const { eol, quote: q, space } = c;
  const pinned = (tag: string) => (c.pin ? `${tag}@${c.newDigest}` : tag);
  const comment = c.note === "" ? "" : `${space}# ${c.note}`;
  const f = new FileText();
  const inserted: Built["inserted"] = [];
  let file = "manifest.yaml";
  switch (c.layout) {
    case "deployment":
      f.add(`# owned by team-web${eol}apiVersion: apps/v1${eol}kind: Deployment${eol}metadata:${eol}`)
        .add(`  name: web${comment}${eol}spec:${eol}  template:${eol}    spec:${eol}      containers:${eol}`)
        .add(`        - name: web${eol}          image: `)
        .scalar(
          q,
          `${ECR_WEB}:${c.current}`,
          0,
          ["spec", "template", "spec", "containers", 0, "image"],
          `${ECR_WEB}:${pinned(c.candidate)}`,
        )
        .add(`${space}${marker(c, "")}${eol}          ports:${eol}            - containerPort: 8080${eol}`)
        .add(`---${eol}apiVersion: v1${eol}kind: ConfigMap${eol}data: {tag: "${c.current}"}${eol}`);
      break;
    case "values":
      file = "chart/values.yaml";
      f.add(`replicaCount: 2${eol}image:${eol}  repository: ${ECR_WEB}${comment}${eol}  tag: `)
        .scalar(q, c.current, 0, ["image", "tag"], pinned(c.candidate))
        .add(`${space}${marker(c, "tag")}${eol}  pullPolicy: IfNotPresent${eol}`);
      break;
    case "sequence":
      f.add(`images:${eol}  - `)
        .scalar(q, `${ECR_WEB}:${c.current}`, 0, ["images", 0], `${ECR_WEB}:${pinned(c.candidate)}`)
        .add(`${space}${marker(c, "")}${eol}  - ${ECR_WEB}:${c.current}${comment}${eol}`);
      break;
    case "kustomize":
    case "kustomize-marked":
    case "kustomize-flux": {
      file = "overlays/prod/kustomization.yaml";
      const at = ["images", 0] as const;
      const marked = c.layout !== "kustomize";
      const flux = c.layout === "kustomize-flux";
      f.add(`apiVersion: kustomize.config.k8s.io/v1beta1${eol}kind: Kustomization${eol}images:${eol}`).add(
        `  - name: web${eol}    newName: ${ECR_WEB}${flux || c.nameMarker ? `${space}${marker(c, "name")}` : ""}`,
      );
      if (marked || c.hasNewTag) {
        // A Flux :tag marker without a :digest one writes tag@digest into newTag, as for Helm values.
        f.add(`${eol}    newTag: `).scalar(
          q,
          c.current,
          0,
          [...at, "newTag"],
          flux ? c.candidate : marked ? pinned(c.candidate) : c.candidate,
        );
        f.add(marked ? `${space}${marker(c, "tag")}` : comment);
      } else inserted.push({ doc: 0, at, key: "newTag", value: c.candidate });
      if (flux || (c.pin && c.hasDigest && !marked)) {
        f.add(`${eol}    digest: `).scalar("", c.oldDigest, 0, [...at, "digest"], c.newDigest);
        f.add(flux ? `${space}${marker(c, "digest")}` : comment);
      } else if (c.pin && !marked) inserted.push({ doc: 0, at, key: "digest", value: c.newDigest });
      // Sometimes the entry is the file's last line, so an insertion happens at its very end.
      if (c.finalBreak) f.add(`${eol}resources:${eol}  - deployment.yaml # the base${eol}`);
      break;
    }
  }
  // Without a final line break the last line simply ends the file.
  const text = !c.finalBreak && f.text.endsWith(eol) ? f.text.slice(0, -eol.length) : f.text;
  return { file, text, eol, edited: f.edited, inserted };
}

const toJs = (text: string, version: "1.1" | "1.2" = "1.2") =>
  parseAllDocuments(text, { version }).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as unknown;
  });

function at(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root);
}
function set(root: unknown, path: Path, value: unknown): void {
  const parent = at(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1] as string | number] = value;
}

const lines = (text: string) => text.split(/\r?\n/);

/** Asserts the edit touched only the recorded scalars (quotes may be added to a plain one) and inserted whole key lines. */
function assertLocal(built: Built, after: string): void {
  const before = built.text;
  const starts = [0];
  for (let i = before.indexOf("\n"); i !== -1; i = before.indexOf("\n", i + 1)) starts.push(i + 1);
  const editedOn = new Map<number, Edited>();
  for (const e of built.edited)
    editedOn.set(
      starts.findLastIndex((s) => s <= e.start),
      e,
    );
  const [b, a] = [lines(before), lines(after)];
  let j = 0;
  let insertedLines = 0;
  for (let i = 0; i < b.length; i += 1) {
    const e = editedOn.get(i);
    while (e === undefined && a[j] !== b[i]) {
      // Not the next line of the file before: only a whole inserted key line may be here.
      expect(a[j]).toMatch(/^ {4}(newTag|digest): ("[^"]*"|[^"\s#]+)$/);
      insertedLines += 1;
      j += 1;
    }
    if (e !== undefined) {
      const lineStart = starts[i] ?? 0;
      const [prefix, suffix] = [
        b[i]?.slice(0, e.start - lineStart) ?? "",
        b[i]?.slice(e.end - lineStart) ?? "",
      ];
      const quotes = e.quote === "" ? ["", '"'] : [e.quote];
      expect(quotes.map((quote) => `${prefix}${quote}${e.expect}${quote}${suffix}`)).toContain(a[j]);
    }
    j += 1;
  }
  for (; j < a.length; j += 1) {
    expect(a[j]).toMatch(/^ {4}(newTag|digest): ("[^"]*"|[^"\s#]+)$/);
    insertedLines += 1;
  }
  expect(insertedLines).toBe(built.inserted.length);
}

describe("image edits (property): any marker layout × any tag shape", () => {
  it("change only the edited scalars or whole inserted lines, keep line ends, parse, and keep every value's type", () => {
    fc.assert(
      fc.property(anyCase, (c) => {
        // Prepare
        const built = build(c);
        const policy = imagePolicy({
          name: c.namespaced ? "apps:web" : "web",
          regex: { pattern: "(.+)", order: "alphabetical" },
          pinDigest: c.pin,
        });

        // Act
        const plan = planImageUpdate(new Map([[built.file, built.text]]), [policy], {
          repository: ECR_WEB,
          tag: c.candidate,
          digest: c.newDigest,
        });
        const after = plan.files.get(built.file);

        // Assess: an edit happened, nothing was refused.
        expect(plan.ignored).toEqual([]);
        expect(after).toBeDefined();
        if (after === undefined) return;
        // Line ends: the file's own, everywhere, and a final break only if it had one.
        const breaks = after.match(/\r?\n/g) ?? [];
        expect(breaks.every((br) => br === built.eol)).toBe(true);
        expect(after.endsWith(built.eol)).toBe(built.text.endsWith(built.eol));
        // Locality: only the edited scalars (quotes included) and whole inserted lines differ.
        assertLocal(built, after);
        // Types: every value reads as before but the edited ones, which are strings holding the
        // new text, in YAML 1.2 and in YAML 1.1 (Helm).
        for (const version of ["1.2", "1.1"] as const) {
          const expected = toJs(built.text, version);
          for (const e of built.edited) set(expected[e.doc], e.path, e.expect);
          for (const i of built.inserted) set(expected[i.doc], [...i.at, i.key], i.value);
          expect(toJs(after, version)).toEqual(expected);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("an edited field is edited again by the next push (what is written is read back)", () => {
    fc.assert(
      fc.property(anyCase, tagShape, digestShape, (c, third, thirdDigest) => {
        fc.pre(third > c.candidate && thirdDigest !== c.newDigest);
        const built = build(c);
        const policy = imagePolicy({
          name: c.namespaced ? "apps:web" : "web",
          regex: { pattern: "(.+)", order: "alphabetical" },
          pinDigest: c.pin,
        });
        const push = (text: string, tag: string, digest: string) =>
          planImageUpdate(new Map([[built.file, text]]), [policy], { repository: ECR_WEB, tag, digest });
        const once = push(built.text, c.candidate, c.newDigest).files.get(built.file) ?? "";

        const twice = push(once, third, thirdDigest);

        expect(twice.ignored).toEqual([]);
        expect(twice.changes.map((ch) => ch.toTag)).toContain(third);
        expect(twice.changes.every((ch) => ch.fromTag === c.candidate)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe("digests: what an image job may carry is what the manifest reader reads back", () => {
  it("every digest the job schema accepts round-trips through an image reference", () => {
    const anyDigest = fc
      .tuple(
        fc.stringMatching(/^[a-z0-9]{1,8}([+._-][a-z0-9]{1,4})?$/),
        fc.stringMatching(/^[0-9a-f]{32,128}$/),
      )
      .map(([algorithm, hex]) => `${algorithm}:${hex}`);
    fc.assert(
      fc.property(anyDigest, (digest) => {
        const job = imageJob("1.4.2", {
          image: { source: "ecr", repository: ECR_WEB, tag: "1.4.2", digest },
        });
        expect(imageJobSchema.safeParse(job).success).toBe(true);
        const ref = formatImageRef({ repository: ECR_WEB, tag: "1.4.2", digest });
        expect(parseImageRef(ref)).toEqual({ repository: ECR_WEB, tag: "1.4.2", digest });
      }),
    );
  });
});
