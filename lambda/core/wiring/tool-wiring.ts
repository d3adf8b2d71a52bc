import { SFNClient } from '@aws-sdk/client-sfn';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import * as z from 'zod';
import { describeZodIssues } from '../adapters/model/zod-issues';
import { StepFunctionsDecisionSender } from '../adapters/step-functions/decision-sender';
import { StepFunctionsSlowToolStarter } from '../adapters/step-functions/slow-tool-starter';
import { StepFunctionsToolRunner } from '../adapters/step-functions/sync-tool-runner';
import { CedarToolAuthorizer } from '../adapters/cedar-policy';
import { ToolConfigError, ToolPolicy, type ToolPolicySource } from '../domain/tool-policy';
import type { TurnTools } from '../domain/turn-rounds';
import { ENV } from '../../../lib/contract/env-names';
import type { DecisionSender, SlowToolStarter, ToolRunner } from '../ports/tool-workflows';
import { TOOL_NAME_PATTERN, type ModelToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { RuntimeEnv } from './runtime-env';

/** The orchestrator's tools: the turn's (policy and workflows) and the approvals route's (the decision sender). */
export interface OrchestratorTools extends TurnTools {
  readonly decisions: DecisionSender;
}

/** The tool settings of the orchestrator's environment, validated at cold start. */
export interface ToolEnv {
  readonly enabled: readonly ModelToolDeclaration[];
  /** The Cedar policy of ENV.TOOL_POLICY, parsed; without the variable, none (every enabled tool to every tenant). */
  readonly policy: ToolPolicySource;
  readonly fastStateMachineArn?: string;
  readonly slowStateMachineArn?: string;
}

/** Seconds the client waits for a fast tool beyond the slowest tool's own timeout, for the workflow's own overhead. */
const SYNC_EXECUTION_SLACK_SECONDS = 5;

function parseJson(name: string, value: string | undefined, fallback: unknown): unknown {
  if (value === undefined || value === '') return fallback;
  try {
    return JSON.parse(value);
  } catch {
    throw new ToolConfigError(`${name} is not JSON`);
  }
}

function isStateMachineArn(value: string): boolean {
  return /^arn:[a-z0-9-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(value);
}

function optionalArn(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!isStateMachineArn(value)) throw new ToolConfigError(`${name} is "${value}", not a state machine ARN`);
  return value;
}

/**
 * One model-facing tool declaration (lib/contract/tool-declaration.ts,
 * ModelToolDeclaration), as the ToolWorkflow construct writes it from the
 * declarations it was given. Strict: a field the orchestrator does not know
 * is a deployment it was not built for.
 */
const modelToolDeclarationSchema = z.strictObject({
  name: z.string().regex(TOOL_NAME_PATTERN, { message: `must match ${TOOL_NAME_PATTERN}` }),
  description: z.string().min(1),
  inputSchema: z.record(z.string(), z.json()),
  timeoutSeconds: z.number().int().positive(),
  mode: z.enum(['fast', 'slow']),
  approval: z.strictObject({ approverRoles: z.array(z.string().min(1)).min(1), timeoutSeconds: z.number().int().positive() }).optional(),
});

/** ENV.TOOLS: the enabled tools' model-facing declarations, a JSON array. */
function parseEnabledTools(value: string | undefined): ModelToolDeclaration[] {
  const declarations = parseJson(ENV.TOOLS, value, []);
  if (!Array.isArray(declarations)) throw new ToolConfigError(`${ENV.TOOLS} must be a JSON array of tool declarations`);
  return declarations.map((declaration: unknown, i) => {
    const parsed = modelToolDeclarationSchema.safeParse(declaration);
    if (parsed.success) return parsed.data as ModelToolDeclaration;
    const what = typeof declaration === 'string' ? `${JSON.stringify(declaration)}, which is not a tool declaration` : 'not a tool declaration';
    throw new ToolConfigError(
      `${ENV.TOOLS}[${i}] is ${what} (${describeZodIssues(parsed.error)}); the ToolWorkflow construct writes each enabled tool's name, description, inputSchema, timeoutSeconds, mode and approval`,
    );
  });
}

/** ENV.TOOL_POLICY as the ToolWorkflow construct writes it (ToolPolicyDocument, lib/contract/tool-policy.ts). */
const toolPolicyDocumentSchema = z.strictObject({
  policies: z.record(z.string(), z.string()),
  actors: z.record(z.string(), z.record(z.string(), z.string())).optional(),
});

/** ENV.TOOL_POLICY: the Cedar policies, parsed once; unset means no policy (every enabled tool). */
function parseToolPolicy(value: string | undefined): ToolPolicySource {
  if (value === undefined || value === '') return {};
  const parsed = toolPolicyDocumentSchema.safeParse(parseJson(ENV.TOOL_POLICY, value, {}));
  if (!parsed.success) {
    throw new ToolConfigError(
      `${ENV.TOOL_POLICY} must be { "policies": { "<id>": "<Cedar policy>" }, "actors": { "<role ARN>": { "<attribute>": "<value>" } } } (${describeZodIssues(parsed.error)}); the ToolWorkflow construct writes it`,
    );
  }
  return CedarToolAuthorizer.of(parsed.data, ENV.TOOL_POLICY);
}

/**
 * ENV.TOOLS (JSON array of the enabled tools' model-facing declarations),
 * ENV.TOOL_POLICY (the Cedar policies and actor attributes) and the two
 * workflow ARNs. A tool that is enabled needs the workflow that runs it; a
 * policy must parse. Unset ENV.TOOLS means no tools.
 */
export function readToolEnv(env: NodeJS.ProcessEnv): ToolEnv {
  const enabled = parseEnabledTools(env[ENV.TOOLS]);
  const toolEnv: ToolEnv = {
    enabled,
    policy: parseToolPolicy(env[ENV.TOOL_POLICY]),
    fastStateMachineArn: optionalArn(env, ENV.FAST_TOOLS_STATE_MACHINE),
    slowStateMachineArn: optionalArn(env, ENV.SLOW_TOOLS_STATE_MACHINE),
  };
  for (const tool of enabled) {
    const slow = tool.mode === 'slow' || tool.approval !== undefined;
    const [name, arn] = slow
      ? [ENV.SLOW_TOOLS_STATE_MACHINE, toolEnv.slowStateMachineArn]
      : [ENV.FAST_TOOLS_STATE_MACHINE, toolEnv.fastStateMachineArn];
    if (arn === undefined) throw new ToolConfigError(`"${tool.name}" is enabled but ${name} is not set`);
  }
  // Compiles the enabled tools' input schemas.
  ToolPolicy.of(enabled, toolEnv.policy);
  return toolEnv;
}

/**
 * The Step Functions client, built once per execution environment and
 * traced. SC-13: the FIPS endpoint when the region facts list `states` in
 * ENV.FIPS_SERVICES. Its request timeout covers the slowest enabled fast
 * tool, so a hung workflow ends as a tool timeout rather than a hung turn.
 */
export function stepFunctionsClient(toolEnv: ToolEnv, env: Pick<RuntimeEnv, 'region' | 'fipsServices'>, tracer: Tracer): SFNClient {
  const slowest = Math.max(0, ...toolEnv.enabled.filter((tool) => tool.mode === 'fast').map((tool) => tool.timeoutSeconds));
  return tracer.captureAWSv3Client(
    new SFNClient({
      region: env.region,
      useFipsEndpoint: env.fipsServices.has('states'),
      requestHandler: { requestTimeout: (slowest + SYNC_EXECUTION_SLACK_SECONDS) * 1000 },
    }),
  );
}

/** The orchestrator's tools from its environment, or undefined when ENV.TOOLS enables none. */
export function toolsFromEnv(
  toolEnv: ToolEnv,
  env: Pick<RuntimeEnv, 'region' | 'fipsServices'>,
  tracer: Tracer,
): OrchestratorTools | undefined {
  if (toolEnv.enabled.length === 0) return undefined;
  const client = stepFunctionsClient(toolEnv, env, tracer);
  return {
    policy: ToolPolicy.of(toolEnv.enabled, toolEnv.policy),
    runner: toolEnv.fastStateMachineArn ? new StepFunctionsToolRunner({ client, stateMachineArn: toolEnv.fastStateMachineArn }) : noWorkflow('fast'),
    slowTools: toolEnv.slowStateMachineArn
      ? new StepFunctionsSlowToolStarter({ client, stateMachineArn: toolEnv.slowStateMachineArn })
      : noWorkflow('slow'),
    decisions: new StepFunctionsDecisionSender({ client }),
  };
}

/** readToolEnv refuses a tool without its workflow, so this stands in only where no enabled tool needs it. */
function noWorkflow(kind: 'fast' | 'slow'): ToolRunner & SlowToolStarter {
  const refuse = async (): Promise<never> => {
    throw new ToolConfigError(`no ${kind} tool workflow is configured`);
  };
  return { run: refuse, start: refuse };
}
