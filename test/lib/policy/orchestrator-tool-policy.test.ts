import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { readToolEnv, toolsFromEnv } from '../../../lambda/core/wiring/tool-wiring';
import { ENV } from '../../../lib/contract/env-names';
import type { Evidence } from '../../../lib/report/evidence-types';
import { writeEvidenceReport } from '../../../lib/report/write-report';
import { stacksOf, synthStatehouse, type Synthesized } from '../../helpers/synth';
import { functionEnvironment } from '../tool-workflow/synthesized-workflows';

/**
 * The tool policy from the configuration to the orchestrator, on GovWest
 * synthesized with a tenant map: what ENV.TOOL_POLICY carries, what it
 * costs of Lambda's 4 KB of environment, what the orchestrator makes of it
 * at cold start, and what the evidence report prints.
 */

/** Lambda refuses a function whose variables together exceed 4 KB (Lambda developer guide, "Lambda quotas"). */
const LAMBDA_ENVIRONMENT_LIMIT = 4 * 1024;
const ROLE = 'arn:aws-us-gov:iam::111122223333:role/CaseWorker';
const OVERRIDES = {
  targets: { GovWest: { tenants: { 'agency-a': [ROLE], 'agency-b': [`${ROLE}B`] }, tools: { policy: { 'agency-b': ['compute_deadline'] } } } },
};

let synth: Synthesized;
let env: Record<string, string>;
beforeAll(() => {
  // GIVEN GovWest with two tenants, one of them limited to compute_deadline by the tenant map
  synth = synthStatehouse({ targets: 'GovWest', overrides: OVERRIDES });
  const [stage] = synth.stages;
  // The tools' declarations ship in the bundle (ENV.TOOLS): read as the bundle has them, beside the deployed environment.
  env = { ...functionEnvironment(stage.runtime, stacksOf(stage), 'orchestrator'), [ENV.TOOLS]: JSON.stringify(stage.runtime.agent.toolDeclarations) };
});

const sizeOf = (vars: Record<string, string>) => Object.entries(vars).reduce((bytes, [name, value]) => bytes + Buffer.byteLength(name) + Buffer.byteLength(value), 0);

test('ENV.TOOL_POLICY holds the default policy and the tenant\'s forbid, by file and line; its size is measured against the 4 KB', () => {
  const document = JSON.parse(env[ENV.TOOL_POLICY]);
  expect(Object.keys(document.policies)).toEqual(['lib/policy/default.cedar:6', 'tools.policy.agency-b']);
  expect(document.policies['lib/policy/default.cedar:6']).toMatch(/^permit \(\s+principal,\s+action == Statehouse::Action::"callTool",\s+resource\s+\);$/);
  expect(document.actors).toBeUndefined();
  const policyBytes = Buffer.byteLength(ENV.TOOL_POLICY) + Buffer.byteLength(env[ENV.TOOL_POLICY]);
  const { [ENV.TOOLS]: _bundled, ...deployed } = env;
  const total = sizeOf(deployed);
  // The policy is counted in the deployed environment's size, which stays under the limit.
  expect(policyBytes).toBeLessThan(total);
  expect(total).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT);
});

test('the orchestrator reads it at cold start and enforces it: the limited tenant is offered only its tool', () => {
  const tools = toolsFromEnv(readToolEnv(env), { region: 'us-gov-west-1', fipsServices: new Set() }, new Tracer({ enabled: false }))!;
  const caller = { actor: `${ROLE}#alice`, agent: 'assistant' };
  expect(tools.policy.specsFor('agency-a', caller).map((spec) => spec.name)).toEqual(JSON.parse(env[ENV.TOOLS]).map((tool: { name: string }) => tool.name));
  expect(tools.policy.specsFor('agency-b', caller).map((spec) => spec.name)).toEqual(['compute_deadline']);
  expect(tools.policy.check('agency-b', { id: 'c', name: 'lookup_case', input: { caseId: 'FOIA-1' } }, caller)).toMatchObject({ ok: false, output: { error: 'not_allowed' } });
});

test('the evidence report lists each policy with its file, effect and text', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-evidence-'));
  const [written] = writeEvidenceReport({ cdkOut: synth.outdir, outDir });
  const evidence: Evidence = written.evidence;
  // Both functions that run turns evaluate the policy: the orchestrator and the round function, the same policies.
  expect(evidence.toolPolicies.map((entry) => entry.function)).toEqual(['Lambda function Agent/Orchestrator', 'Lambda function Agent/Rounds']);
  expect(evidence.toolPolicies[1].policies).toEqual(evidence.toolPolicies[0].policies);
  const [orchestrator] = evidence.toolPolicies;
  expect(orchestrator.function).toMatch(/Lambda function/);
  expect(orchestrator.policies.map(({ file, line, effect }) => ({ file, line, effect }))).toEqual([
    { file: 'lib/policy/default.cedar', line: 6, effect: 'permit' },
    { file: 'tools.policy (configuration)', line: undefined, effect: 'forbid' },
  ]);
  const markdown = fs.readFileSync(written.markdown, 'utf8');
  expect(markdown).toContain('## 7. Tool policy');
  expect(markdown).toContain('| `lib/policy/default.cedar` | 6 | permit | `lib/policy/default.cedar:6` |');
  expect(markdown).toContain('forbid (principal in Statehouse::Tenant::"agency-b", action == Statehouse::Action::"callTool", resource)\nunless { resource in [Statehouse::Tool::"compute_deadline"] };');
});
