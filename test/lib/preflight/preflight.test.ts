import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { formatPreflight, runPreflight, unverifiedCapabilities } from '../../../lib/preflight/run-preflight';
import { startMoto, type MotoServer } from '../../helpers/moto';
import { cdkJsonContext, REPO_ROOT } from '../../helpers/synth';

/**
 * Preflight against moto, where moto answers (EC2 instance-type offerings and
 * endpoint services, Service Quotas, Lambda); moto has no Bedrock
 * ListFoundationModels, so that check must come back `unknown`, never `pass`.
 */
let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const clientsFor = (region: string) => ({
  ec2: new EC2Client({ region, endpoint: moto.endpoint, credentials }),
  quotas: new ServiceQuotasClient({ region, endpoint: moto.endpoint, credentials }),
  bedrock: new BedrockClient({ region, endpoint: moto.endpoint, credentials, maxAttempts: 1 }),
  lambda: new LambdaClient({ region, endpoint: moto.endpoint, credentials }),
});
// A model outside the kit's catalog (no region-facts row in GovWest), so the model list is asked too.
const NEEDS_TRAINIUM = {
  targets: { GovWest: { requiredCapabilities: ['sagemaker:instance:ml.trn1.32xlarge'], model: { kind: 'bedrock-converse', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' } } },
};

test('preflight asks exactly the capabilities the gate marks unverified for the target', () => {
  const { records } = unverifiedCapabilities(cdkJsonContext(), NEEDS_TRAINIUM, 'GovWest');
  expect(records.map((r) => r.capability)).toEqual(
    expect.arrayContaining([
      'apigateway:private-rest-api',
      'bedrock:model-list',
      'sagemaker:instance:ml.trn1.32xlarge',
      'vpce:bedrock-agent-runtime',
      'vpce:bedrock-runtime-fips',
      'vpce:kms-fips',
      'vpce-gateway:dynamodb-fips',
      'vpce:execute-api',
      'vpce:sagemaker.runtime',
    ]),
  );
  expect(records.every((r) => r.status === 'unverified')).toBe(true);
  // Available facts are never asked: KMS endpoints are sourced for GovCloud.
  expect(records.map((r) => r.capability)).not.toContain('vpce:kms');
  // Commercial us-east-1 has facts for everything the default configuration uses, its catalog model included: nothing to ask.
  expect(unverifiedCapabilities(cdkJsonContext(), {}, 'Commercial').records.map((r) => r.capability)).toEqual([]);
  // A model outside the catalog there is asked about.
  expect(unverifiedCapabilities(cdkJsonContext(), { targets: { Commercial: { model: { kind: 'bedrock-converse', modelId: 'openai.gpt-oss-20b-1:0' } } } }, 'Commercial').records.map((r) => r.capability)).toEqual([
    'bedrock:model:openai.gpt-oss-20b-1:0',
  ]);
});

test('GovWest against the emulated account: endpoint services pass, Trainium fails, Bedrock is unknown', async () => {
  // GIVEN a configuration that needs trn1.32xlarge in GovWest WHEN preflight asks moto
  const result = await runPreflight(cdkJsonContext(), NEEDS_TRAINIUM, 'GovWest', clientsFor);
  const byCapability = Object.fromEntries(result.outcomes.map((o) => [o.capability, o]));
  // THEN each answer is the emulator's
  expect(byCapability['vpce:bedrock-agent-runtime'].result).toBe('pass');
  // The FIPS endpoint service the functions need with residency.fips: moto lists kms-fips.
  expect(byCapability['vpce:kms-fips']).toMatchObject({ result: 'pass', detail: 'endpoint service *.us-gov-west-1.kms-fips offered' });
  expect(byCapability['vpce-gateway:dynamodb-fips'].result).toBe('unknown');
  expect(byCapability['apigateway:private-rest-api'].result).toBe('pass');
  expect(byCapability['sagemaker:instance:ml.trn1.32xlarge']).toMatchObject({ result: 'fail', detail: expect.stringMatching(/does not offer trn1\.32xlarge in us-gov-west-1/) });
  expect(byCapability['bedrock:model-list']).toMatchObject({ result: 'unknown', detail: expect.stringMatching(/^could not ask/) });
  expect(formatPreflight(result)).toMatch(/^Preflight GovWest \(us-gov-west-1\)/);
});

test('an instance type the account offers gets past EC2, then the endpoint quota decides', async () => {
  // ml.g5.2xlarge has no fact row, so it is unverified and asked; moto offers g5.2xlarge in us-east-1
  // but its Service Quotas has no SageMaker quotas there, so the answer must stay `unknown`.
  const result = await runPreflight(
    cdkJsonContext(),
    { targets: { Commercial: { requiredCapabilities: ['sagemaker:instance:ml.g5.2xlarge'] } } },
    'Commercial',
    clientsFor,
  );
  const g5 = result.outcomes.find((o) => o.capability === 'sagemaker:instance:ml.g5.2xlarge')!;
  expect(g5).toMatchObject({ result: 'unknown', detail: expect.stringMatching(/^g5\.2xlarge offered; quota "ml\.g5\.2xlarge for endpoint usage" could not be read/) });
});

test('the command exits non-zero when a check fails', () => {
  const run = spawnSync(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'ts-node'),
    ['--transpile-only', 'bin/preflight.ts', '-c', 'targets=GovWest', '-c', `statehouse=${JSON.stringify(NEEDS_TRAINIUM)}`],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } },
  );
  expect(run.stdout).toMatch(/FAIL\s+sagemaker:instance:ml\.trn1\.32xlarge/);
  expect(run.status).toBe(1);
});
