import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { formatPreflight, runPreflight, unverifiedCapabilities } from '../../../lib/preflight/run-preflight';
import { PREFLIGHT_EXIT, preflightVerdict } from '../../../lib/preflight/verdict';
import { startMoto, type MotoServer } from '../../helpers/moto';
import { cdkJsonContext, REPO_ROOT } from '../../helpers/synth';

/**
 * Preflight against moto, where moto answers (STS, EC2 instance-type
 * offerings and endpoint services, Service Quotas, Lambda); moto has no
 * Bedrock ListFoundationModels, so that check must come back `unknown`,
 * never `pass`. An `unknown` fails the run unless --allow-unknown.
 */
let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const TESTING = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const clientsOn = (endpoint: string, credentials = TESTING) => (region: string) => ({
  sts: new STSClient({ region, endpoint, credentials }),
  ec2: new EC2Client({ region, endpoint, credentials }),
  quotas: new ServiceQuotasClient({ region, endpoint, credentials }),
  bedrock: new BedrockClient({ region, endpoint, credentials, maxAttempts: 1 }),
  lambda: new LambdaClient({ region, endpoint, credentials }),
});
const clientsFor = (region: string) => clientsOn(moto.endpoint)(region);

// A model outside the kit's catalog (no region-facts row in GovWest), so the model list is asked too.
const NEEDS_TRAINIUM = {
  targets: { GovWest: { requiredCapabilities: ['sagemaker:instance:ml.trn1.32xlarge'], model: { kind: 'bedrock-converse', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' } } },
};
// Two capabilities with no fact row in us-east-1 (so unverified and asked) that moto's EC2 and Lambda can answer.
const COMMERCIAL_ASKABLE = { targets: { Commercial: { requiredCapabilities: ['vpce:ssm', 'lambda:runtime:nodejs20.x'] } } };
// GovWest without the -fips interface endpoints moto does not list: what is left is either answered or has no API.
const GOVWEST_NO_FIPS = { targets: { GovWest: { residency: { regions: ['us-gov-west-1'], fips: false } } } };

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
  expect(result.identity).toEqual({ account: '123456789012', arn: expect.stringMatching(/^arn:aws-us-gov:sts::123456789012:/) });
  expect(byCapability['vpce:bedrock-agent-runtime'].result).toBe('pass');
  // The FIPS endpoint service the functions need with residency.fips: moto lists kms-fips.
  expect(byCapability['vpce:kms-fips']).toMatchObject({ result: 'pass', detail: 'endpoint service *.us-gov-west-1.kms-fips offered' });
  expect(byCapability['vpce-gateway:dynamodb-fips'].result).toBe('unknown');
  expect(byCapability['apigateway:private-rest-api'].result).toBe('pass');
  expect(byCapability['sagemaker:instance:ml.trn1.32xlarge']).toMatchObject({ result: 'fail', detail: expect.stringMatching(/does not offer trn1\.32xlarge in us-gov-west-1/) });
  expect(byCapability['bedrock:model-list']).toMatchObject({ result: 'unknown', detail: expect.stringMatching(/^could not ask/) });
  expect(formatPreflight(result)).toMatch(/^Preflight GovWest \(us-gov-west-1\), account 123456789012 as arn:aws-us-gov:sts::123456789012:\S+: \d+ unverified capabilities asked\n/);
  // moto lists no lambda-fips or bedrock-runtime-fips endpoint service: those fail too.
  expect(result.outcomes.filter((o) => o.result === 'fail').map((o) => o.capability)).toEqual(['sagemaker:instance:ml.trn1.32xlarge', 'vpce:lambda-fips', 'vpce:bedrock-runtime-fips']);
  // AND a fail fails the run with or without --allow-unknown, which only speaks for the unknowns
  expect(preflightVerdict([result], false)).toEqual({
    exitCode: PREFLIGHT_EXIT.FAILED,
    line: expect.stringMatching(/^Preflight FAILED: 3 fail; \d+ unknown \(an unknown fails the run: check it by hand as its row says, then run again with --allow-unknown\)\.$/),
  });
  expect(preflightVerdict([result], true)).toEqual({ exitCode: PREFLIGHT_EXIT.FAILED, line: 'Preflight FAILED: 3 fail.' });
});

test('an unknown fails the run; with --allow-unknown, a run with nothing failed passes', async () => {
  // GIVEN GovWest asking only what moto answers or what has no API at all
  const result = await runPreflight(cdkJsonContext(), GOVWEST_NO_FIPS, 'GovWest', clientsFor);
  const counts = (r: string) => result.outcomes.filter((o) => o.result === r).length;
  expect([counts('fail'), counts('unknown') > 0, counts('pass') > 0]).toEqual([0, true, true]);
  // THEN the unknowns fail it, until the caller accepts them
  expect(preflightVerdict([result], false).exitCode).toBe(PREFLIGHT_EXIT.FAILED);
  expect(preflightVerdict([result], true)).toEqual({
    exitCode: PREFLIGHT_EXIT.PASSED,
    line: `Preflight passed: ${counts('pass')} pass, ${counts('unknown')} unknown accepted with --allow-unknown (GovWest).`,
  });
});

test('a run where the account answers every question passes without --allow-unknown', async () => {
  // GIVEN capabilities moto's EC2 and Lambda can answer WHEN asked
  const result = await runPreflight(cdkJsonContext(), COMMERCIAL_ASKABLE, 'Commercial', clientsFor);
  // THEN each passes, and so does the run
  expect(result.outcomes.map((o) => [o.capability, o.result])).toEqual([
    ['vpce:ssm', 'pass'],
    ['lambda:runtime:nodejs20.x', 'pass'],
  ]);
  expect(preflightVerdict([result], false)).toEqual({ exitCode: PREFLIGHT_EXIT.PASSED, line: 'Preflight passed: 2 pass (Commercial).' });
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

test('credentials the target\'s STS refuses: nothing is asked, the target says why, and the run fails', async () => {
  // GIVEN an emulated account that checks credentials (moto's reset-auth: every request authenticated)
  const strict = await startMoto();
  try {
    const reset = await fetch(`${strict.endpoint}/moto-api/reset-auth`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '0' });
    expect(reset.ok).toBe(true);
    // WHEN preflight asks it with keys it does not know
    const result = await runPreflight(cdkJsonContext(), {}, 'GovWest', clientsOn(strict.endpoint, { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'wrong' }));
    // THEN
    expect(result.identity).toEqual({ refused: expect.stringMatching(/^InvalidClientTokenId: /) });
    expect(result.outcomes).toEqual([]);
    expect(formatPreflight(result)).toMatch(/^Preflight GovWest \(us-gov-west-1\): STS there refused the credentials \(InvalidClientTokenId: .*\), so nothing was asked; give credentials of this target's partition and account\.$/);
    expect(preflightVerdict([result], true)).toEqual({ exitCode: PREFLIGHT_EXIT.FAILED, line: 'Preflight FAILED: credentials refused in GovWest.' });
  } finally {
    await strict.stop();
  }
});

/** An environment with no AWS credentials anywhere the SDK looks: no variables, empty files, no instance metadata. */
function credentiallessEnv(): NodeJS.ProcessEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-no-credentials-'));
  const empty = path.join(home, 'empty');
  fs.writeFileSync(empty, '');
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  // The SDK's instance-metadata probe would wait on 169.254.169.254; disabled, the chain ends at once.
  return { ...env, HOME: home, AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty, AWS_EC2_METADATA_DISABLED: 'true' };
}

function runPreflightCommand(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'ts-node'), ['--transpile-only', 'bin/preflight.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env });
}

const motoEnv = () => ({ ...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });

test('without credentials the command says so once, first, asks nothing and exits 3', () => {
  const run = runPreflightCommand(['-c', 'targets=GovWest'], credentiallessEnv());
  const lines = run.stderr.split('\n').filter((line) => line.includes('credentials'));
  expect(run.stderr.split('\n')[0]).toMatch(
    /^Preflight has no AWS credentials \(.+\), so it asked nothing\. Give it credentials of the target account as for the AWS CLI: AWS_PROFILE=<profile> after `aws configure` or `aws sso login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
  );
  expect(lines).toHaveLength(1);
  // No table of unknowns: nothing was asked.
  expect(run.stdout).toBe('');
  expect(run.status).toBe(PREFLIGHT_EXIT.NO_CREDENTIALS);
});

test('the command exits 1 when a check fails, 0 when every check passes, and takes --allow-unknown', () => {
  const failing = runPreflightCommand(['-c', 'targets=GovWest', '-c', `statehouse=${JSON.stringify(NEEDS_TRAINIUM)}`, '--allow-unknown'], motoEnv());
  expect(failing.stdout).toMatch(/FAIL\s+sagemaker:instance:ml\.trn1\.32xlarge/);
  expect(failing.stdout.trim().split('\n').at(-1)).toBe('Preflight FAILED: 3 fail.');
  expect(failing.status).toBe(PREFLIGHT_EXIT.FAILED);

  const passing = runPreflightCommand(['-c', 'targets=Commercial', '-c', `statehouse=${JSON.stringify(COMMERCIAL_ASKABLE)}`], motoEnv());
  expect(passing.stdout.trim().split('\n').at(-1)).toBe('Preflight passed: 2 pass (Commercial).');
  expect(passing.status).toBe(PREFLIGHT_EXIT.PASSED);
});

test('a usage or configuration error exits 2 before anything is asked', () => {
  const unknownTarget = runPreflightCommand(['-c', 'targets=Moon'], motoEnv());
  expect(unknownTarget.stderr).toMatch(/no target named "Moon"; declared targets are Commercial, GovWest, GovEast/);
  expect(unknownTarget.status).toBe(PREFLIGHT_EXIT.UNUSABLE);
  const unknownFlag = runPreflightCommand(['--allow-unknwon'], motoEnv());
  expect(unknownFlag.stderr).toMatch(/^unknown argument "--allow-unknwon"\.\nUsage: npm run preflight -- /);
  expect(unknownFlag.status).toBe(PREFLIGHT_EXIT.UNUSABLE);
});
