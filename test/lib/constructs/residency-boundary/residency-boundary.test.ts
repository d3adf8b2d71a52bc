import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ResidencyConfig } from '../../../../lib/config/schema';
import { ResidencyBoundary } from '../../../../lib/constructs/residency-boundary/residency-boundary';
import { BOUNDARY_SERVICES, GLOBAL_SERVICE_ACTIONS } from '../../../../lib/residency/policies';
import { partitionOf, servicePrincipalName } from '../../../../lib/residency/region-facts';
import { stacksOf, synthStatehouse } from '../../../helpers/synth';
import { COMMERCIAL, GOV_EAST, GOV_WEST, logicalIdOf, targetStack, TEST_ACCOUNT, type Statement } from '../construct-test-stacks';

const POLICY_NAME = 'statehouse-test-permissions-boundary';

function boundaryIn(region: string, residency: ResidencyConfig): { template: Template; boundary: ResidencyBoundary } {
  const { stack } = targetStack(region);
  const boundary = new ResidencyBoundary(stack, 'Boundary', { residency, managedPolicyName: POLICY_NAME });
  return { template: Template.fromStack(stack), boundary };
}

function statementsOf(template: Template): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement as Statement[];
}

const bySid = (statements: Statement[], sid: string) => statements.find((s) => s.Sid === sid);

interface BoundaryCase {
  readonly name: string;
  readonly region: string;
  readonly residency: ResidencyConfig;
}

const CASES: BoundaryCase[] = [
  { name: 'Commercial, deny', region: COMMERCIAL, residency: { regions: [COMMERCIAL], crossRegionInference: 'deny', fips: false } },
  { name: 'GovWest, deny', region: GOV_WEST, residency: { regions: [GOV_WEST], crossRegionInference: 'deny', fips: true } },
  {
    name: 'GovWest, within-partition',
    region: GOV_WEST,
    residency: { regions: [GOV_WEST, GOV_EAST], crossRegionInference: 'within-partition', fips: true },
  },
];

describe.each(CASES)('ResidencyBoundary, $name', ({ region, residency }) => {
  const partition = partitionOf(region)!.id;
  let statements: Statement[];
  let template: Template;
  beforeAll(() => {
    // GIVEN the boundary of a target with this residency setting
    ({ template } = boundaryIn(region, residency));
    statements = statementsOf(template);
  });

  test('is a managed policy with the configured physical name', () => {
    // THEN an SCP or an auditor can find it by name
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { ManagedPolicyName: POLICY_NAME, Path: '/' });
  });

  test('caps every role at the platform services', () => {
    // THEN the only Allow is the service cap
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      { Sid: 'CapAtPlatformServices', Effect: 'Allow', Action: BOUNDARY_SERVICES.map((s) => `${s}:*`).sort(), Resource: '*' },
    ]);
  });

  test('denies every regional call outside the residency regions (global services excepted)', () => {
    // THEN the region deny lists exactly the residency regions and exempts only the global services
    expect(bySid(statements, 'DenyOutsideAllowedRegions')).toEqual({
      Sid: 'DenyOutsideAllowedRegions',
      Effect: 'Deny',
      NotAction: GLOBAL_SERVICE_ACTIONS,
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestedRegion': residency.regions } },
    });
  });

  test('denies data-plane calls into other accounts', () => {
    // THEN the foreign-resource deny names this account
    expect(bySid(statements, 'DenyDataPlaneInOtherAccounts')).toMatchObject({
      Effect: 'Deny',
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:ResourceAccount': [TEST_ACCOUNT] } },
    });
  });

  test(`Bedrock inference profiles are ${residency.crossRegionInference === 'deny' ? 'denied' : 'not denied by a statement of their own'}`, () => {
    const profileDeny = bySid(statements, 'DenyCrossRegionInferenceProfiles');
    if (residency.crossRegionInference === 'deny') {
      // THEN every system-defined and application inference profile of the partition is denied
      expect(profileDeny).toEqual({
        Sid: 'DenyCrossRegionInferenceProfiles',
        Effect: 'Deny',
        Action: 'bedrock:*',
        Resource: [`arn:${partition}:bedrock:*:*:application-inference-profile/*`, `arn:${partition}:bedrock:*:*:inference-profile/*`],
      });
      expect(statements).toHaveLength(4);
    } else {
      // THEN there is no profile deny; the region deny still pins every destination region
      expect(profileDeny).toBeUndefined();
      expect(statements.map((s) => s.Sid).sort()).toEqual(['CapAtPlatformServices', 'DenyDataPlaneInOtherAccounts', 'DenyOutsideAllowedRegions']);
    }
  });
});

describe('ResidencyBoundary.applyTo', () => {
  const residency: ResidencyConfig = { regions: [GOV_WEST], crossRegionInference: 'deny', fips: true };

  test('attaches the boundary to every role under the scope, including roles added later in other stacks of the same stage', () => {
    // GIVEN a stage whose first stack holds the boundary, and a role in that stack
    const { app, stage, stack: foundation } = targetStack(GOV_WEST);
    const lambdaPrincipal = new iam.ServicePrincipal(servicePrincipalName('lambda'));
    const early = new iam.Role(foundation, 'EarlyRole', { assumedBy: lambdaPrincipal });
    const boundary = new ResidencyBoundary(foundation, 'Boundary', { residency, managedPolicyName: POLICY_NAME });
    // WHEN the boundary is applied to the stage, and afterwards another stack of the stage adds a role
    boundary.applyTo(stage);
    const runtime = new Stack(stage, 'Later');
    const late = new iam.Role(runtime, 'LateRole', { assumedBy: lambdaPrincipal });
    // AND a stack of another stage adds one too
    const elsewhere = new Stack(new Stage(app, 'Elsewhere', { env: { account: TEST_ACCOUNT, region: GOV_WEST } }), 'Other');
    const outside = new iam.Role(elsewhere, 'OutsideRole', { assumedBy: lambdaPrincipal });
    // THEN both roles of the stage carry the boundary: by Ref in its own stack, by import in the other
    const policyId = logicalIdOf(boundary.policy as iam.ManagedPolicy);
    const roleIn = (stack: Stack, role: iam.Role) => Template.fromStack(stack).toJSON().Resources[logicalIdOf(role)];
    expect(roleIn(foundation, early).Properties.PermissionsBoundary).toEqual({ Ref: policyId });
    expect(roleIn(runtime, late).Properties.PermissionsBoundary).toEqual({ 'Fn::ImportValue': expect.stringContaining(policyId) });
    // AND the role outside the stage does not
    expect(roleIn(elsewhere, outside).Properties.PermissionsBoundary).toBeUndefined();
  });
});

describe('ResidencyBoundary in the real GovWest app', () => {
  test('every IAM role of every stack carries the boundary, including CDK-managed custom-resource roles', () => {
    // GIVEN the GovWest target as `cdk synth` builds it
    const [stage] = synthStatehouse({ targets: 'GovWest' }).stages;
    // WHEN every role of every stack is read
    const unbounded: string[] = [];
    let roles = 0;
    for (const stack of stacksOf(stage)) {
      for (const [id, role] of Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Role'))) {
        roles += 1;
        if (!JSON.stringify(role.Properties.PermissionsBoundary ?? '').includes(logicalIdOf(stage.foundation.boundary.policy as iam.ManagedPolicy))) {
          unbounded.push(`${stack.stackName}/${id}`);
        }
      }
    }
    // THEN none lacks it
    expect(roles).toBeGreaterThan(5);
    expect(unbounded).toEqual([]);
  });
});
