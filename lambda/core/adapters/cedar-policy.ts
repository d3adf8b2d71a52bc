import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { CALL_TOOL_ACTION, TOOL_POLICY_TYPES, type ActorAttributes, type ToolPolicyDocument } from '../../../lib/contract/tool-policy';
import { actorIdentity } from '../domain/actor';
import type { JsonValue } from '../domain/canonical-json';
import { ToolConfigError, type ToolAuthorizer, type ToolDecision, type ToolRequest } from '../domain/tool-policy';

/**
 * The tool policy evaluated by Cedar (cedar-wasm, in the function: no call
 * leaves it). The policies were validated against the target's schema at
 * synth (lib/policy); here they are parsed once at cold start and each
 * request is built from the caller's identity, the configuration's actor
 * attributes and the call's input.
 *
 * Fail closed (AC-3): a policy that cannot be evaluated for a request (an
 * attribute the request lacks, such as the agent of a caller that names
 * none) denies it, where Cedar alone would skip that policy, so a forbid
 * can never be lost to an error.
 */

const uid = (type: string, id: string) => ({ type, id });

/**
 * The input as a Cedar value: what JSON and Cedar share. Left out: `null`,
 * numbers that are not safe integers (Cedar has no floating point) and keys
 * starting with `__`, which Cedar's JSON reads as entity and extension
 * escapes (a model must not be able to write an entity reference).
 */
function cedarValue(value: JsonValue): cedar.CedarValueJson | undefined {
  if (value === null) return undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cedarValue).filter((item): item is cedar.CedarValueJson => item !== undefined);
  const record: Record<string, cedar.CedarValueJson> = {};
  for (const [key, item] of Object.entries(value)) {
    const converted = key.startsWith('__') ? undefined : cedarValue(item);
    if (converted !== undefined) record[key] = converted;
  }
  return record;
}

export class CedarToolAuthorizer implements ToolAuthorizer {
  /**
   * `source` names the document in messages.
   * @throws ToolConfigError for a policy that does not parse (the synth-time validation was bypassed).
   */
  static of(document: ToolPolicyDocument, source = 'the tool policy'): CedarToolAuthorizer {
    const parsed = cedar.checkParsePolicySet({ staticPolicies: { ...document.policies } });
    if (parsed.type === 'failure') throw new ToolConfigError(`${source} does not parse: ${parsed.errors.map((e) => e.message).join('; ')}`);
    return new CedarToolAuthorizer({ staticPolicies: { ...document.policies } }, document.actors ?? {});
  }

  private constructor(
    private readonly policies: cedar.PolicySet,
    private readonly actors: Readonly<Record<string, ActorAttributes>>,
  ) {}

  mayOffer(request: ToolRequest): boolean {
    // Partial evaluation with the input unknown: a tool is offered unless the policy denies it whatever the input.
    // Cedar's `partial-eval` feature, which Cedar no longer develops (type-aware partial evaluation replaces it);
    // cedar-wasm is pinned, and the call is checked again with its input whatever this says.
    const answer = cedar.isAuthorizedPartial({ ...this.request(request, { __extn: { fn: 'unknown', arg: 'input' } }), policies: this.policies });
    return answer.type === 'residuals' && answer.response.errored.length === 0 && answer.response.decision !== 'deny';
  }

  decide(request: ToolRequest, input: JsonValue): ToolDecision {
    const answer = cedar.isAuthorized({ ...this.request(request, cedarValue(input) ?? {}), policies: this.policies });
    if (answer.type === 'failure') return { allowed: false, policies: [] };
    const { decision, diagnostics } = answer.response;
    const errored = diagnostics.errors.map((e) => e.policyId);
    return errored.length > 0 ? { allowed: false, policies: errored } : { allowed: decision === 'allow', policies: diagnostics.reason };
  }

  /** Principal (the actor, in its tenant), action, resource, context and entities of a request. */
  private request(request: ToolRequest, input: cedar.CedarValueJson) {
    const tenant = uid(TOOL_POLICY_TYPES.tenant, request.tenant);
    const principal = uid(TOOL_POLICY_TYPES.actor, request.actor ?? '');
    const resource = uid(TOOL_POLICY_TYPES.tool, request.tool);
    const identity = request.actor === undefined ? undefined : actorIdentity(request.actor);
    const attrs: Record<string, cedar.CedarValueJson> = identity
      ? {
          ...this.actors[identity.principalArn],
          principalArn: identity.principalArn,
          ...(identity.sessionName === undefined ? {} : { sessionName: identity.sessionName }),
        }
      : {};
    const context: cedar.Context = { input };
    if (request.agent !== undefined) context.agent = { __entity: uid(TOOL_POLICY_TYPES.agent, request.agent) };
    return {
      principal,
      action: uid(TOOL_POLICY_TYPES.action, CALL_TOOL_ACTION),
      resource,
      context,
      entities: [
        { uid: principal, attrs, parents: [tenant] },
        { uid: tenant, attrs: {}, parents: [] },
        { uid: resource, attrs: {}, parents: [] },
      ],
    };
  }
}
