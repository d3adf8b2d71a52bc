import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../../contract/env-names';
import { acknowledge } from '../../compliance/acknowledge';
import { PlatformFunction } from '../platform-function/platform-function';
import type { SessionStore } from '../session-store/session-store';

/** Where the functions' handlers live. */
const LAMBDA_DIR = path.join(__dirname, '..', '..', '..', 'lambda');

/** How the orchestrator reaches its model: the JSON its adapter parses, and the IAM it needs. */
export interface ModelWiring {
  /** Serialized into ENV.MODEL_BACKEND; parsed by lambda/core/adapters/model/backend-config.ts. */
  readonly config: Record<string, unknown>;
  /** Grants exactly the model calls this configuration makes. */
  grant(grantee: iam.IGrantable): void;
}

/** Session limits, with defaults in session-settings.ts. */
export interface SessionSettings {
  readonly contextEvents: number;
  readonly contextTokens: number;
  readonly tokenBudget: number;
  readonly ttlDays: number;
  readonly inlineThresholdBytes: number;
}

export interface AgentOrchestratorProps {
  readonly sessions: SessionStore;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly logsKey: kms.IKey;
  readonly dataKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** The orchestrator's model (and the tool workflow's, through sessionEnvironment). */
  readonly model: ModelWiring;
  /**
   * The summarizer's model, e.g. a Neuron endpoint for the summaries while the
   * orchestrator runs on Bedrock. Each function is granted only its own model.
   * @default model
   */
  readonly summarizerModel?: ModelWiring;
  /** IAM role ARN → tenant id. A caller whose role is not listed is refused (403). */
  readonly tenants: Record<string, string>;
  readonly settings: SessionSettings;
  /** Services whose SDK clients must use a separate -fips host (from the region facts). */
  readonly fipsServices: readonly string[];
}

/**
 * The agent loop: the orchestrator function (one Query and one
 * TransactWriteItems per turn) and the summarizer that folds old events into
 * the session summary from the table's stream, off the turn path.
 */
export class AgentOrchestrator extends Construct {
  public readonly orchestrator: PlatformFunction;
  public readonly summarizer: PlatformFunction;
  /**
   * The session settings every session function reads (table, bucket, limits,
   * model, FIPS services), so a function outside this construct that works on
   * sessions (the tool workflow's approval wait) starts from the same values.
   */
  public readonly sessionEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AgentOrchestratorProps) {
    super(scope, id);
    const { sessions, settings } = props;
    const common = {
      vpc: props.vpc,
      subnets: props.subnets,
      logsKey: props.logsKey,
      dataKey: props.dataKey,
      logRetention: props.logRetention,
    };
    const environment = {
      [ENV.SESSION_TABLE]: sessions.table.tableName,
      [ENV.PAYLOAD_BUCKET]: sessions.payloadBucket.bucketName,
      [ENV.PAYLOAD_KEY]: sessions.dataKey.keyArn,
      [ENV.INLINE_THRESHOLD_BYTES]: String(settings.inlineThresholdBytes),
      [ENV.CONTEXT_EVENTS]: String(settings.contextEvents),
      [ENV.CONTEXT_TOKENS]: String(settings.contextTokens),
      [ENV.SESSION_TOKEN_BUDGET]: String(settings.tokenBudget),
      [ENV.SESSION_TTL_DAYS]: String(settings.ttlDays),
      [ENV.MODEL_BACKEND]: JSON.stringify(props.model.config),
      [ENV.FIPS_SERVICES]: props.fipsServices.join(','),
    };
    this.sessionEnvironment = environment;

    this.orchestrator = new PlatformFunction(this, 'Orchestrator', {
      ...common,
      entry: path.join(LAMBDA_DIR, 'orchestrator', 'index.ts'),
      description: 'Statehouse orchestrator: runs one agent turn per request',
      serviceName: 'orchestrator',
      // API Gateway waits at most 29 s; the model call gets the rest after two DynamoDB round trips.
      timeout: Duration.seconds(29),
      environment: { ...environment, [ENV.TENANT_MAP]: JSON.stringify(props.tenants) },
    });
    sessions.grantReadWriteSessions(this.orchestrator.grantPrincipal);
    props.model.grant(this.orchestrator.grantPrincipal);

    const summarizerModel = props.summarizerModel ?? props.model;
    this.summarizer = new PlatformFunction(this, 'Summarizer', {
      ...common,
      entry: path.join(LAMBDA_DIR, 'summarizer', 'index.ts'),
      description: 'Statehouse summarizer: folds old session events into the rolling summary',
      serviceName: 'summarizer',
      timeout: Duration.minutes(2),
      reservedConcurrentExecutions: 10,
      environment: { ...environment, [ENV.MODEL_BACKEND]: JSON.stringify(summarizerModel.config) },
    });
    sessions.grantReadWriteSessions(this.summarizer.grantPrincipal);
    summarizerModel.grant(this.summarizer.grantPrincipal);
    // The stream's on-failure destination: CDK grants the queue key's encrypt actions with wildcards.
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledge(this.summarizer.role, `AwsSolutions-IAM5[Action::${action}]`, 'CDK grant for sending failed stream batches to the encrypted dead-letter queue; limited to that queue\'s key.');
    }
    this.summarizer.function.addEventSource(
      new sources.DynamoEventSource(sessions.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        bisectBatchOnError: true,
        retryAttempts: 3,
        reportBatchItemFailures: true,
        onFailure: new sources.SqsDlq(this.summarizer.deadLetterQueue),
        // Only new events wake the summarizer; header updates (including its own) do not.
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { sk: { S: [{ prefix: 'E#' }] } } },
          }),
        ],
      }),
    );
  }

  /** Settings for the orchestrator only, e.g. the tool workflows it starts (ToolWorkflow.orchestratorEnvironment). */
  public addEnvironment(variables: Readonly<Record<string, string>>): void {
    for (const [name, value] of Object.entries(variables)) this.orchestrator.function.addEnvironment(name, value);
  }
}
