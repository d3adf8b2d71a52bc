import { Match, Template } from 'aws-cdk-lib/assertions';
import type { ResidencyConfig } from '../../../../lib/config/schema';
import { PlatformKeys } from '../../../../lib/constructs/platform-keys/platform-keys';
import { KEY_ADMIN_ACTIONS, KEY_USE_ACTIONS } from '../../../../lib/constructs/platform-keys/platform-keys-defaults';
import { PARTITIONS, partitionOf, servicePrincipalName } from '../../../../lib/residency/region-facts';
import { actionMatches, COMMERCIAL, GOV_WEST, listOf, TEST_ACCOUNT, targetStack, type Statement } from '../construct-test-stacks';

/** Key operations that read or produce data under the key, or hand that power on (a grant bypasses kms:ViaService). */
const CRYPTO_AND_GRANT_OPERATIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:CreateGrant',
];

/** The services whose endpoints a data or audit key may be used through (the platform's own). */
const PLATFORM_SERVICES = ['dynamodb', 's3', 'lambda', 'states', 'sqs', 'sagemaker', 'bedrock', 'ec2', 'backup', 'sns'];

const viaService = (service: string, region: string) => `${service}.${region}.${partitionOf(region)!.dnsSuffix}`;

interface KeysCase {
  readonly name: string;
  readonly region: string;
  readonly residency: ResidencyConfig;
}

const CASES: KeysCase[] = [
  { name: 'Commercial', region: COMMERCIAL, residency: { regions: [COMMERCIAL], crossRegionInference: 'deny', fips: false } },
  { name: 'GovWest', region: GOV_WEST, residency: { regions: [GOV_WEST], crossRegionInference: 'deny', fips: true } },
  {
    name: 'GovWest, both GovCloud regions allowed',
    region: GOV_WEST,
    residency: { regions: [GOV_WEST, 'us-gov-east-1'], crossRegionInference: 'within-partition', fips: true },
  },
];

function synthKeys(region: string, residency: ResidencyConfig): { template: Template; keys: PlatformKeys } {
  const { stack } = targetStack(region);
  const keys = new PlatformKeys(stack, 'Keys', { residency, aliasPrefix: 'statehouse-test' });
  return { template: Template.fromStack(stack), keys };
}

function keyPolicyStatements(template: Template, aliasSuffix: 'data' | 'logs' | 'audit'): Statement[] {
  const alias = Object.values(template.findResources('AWS::KMS::Alias', { Properties: { AliasName: `alias/statehouse-test-${aliasSuffix}` } }));
  expect(alias).toHaveLength(1);
  const keyId = alias[0].Properties.TargetKeyId['Fn::GetAtt'][0] as string;
  return template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as Statement[];
}

const bySid = (statements: Statement[], sid: string) => statements.find((s) => s.Sid === sid);

describe.each(CASES)('PlatformKeys, $name', ({ region, residency }) => {
  const partition = partitionOf(region)!;
  const accountRoot = `arn:${partition.id}:iam::${TEST_ACCOUNT}:root`;
  let template: Template;
  beforeAll(() => {
    // GIVEN the keys of a target with this residency
    ({ template } = synthKeys(region, residency));
  });

  test('creates exactly three customer-managed keys with yearly rotation, a 30-day pending window, and RETAIN', () => {
    // THEN
    template.resourceCountIs('AWS::KMS::Key', 3);
    template.allResources('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true, RotationPeriodInDays: 365, PendingWindowInDays: 30 }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    for (const suffix of ['data', 'logs', 'audit'] as const) {
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/statehouse-test-${suffix}` });
    }
  });

  test.each(['data', 'logs', 'audit'] as const)('the %s key: this account administers it, with the admin actions only', (suffix) => {
    // WHEN the key policy is read
    const admin = bySid(keyPolicyStatements(template, suffix), 'AdministerWithoutUse');
    // THEN the account root administers the key, unconditionally, with exactly the admin actions
    expect(admin).toEqual({
      Sid: 'AdministerWithoutUse',
      Effect: 'Allow',
      Principal: { AWS: accountRoot },
      Action: [...KEY_ADMIN_ACTIONS].sort(),
      Resource: '*',
    });
  });

  test('administration grants no cryptographic use and no grants, on any key (AC-5)', () => {
    // GIVEN the administration statement of each key policy
    const usableByAdmin = (['data', 'logs', 'audit'] as const).map((suffix) => {
      const admin = bySid(keyPolicyStatements(template, suffix), 'AdministerWithoutUse')!;
      // WHEN its action patterns are matched against the operations that use the key
      return { key: suffix, operations: CRYPTO_AND_GRANT_OPERATIONS.filter((op) => listOf(admin.Action).some((p) => actionMatches(p, op))) };
    });
    // THEN none matches: use is granted only with kms:CallerAccount and kms:ViaService
    // (a grant would let its holder decrypt without kms:ViaService)
    expect(usableByAdmin).toEqual([
      { key: 'data', operations: [] },
      { key: 'logs', operations: [] },
      { key: 'audit', operations: [] },
    ]);
  });

  test.each(['data', 'audit'] as const)('the %s key is usable only by this account through the platform services of the residency regions', (suffix) => {
    // WHEN the key policy is read
    const use = bySid(keyPolicyStatements(template, suffix), 'UseThroughPlatformServicesOnly')!;
    // THEN use is allowed to the account, with both conditions, for the residency regions' service endpoints only
    expect(use).toMatchObject({ Effect: 'Allow', Principal: { AWS: accountRoot }, Resource: '*' });
    expect([...listOf(use.Action)].sort()).toEqual([...KEY_USE_ACTIONS, 'kms:CreateGrant'].sort());
    expect(Object.keys(use.Condition!)).toEqual(['StringEquals']);
    expect(use.Condition!.StringEquals['kms:CallerAccount']).toBe(TEST_ACCOUNT);
    const via = use.Condition!.StringEquals['kms:ViaService'] as string[];
    expect([...via].sort()).toEqual(residency.regions.flatMap((r) => PLATFORM_SERVICES.map((s) => viaService(s, r))).sort());
  });

  test('the logs key is usable only by CloudWatch Logs of the residency regions, for this account\'s log groups, and by this target\'s alarms', () => {
    // WHEN the logs key policy is read
    const statements = keyPolicyStatements(template, 'logs');
    // THEN its use statements are for the logs service principals of the residency regions and for CloudWatch alarms
    expect(statements.map((s) => s.Sid).sort()).toEqual(['AdministerWithoutUse', 'CloudWatchAlarmsOfThisTarget', 'CloudWatchLogsOfThisAccount']);
    const logsUse = bySid(statements, 'CloudWatchLogsOfThisAccount')!;
    expect(listOf((logsUse.Principal as { Service: string | string[] }).Service).sort()).toEqual(
      residency.regions.map((r) => `logs.${r}.${partitionOf(r)!.dnsSuffix}`).sort(),
    );
    expect(logsUse.Condition).toEqual({
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition.id}:logs:*:${TEST_ACCOUNT}:log-group:*` },
    });
  });

  test('the logs key lets CloudWatch encrypt alarm notifications only for this account\'s alarms named under the target prefix', () => {
    // WHEN the logs key policy is read
    const alarms = bySid(keyPolicyStatements(template, 'logs'), 'CloudWatchAlarmsOfThisTarget')!;
    // THEN CloudWatch may encrypt and decrypt the topic's messages for alarms of this account, region and prefix only (Operations names them so)
    expect(alarms).toMatchObject({ Effect: 'Allow', Principal: { Service: servicePrincipalName('cloudwatch') }, Resource: '*' });
    expect([...listOf(alarms.Action)].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(alarms.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': TEST_ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:${partition.id}:cloudwatch:${region}:${TEST_ACCOUNT}:alarm:statehouse-test-*` },
    });
  });

  test('the audit key lets CloudTrail encrypt only this account\'s trails', () => {
    // WHEN the audit key policy is read
    const cloudTrail = bySid(keyPolicyStatements(template, 'audit'), 'CloudTrailOfThisAccount')!;
    // THEN CloudTrail may generate data keys for trails of this account and region only
    expect(cloudTrail).toMatchObject({ Effect: 'Allow', Principal: { Service: servicePrincipalName('cloudtrail') }, Resource: '*' });
    expect([...listOf(cloudTrail.Action)].sort()).toEqual(['kms:DescribeKey', 'kms:GenerateDataKey*']);
    expect(cloudTrail.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': TEST_ACCOUNT },
      StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${partition.id}:cloudtrail:${region}:${TEST_ACCOUNT}:trail/*` },
    });
  });

  test('the data key lets CloudWatch Logs delivery decrypt only for this account (the workflows log under it)', () => {
    // WHEN the data key policy is read
    const delivery = bySid(keyPolicyStatements(template, 'data'), 'LogDeliveryOfThisAccount')!;
    // THEN log delivery may decrypt only for deliveries of this account and region
    expect(delivery).toMatchObject({ Effect: 'Allow', Principal: { Service: servicePrincipalName('delivery.logs') }, Action: 'kms:Decrypt*', Resource: '*' });
    expect(delivery.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': TEST_ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:${partition.id}:logs:${region}:${TEST_ACCOUNT}:*` },
    });
  });

  test('no key policy names another partition', () => {
    // THEN every ARN in the key policies is of the target's partition
    const other = Object.values(PARTITIONS).find((p) => p.id !== partition.id)!;
    const text = JSON.stringify(template.findResources('AWS::KMS::Key'));
    expect(text).not.toContain(other.arnPrefix);
    expect(text).toContain(partition.arnPrefix);
  });
});
