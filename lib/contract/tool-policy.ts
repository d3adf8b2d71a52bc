/**
 * The tool policy as both sides see it: the Cedar names a request is built
 * from (lib/policy/statehouse.cedarschema declares them; the orchestrator's
 * requests use them), and what ENV.TOOL_POLICY carries. Plain data: no SDK,
 * CDK or Cedar imports.
 */

/** Entity types and the one action of the tool policy. */
export const TOOL_POLICY_TYPES = {
  tenant: 'Statehouse::Tenant',
  actor: 'Statehouse::Actor',
  agent: 'Statehouse::Agent',
  tool: 'Statehouse::Tool',
  action: 'Statehouse::Action',
} as const;

/** The action every tool call is authorized as: `Statehouse::Action::"callTool"`. */
export const CALL_TOOL_ACTION = 'callTool';

/** Tenant id → the enabled tools that tenant may call (`tools.policy`); a tenant not listed may call every enabled tool. */
export type TenantToolMap = Readonly<Record<string, readonly string[]>>;

/** Attributes of the callers of one IAM role, by name (declared on `Statehouse::Actor` in the schema). */
export type ActorAttributes = Readonly<Record<string, string>>;

/**
 * What ENV.TOOL_POLICY holds: the policies, validated against the schema at
 * synth, and the actor attributes the configuration gives per role.
 */
export interface ToolPolicyDocument {
  /** Policy id (`<file>:<line>` of the policy, or `tools.policy.<tenant>`) → its Cedar text. */
  readonly policies: Readonly<Record<string, string>>;
  /** Path-free IAM role or user ARN (as the tenant map keys it) → the attributes of its callers. @default none */
  readonly actors?: Readonly<Record<string, ActorAttributes>>;
}
