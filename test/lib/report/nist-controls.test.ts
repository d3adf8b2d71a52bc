import { controlsOf, loadNistR5Controls, parseNistR5Controls, parseRuleId, UNMAPPED, type NistRulesFile } from '../../../lib/report/nist-controls';

/** The NIST 800-53 rev 5 mapping: RULES.md parsing, rule-id parsing, the local table. */

const RULES_MD = [
  '## NIST 800-53 rev 4',
  '',
  '| Rule ID | Cause | Explanation | Relevant Control ID(s) |',
  '| --- | --- | --- | --- |',
  '| [NIST.800.53.R4-S3BucketReplicationEnabled](https://x) | c | e | AU-9(2), CP-10 |',
  '',
  '## NIST 800-53 rev 5',
  '',
  '### Warnings',
  '',
  '| Rule ID | Cause | Explanation | Relevant Control ID(s) |',
  '| --- | --- | --- | --- |',
  '| [NIST.800.53.R5-VPCDefaultSecurityGroupClosed](https://x) | the default SG allows \\| traffic | e | AC-4(21), SC-7a, SC-7a |',
  '',
  '### Errors',
  '',
  '| Rule ID | Cause | Explanation | Relevant Control ID(s) |',
  '| --- | --- | --- | --- |',
  '| [NIST.800.53.R5-S3BucketReplicationEnabled](https://x) | c | e | AU-9(2), CP-9a, CP-10 |',
  '',
  '### Excluded Rules',
  '',
  '| AWS Config Rule Name | Summary | Relevant Control ID(s) |',
  '| --- | --- | --- |',
  '| [access-keys-rotated](https://x) | s | AC-2(1) |',
  '',
  '## PCI DSS 3.2.1',
  '',
  '| Rule ID | Cause | Explanation | Relevant Control ID(s) |',
  '| --- | --- | --- | --- |',
  '| [PCI.DSS.321-S3BucketReplicationEnabled](https://x) | c | e | 2.2 |',
].join('\n');

test('parses only the rev 5 section, every table of it, by column name; escaped pipes stay in their cell', () => {
  const controls = parseNistR5Controls(RULES_MD);
  expect([...controls.keys()]).toEqual(['NIST.800.53.R5-VPCDefaultSecurityGroupClosed', 'NIST.800.53.R5-S3BucketReplicationEnabled']);
  expect(controls.get('NIST.800.53.R5-S3BucketReplicationEnabled')).toEqual(['AU-9(2)', 'CP-9a', 'CP-10']);
  expect(controls.get('NIST.800.53.R5-VPCDefaultSecurityGroupClosed')).toEqual(['AC-4(21)', 'SC-7a']);
});

test('the installed cdk-nag RULES.md has the rev 5 rules this kit runs', () => {
  const nist = loadNistR5Controls();
  expect(nist.controls.size).toBeGreaterThan(50);
  for (const rule of ['NIST.800.53.R5-IAMNoInlinePolicy', 'NIST.800.53.R5-LambdaInsideVPC', 'NIST.800.53.R5-S3BucketSSLRequestsOnly']) {
    expect(nist.controls.get(rule)?.length).toBeGreaterThan(0);
  }
});

test('rule ids as acknowledged: annotation prefix and finding detail are split off', () => {
  expect(parseRuleId('Annotation::AwsSolutions-IAM5[Action::logs:*]')).toEqual({ rule: 'AwsSolutions-IAM5', finding: 'Action::logs:*' });
  expect(parseRuleId('Annotation::NIST.800.53.R5-IAMNoInlinePolicy')).toEqual({ rule: 'NIST.800.53.R5-IAMNoInlinePolicy', finding: undefined });
  expect(parseRuleId('StatehouseResidency::LambdaOutsideVpc')).toEqual({ rule: 'StatehouseResidency::LambdaOutsideVpc', finding: undefined });
  expect(parseRuleId('Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::b/*]').finding).toBe('Resource::arn:<AWS::Partition>:s3:::b/*');
});

describe('controlsOf', () => {
  const nist: NistRulesFile = { file: 'RULES.md', version: '9.9.9', controls: parseNistR5Controls(RULES_MD) };

  test('NIST rules: from RULES.md, or unmapped when RULES.md does not list them', () => {
    expect(controlsOf('NIST.800.53.R5-S3BucketReplicationEnabled', nist)).toEqual({ controls: ['AU-9(2)', 'CP-9a', 'CP-10'], source: expect.stringContaining('cdk-nag 9.9.9 RULES.md') });
    expect(controlsOf('NIST.800.53.R5-NotARule', nist)).toEqual({ controls: [], source: expect.stringMatching(new RegExp(`^${UNMAPPED}`)) });
  });

  test('residency guard rules: the documented table', () => {
    expect(controlsOf('StatehouseResidency::PartitionLiteral', nist).controls).toEqual(['AC-4', 'SC-7']);
    expect(controlsOf('StatehouseResidency::RegionOutsideResidency', nist).controls).toEqual(['SC-7', 'AC-4']);
    expect(controlsOf('StatehouseResidency::UnencryptedDataStore', nist).controls).toEqual(['SC-28']);
    expect(controlsOf('StatehouseResidency::WildcardPrincipal', nist).controls).toEqual(['AC-3', 'AC-6']);
    expect(controlsOf('StatehouseResidency::LambdaOutsideVpc', nist).controls).toEqual(['SC-7']);
  });

  test('an AwsSolutions rule that checks the same as a NIST rule takes that rule\'s controls; others are unmapped', () => {
    const real = loadNistR5Controls();
    expect(controlsOf('AwsSolutions-S10', real).controls).toEqual(real.controls.get('NIST.800.53.R5-S3BucketSSLRequestsOnly'));
    expect(controlsOf('AwsSolutions-S10', real).source).toMatch(/via NIST\.800\.53\.R5-S3BucketSSLRequestsOnly/);
    expect(controlsOf('CloudFormation-Validate::W3010', real)).toEqual({ controls: [], source: UNMAPPED });
  });
});
