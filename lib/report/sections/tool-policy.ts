import { ENV } from '../../contract/env-names';
import type { ToolPolicyDocument } from '../../contract/tool-policy';
import type { ToolPolicyEvidence, ToolPolicyStatement } from '../evidence-types';
import type { TargetResolver } from '../resolve';
import { located } from './summary';

/**
 * Section 7: the tool policy each function enforces (AC-3, AC-6), read from
 * its ENV.TOOL_POLICY in the template: every Cedar policy with the file and
 * line it is written in (or the `tools.policy` entry it was made from), and
 * the attributes the configuration gives the callers of each role.
 */

/** The configuration entry the tenant map's policies come from. */
export const TENANT_MAP_SOURCE = 'tools.policy (configuration)';

/** `lib/policy/default.cedar:6` → file and line; `tools.policy.<tenant>` → the configuration. */
function statementOf(id: string, text: string): ToolPolicyStatement {
  const effect = /^\s*(?:@\w+\s*\([^)]*\)\s*)*(permit|forbid)\b/.exec(text)?.[1] ?? 'unknown';
  if (id.startsWith('tools.policy.')) return { id, file: TENANT_MAP_SOURCE, effect, text };
  const at = /^(.*):(\d+)(?::\d+)?$/.exec(id);
  return at ? { id, file: at[1], line: Number(at[2]), effect, text } : { id, file: id, effect, text };
}

function parse(value: string): ToolPolicyDocument | string {
  try {
    const document = JSON.parse(value) as ToolPolicyDocument;
    return typeof document?.policies === 'object' && document.policies !== null ? document : `${ENV.TOOL_POLICY} holds no policies`;
  } catch {
    return `${ENV.TOOL_POLICY} is not JSON`;
  }
}

export function toolPolicyEvidence(resolver: TargetResolver): ToolPolicyEvidence[] {
  return resolver.resources('AWS::Lambda::Function').flatMap((fn): ToolPolicyEvidence[] => {
    const value = fn.resource.Properties?.Environment?.Variables?.[ENV.TOOL_POLICY];
    if (value === undefined) return [];
    const document = typeof value === 'string' ? parse(value) : `${ENV.TOOL_POLICY} is not a literal`;
    const base = { ...located(fn), function: resolver.label(fn) };
    if (typeof document === 'string') return [{ ...base, policies: [], actors: [], problem: document }];
    return [
      {
        ...base,
        policies: Object.entries(document.policies).map(([id, text]) => statementOf(id, text)),
        actors: Object.entries(document.actors ?? {}).map(([role, attributes]) => ({ role, attributes: { ...attributes } })),
      },
    ];
  });
}
