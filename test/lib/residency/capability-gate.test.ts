import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { checkCapability, requireCapability } from '../../../lib/residency/capability-gate';
import {
  DLC_REGISTRY_ACCOUNTS,
  FactStatus,
  fipsEndpointKind,
  NEURON_INSTANCE_TYPES,
  SUPPORTED_REGIONS,
} from '../../../lib/residency/region-facts';
import { REPO_ROOT } from '../../helpers/synth';

/** A stage with one stack that needs `capability`: the synthetic capability of the issue. */
function stageNeeding(region: string, capability: string): { app: App; stack: Stack } {
  const app = new App();
  const stage = new Stage(app, 'Target', { env: { region } });
  const stack = new Stack(stage, 'Needs');
  requireCapability(stack, capability, 'the test add-on');
  return { app, stack };
}

describe('region facts', () => {
  test.each`
    capability                     | region             | status
    ${'sagemaker:hosting'}         | ${'us-gov-east-1'} | ${FactStatus.UNAVAILABLE}
    ${'sagemaker:hosting'}         | ${'us-gov-west-1'} | ${FactStatus.AVAILABLE}
    ${'lambda:function-url'}       | ${'us-gov-west-1'} | ${FactStatus.UNAVAILABLE}
    ${'lambda:function-url'}       | ${'us-east-1'}     | ${FactStatus.AVAILABLE}
    ${'lambda:json-log-format'}    | ${'us-gov-east-1'} | ${FactStatus.UNAVAILABLE}
    ${'states:http-task'}          | ${'us-gov-west-1'} | ${FactStatus.UNAVAILABLE}
    ${'states:express'}            | ${'us-gov-west-1'} | ${FactStatus.UNVERIFIED}
    ${'bedrock:agents'}            | ${'us-gov-east-1'} | ${FactStatus.UNAVAILABLE}
    ${'bedrock:knowledge-bases'}   | ${'us-gov-west-1'} | ${FactStatus.AVAILABLE}
    ${'bedrock:knowledge-bases'}   | ${'us-gov-east-1'} | ${FactStatus.UNAVAILABLE}
    ${'bedrock:guardrails'}        | ${'us-gov-east-1'} | ${FactStatus.AVAILABLE}
    ${'bedrock:agentcore'}         | ${'us-gov-east-1'} | ${FactStatus.UNAVAILABLE}
    ${'vpce:bedrock-runtime'}      | ${'us-gov-west-1'} | ${FactStatus.UNVERIFIED}
    ${'vpce:kms'}                  | ${'us-gov-west-1'} | ${FactStatus.AVAILABLE}
    ${'apigateway:private-rest-api'} | ${'us-gov-west-1'} | ${FactStatus.UNVERIFIED}
    ${'no-such:capability'}        | ${'us-east-1'}     | ${FactStatus.UNVERIFIED}
  `('$capability in $region is $status', ({ capability, region, status }) => {
    expect(checkCapability(capability, region).status).toBe(status);
  });

  test('Trainium and Inferentia: unverified in us-gov-west-1, unavailable in us-gov-east-1, sourced everywhere', () => {
    for (const type of NEURON_INSTANCE_TYPES) {
      expect(checkCapability(`sagemaker:instance:${type}`, 'us-gov-west-1').status).toBe(FactStatus.UNVERIFIED);
      expect(checkCapability(`sagemaker:instance:${type}`, 'us-gov-east-1').status).toBe(FactStatus.UNAVAILABLE);
    }
    expect(checkCapability('sagemaker:instance:ml.inf2.xlarge', 'us-east-1').status).toBe(FactStatus.AVAILABLE);
    // trn2 hosting in us-east-1 has no source we trust yet
    expect(checkCapability('sagemaker:instance:ml.trn2.48xlarge', 'us-east-1').status).toBe(FactStatus.UNVERIFIED);
  });

  test('Deep Learning Container registry accounts cover GovCloud, east and west apart', () => {
    expect(DLC_REGISTRY_ACCOUNTS['us-gov-west-1'].account).toBe('442386744353');
    expect(DLC_REGISTRY_ACCOUNTS['us-gov-east-1'].account).toBe('446045086412');
    expect(DLC_REGISTRY_ACCOUNTS['us-east-1'].account).toBe('763104351884');
    for (const region of SUPPORTED_REGIONS) expect(DLC_REGISTRY_ACCOUNTS[region].source).toMatch(/sagemaker-python-sdk/);
  });

  test('FIPS: GovCloud standard hosts that are already FIPS, and services with a -fips host', () => {
    expect(fipsEndpointKind('sts', 'us-gov-west-1')).toBe('standard');
    expect(fipsEndpointKind('states', 'us-gov-west-1')).toBe('standard');
    expect(fipsEndpointKind('states', 'us-gov-east-1')).toBe('fips-host');
    expect(fipsEndpointKind('dynamodb', 'us-gov-west-1')).toBe('fips-host');
    expect(fipsEndpointKind('bedrock-runtime', 'us-gov-east-1')).toBe('fips-host');
    expect(fipsEndpointKind('dynamodb', 'us-east-1')).toBe('fips-host');
  });
});

describe('the capability gate at synth', () => {
  test('an unavailable capability fails synth with what, why and what to do instead', () => {
    // GIVEN an add-on that needs SageMaker hosting in us-gov-east-1
    const { app } = stageNeeding('us-gov-east-1', 'sagemaker:hosting');
    // WHEN synthesized THEN synth fails with the full message
    expect(() => app.synth()).toThrow(
      /Target \(us-gov-east-1\) cannot run "sagemaker:hosting", which the test add-on needs\. Why: SageMaker models.*cannot be created in us-gov-east-1\. \(source: .*\)\. Instead: Use the Bedrock backend/,
    );
  });

  test('every gate failure is reported in one synth', () => {
    const app = new App();
    const stack = new Stack(new Stage(app, 'Target', { env: { region: 'us-gov-west-1' } }), 'Needs');
    requireCapability(stack, 'lambda:function-url', 'the public webhook');
    requireCapability(stack, 'states:http-task', 'the ticketing tool');
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/"lambda:function-url".*Instead: Expose the function through the private REST API/);
    expect(message).toMatch(/"states:http-task".*Instead: Implement the tool as a Lambda function or an AWS SDK service integration/);
  });

  test('an unverified capability warns and says how to verify it', () => {
    const { app, stack } = stageNeeding('us-gov-west-1', 'sagemaker:instance:ml.trn1.32xlarge');
    app.synth();
    Annotations.fromStack(stack).hasWarning(
      '/Target/Needs',
      Match.stringLikeRegexp(
        'is unverified .*Check by hand: aws ec2 describe-instance-type-offerings --region us-gov-west-1 --filters Name=instance-type,Values=trn1.32xlarge',
      ),
    );
  });

  test('an available capability passes silently', () => {
    const { app, stack } = stageNeeding('us-east-1', 'lambda:function-url');
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('`cdk synth -c targets=GovEast` with a SageMaker-needing setting fails with the capability message', () => {
    // GIVEN the real CLI and app, and a configuration that needs SageMaker hosting in GovEast
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-cli-'));
    const overrides = JSON.stringify({ targets: { GovEast: { requiredCapabilities: ['sagemaker:hosting'] } } });
    // WHEN synthesized through the CLI
    const run = spawnSync(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '-o', outdir, '-c', 'targets=GovEast', '-c', `statehouse=${overrides}`],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    );
    // THEN it exits non-zero with the gate's message
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/GovEast \(us-gov-east-1\) cannot run "sagemaker:hosting"/);
    expect(run.stderr).toMatch(/Instead: Use the Bedrock backend in us-gov-east-1, or host the Neuron endpoint in us-gov-west-1/);
  });
});
