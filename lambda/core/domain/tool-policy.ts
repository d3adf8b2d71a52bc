import type { ToolCall, ToolSpec } from '../ports/model-backend';
import type { ModelToolDeclaration } from '../../../lib/contract/tool-declaration';
import type { ToolRunOutput } from '../../../lib/contract/workflow-contract';
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
  | { readonly ok: false; readonly output: ToolRunOutput & { readonly ok: false } };

/** Tool names in messages to the model: bounded and quoted, as the model chose them. */
function quoted(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name);
}

/**
 * Which tools a caller's tenant may call (AC-3, AC-6: least functionality).
 * The tools offered to the model are the deployment's enabled tools that
 * the tenant's policy lists; a tenant without a policy may call every
 * enabled tool. A call is checked again when the model makes it, since a
 * model may name any tool, offered or not.
 */
export class ToolPolicy {
  private constructor(
    private readonly enabled: ReadonlyMap<string, ModelToolDeclaration>,
    private readonly perTenant: ReadonlyMap<string, ReadonlySet<string>>,
  ) {}

  /** @throws ToolConfigError for a tool enabled twice, a schema that does not compile, or a policy naming a tool that is not enabled. */
  static of(enabled: readonly ModelToolDeclaration[], policy: Readonly<Record<string, readonly string[]>> = {}): ToolPolicy {
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
    const perTenant = new Map<string, ReadonlySet<string>>();
    for (const [tenant, names] of Object.entries(policy)) {
      for (const name of names) {
        if (!byName.has(name)) {
          throw new ToolConfigError(
            `the policy of tenant "${tenant}" names "${name}", which is not enabled (enabled: ${[...byName.keys()].join(', ') || 'none'})`,
          );
        }
      }
      perTenant.set(tenant, new Set(names));
    }
    return new ToolPolicy(byName, perTenant);
  }

  /** The enabled tools `tenant` may call, in the order they were enabled. */
  toolsFor(tenant: string): ModelToolDeclaration[] {
    const allowed = this.perTenant.get(tenant);
    return [...this.enabled.values()].filter((tool) => allowed === undefined || allowed.has(tool.name));
  }

  /** The tool list sent to the model for `tenant`. */
  specsFor(tenant: string): ToolSpec[] {
    return this.toolsFor(tenant).map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
  }

  /** Whether `tenant` may run `call` as given: the tool is enabled and allowed, and the input matches its schema. */
  check(tenant: string, call: ToolCall): ToolCheck {
    const tool = this.enabled.get(call.name);
    const allowed = this.perTenant.get(tenant);
    // One message for unknown and for forbidden tools: the model learns nothing about tools it may not call.
    if (tool === undefined || (allowed !== undefined && !allowed.has(tool.name))) {
      return refused('not_allowed', `tool ${quoted(call.name)} is not available in this session`);
    }
    const problems = toolInputProblems(tool, call.input);
    if (problems !== undefined) return refused('invalid_input', `the input does not match the schema of ${quoted(tool.name)}: ${problems}`);
    return { ok: true, tool };
  }
}

export function refused(error: 'not_allowed' | 'invalid_input', message: string): ToolCheck & { ok: false } {
  return { ok: false, output: { ok: false, error, message } };
}
