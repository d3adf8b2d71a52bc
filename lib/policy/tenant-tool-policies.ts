import { CALL_TOOL_ACTION, TOOL_POLICY_TYPES, type TenantToolMap } from '../contract/tool-policy';

/**
 * `tools.policy` (tenant → the tools it may call) as Cedar: one forbid per
 * tenant listed, refusing every tool but its own. Next to the default permit
 * this is what the map always meant: a tenant listed may call its tools, a
 * tenant not listed every enabled tool. A forbid wins over any permit, so no
 * other policy file can widen a tenant's list.
 */

/** The id a tenant's generated policy has in ENV.TOOL_POLICY and in the evidence report. */
export function tenantPolicyId(tenant: string): string {
  return `tools.policy.${tenant}`;
}

const entity = (type: string, id: string) => `${type}::${JSON.stringify(id)}`;

/** Policy id → Cedar text, one per tenant of the map. */
export function tenantToolPolicies(map: TenantToolMap): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map).map(([tenant, tools]) => {
      const scope = `forbid (principal in ${entity(TOOL_POLICY_TYPES.tenant, tenant)}, action == ${entity(TOOL_POLICY_TYPES.action, CALL_TOOL_ACTION)}, resource)`;
      // Cedar's validator refuses an empty set literal: a tenant with no tools gets an unconditional forbid.
      const text = tools.length === 0 ? `${scope};` : `${scope}\nunless { resource in [${tools.map((tool) => entity(TOOL_POLICY_TYPES.tool, tool)).join(', ')}] };`;
      return [tenantPolicyId(tenant), text];
    }),
  );
}
