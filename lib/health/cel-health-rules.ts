/**
 * A target's own health rules for custom resources, as CEL expressions (Flux's `healthCheckExprs`):
 * `inProgress`, `failed`, `current`, evaluated in that order against the live object, whose
 * top-level fields are variables (`status.conditions…`, `metadata.generation`, `spec…`) and which is
 * also `self`. The first true expression decides; none true means InProgress. An expression that
 * errors (typically a field the controller has not written yet) counts as false. Compiled once,
 * when the targets file is read, so a syntax error is a configuration error at start-up.
 */
import { Environment } from "@marcbachmann/cel-js";
import type { KubeObject } from "../manifests/kube-object.ts";
import type { HealthRule } from "./assess-health.ts";
import { condition } from "./compute-object-health.ts";
import { HealthStatus, type ObjectHealth } from "./health-status.ts";

/** One rule as written in the targets file. */
export type HealthCheckExpressions = {
  apiVersion: string;
  kind: string;
  current?: string | undefined;
  failed?: string | undefined;
  inProgress?: string | undefined;
};

type Compiled = (context: Record<string, unknown>) => unknown;

// Built on the first expression compiled, not at module load (most targets have no CEL rules).
let environment: Environment | undefined;
const celEnvironment = (): Environment => {
  environment ??= new Environment()
    .registerVariable("self", "dyn")
    .registerVariable("apiVersion", "dyn")
    .registerVariable("kind", "dyn")
    .registerVariable("metadata", "dyn")
    .registerVariable("spec", "dyn")
    .registerVariable("status", "dyn");
  return environment;
};

/** Compiles one expression; throws a message naming the problem (the caller adds the field). */
export function compileCelExpression(expression: string): Compiled {
  try {
    return celEnvironment().parse(expression) as unknown as Compiled;
  } catch (error) {
    const message = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error);
    throw new Error(`invalid CEL expression ${JSON.stringify(expression)}: ${message}`);
  }
}

function groupKindOf(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? kind : `${kind}.${apiVersion.slice(0, slash)}`;
}

function readyNote(object: KubeObject): string {
  const ready = condition(object, "Ready");
  const text = [ready?.reason, ready?.message].filter(Boolean).join(": ");
  return text ? ` (Ready: ${text})` : "";
}

/** Compiles a target's rules; throws on the first invalid expression with `checks[i].<field>` in its message. */
export function compileHealthRules(rules: readonly HealthCheckExpressions[]): HealthRule[] {
  return rules.map((rule, i) => {
    const order = (["inProgress", "failed", "current"] as const).flatMap((which) => {
      const expression = rule[which];
      if (expression === undefined) return [];
      try {
        return [{ which, expression, run: compileCelExpression(expression) }];
      } catch (error) {
        throw new Error(`checks[${i}].${which}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return {
      groupKind: groupKindOf(rule.apiVersion, rule.kind),
      evaluate(object: KubeObject): ObjectHealth | undefined {
        const context = {
          self: object,
          apiVersion: object.apiVersion,
          kind: object.kind,
          metadata: object.metadata,
          spec: object.spec ?? {},
          status: object.status ?? {},
        };
        const errors: string[] = [];
        for (const step of order) {
          let value: unknown;
          try {
            value = step.run(context);
          } catch (error) {
            errors.push(
              `${step.which}: ${error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)}`,
            );
            continue;
          }
          if (value !== true) continue;
          const note = readyNote(object);
          if (step.which === "failed")
            return {
              status: HealthStatus.Failed,
              message: `failed by rule \`${step.expression}\`${note}`,
              reason: "HealthCheckFailed",
            };
          if (step.which === "current")
            return { status: HealthStatus.Current, message: `healthy by rule${note}` };
          return { status: HealthStatus.InProgress, message: `in progress by rule${note}` };
        }
        return {
          status: HealthStatus.InProgress,
          message: `no health rule matched yet${errors.length > 0 ? ` (${errors.join("; ")})` : ""}${readyNote(object)}`,
        };
      },
    };
  });
}
