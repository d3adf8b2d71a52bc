import * as fs from 'node:fs';
import * as path from 'node:path';
import { arnOf, resolveIntrinsics, simulate, type PolicyDocument, type Verdict } from '../../../helpers/iam-simulate';
import { readTemplate, REPO_ROOT, stacksOf, synthStatehouse, type Synthesized } from '../../../helpers/synth';

/**
 * What the agents' model grants MEAN, asked of the IAM policy simulator: in
 * the README's FOIA deployment (two agents on two models), the orchestrator
 * may invoke exactly its agents' models and the summarizer exactly its own,
 * under the permissions boundary every role carries.
 */

const ALLOWED: Verdict = { decision: 'Allowed', deniedBy: [] };
const ACCOUNT = '111122223333';
const REGION = 'us-gov-west-1';
const PARTITION = 'aws-us-gov';
const model = (id: string) => arnOf({ partition: PARTITION, service: 'bedrock', region: REGION, resource: `foundation-model/${id}` });

function readmeFoiaExample(): Record<string, any> {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  return JSON.parse(/A FOIA office[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]);
}

let synth: Synthesized;
beforeAll(() => {
  const overrides = readmeFoiaExample();
  overrides.targets.GovWest.account = ACCOUNT;
  synth = synthStatehouse({ targets: 'GovWest', overrides });
});

/** A function's Bedrock statements (its other grants name resources of other stacks), resolved, and its role's ARN. */
function bedrockAccessOf(service: string): { roleArn: string; identity: PolicyDocument } {
  const stage = synth.stages[0];
  const runtime = stage.runtime;
  const template = readTemplate(runtime);
  const env = { template, stackName: runtime.stackName, partition: PARTITION, region: REGION, account: ACCOUNT };
  const [, fn] = Object.entries(template.Resources as Record<string, any>).find(
    ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === service,
  )!;
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const statements = Object.values(template.Resources as Record<string, any>)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
    .filter((s) => [s.Action].flat().some((a) => a.startsWith('bedrock:Invoke')));
  return {
    roleArn: arnOf({ partition: PARTITION, service: 'iam', account: ACCOUNT, resource: `role/${runtime.stackName}-${roleId}` }),
    identity: { Version: '2012-10-17', Statement: resolveIntrinsics(statements, env) as unknown[] },
  };
}

function boundary(): PolicyDocument {
  const foundation = stacksOf(synth.stages[0]).find((s) => s.node.id === 'Foundation')!;
  const template = readTemplate(foundation);
  const [, policy] = Object.entries(template.Resources as Record<string, any>).find(
    ([, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && String(r.Properties.ManagedPolicyName).endsWith('-permissions-boundary'),
  )!;
  return resolveIntrinsics(policy.Properties.PolicyDocument, { template, stackName: foundation.stackName, partition: PARTITION, region: REGION, account: ACCOUNT }) as PolicyDocument;
}

test.each<[string, string, boolean]>([
  ['orchestrator', 'amazon.nova-pro-v1:0', true],
  ['orchestrator', 'amazon.nova-lite-v1:0', true],
  ['orchestrator', 'anthropic.claude-3-haiku-20240307-v1:0', false],
  ['summarizer', 'amazon.nova-pro-v1:0', true],
  ['summarizer', 'amazon.nova-lite-v1:0', false],
])('the %s invoking %s: allowed = %s', async (service, modelId, allowed) => {
  // GIVEN the function's identity policy and the boundary WHEN it invokes the model in the target region
  const { roleArn, identity } = bedrockAccessOf(service);
  const verdict = await simulate(
    { principal: roleArn, action: 'bedrock:InvokeModel', resource: model(modelId), resourceAccount: ACCOUNT, context: { 'aws:RequestedRegion': REGION } },
    { identity: [identity], boundary: boundary() },
  );
  // THEN exactly its agents' models (the summarizer: its own) are allowed
  if (allowed) expect(verdict).toEqual(ALLOWED);
  else expect(verdict.decision).not.toBe('Allowed');
});
