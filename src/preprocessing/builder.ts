/**
 * The pipeline builder: turns a parsed definition into a plan of stage objects (command
 * objects), validating every stage id and parameter against the registry.
 *
 * @module
 */
import type { z } from "zod";
import { type ListItem, parseDefinition, type PipelineSpec, type StepSpec } from "./definition.ts";
import type { Stage, StageKind } from "./stage.ts";

/** A built chain: stages to run in order, then parallel branches. */
export interface PlanChain {
  stages: Stage[];
  branches: { label: string; chain: PlanChain }[];
}

/** A built pipeline. */
export interface PipelinePlan {
  /** The pipeline definition's semantic version (part of cache keys). */
  version: string;
  root: PlanChain;
}

/**
 * An unknown stage or invalid parameters. The message names the stage, its position and the
 * field, and lists the known stages for an unknown id.
 *
 * @example Usage
 * ```ts
 * import { PipelineDefinitionError } from "./builder.ts";
 * new PipelineDefinitionError('unknown stage "gird"');
 * ```
 */
export class PipelineDefinitionError extends TypeError {
  /** @param message What is wrong, where, and what was expected. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PipelineDefinitionError";
  }
}

/** A registry of stage kinds by id. */
export type StageRegistry = ReadonlyMap<string, StageKind>;

/**
 * Builds a plan from a definition (arrow string or list form) and a stage registry.
 *
 * @throws {PipelineSyntaxError} when the arrow form does not parse.
 * @throws {PipelineDefinitionError} for unknown stages and invalid parameters.
 *
 * @example Usage
 * ```ts
 * import { buildPipeline } from "./builder.ts";
 * import { defaultStageRegistry } from "./stages/mod.ts";
 * const plan = buildPipeline("grid(method=nearest, spacing=0.1) -> qc", defaultStageRegistry(), "1.0.0");
 * ```
 */
export function buildPipeline(
  definition: string | readonly ListItem[] | PipelineSpec,
  registry: StageRegistry,
  version = "0.0.0",
): PipelinePlan {
  const spec = typeof definition === "object" && "steps" in definition
    ? definition
    : parseDefinition(definition as string | readonly ListItem[]);
  return { version, root: buildChain(spec, registry, "") };
}

function buildChain(spec: PipelineSpec, registry: StageRegistry, path: string): PlanChain {
  return {
    stages: spec.steps.map((step, i) => buildStage(step, registry, `${path}${i + 1}`)),
    branches: spec.branches.map((b) => ({
      label: b.label,
      chain: buildChain(b.chain, registry, `${path}${b.label}.`),
    })),
  };
}

function buildStage(step: StepSpec, registry: StageRegistry, position: string): Stage {
  const where = step.column > 0 ? `column ${step.column}` : `step ${position}`;
  const kind = registry.get(step.stage);
  if (kind === undefined) {
    const known = [...registry.keys()].sort().join(", ");
    throw new PipelineDefinitionError(
      `Unknown stage "${step.stage}" at ${where}; known stages: ${known}`,
    );
  }
  const parsed = (kind.paramsSchema as z.ZodType).safeParse(step.params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const field = i.path.length ? i.path.join(".") : "(parameters)";
      return `${field}: ${i.message}`;
    }).join("; ");
    throw new PipelineDefinitionError(
      `Invalid parameters for stage "${step.stage}" at ${where}: ${issues}`,
      { cause: parsed.error },
    );
  }
  return kind.create(parsed.data) as Stage;
}

/**
 * Every stage of a plan with its branch path, depth first.
 *
 * @example Usage
 * ```ts
 * import { planStages } from "./builder.ts";
 * // planStages(plan).map(({ branch, stage }) => `${branch}:${stage.id}`)
 * ```
 */
export function planStages(plan: PipelinePlan): { branch: string; stage: Stage }[] {
  const out: { branch: string; stage: Stage }[] = [];
  const walk = (chain: PlanChain, branch: string) => {
    for (const stage of chain.stages) out.push({ branch, stage });
    for (const b of chain.branches) {
      walk(b.chain, branch === "main" ? b.label : `${branch}/${b.label}`);
    }
  };
  walk(plan.root, "main");
  return out;
}
