import type { ToolCall, ToolSpec } from '../ports/model-backend';
import type { ModelToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { TenantToolMap } from '../../../lib/contract/tool-policy';
import type { ToolRunOutput } from '../../../lib/contract/workflow-contract';
import type { JsonValue } from './canonical-json';
import { toolInputProblems, validatorFor } from './tool-input';

/** Thrown at start-up for a tool configuration the function cannot use; the deployment is misconfigured. */
export class ToolConfigError extends Error {
  constructor(message: string) {
    super(`tools: ${message}`);
    this.name = 'ToolConfigError';
  }
}

/** What a model's tool call may do: run (fast in the turn, slow after it), or nothing, with the error the model sees. */
export type ToolCheck =
  | { readonly ok: true; readonly tool: ModelToolDeclaration }
  | {
      readonly ok: false;
      readonly output: ToolRunOutput & { readonly ok: false };
      /** The ids of the policies that denied the call, for the audit record; never shown to the model. */
      readonly deniedBy?: readonly string[];
    };

/** Who makes a tool call besides the tenant: what a policy may condition on. */
export interface ToolCaller {
  /** The actor the turn acts for (`<role ARN>#<role session name>`, as the session records it). @default unknown: a policy that reads the actor denies */
  readonly actor?: string;
  /** The agent whose model makes the call. @default unknown: a policy that reads the agent denies */
  readonly agent?: string;
}

/** One question to the tool policy: may this caller call this tool. */
export interface ToolRequest extends ToolCaller {
  readonly tenant: string;
  readonly tool: string;
}

export interface ToolDecision {
  readonly allowed: boolean;
  /** The policies that decided (or failed to evaluate, which denies). */
  readonly policies: readonly string[];
}

/**
 * The evaluator of the deployment's tool policy (the Cedar one is
 * lambda/core/adapters/cedar-policy.ts). Deterministic and without I/O, so
 * the turn's step function can ask it.
 */
export interface ToolAuthorizer {
  /** Whether the tool may be offered: the policy does not deny it whatever the input. */
  mayOffer(request: ToolRequest): boolean;
  /** Whether the call may run with `input`, which already matches the tool's schema. */
  decide(request: ToolRequest, input: JsonValue): ToolDecision;
}

/** A tool policy: Cedar's, or a tenant → tools map (tests, and a fork calling the domain directly). */
export type ToolPolicySource = ToolAuthorizer | TenantToolMap;

/** Tool names in messages to the model: bounded and quoted, as the model chose them. */
function quoted(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name);
}

function isAuthorizer(policy: ToolPolicySource): policy is ToolAuthorizer {
  return typeof (policy as ToolAuthorizer).decide === 'function';
}

/**
 * The tenant map as it always read: a tenant listed may call its tools, a
 * tenant not listed every enabled tool. A deployment ships the same map as
 * Cedar forbids (lib/policy/tenant-tool-policies.ts).
 */
function tenantMapAuthorizer(map: TenantToolMap): ToolAuthorizer {
  const allows = ({ tenant, tool }: ToolRequest) => !Object.hasOwn(map, tenant) || map[tenant].includes(tool);
  return { mayOffer: allows, decide: (request) => ({ allowed: allows(request), policies: [] }) };
}

/**
 * Which tools a caller may call (AC-3, AC-6: least functionality). The
 * tools offered to the model are the enabled tools the policy does not deny
 * the caller whatever the input; a call is checked again when the model
 * makes it, with its input, since a model may name any tool, offered or not.
 */
export class ToolPolicy {
  private constructor(
    private readonly enabled: ReadonlyMap<string, ModelToolDeclaration>,
    private readonly authorizer: ToolAuthorizer,
  ) {}

  /**
   * `policy`: the deployment's Cedar policy, or a tenant map (default: none,
   * every enabled tool to every tenant).
   * @throws ToolConfigError for a tool enabled twice, a schema that does not compile, or a tenant map naming a tool that is not enabled.
   */
  static of(enabled: readonly ModelToolDeclaration[], policy: ToolPolicySource = {}): ToolPolicy {
    const byName = new Map<string, ModelToolDeclaration>();
    for (const tool of enabled) {
      if (byName.has(tool.name)) throw new ToolConfigError(`"${tool.name}" is enabled twice`);
      try {
        // At start-up, so a schema ajv refuses fails the cold start, not a turn.
        validatorFor(tool);
      } catch (error) {
        throw new ToolConfigError(`the input schema of "${tool.name}" does not compile: ${(error as Error).message}`);
      }
      byName.set(tool.name, tool);
    }
    if (isAuthorizer(policy)) return new ToolPolicy(byName, policy);
    for (const [tenant, names] of Object.entries(policy)) {
      for (const name of names) {
        if (!byName.has(name)) {
          throw new ToolConfigError(
            `the policy of tenant "${tenant}" names "${name}", which is not enabled (enabled: ${[...byName.keys()].join(', ') || 'none'})`,
          );
        }
      }
    }
    return new ToolPolicy(byName, tenantMapAuthorizer(policy));
  }

  /** The enabled tools offered to `tenant`'s caller, in the order they were enabled. */
  toolsFor(tenant: string, caller: ToolCaller = {}): ModelToolDeclaration[] {
    return [...this.enabled.values()].filter((tool) => this.authorizer.mayOffer({ ...caller, tenant, tool: tool.name }));
  }

  /** The tool list sent to the model for `tenant`'s caller. */
  specsFor(tenant: string, caller: ToolCaller = {}): ToolSpec[] {
    return this.toolsFor(tenant, caller).map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
  }

  /**
   * Whether `tenant`'s caller may run `call` as given: the tool is enabled
   * and offered, the input matches its schema, and the policy allows the
   * call with that input.
   */
  check(tenant: string, call: ToolCall, caller: ToolCaller = {}): ToolCheck {
    const tool = this.enabled.get(call.name);
    const request: ToolRequest = { ...caller, tenant, tool: call.name };
    // One message for unknown and for forbidden tools: the model learns nothing about tools it may not call.
    if (tool === undefined || !this.authorizer.mayOffer(request)) return notAvailable(call.name);
    const problems = toolInputProblems(tool, call.input);
    if (problems !== undefined) return refused('invalid_input', `the input does not match the schema of ${quoted(tool.name)}: ${problems}`);
    const decision = this.authorizer.decide(request, call.input);
    if (!decision.allowed) {
      // The tool was offered, so saying that this input is refused tells the model nothing new.
      const { output } = refused('not_allowed', `the tool policy does not allow this call of ${quoted(tool.name)}; do not retry it with the same input`);
      return { ok: false, output, deniedBy: decision.policies };
    }
    return { ok: true, tool };
  }
}

export function refused(error: 'not_allowed' | 'invalid_input', message: string): ToolCheck & { ok: false } {
  return { ok: false, output: { ok: false, error, message } };
}

/** The refusal of a tool the caller may not call, whoever forbids it (the tool policy, or the agent's own list of tools). */
export function notAvailable(name: string): ToolCheck & { ok: false } {
  return refused('not_allowed', `tool ${quoted(name)} is not available in this session`);
}
