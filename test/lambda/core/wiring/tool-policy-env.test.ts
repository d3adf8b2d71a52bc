import { readToolEnv } from '../../../../lambda/core/wiring/tool-wiring';
import { ENV } from '../../../../lib/contract/env-names';
import { modelToolDeclaration } from '../../../../lib/contract/tool-declaration';
import { findTool } from '../../../../lib/tools/catalog';

/** ENV.TOOL_POLICY at cold start: the document ToolWorkflow writes, or a cold start that fails naming the variable. */

const FAST_ARN = 'arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:statehouse-fast-tools';
const TOOLS_ENV = { [ENV.TOOLS]: JSON.stringify([modelToolDeclaration(findTool('compute_deadline')!)]), [ENV.FAST_TOOLS_STATE_MACHINE]: FAST_ARN };
const PERMIT = 'permit (principal, action == Statehouse::Action::"callTool", resource);';
const FORBID_B = 'forbid (principal in Statehouse::Tenant::"agency-b", action, resource);';

test('the document is parsed once into the Cedar policy the turns ask', () => {
  const { policy } = readToolEnv({ ...TOOLS_ENV, [ENV.TOOL_POLICY]: JSON.stringify({ policies: { 'a.cedar:1': PERMIT, 'b.cedar:1': FORBID_B } }) });
  expect(typeof (policy as { decide?: unknown }).decide).toBe('function');
});

test('without the variable there is no policy: every enabled tool, as before any was written', () => {
  expect(readToolEnv(TOOLS_ENV).policy).toEqual({});
});

test.each<[string, string, RegExp]>([
  ['not JSON', 'permit', new RegExp(`${ENV.TOOL_POLICY} is not JSON`)],
  ['the old tenant map', '{"agency-b":["compute_deadline"]}', new RegExp(`${ENV.TOOL_POLICY} must be \\{ "policies"`)],
  ['a policy that is not text', '{"policies":{"a.cedar:1":1}}', new RegExp(`${ENV.TOOL_POLICY} must be`)],
  ['a policy that does not parse', JSON.stringify({ policies: { 'a.cedar:1': 'permit (principal, action, resource) when { x = 1 };' } }), new RegExp(`${ENV.TOOL_POLICY} does not parse: `)],
])('%s fails the cold start, naming the variable', (_case, value, message) => {
  expect(() => readToolEnv({ ...TOOLS_ENV, [ENV.TOOL_POLICY]: value })).toThrow(message);
});
