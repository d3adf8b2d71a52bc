import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Stage, type CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { readValidationReport, VALIDATION_REPORT_FILE, type ValidationSummary } from '../../../lib/compliance/validation-report';
import { CFN_VALIDATION_BY_DEFAULT, cdkJsonContext } from '../../helpers/synth';

/**
 * Test stacks for the construct assertion tests: one construct at a time, in
 * a Stage with a concrete region (the capability gate needs one) and
 * account, cdk.json's feature flags, and no esbuild bundling. aws-cdk-lib's
 * built-in CloudFormation validation runs only where a test asks for it (the
 * compliance fixtures, which read the validation report): see
 * CFN_VALIDATION_BY_DEFAULT in test/helpers/synth.ts.
 */

export const TEST_ACCOUNT = '123456789012';

/** Regions where the constructs behave differently. */
export const COMMERCIAL = 'us-east-1';
export const GOV_WEST = 'us-gov-west-1';
export const GOV_EAST = 'us-gov-east-1';

/** Named zones instead of a context lookup, as FoundationStack does, so synth is deterministic. */
class TargetStack extends Stack {
  public get availabilityZones(): string[] {
    return ['a', 'b'].map((letter) => `${this.region}${letter}`);
  }
}

export interface TargetStackFixture {
  readonly app: App;
  readonly stage: Stage;
  readonly stack: Stack;
}

export interface TargetStackOptions {
  /** Run aws-cdk-lib's built-in CloudFormation validation on synth, as bin/ does. Default: CFN_VALIDATION_BY_DEFAULT (off). */
  readonly cfnValidation?: boolean;
}

/** A fresh app with one stack `Target/Test` in `region`. */
export function targetStack(region: string, stageName = 'Target', options: TargetStackOptions = {}): TargetStackFixture {
  const app = new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.cfnValidation ?? CFN_VALIDATION_BY_DEFAULT,
  });
  const stage = new Stage(app, stageName, { env: { account: TEST_ACCOUNT, region } });
  const stack = new TargetStack(stage, 'Test');
  return { app, stage, stack };
}

/** The message synth fails with; fails the test when synth passes. */
export function synthFailure(app: App): string {
  try {
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected synth to fail, but it passed');
}

/** Synthesize `app` and read its validation report (cdk-nag, the residency guard), whether or not synth failed on findings. */
export function synthReport(app: App): ValidationSummary {
  try {
    app.synth();
  } catch (e) {
    // Findings fail synth after the report is written; anything else is a real failure.
    if (!fs.existsSync(path.join(app.outdir, VALIDATION_REPORT_FILE))) throw e;
  }
  return readValidationReport(app.outdir);
}

/** What the runtime constructs take from the Foundation stack, as plain L2 resources. */
export interface TestFoundation {
  readonly vpc: ec2.Vpc;
  readonly subnets: ec2.SubnetSelection;
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  readonly dataKey: kms.Key;
  readonly logsKey: kms.Key;
  readonly accessLogs: s3.Bucket;
  readonly logRetention: logs.RetentionDays;
}

export function testFoundation(stack: Stack): TestFoundation {
  const subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    maxAzs: 2,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    restrictDefaultSecurityGroup: false,
  });
  return {
    vpc,
    subnets,
    s3Endpoint: vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] }),
    dataKey: new kms.Key(stack, 'DataKey'),
    logsKey: new kms.Key(stack, 'LogsKey'),
    accessLogs: new s3.Bucket(stack, 'AccessLogs'),
    logRetention: logs.RetentionDays.ONE_YEAR,
  };
}

/** The CloudFormation logical id of an L2 construct's primary resource. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnElement).logicalId);
}

/** IAM policy statements as they appear in a template. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the AWS::IAM::Policy resources attached to the role with `roleLogicalId`. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Whether an IAM action pattern (`kms:Create*`) matches a concrete action (`kms:CreateGrant`), as IAM does. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}
