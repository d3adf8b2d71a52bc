import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Stack, Validations, type App, type Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { ReportedViolation } from '../../../../lib/compliance/validation-report';
import { Guardrail, type GuardrailProps } from '../../../../lib/constructs/guardrail/guardrail';
import { BLOCKED_INPUT_MESSAGE, BLOCKED_OUTPUT_MESSAGE } from '../../../../lib/constructs/guardrail/guardrail-defaults';
import { ContentFilterType, FilterStrength, PiiAction, PiiEntityType } from '../../../../lib/constructs/guardrail/guardrail-policies';
import { capabilityRecords } from '../../../../lib/residency/capability-gate';
import { FactStatus } from '../../../../lib/residency/region-facts';
import { ResidencyGuard } from '../../../../lib/residency/residency-guard';
import { cfnLint, cfnLintReady } from '../../../helpers/cfn-lint';
import { COMMERCIAL, GOV_EAST, GOV_WEST, logicalIdOf, roleStatements, synthReport, targetStack, TEST_ACCOUNT } from '../construct-test-stacks';

/** The construct's path: findings on the test's own key and role are not the construct's. */
const GUARDRAIL_PATH = 'Target/Test/Guardrail';
const PARTITION_OF: Record<string, string> = { [COMMERCIAL]: 'aws', [GOV_WEST]: 'aws-us-gov', [GOV_EAST]: 'aws-us-gov' };

interface Fixture {
  readonly app: App;
  readonly stage: Stage;
  readonly stack: Stack;
  readonly key: kms.Key;
  readonly caller: iam.Role;
  readonly guardrail: Guardrail;
  readonly template: () => Template;
}

/** One guardrail under a key of the test stack, and a role granted apply (the orchestrator's stand-in). */
function guardrailIn(region: string, props: Partial<GuardrailProps> = {}, compliancePacks = false): Fixture {
  const { app, stage, stack } = targetStack(region, 'Target', { cfnValidation: compliancePacks });
  const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
  const guardrail = new Guardrail(stack, 'Guardrail', { guardrailName: 'statehouse-test-guardrail', encryptionKey: key, ...props });
  const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
  guardrail.grantApply(caller);
  if (compliancePacks) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
    Validations.of(stage).addPlugins(new ResidencyGuard({ regions: [region], crossRegionInference: 'deny', fips: true }));
  }
  return { app, stage, stack, key, caller, guardrail, template: () => Template.fromStack(stack) };
}

function guardrailResource(template: Template): { Properties: Record<string, any>; DeletionPolicy?: string } {
  return Object.values(template.findResources('AWS::Bedrock::Guardrail'))[0] as never;
}

function versionDescription(fixture: Fixture): string {
  return (Object.values(fixture.template().findResources('AWS::Bedrock::GuardrailVersion'))[0] as any).Properties.Description;
}

describe.each([COMMERCIAL, GOV_WEST])('Guardrail in %s', (region) => {
  let f: Fixture;
  let template: Template;
  beforeAll(() => {
    // GIVEN a guardrail with its defaults and a caller granted apply
    f = guardrailIn(region);
    // WHEN synthesized
    template = f.template();
  });

  test('the guardrail: its name, the platform key, the default messages, filters and PII entities, retained', () => {
    const resource = guardrailResource(template);
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.Properties).toEqual({
      Name: 'statehouse-test-guardrail',
      KmsKeyArn: { 'Fn::GetAtt': [logicalIdOf(f.key), 'Arn'] },
      BlockedInputMessaging: BLOCKED_INPUT_MESSAGE,
      BlockedOutputsMessaging: BLOCKED_OUTPUT_MESSAGE,
      ContentPolicyConfig: {
        FiltersConfig: [
          { Type: 'HATE', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
          { Type: 'INSULTS', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
          { Type: 'SEXUAL', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
          { Type: 'VIOLENCE', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
          { Type: 'MISCONDUCT', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
          { Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' },
        ],
      },
      SensitiveInformationPolicyConfig: {
        PiiEntitiesConfig: [
          ...[
            'US_SOCIAL_SECURITY_NUMBER',
            'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER',
            'US_PASSPORT_NUMBER',
            'US_BANK_ACCOUNT_NUMBER',
            'CREDIT_DEBIT_CARD_NUMBER',
            'CREDIT_DEBIT_CARD_CVV',
            'PIN',
            'PASSWORD',
            'AWS_ACCESS_KEY',
            'AWS_SECRET_KEY',
          ].map((type) => ({ Type: type, Action: 'BLOCK' })),
          { Type: 'EMAIL', Action: 'ANONYMIZE' },
          { Type: 'PHONE', Action: 'ANONYMIZE' },
        ],
      },
    });
    // No cross-Region profile: evaluations stay in the region.
    expect(resource.Properties.CrossRegionConfig).toBeUndefined();
  });

  test('the published version: of this guardrail, retained, its description carrying a digest of the configuration', () => {
    template.hasResource('AWS::Bedrock::GuardrailVersion', {
      Properties: { GuardrailIdentifier: { 'Fn::GetAtt': [logicalIdOf(f.guardrail), 'GuardrailId'] }, Description: Match.stringLikeRegexp('^Published by Statehouse \\(configuration [0-9a-f]{16}\\)$') },
      DeletionPolicy: 'Retain',
    });
  });

  test('grantApply: bedrock:ApplyGuardrail on exactly this guardrail, kms:Decrypt on its key, nothing else', () => {
    expect(roleStatements(template, logicalIdOf(f.caller))).toEqual([
      {
        Action: 'bedrock:ApplyGuardrail',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': ['', [`arn:${PARTITION_OF[region]}:bedrock:${region}:${TEST_ACCOUNT}:guardrail/`, { 'Fn::GetAtt': [logicalIdOf(f.guardrail), 'GuardrailId'] }]],
        },
      },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalIdOf(f.key), 'Arn'] } },
    ]);
  });

  test('binding and metrics name the published version', () => {
    const resolve = (value: unknown) => f.stack.resolve(value);
    expect(resolve(f.guardrail.binding)).toEqual({
      guardrailIdentifier: { 'Fn::GetAtt': [logicalIdOf(f.guardrail), 'GuardrailId'] },
      guardrailVersion: { 'Fn::GetAtt': [f.stack.resolve(f.guardrail.version.logicalId), 'Version'] },
    });
    const metric = f.guardrail.metricInvocationsIntervened();
    expect(metric).toMatchObject({ namespace: 'AWS/Bedrock/Guardrails', metricName: 'InvocationsIntervened', statistic: 'Sum' });
    expect(Object.keys(metric.dimensions ?? {}).sort()).toEqual(['GuardrailArn', 'GuardrailVersion']);
  });
});

describe('Guardrail: the capability gate', () => {
  test.each([
    [COMMERCIAL, FactStatus.AVAILABLE],
    [GOV_WEST, FactStatus.UNVERIFIED],
    [GOV_EAST, FactStatus.UNVERIFIED],
  ])('in %s: Guardrails available; the CloudFormation types %s', (region, cfnStatus) => {
    // GIVEN a guardrail in the region
    const f = guardrailIn(region);

    // THEN the gate was asked, and warns only for what it cannot vouch for
    const records = capabilityRecords(f.guardrail).map((r) => [r.capability, r.status]);
    expect(records).toEqual([
      ['bedrock:guardrails', FactStatus.AVAILABLE],
      ['cloudformation:AWS::Bedrock::Guardrail', cfnStatus],
      ['cloudformation:AWS::Bedrock::GuardrailVersion', cfnStatus],
    ]);
    const warnings = Annotations.fromStack(f.stack).findWarning(`/${GUARDRAIL_PATH}`, Match.stringLikeRegexp('unverified'));
    if (cfnStatus === FactStatus.AVAILABLE) {
      expect(warnings).toEqual([]);
    } else {
      expect(warnings.map((w) => String(w.entry.data))).toEqual([
        expect.stringContaining(`aws cloudformation describe-type --type RESOURCE --type-name AWS::Bedrock::Guardrail --region ${region}`),
        expect.stringContaining(`aws cloudformation describe-type --type RESOURCE --type-name AWS::Bedrock::GuardrailVersion --region ${region}`),
      ]);
    }
  });
});

describe('Guardrail: props and overrides', () => {
  test('topics, PII actions per direction, own filters and L1 overrides are merged; the name and key always win', () => {
    const f = guardrailIn(COMMERCIAL, {
      description: 'FOIA caseworker guardrail',
      contentFilters: [{ type: ContentFilterType.PROMPT_ATTACK, inputStrength: FilterStrength.MEDIUM, outputStrength: FilterStrength.NONE }],
      deniedTopics: [{ name: 'Legal advice', definition: 'Advice on how to file or win a lawsuit.', examples: ['Should I sue the agency?'] }],
      piiEntities: [{ type: PiiEntityType.NAME, action: PiiAction.ANONYMIZE, inputAction: PiiAction.NONE }],
      guardrailProps: {
        name: 'another-name',
        kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
        wordPolicyConfig: { managedWordListsConfig: [{ type: 'PROFANITY' }] },
      },
    });

    expect(guardrailResource(f.template()).Properties).toMatchObject({
      Name: 'statehouse-test-guardrail',
      KmsKeyArn: { 'Fn::GetAtt': [logicalIdOf(f.key), 'Arn'] },
      Description: 'FOIA caseworker guardrail',
      ContentPolicyConfig: { FiltersConfig: [{ Type: 'PROMPT_ATTACK', InputStrength: 'MEDIUM', OutputStrength: 'NONE' }] },
      TopicPolicyConfig: { TopicsConfig: [{ Name: 'Legal advice', Definition: 'Advice on how to file or win a lawsuit.', Type: 'DENY', Examples: ['Should I sue the agency?'] }] },
      SensitiveInformationPolicyConfig: { PiiEntitiesConfig: [{ Type: 'NAME', Action: 'ANONYMIZE', InputAction: 'NONE' }] },
      WordPolicyConfig: { ManagedWordListsConfig: [{ Type: 'PROFANITY' }] },
    });
  });

  test('empty lists turn a policy off', () => {
    const properties = guardrailResource(guardrailIn(COMMERCIAL, { contentFilters: [], piiEntities: [] }).template()).Properties;
    expect(properties.ContentPolicyConfig).toBeUndefined();
    expect(properties.SensitiveInformationPolicyConfig).toBeUndefined();
  });

  test('the version digest follows the configuration: the same props give the same version, a changed filter a new one', () => {
    const same = [versionDescription(guardrailIn(COMMERCIAL)), versionDescription(guardrailIn(COMMERCIAL))];
    const changed = versionDescription(guardrailIn(COMMERCIAL, { blockedInputMessage: 'Not here.' }));
    expect(same[0]).toBe(same[1]);
    expect(changed).not.toBe(same[0]);
  });

  test('removalPolicy: DESTROY on request, for the guardrail and its versions', () => {
    const template = guardrailIn(COMMERCIAL, { removalPolicy: RemovalPolicy.DESTROY }).template();
    template.hasResource('AWS::Bedrock::Guardrail', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Bedrock::GuardrailVersion', { DeletionPolicy: 'Delete' });
  });

  test('fromGuardrailAttributes: a grantee gets the same exact ARN and the key grant; the binding is the attributes', () => {
    const { stack } = targetStack(GOV_WEST);
    const key = kms.Key.fromKeyArn(stack, 'Key', `arn:aws-us-gov:kms:us-gov-west-1:${TEST_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`);
    const imported = Guardrail.fromGuardrailAttributes(stack, 'Imported', { guardrailId: 'gr7example01', guardrailVersion: '4', encryptionKey: key });
    const role = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantApply(role);

    expect(imported.binding).toEqual({ guardrailIdentifier: 'gr7example01', guardrailVersion: '4' });
    expect(roleStatements(Template.fromStack(stack), logicalIdOf(role))).toEqual([
      { Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: `arn:aws-us-gov:bedrock:us-gov-west-1:${TEST_ACCOUNT}:guardrail/gr7example01` },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: key.keyArn },
    ]);
  });

  test('fromGuardrailAttributes without a key: no key grant', () => {
    const { stack } = targetStack(GOV_WEST);
    const plain = Guardrail.fromGuardrailAttributes(stack, 'Plain', { guardrailId: 'gr7example02', guardrailVersion: '1' });
    const role = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    plain.grantApply(role);
    expect(roleStatements(Template.fromStack(stack), logicalIdOf(role))).toEqual([
      { Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: `arn:aws-us-gov:bedrock:us-gov-west-1:${TEST_ACCOUNT}:guardrail/gr7example02` },
    ]);
  });

  test.each([
    [{ guardrailName: 'has spaces' }, /guardrailName "has spaces" is not allowed: use 1 to 50 letters, digits, "-" and "_"/],
    [
      { contentFilters: [{ type: ContentFilterType.PROMPT_ATTACK, inputStrength: FilterStrength.HIGH, outputStrength: FilterStrength.LOW }] },
      /contentFilters sets PROMPT_ATTACK's outputStrength to LOW; .* set it to FilterStrength.NONE/,
    ],
    [
      { piiEntities: [{ type: PiiEntityType.EMAIL, action: PiiAction.BLOCK }, { type: PiiEntityType.of('EMAIL'), action: PiiAction.ANONYMIZE }] },
      /piiEntities lists "EMAIL" twice/,
    ],
    [{ deniedTopics: [{ name: 'Legal advice', definition: 'x'.repeat(201) }] }, /deniedTopics "Legal advice" definition must be 1 to 200 characters \(got 201\)/],
    [{ blockedInputMessage: '' }, /blockedInputMessage must be 1 to 500 characters \(got 0\)/],
    [
      { guardrailProps: { crossRegionConfig: { guardrailProfileArn: 'arn:aws:bedrock:us-east-1:123456789012:guardrail-profile/us.guardrail.v1:0' } } },
      /guardrailProps.crossRegionConfig is set; .* residency does not allow/,
    ],
    [
      { guardrailProps: { contentPolicyConfig: { filtersConfig: [], contentFiltersTierConfig: { tierName: 'STANDARD' } } } },
      /STANDARD tier, which requires cross-Region inference/,
    ],
  ] as const)('refuses %j', (props, message) => {
    expect(() => guardrailIn(COMMERCIAL, props as Partial<GuardrailProps>)).toThrow(message);
  });
});

describe.each([COMMERCIAL, GOV_WEST])('Guardrail compliance in %s', (region) => {
  let f: Fixture;
  let errors: ReportedViolation[];
  beforeAll(() => {
    // GIVEN the guardrail in an app with cdk-nag's AwsSolutions and NIST 800-53 R5 packs and the residency guard, as bin/ builds it
    f = guardrailIn(region, {}, true);
    // WHEN synthesized
    errors = synthReport(f.app).errors;
  });

  test('cdk-nag and the residency guard report zero findings on the construct, and it needs no acknowledgment', () => {
    expect(errors.filter((e) => e.paths.some((p) => p.startsWith(`${GUARDRAIL_PATH}/`)))).toEqual([]);
    const acknowledged = f.guardrail.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY));
    expect(acknowledged).toEqual([]);
  });

  test('cfn-lint reports zero errors for the region', () => {
    if (!cfnLintReady()) return;
    const file = path.join(f.stage.outdir, f.stack.templateFile);
    expect(fs.existsSync(file)).toBe(true);
    expect(cfnLint([file], region).filter((finding) => finding.Level === 'Error')).toEqual([]);
  });
});
