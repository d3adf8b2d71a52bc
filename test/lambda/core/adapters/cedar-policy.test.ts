import { CedarToolAuthorizer } from '../../../../lambda/core/adapters/cedar-policy';
import { ToolConfigError, type ToolRequest } from '../../../../lambda/core/domain/tool-policy';

/**
 * The Cedar evaluator on its own, with documents written here (not
 * validated at synth): what reaches Cedar from a call, and what it does
 * with a request Cedar cannot decide.
 */

const REQUEST: ToolRequest = { tenant: 'county', tool: 'file_note', actor: 'arn:aws-us-gov:iam::111122223333:role/Clerk#carol', agent: 'intake' };
const authorizer = (policy: string, actors = {}) => CedarToolAuthorizer.of({ policies: { 'test.cedar:1': policy }, actors });

test('the input reaches Cedar as plain values: an entity reference a model writes is not an entity', () => {
  // GIVEN a policy that permits a call whose input names the county tenant as an entity
  const policy = authorizer('permit (principal, action, resource) when { context.input.owner == Statehouse::Tenant::"county" };');
  // WHEN the model writes Cedar's entity escape into the input
  const decision = policy.decide(REQUEST, { owner: { __entity: { type: 'Statehouse::Tenant', id: 'county' } } });
  // THEN the escape is dropped, the record is not the entity, and nothing permits the call
  expect(decision.allowed).toBe(false);
});

test('numbers Cedar cannot hold and nulls are left out; the rest of the input still decides', () => {
  const policy = authorizer('permit (principal, action, resource) when { context.input.caseId == "DEN-1" && !(context.input has amount) && !(context.input has note) };');
  expect(policy.decide(REQUEST, { caseId: 'DEN-1', amount: 1.5, note: null })).toEqual({ allowed: true, policies: ['test.cedar:1'] });
  expect(policy.decide(REQUEST, { caseId: 'DEN-1', amount: 2 })).toEqual({ allowed: false, policies: [] });
});

test('the actor is its identity and the configured attributes of its role, in its tenant', () => {
  const policy = authorizer(
    'permit (principal in Statehouse::Tenant::"county", action, resource) when { principal.principalArn == "arn:aws-us-gov:iam::111122223333:role/Clerk" && principal.sessionName == "carol" && principal.office == "DEN" };',
    { 'arn:aws-us-gov:iam::111122223333:role/Clerk': { office: 'DEN' } },
  );
  expect(policy.decide(REQUEST, {}).allowed).toBe(true);
  expect(policy.decide({ ...REQUEST, tenant: 'agency-b' }, {}).allowed).toBe(false);
  // Without an actor, a policy that reads it cannot be evaluated: denied, and offered to no one.
  expect(policy.decide({ ...REQUEST, actor: undefined }, {})).toEqual({ allowed: false, policies: ['test.cedar:1'] });
  expect(policy.mayOffer({ ...REQUEST, actor: undefined })).toBe(false);
});

test('a policy that does not parse fails the cold start', () => {
  expect(() => authorizer('permit (principal, action, resource) when { x = 1 };')).toThrow(ToolConfigError);
});
