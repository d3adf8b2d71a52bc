import * as fs from 'node:fs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../contract/env-names';
import { acknowledge } from '../../compliance/acknowledge';
import { requireCapability } from '../../residency/capability-gate';
import { servicePrincipalName } from '../../residency/region-facts';
import {
  FUNCTION_ARCHITECTURE,
  FUNCTION_BUNDLING,
  FUNCTION_LOG_FORMAT,
  FUNCTION_MEMORY_MB,
  FUNCTION_RESERVED_CONCURRENCY,
  FUNCTION_RUNTIME,
  FUNCTION_TIMEOUT,
  FUNCTION_TRACING,
  FUNCTION_VPC_ENI_ACTIONS,
} from './platform-function-defaults';

export interface PlatformFunctionProps {
  /** The handler's entry file (`lambda/<function>/index.ts`). */
  readonly entry: string;
  readonly description: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly logsKey: kms.IKey;
  /** Encrypts the dead-letter queue and the function's environment. */
  readonly dataKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly environment?: Record<string, string>;
  /** Powertools service name (also the metrics dimension). */
  readonly serviceName: string;
  /** @default FUNCTION_MEMORY_MB */
  readonly memorySize?: number;
  /** @default FUNCTION_TIMEOUT */
  readonly timeout?: Duration;
  /** @default FUNCTION_RESERVED_CONCURRENCY */
  readonly reservedConcurrentExecutions?: number;
  /** @default FUNCTION_LOG_FORMAT (TEXT); JSON is checked by the capability gate. */
  readonly loggingFormat?: lambda.LoggingFormat;
  /** @default FUNCTION_ARCHITECTURE; arm64 is checked by the capability gate. */
  readonly architecture?: lambda.Architecture;
  /**
   * Text written into the bundle: esbuild replaces each `process.env.<name>`
   * in the handler's code with its value at bundle time. For definitions too
   * large for Lambda's 4 KB of environment; never for secrets (the code
   * package is not encrypted under the agency's key in GovCloud).
   * @default none
   */
  readonly bundledDefinitions?: Readonly<Record<string, string>>;
  /**
   * Files copied next to the bundled handler: what a dependency reads from
   * its own directory at run time and esbuild cannot inline (a WebAssembly
   * module, for one). @default none
   */
  readonly bundledFiles?: readonly string[];
}

/**
 * The handler file to bundle: `entry` as given, or, where only its compiled
 * JavaScript exists (the kit used as an installed package, whose `dist/`
 * holds each handler's compiled `index.js`), that file. esbuild bundles either.
 */
export function resolveEntry(entry: string): string {
  if (fs.existsSync(entry) || !entry.endsWith('.ts')) return entry;
  const compiled = entry.replace(/\.ts$/, '.js');
  return fs.existsSync(compiled) ? compiled : entry;
}

/** CloudWatch metrics namespace of every Statehouse function. */
export const METRICS_NAMESPACE = 'Statehouse';

/**
 * A Lambda function with the platform's controls: in the isolated subnets
 * (SC-7), X-Ray on, its own encrypted log group with retention (AU-9, AU-11),
 * reserved concurrency (SC-5), an encrypted dead-letter queue, an environment
 * encrypted under the data key, and a role that carries the permissions
 * boundary (applied by the stage).
 */
export class PlatformFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.IRole;
  public readonly logGroup: logs.ILogGroup;
  public readonly deadLetterQueue: sqs.IQueue;
  /** Powertools service name: the `service` dimension of the metrics the function publishes. */
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    const loggingFormat = props.loggingFormat ?? FUNCTION_LOG_FORMAT;
    if (loggingFormat === lambda.LoggingFormat.JSON) requireCapability(this, 'lambda:json-log-format', `${this.node.path} (loggingFormat JSON)`);
    const architecture = props.architecture ?? FUNCTION_ARCHITECTURE;
    if (architecture === lambda.Architecture.ARM_64) requireCapability(this, 'lambda:arm64', `${this.node.path} (arm64)`);
    requireCapability(this, `lambda:runtime:${FUNCTION_RUNTIME.name}`, this.node.path);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.dataKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal(servicePrincipalName('lambda')),
      description: `Execution role of ${props.description}`,
    });
    this.role = role;
    // A VPC function's ENIs: Lambda creates and removes them with the execution role (AWS docs:
    // AWSLambdaVPCAccessExecutionRole), written here so the role has no AWS-managed policy.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: FUNCTION_VPC_ENI_ACTIONS,
        resources: ['*'],
      }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Resource', {
      entry: resolveEntry(props.entry),
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture,
      memorySize: props.memorySize ?? FUNCTION_MEMORY_MB,
      timeout: props.timeout ?? FUNCTION_TIMEOUT,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? FUNCTION_RESERVED_CONCURRENCY,
      tracing: FUNCTION_TRACING,
      loggingFormat,
      logGroup: this.logGroup,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      role,
      environmentEncryption: props.dataKey,
      deadLetterQueue: this.deadLetterQueue,
      bundling: {
        ...FUNCTION_BUNDLING,
        define: Object.fromEntries(Object.entries(props.bundledDefinitions ?? {}).map(([name, value]) => [`process.env.${name}`, JSON.stringify(value)])),
        ...(props.bundledFiles?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_inputDir: string, outputDir: string) => props.bundledFiles!.map((file) => `cp "${file}" "${outputDir}/"`),
              },
            }
          : {}),
      },
      environment: {
        [ENV.POWERTOOLS_SERVICE_NAME]: props.serviceName,
        [ENV.POWERTOOLS_METRICS_NAMESPACE]: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
    this.logGroup.grantWrite(role);

    const reason = {
      eni: 'EC2 network-interface actions for a VPC function do not support resource-level permissions (AWS docs: Lambda VPC execution role).',
      xray: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
      inline:
        'AWS::IAM::Policy attached to this one role, written by CDK grants with exact actions and resources; the role carries the permissions boundary.',
    };
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', `${reason.eni} ${reason.xray}`);
    acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy', reason.inline);
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue of the function; a DLQ of a DLQ would only move the problem.');
  }

  public get grantPrincipal(): iam.IPrincipal {
    return this.role;
  }
}
