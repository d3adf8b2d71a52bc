import * as fs from 'node:fs';
import * as path from 'node:path';
import { PARTITIONS, partitionOf } from '../../../lib/residency/region-facts';
import { SCP_FILE } from '../../../lib/report/load-assembly';
import type { StatehouseStage } from '../../../lib/stacks/statehouse-stage';
import {
  arnOf,
  resolveIntrinsics,
  simulate,
  type AccessRequest,
  type PolicyDocument,
  type Verdict,
} from '../../helpers/iam-simulate';
import { readTemplate, synthStatehouse } from '../../helpers/synth';

/**
 * What the synthesized residency controls MEAN: each test puts a request
 * through the IAM policy simulator under the policies read from the
 * synthesized templates (permissions boundary, KMS key policies, flow-log role
 * policy) and the SCP file, and asserts AWS's decision and the statement that
 * made it. Explicit accounts make the policies literal JSON.
 */

const ACCOUNTS = { Commercial: '111111111111', GovWest: '222222222222', GovEast: '333333333333' };
const FOREIGN_ACCOUNT = '999999999999';

interface TargetCase {
  readonly name: 'Commercial' | 'GovWest';
  readonly region: string;
  /** A region of the same partition that the default residency does not allow. */
  readonly outsideRegion: string;
  /** Geography prefix of the partition's system-defined inference profiles. */
  readonly profileGeography: string;
  /** `crossRegionInference: 'within-partition'` variant: the allowed regions and, if the partition has one, a region outside them. */
  readonly withinPartition: { readonly regions: [string, string]; readonly outsideRegion?: string };
}

const TARGETS: TargetCase[] = [
  {
    name: 'Commercial',
    region: 'us-east-1',
    outsideRegion: 'us-west-2',
    profileGeography: 'us',
    withinPartition: { regions: ['us-east-1', 'us-west-2'], outsideRegion: 'us-east-2' },
  },
  {
    name: 'GovWest',
    region: 'us-gov-west-1',
    outsideRegion: 'us-gov-east-1',
    profileGeography: 'us-gov',
    // GovCloud (US) has two regions: with both allowed, no region of the partition is outside.
    withinPartition: { regions: ['us-gov-west-1', 'us-gov-east-1'] },
  },
];

const MODEL_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

const ALLOWED: Verdict = { decision: 'Allowed', deniedBy: [] };
const explicitlyDeniedBy = (...deniedBy: string[]): Verdict => ({ decision: 'ExplicitlyDenied', deniedBy });
const implicitlyDeniedBy = (...deniedBy: string[]): Verdict => ({ decision: 'ImplicitlyDenied', deniedBy });

function allow(actions: string | string[], resources: string | string[] = '*'): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resources }] };
}

/** The policies of one synthesized target, as literal JSON. */
interface TargetPolicies {
  readonly boundary: PolicyDocument;
  readonly dataKeyPolicy: PolicyDocument;
  readonly scp: PolicyDocument;
  readonly trailName: string;
  readonly flowLog: { readonly rolePolicy: PolicyDocument; readonly roleArn: string; readonly logGroupName: string };
}

function resourcesOfType(template: Record<string, any>, type: string): Array<[string, Record<string, any>]> {
  return Object.entries<Record<string, any>>(template.Resources).filter(([, r]) => r.Type === type);
}

function onlyOne<T>(found: T[], what: string): T {
  if (found.length !== 1) throw new Error(`expected exactly one ${what}, found ${found.length}`);
  return found[0];
}

function policiesOf(stage: StatehouseStage): TargetPolicies {
  const stack = stage.foundation;
  const template = readTemplate(stack);
  const partition = partitionOf(stack.region)!.id;
  const account = stack.account;
  const env = { template, stackName: stack.stackName, partition, region: stack.region, account };

  const [, boundary] = onlyOne(
    resourcesOfType(template, 'AWS::IAM::ManagedPolicy').filter(([, r]) => String(r.Properties.ManagedPolicyName).endsWith('-permissions-boundary')),
    'permissions boundary',
  );
  const [, dataKey] = onlyOne(
    resourcesOfType(template, 'AWS::KMS::Key').filter(([, r]) => String(r.Properties.Description).startsWith('Statehouse data key')),
    'data key',
  );
  const [, trail] = onlyOne(resourcesOfType(template, 'AWS::CloudTrail::Trail'), 'trail');

  // The flow log names its role and log group; the role's DefaultPolicy is the policy attached to that role.
  const [, flowLog] = onlyOne(resourcesOfType(template, 'AWS::EC2::FlowLog'), 'flow log');
  const roleId: string = flowLog.Properties.DeliverLogsPermissionArn['Fn::GetAtt'][0];
  const [, rolePolicy] = onlyOne(
    resourcesOfType(template, 'AWS::IAM::Policy').filter(([, r]) => r.Properties.Roles.some((role: any) => role.Ref === roleId)),
    `identity policy of ${roleId}`,
  );

  return {
    boundary: boundary.Properties.PolicyDocument,
    dataKeyPolicy: dataKey.Properties.KeyPolicy,
    scp: JSON.parse(fs.readFileSync(path.join(stage.outdir, SCP_FILE), 'utf8')),
    trailName: trail.Properties.TrailName,
    flowLog: {
      rolePolicy: resolveIntrinsics(rolePolicy.Properties.PolicyDocument, env) as PolicyDocument,
      roleArn: arnOf({ partition, service: 'iam', account, resource: `role/${stack.stackName}-${roleId}` }),
      logGroupName: resolveIntrinsics(flowLog.Properties.LogGroupName, env) as string,
    },
  };
}

function synthPolicies(residency?: (target: TargetCase) => Record<string, unknown>): Map<string, TargetPolicies> {
  const overrides = {
    targets: {
      GovEast: { account: ACCOUNTS.GovEast },
      ...Object.fromEntries(
        TARGETS.map((t) => [t.name, { account: ACCOUNTS[t.name], ...(residency ? { residency: residency(t) } : {}) }]),
      ),
    },
  };
  const { stages } = synthStatehouse({ targets: TARGETS.map((t) => t.name).join(','), overrides });
  return new Map(stages.map((stage) => [stage.stageName, policiesOf(stage)]));
}

let defaultPolicies: Map<string, TargetPolicies>;
let withinPartitionPolicies: Map<string, TargetPolicies>;
beforeAll(() => {
  // GIVEN each target synthesized with its default residency, and with cross-region inference within the partition
  defaultPolicies = synthPolicies();
  withinPartitionPolicies = synthPolicies((t) => ({ crossRegionInference: 'within-partition', regions: t.withinPartition.regions }));
});

describe.each(TARGETS)('$name: what the synthesized policies mean', (target) => {
  /** Read after synthesis (beforeAll). */
  const p = () => defaultPolicies.get(target.name)!;
  const partition = partitionOf(target.region)!.id;
  const account = ACCOUNTS[target.name];
  /** A role the kit creates: it carries the boundary. */
  const kitRole = arnOf({ partition, service: 'iam', account, resource: 'role/statehouse-worker' });
  const inRegion = (region: string) => ({ 'aws:RequestedRegion': region });
  const tableArn = (region: string, owner = account, inPartition = partition) =>
    arnOf({ partition: inPartition, service: 'dynamodb', region, account: owner, resource: 'table/statehouse-data-sessions' });
  const getItem = (region: string, resource = tableArn(region)): AccessRequest => ({
    principal: kitRole,
    action: 'dynamodb:GetItem',
    resource,
    context: inRegion(region),
  });

  describe('permissions boundary: allowed regions only', () => {
    const broad = [allow('dynamodb:*')];

    it('lets a broad identity policy read a table in the allowed region', async () => {
      // GIVEN a kit role with the synthesized boundary and an identity policy allowing dynamodb:* on *
      // WHEN it reads an item from its own account's table in the target region
      const verdict = await simulate(getItem(target.region), { identity: broad, boundary: p().boundary });
      // THEN the call is allowed
      expect(verdict).toEqual(ALLOWED);
    });

    it('denies the same call in a region outside the allowed list', async () => {
      // GIVEN the same role and identity policy
      // WHEN it reads a table in another region of the partition
      const request = getItem(target.outsideRegion);
      // THEN the identity policy alone would allow it, and the boundary's region deny refuses it
      expect(await simulate(request, { identity: broad })).toEqual(ALLOWED);
      expect(await simulate(request, { identity: broad, boundary: p().boundary })).toEqual(
        explicitlyDeniedBy('pb:DenyOutsideAllowedRegions'),
      );
    });

    it('caps the role at the platform services (AC-6)', async () => {
      // GIVEN a kit role whose identity policy allows iam:* on *
      // WHEN it creates a role
      const request: AccessRequest = {
        principal: kitRole,
        action: 'iam:CreateRole',
        resource: arnOf({ partition, service: 'iam', account, resource: 'role/escalated' }),
        context: inRegion(target.region),
      };
      // THEN the boundary grants no IAM action, so the call is denied
      expect(await simulate(request, { identity: [allow('iam:*')], boundary: p().boundary })).toEqual(implicitlyDeniedBy('pb:implicit'));
    });
  });

  describe('partitions do not mix', () => {
    const other = Object.values(PARTITIONS).find((x) => x.id !== partition)!;
    const logStream = (inPartition: string) =>
      arnOf({
        partition: inPartition,
        service: 'logs',
        region: target.region,
        account,
        resource: `log-group:${p().flowLog.logGroupName}:log-stream:eni-0abc-all`,
      });
    const putLogEvents = (inPartition: string): AccessRequest => ({
      principal: p().flowLog.roleArn,
      action: 'logs:PutLogEvents',
      resource: logStream(inPartition),
      context: inRegion(target.region),
    });

    it('lets the flow-log role write its log group in its own partition', async () => {
      // GIVEN the flow-log role: its synthesized DefaultPolicy and the boundary
      const policies = { identity: [p().flowLog.rolePolicy], boundary: p().boundary };
      // WHEN it writes to its log group, named by an ARN of its own partition
      // THEN the call is allowed (the positive control of the next test)
      expect(await simulate(putLogEvents(partition), policies)).toEqual(ALLOWED);
    });

    it('denies the flow-log role the same log group named in the other partition', async () => {
      // GIVEN the flow-log role: its synthesized DefaultPolicy and the boundary
      const policies = { identity: [p().flowLog.rolePolicy], boundary: p().boundary };
      // WHEN it writes to a log group with the same name, region and account in the other partition
      const verdict = await simulate(putLogEvents(other.id), policies);
      // THEN its identity policy, scoped to its own partition's ARN, does not grant it
      expect(verdict).toEqual(implicitlyDeniedBy('identity:implicit'));
    });

    it("denies a broad identity policy a table in the other partition's regions", async () => {
      // GIVEN a kit role with the boundary and dynamodb:* on *
      const region = other.regions[0];
      // WHEN it reads a table in the other partition
      const request = getItem(region, tableArn(region, account, other.id));
      // THEN the boundary's region deny refuses it: no region of the other partition is allowed
      expect(await simulate(request, { identity: [allow('dynamodb:*')], boundary: p().boundary })).toEqual(
        explicitlyDeniedBy('pb:DenyOutsideAllowedRegions'),
      );
    });
  });

  describe("permissions boundary: no data-plane calls into other accounts' resources (SC-7(5))", () => {
    /** The role calls `action` on a resource of another account, which invites it through its resource policy. */
    async function intoOtherAccount(action: string, resource: string, withBoundary: boolean): Promise<Verdict> {
      const resourcePolicy: PolicyDocument = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: kitRole }, Action: action, Resource: resource }],
      };
      const request: AccessRequest = {
        principal: kitRole,
        action,
        resource,
        resourceAccount: FOREIGN_ACCOUNT,
        context: inRegion(target.region),
      };
      return simulate(request, { identity: [allow(action)], resourcePolicy, ...(withBoundary ? { boundary: p().boundary } : {}) });
    }
    const foreign = (service: string, resource: string, region = target.region) =>
      arnOf({ partition, service, region, account: FOREIGN_ACCOUNT, resource });

    it.each([
      { action: 'dynamodb:GetItem', resource: tableArn(target.region, FOREIGN_ACCOUNT) },
      { action: 's3:PutObject', resource: arnOf({ partition, service: 's3', resource: 'foreign-bucket/exfiltrated.json' }) },
      // Listing another account's bucket, and writing to it piece by piece, are ways out too.
      { action: 's3:ListBucket', resource: arnOf({ partition, service: 's3', resource: 'foreign-bucket' }) },
      { action: 's3:AbortMultipartUpload', resource: arnOf({ partition, service: 's3', resource: 'foreign-bucket/exfiltrated.json' }) },
      { action: 's3:ListMultipartUploadParts', resource: arnOf({ partition, service: 's3', resource: 'foreign-bucket/exfiltrated.json' }) },
      { action: 'sqs:SendMessage', resource: foreign('sqs', 'foreign-queue') },
    ])('denies $action on a resource of another account that invites the role', async ({ action, resource }) => {
      // GIVEN a kit role with an identity policy allowing the action on *
      // AND a resource policy of the other account that grants the role the action
      // WHEN the role calls the action on the other account's resource in the target region
      // THEN without the boundary the policies would allow it, and the boundary refuses it
      expect(await intoOtherAccount(action, resource, false)).toEqual(ALLOWED);
      expect(await intoOtherAccount(action, resource, true)).toEqual(explicitlyDeniedBy('pb:DenyDataPlaneInOtherAccounts'));
    });

    it('denies the other ways into another account: events, APIs, assumed roles', async () => {
      // GIVEN a kit role with the boundary, an identity policy allowing each action on *,
      // AND resource policies of the other account that grant the role each action
      const paths = {
        'events:PutEvents': foreign('events', 'event-bus/foreign-bus'),
        'execute-api:Invoke': foreign('execute-api', 'a1b2c3d4e5/prod/POST/ingest'),
        'sts:AssumeRole': foreign('iam', 'role/foreign-role', ''),
      };
      // WHEN the role calls each of them on the other account's resource
      const decisions: Record<string, string> = {};
      for (const [action, resource] of Object.entries(paths)) {
        const { decision, deniedBy } = await intoOtherAccount(action, resource, true);
        decisions[action] = deniedBy.length > 0 ? `${decision} by ${deniedBy.map((d) => d.split(':')[0]).join(', ')}` : decision;
      }
      // THEN the boundary refuses each, whatever statement does it: data leaves the account through
      // any of them (and a role assumed in another account is not bound by this boundary at all)
      expect(decisions).toEqual({
        'events:PutEvents': 'ExplicitlyDenied by pb',
        'execute-api:Invoke': 'ExplicitlyDenied by pb',
        'sts:AssumeRole': 'ExplicitlyDenied by pb',
      });
    });
  });

  describe("Bedrock with crossRegionInference: 'deny'", () => {
    const invoke = (resource: string): AccessRequest => ({
      principal: kitRole,
      action: 'bedrock:InvokeModel',
      resource,
      // Foundation models carry no account and no resource policy: AWS decides on the
      // caller's policies alone, which the simulator models as a same-account request.
      resourceAccount: account,
      context: inRegion(target.region),
    });
    const foundationModel = (region: string) =>
      arnOf({ partition, service: 'bedrock', region, resource: `foundation-model/${MODEL_ID}` });
    const policies = () => ({ identity: [allow('bedrock:InvokeModel')], boundary: p().boundary });

    it('lets the role invoke a foundation model in the allowed region', async () => {
      // GIVEN a kit role with the boundary and bedrock:InvokeModel on *
      // WHEN it invokes a foundation model in the target region
      // THEN the call is allowed
      expect(await simulate(invoke(foundationModel(target.region)), policies())).toEqual(ALLOWED);
    });

    it.each([
      { kind: 'system-defined', resource: `inference-profile/${target.profileGeography}.${MODEL_ID}` },
      { kind: 'application', resource: 'application-inference-profile/a1b2c3d4e5f6' },
    ])('denies the $kind inference profile', async ({ resource }) => {
      // GIVEN a kit role with the boundary and bedrock:InvokeModel on *
      // WHEN it invokes the inference profile in the target region
      const request = invoke(arnOf({ partition, service: 'bedrock', region: target.region, account, resource }));
      // THEN the boundary's profile deny refuses it, and so does the SCP
      expect(await simulate(request, policies())).toEqual(explicitlyDeniedBy('pb:DenyCrossRegionInferenceProfiles'));
      expect(await simulate(request, { identity: [allow('*')], scps: [p().scp] })).toEqual(
        explicitlyDeniedBy('scp:DenyCrossRegionInferenceProfiles'),
      );
    });
  });

  describe("Bedrock with crossRegionInference: 'within-partition'", () => {
    const w = () => withinPartitionPolicies.get(target.name)!;
    const [home, second] = target.withinPartition.regions;
    const profile = arnOf({
      partition,
      service: 'bedrock',
      region: home,
      account,
      resource: `inference-profile/${target.profileGeography}.${MODEL_ID}`,
    });
    const foundationModel = (region: string) =>
      arnOf({ partition, service: 'bedrock', region, resource: `foundation-model/${MODEL_ID}` });
    // IAM authorizes a profile call once for the profile in the source region and once for the
    // foundation model in the destination region, with aws:RequestedRegion the destination.
    const invoke = (resource: string, region: string): AccessRequest => ({
      principal: kitRole,
      action: 'bedrock:InvokeModel',
      resource,
      resourceAccount: account,
      context: inRegion(region),
    });
    const policies = () => ({ identity: [allow('bedrock:InvokeModel')], boundary: w().boundary });

    it(`lets the role invoke the profile in ${home} and the model in ${second}`, async () => {
      // GIVEN a kit role with the boundary of a target allowing [home, second] and bedrock:InvokeModel on *
      // WHEN it invokes the inference profile, which routes the request to the second region
      // THEN both authorizations are allowed, by the boundary and by the SCP
      expect(await simulate(invoke(profile, home), policies())).toEqual(ALLOWED);
      expect(await simulate(invoke(foundationModel(second), second), policies())).toEqual(ALLOWED);
      expect(await simulate(invoke(profile, home), { identity: [allow('*')], scps: [w().scp] })).toEqual(ALLOWED);
    });

    const outside = target.withinPartition.outsideRegion;
    if (outside) {
      it(`denies a destination outside the allowed regions (${outside})`, async () => {
        // GIVEN the same role and boundary
        // WHEN the profile routes the request to a region of the partition that is not allowed
        const verdict = await simulate(invoke(foundationModel(outside), outside), policies());
        // THEN the boundary's region deny refuses the destination
        expect(verdict).toEqual(explicitlyDeniedBy('pb:DenyOutsideAllowedRegions'));
      });
    }
  });

  describe('KMS data key policy: use only through the platform services, in the allowed regions, by this account (SC-12, SC-28)', () => {
    const keyArn = arnOf({ partition, service: 'kms', region: target.region, account, resource: `key/${KEY_ID}` });
    const viaService = (service: string, region: string) => `${service}.${region}.${partitionOf(region)!.dnsSuffix}`;
    const decrypt = (principal: string, via?: string): AccessRequest => ({
      principal,
      action: 'kms:Decrypt',
      resource: keyArn,
      context: { ...inRegion(target.region), ...(via ? { 'kms:ViaService': via } : {}) },
    });
    /** A kit role allowed to decrypt with the key: its identity policy, the boundary, the key policy. */
    const keyUser = () => ({ identity: [allow('kms:Decrypt', keyArn)], boundary: p().boundary, resourcePolicy: p().dataKeyPolicy });

    it('lets a role of the account decrypt through DynamoDB in the allowed region', async () => {
      // GIVEN a kit role allowed kms:Decrypt on the data key, under the synthesized key policy
      // WHEN DynamoDB in the target region decrypts on its behalf
      const verdict = await simulate(decrypt(kitRole, viaService('dynamodb', target.region)), keyUser());
      // THEN the call is allowed
      expect(verdict).toEqual(ALLOWED);
    });

    it('denies decryption through a service endpoint of a region that is not allowed', async () => {
      // GIVEN the same role and key policy
      // WHEN the call comes through DynamoDB in another region
      const verdict = await simulate(decrypt(kitRole, viaService('dynamodb', target.outsideRegion)), keyUser());
      // THEN the key policy grants nothing
      expect(verdict).toEqual(implicitlyDeniedBy('resource:implicit'));
    });

    it('denies a direct call to KMS (no kms:ViaService)', async () => {
      // GIVEN the same role and key policy
      // WHEN the role calls KMS Decrypt itself
      const verdict = await simulate(decrypt(kitRole), keyUser());
      // THEN the key policy grants nothing
      expect(verdict).toEqual(implicitlyDeniedBy('resource:implicit'));
    });

    it('denies a caller from another account, even through an allowed service', async () => {
      // GIVEN a role of another account whose identity policy allows kms:Decrypt on the key
      const foreignRole = arnOf({ partition, service: 'iam', account: FOREIGN_ACCOUNT, resource: 'role/intruder' });
      // WHEN it decrypts through DynamoDB in the target region
      const verdict = await simulate(decrypt(foreignRole, viaService('dynamodb', target.region)), {
        identity: [allow('kms:Decrypt', keyArn)],
        resourcePolicy: p().dataKeyPolicy,
      });
      // THEN the key policy, which trusts only this account, grants nothing
      expect(verdict).toEqual(implicitlyDeniedBy('resource:implicit'));
    });

    describe('separation of duties (AC-5): administration without use', () => {
      const keyAdmin = arnOf({ partition, service: 'iam', account, resource: 'role/key-admin' });
      const adminPolicies = () => ({ identity: [allow('kms:*', keyArn)], resourcePolicy: p().dataKeyPolicy });
      const onKey = (action: string): AccessRequest => ({
        principal: keyAdmin,
        action,
        resource: keyArn,
        context: inRegion(target.region),
      });

      it('lets a key administrator schedule the key for deletion', async () => {
        // GIVEN an administrator role of the account with kms:* on the key, under the synthesized key policy
        // WHEN it schedules the key for deletion
        // THEN the call is allowed
        expect(await simulate(onKey('kms:ScheduleKeyDeletion'), adminPolicies())).toEqual(ALLOWED);
      });

      it('denies the key administrator decryption', async () => {
        // GIVEN the same administrator
        // WHEN it calls KMS Decrypt directly
        // THEN the key policy grants nothing
        expect(await simulate(onKey('kms:Decrypt'), adminPolicies())).toEqual(implicitlyDeniedBy('resource:implicit'));
      });

      it('denies the key administrator a grant outside the platform services', async () => {
        // GIVEN the same administrator
        // WHEN it creates a grant directly (a grant could give its holder kms:Decrypt with no kms:ViaService)
        // THEN the key policy grants nothing: CreateGrant is a use action, allowed only through the platform services
        expect(await simulate(onKey('kms:CreateGrant'), adminPolicies())).toEqual(implicitlyDeniedBy('resource:implicit'));
      });
    });
  });

  describe('the SCP written next to the templates', () => {
    /** An account administrator: AdministratorAccess, no boundary (an SCP binds every principal of the account). */
    const admin = arnOf({ partition, service: 'iam', account, resource: 'role/Admin' });
    const policies = () => ({ identity: [allow('*')], scps: [p().scp] });

    it('denies a regional call outside the allowed regions', async () => {
      // GIVEN an administrator under the SCP
      const putObject = (region: string): AccessRequest => ({
        principal: admin,
        action: 's3:PutObject',
        resource: arnOf({ partition, service: 's3', resource: 'statehouse-data-payloads/turn.json' }),
        resourceAccount: account,
        context: inRegion(region),
      });
      // WHEN it writes an object in the target region, then in another region
      // THEN the first is allowed and the second is refused by the SCP's region deny
      expect(await simulate(putObject(target.region), policies())).toEqual(ALLOWED);
      expect(await simulate(putObject(target.outsideRegion), policies())).toEqual(explicitlyDeniedBy('scp:DenyOutsideAllowedRegions'));
    });

    it('leaves global services alone', async () => {
      // GIVEN an administrator under the SCP
      // WHEN it creates an IAM role through an endpoint whose region is not in the allowed list
      // (as for a target whose regions do not include the one that serves IAM)
      const verdict = await simulate(
        {
          principal: admin,
          action: 'iam:CreateRole',
          resource: arnOf({ partition, service: 'iam', account, resource: 'role/new' }),
          context: inRegion(target.outsideRegion),
        },
        policies(),
      );
      // THEN the region deny does not apply to IAM
      expect(verdict).toEqual(ALLOWED);
    });

    describe('the platform trail (AU-9)', () => {
      const stopLogging = (principal: string, trailName = p().trailName): AccessRequest => ({
        principal,
        action: 'cloudtrail:StopLogging',
        resource: arnOf({ partition, service: 'cloudtrail', region: target.region, account, resource: `trail/${trailName}` }),
        context: inRegion(target.region),
      });

      it('denies an administrator stopping it', async () => {
        // GIVEN an administrator under the SCP
        // WHEN it stops logging on the platform trail
        // THEN the SCP's trail protection refuses it
        expect(await simulate(stopLogging(admin), policies())).toEqual(explicitlyDeniedBy('scp:ProtectAuditTrail'));
      });

      it('lets the organization access role stop it, and leaves other trails alone', async () => {
        // GIVEN the organization's break-glass role, and an administrator, under the SCP
        const orgRole = arnOf({ partition, service: 'iam', account, resource: 'role/OrganizationAccountAccessRole' });
        // WHEN the break-glass role stops the platform trail, and the administrator another trail
        // THEN both are allowed: the protection is for the platform trail, against everyone else
        expect(await simulate(stopLogging(orgRole), policies())).toEqual(ALLOWED);
        expect(await simulate(stopLogging(admin, 'team-sandbox-trail'), policies())).toEqual(ALLOWED);
      });
    });
  });
});
