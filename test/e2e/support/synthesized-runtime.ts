import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { attachCallCounter, type DynamoDbCallCounter } from '../../../lambda/core/adapters/dynamodb-call-counter';
import { DynamoDbSessionRepository } from '../../../lambda/core/adapters/dynamodb-session-repository';
import { S3PayloadStore } from '../../../lambda/core/adapters/s3-payload-store';
import { headerKey } from '../../../lambda/core/adapters/session-items';
import { StepFunctionsDecisionSender } from '../../../lambda/core/adapters/step-functions/decision-sender';
import { StepFunctionsSlowToolStarter } from '../../../lambda/core/adapters/step-functions/slow-tool-starter';
import { StepFunctionsToolRunner } from '../../../lambda/core/adapters/step-functions/sync-tool-runner';
import { systemClock } from '../../../lambda/core/adapters/system-clock';
import { ToolPolicy } from '../../../lambda/core/domain/tool-policy';
import { ENV } from '../../../lib/contract/env-names';
import { parseTenantMap } from '../../../lambda/core/http/caller';
import type { ModelBackend } from '../../../lambda/core/ports/model-backend';
import { readRuntimeEnv } from '../../../lambda/core/wiring/runtime-env';
import { readToolEnv } from '../../../lambda/core/wiring/tool-wiring';
import { createHandler } from '../../../lambda/orchestrator/handler';
import type { OrchestratorDeps } from '../../../lambda/orchestrator/orchestrator-deps';
import { createResumeHandler, isResumeTurnEvent } from '../../../lambda/orchestrator/resume-handler';
import { REFERENCE_TABLE_SCHEMA } from '../../../lib/contract/reference-table';
import { partitionOf } from '../../../lib/residency/region-facts';
import { snsPublishTask, startLocalStepFunctions, type LocalStepFunctions, type TaskHandler } from '../../helpers/local-stepfunctions';
import { createBucket, createSessionTable, motoClientConfig, motoS3Client, oneRequestAtATime, startMoto, type MotoServer } from '../../helpers/moto';
import { stacksOf, synthStatehouse } from '../../helpers/synth';
import type { StatehouseStage } from '../../../lib/stacks/statehouse-stage';
import { asSdkTask } from '../../lib/tool-workflow/local-interpreter';
import { createReferenceTable } from '../../lib/tool-workflow/reference-table';
import { functionEnvironment, machineNamed, synthesizedMachines, templateResolver } from '../../lib/tool-workflow/synthesized-workflows';
import { soleAgent } from '../../lambda/core/support/agents';
import { TENANT_MAP_JSON } from '../../lambda/orchestrator/support/api-events';
import { parseResponse, quietTelemetry, type ApiResponse } from '../../lambda/orchestrator/support/orchestrator-harness';
import { scanAll } from '../../../lib/emulator/stream-records';

/**
 * One deployment target's Runtime stack, run end to end without AWS:
 *
 * - both tool workflows exactly as synthesized (the Runtime template's
 *   DefinitionStrings, resolved to the ARNs CloudFormation would give them),
 *   executed by the local Step Functions endpoint;
 * - every Task of them served by the REAL function code: the approval-wait,
 *   release-records and compute-deadline modules (`index.ts`, loaded with
 *   their synthesized environments, pointed at moto), lookup_case's GetItem
 *   on moto, and the orchestrator's resume path;
 * - the orchestrator built from its synthesized environment (table, bucket,
 *   limits, enabled tools, policy, workflow ARNs) with the real handlers
 *   (`createHandler`, `createResumeHandler`), moto for storage and the SDK's
 *   SFNClient against the local endpoint. Only the model is a double.
 *
 * Differences from a deployment, each because of the emulators: moto has no
 * `-fips` hosts, so STATEHOUSE_FIPS_SERVICES is emptied; moto has no KMS key
 * behind STATEHOUSE_PAYLOAD_KEY, so payload objects use the bucket's default
 * encryption (no event here is large enough to leave DynamoDB); the target's
 * tenant map is the deployer's to fill, so the API events' map is used.
 */

/** The functions of the Runtime stack whose code serves a workflow Task, by POWERTOOLS_SERVICE_NAME. */
const SERVICES = {
  orchestrator: 'orchestrator',
  approvalWait: 'approval-wait',
  releaseRecords: 'tool-release-records',
  computeDeadline: 'tool-compute-deadline',
} as const;

export type FunctionRole = keyof typeof SERVICES;

/** One invocation of a function by a workflow Task. */
export interface Invocation {
  readonly input: unknown;
  readonly ms: number;
}

export interface OrchestratorFunction {
  readonly deps: OrchestratorDeps;
  /** An API Gateway event through the API handler, its response parsed. */
  send(event: APIGatewayProxyEvent): Promise<ApiResponse>;
}

export interface SynthesizedRuntime {
  readonly region: string;
  readonly sfn: LocalStepFunctions;
  /** The orchestrator's Step Functions client (the SDK's own, aimed at the local endpoint). */
  readonly sfnClient: SFNClient;
  readonly fastStateMachineArn: string;
  readonly slowStateMachineArn: string;
  /** The Express definition as registered (resolved), for replays that need its event log. */
  readonly fastDefinition: Record<string, unknown>;
  readonly sessionTable: string;
  readonly referenceTable: string;
  /** The orchestrator's DynamoDB client (the turn path's), on moto. */
  readonly sessionsClient: DynamoDBClient;
  /** DynamoDB round trips of that client, by operation. */
  readonly calls: DynamoDbCallCounter;
  /** What each function's code received from the workflows, and how long it took, oldest first. */
  readonly invocations: Readonly<Record<FunctionRole, readonly Invocation[]>>;
  /** The synthesized stage the runtime runs (its templates and the bundle's contents). */
  readonly stage: StatehouseStage;
  /** The real compute-deadline handler, as its Task runs it. */
  readonly computeDeadline: TaskHandler;
  /** The orchestrator with this model; the Standard workflow's resume Task invokes the latest one wired. */
  orchestrator(model: ModelBackend): OrchestratorFunction;
  /** A session's header item as stored, or undefined. */
  header(tenant: string, session: string): Promise<Record<string, any> | undefined>;
  /** An item of the reference table, or undefined. */
  referenceItem(key: string): Promise<Record<string, any> | undefined>;
  /** The `Notify approvers` task's local handler (SNS Publish on moto), for another machine registered on `sfn`. */
  readonly publishApprovalNotice: TaskHandler;
  /** The approval notices the workflows published, as a queue subscribed to the topic received them (raw delivery). */
  approvalNotices(): Promise<{ readonly message: string; readonly attributes: Record<string, string> }[]>;
  /** Every item of both tables, as one string, to show that a request wrote nothing. */
  snapshot(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * moto keeps DynamoDB per region, and this target's functions run in their
 * stack's region, so every client here names it. One request in flight per
 * client, for moto's transactions (see motoDynamoDbClient, which is fixed to us-east-1).
 */
function regionalMotoDynamoDb(moto: MotoServer, region: string): DynamoDBClient {
  return new DynamoDBClient({ ...motoClientConfig(moto), region, requestHandler: oneRequestAtATime() });
}

/** Loads a function's real `index.ts` the way Lambda would: its environment first, then the module. */
async function loadFunction(modulePath: string, environment: Record<string, string>, emulators: Record<string, string>): Promise<TaskHandler> {
  Object.assign(process.env, environment, emulators);
  const { handler } = (await import(modulePath)) as { handler: TaskHandler };
  return handler;
}

export async function startSynthesizedRuntime(target = 'GovWest'): Promise<SynthesizedRuntime> {
  const [stage] = synthStatehouse({ targets: target }).stages;
  const stacks = stacksOf(stage);
  const runtime = stage.runtime;
  const region = runtime.region;
  const machines = synthesizedMachines(runtime, stacks);
  const fast = machineNamed(machines, '-tools-fast');
  const slow = machineNamed(machines, '-tools-slow');
  const { template, resolve } = templateResolver(runtime, stacks);
  const environmentOf = (role: FunctionRole) => functionEnvironment(runtime, stacks, SERVICES[role]);
  const arnOf = (role: FunctionRole): string => {
    const found = Object.entries(template.Resources).filter(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === SERVICES[role],
    );
    if (found.length !== 1) throw new Error(`expected one function of service ${SERVICES[role]} in ${runtime.stackName}, found ${found.length}`);
    return resolve({ 'Fn::GetAtt': [found[0][0], 'Arn'] }) as string;
  };

  const orchestratorEnv = { ...environmentOf('orchestrator'), AWS_REGION: region, [ENV.TENANT_MAP]: TENANT_MAP_JSON };
  const settings = readRuntimeEnv(orchestratorEnv);
  // The tools' declarations ship in the turn functions' bundle (ENV.TOOLS), not in their environment: read as the bundle has them.
  const toolEnv = readToolEnv({ ...orchestratorEnv, [ENV.TOOLS]: JSON.stringify(runtime.agent.toolDeclarations) });
  const referenceTable = environmentOf('releaseRecords')[ENV.REFERENCE_TABLE];

  const moto = await startMoto();
  const sfn = await startLocalStepFunctions();
  const savedEnv = { ...process.env };
  const sessionsClient = regionalMotoDynamoDb(moto, region);
  const inspector = regionalMotoDynamoDb(moto, region);
  const s3 = motoS3Client(moto);
  const sns = new SNSClient({ ...motoClientConfig(moto), region });
  const sqs = new SQSClient({ ...motoClientConfig(moto), region });
  const sfnClient = new SFNClient({ ...sfn.clientConfig(), region });
  async function stop(): Promise<void> {
    sfnClient.destroy();
    await sfn.stop();
    sessionsClient.destroy();
    inspector.destroy();
    s3.destroy();
    sns.destroy();
    sqs.destroy();
    await moto.stop();
    // In place: the process keeps its own env object.
    for (const name of Object.keys(process.env)) if (!Object.hasOwn(savedEnv, name)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  }
  try {
    await createSessionTable(inspector, settings.tableName);
    await createReferenceTable(inspector, referenceTable);
    await createBucket(s3, settings.bucket);
    // The approval notices topic as the template names it, with a queue subscribed: moto delivers what is published.
    const noticesTopic = resolve({ Ref: Object.entries(template.Resources).find(([, resource]) => resource.Type === 'AWS::SNS::Topic')![0] }) as string;
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: noticesTopic.split(':').pop() }));
    if (TopicArn !== noticesTopic) throw new Error(`moto made the notices topic ${TopicArn}; the template names ${noticesTopic}`);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'approval-notices' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));

    // What Lambda would add to each function's environment (region, credentials), aimed at moto; moto has no -fips hosts.
    const emulators = {
      AWS_REGION: region,
      AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      [ENV.FIPS_SERVICES]: '',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_ENABLED: 'false',
    };
    const code = {
      approvalWait: await loadFunction('../../../lambda/tools/approval-wait/index', environmentOf('approvalWait'), emulators),
      releaseRecords: await loadFunction('../../../lambda/tools/release-records/index', environmentOf('releaseRecords'), emulators),
      computeDeadline: await loadFunction('../../../lambda/tools/compute-deadline/index', environmentOf('computeDeadline'), emulators),
    };

    const invocations: Record<FunctionRole, Invocation[]> = { orchestrator: [], approvalWait: [], releaseRecords: [], computeDeadline: [] };
    const recorded = (role: FunctionRole, handler: TaskHandler): TaskHandler => async (input) => {
      const start = process.hrtime.bigint();
      try {
        return await handler(input);
      } finally {
        invocations[role].push({ input, ms: Number(process.hrtime.bigint() - start) / 1e6 });
      }
    };

    const calls = attachCallCounter(sessionsClient);
    const sessions = new DynamoDbSessionRepository({
      client: sessionsClient,
      tableName: settings.tableName,
      payloads: new S3PayloadStore({ client: s3, bucket: settings.bucket }),
      payloadThresholdBytes: settings.limits.inlineThresholdBytes,
    });
    const tenants = parseTenantMap(orchestratorEnv[ENV.TENANT_MAP]);
    let current: ((event: unknown) => Promise<unknown>) | undefined;

    const partition = partitionOf(region)!.id;
    const publishApprovalNotice = snsPublishTask(sns);
    const handlers: Record<string, TaskHandler> = {
      [arnOf('approvalWait')]: recorded('approvalWait', code.approvalWait),
      [arnOf('releaseRecords')]: recorded('releaseRecords', code.releaseRecords),
      [arnOf('computeDeadline')]: recorded('computeDeadline', code.computeDeadline),
      [arnOf('orchestrator')]: recorded('orchestrator', (event) => {
        if (!current) throw new Error('no orchestrator is wired');
        return current(event);
      }),
      // lookup_case: the dynamodb:getItem SDK integration, on moto.
      [`arn:${partition}:states:::aws-sdk:dynamodb:getItem`]: asSdkTask('DynamoDb', (parameters) => inspector.send(new GetItemCommand(parameters)) as never),
      // Notify approvers: the SNS integration, on moto's SNS.
      [`arn:${partition}:states:::sns:publish`]: publishApprovalNotice,
    };
    const fastStateMachineArn = toolEnv.fastStateMachineArn!;
    const slowStateMachineArn = toolEnv.slowStateMachineArn!;
    if (!fastStateMachineArn.endsWith(`:${fast.name}`) || !slowStateMachineArn.endsWith(`:${slow.name}`)) {
      throw new Error(`the orchestrator's workflow ARNs (${fastStateMachineArn}, ${slowStateMachineArn}) do not name ${fast.name} and ${slow.name}`);
    }
    sfn.register(fastStateMachineArn, fast.definition as never, handlers, { type: 'EXPRESS' });
    sfn.register(slowStateMachineArn, slow.definition as never, handlers, { type: 'STANDARD' });

    const scanTable = async (tableName: string): Promise<Record<string, AttributeValue>[]> => {
      const items = await scanAll(inspector, tableName);
      return items.map((item) => unmarshall(item)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) as never;
    };
    const getItem = async (tableName: string, key: Record<string, string>) => {
      const { Item } = await inspector.send(
        new GetItemCommand({ TableName: tableName, Key: Object.fromEntries(Object.entries(key).map(([name, value]) => [name, { S: value }])), ConsistentRead: true }),
      );
      return Item && unmarshall(Item);
    };

    return {
      region,
      sfn,
      sfnClient,
      fastStateMachineArn,
      slowStateMachineArn,
      fastDefinition: fast.definition as unknown as Record<string, unknown>,
      sessionTable: settings.tableName,
      referenceTable,
      sessionsClient,
      calls,
      invocations,
      stage,
      computeDeadline: code.computeDeadline,
      publishApprovalNotice,
      orchestrator(model) {
        const deps: OrchestratorDeps = {
          sessions,
          ...soleAgent(model, toolEnv.enabled.map((tool) => tool.name)),
          clock: systemClock,
          tenants,
          limits: settings.limits,
          ...quietTelemetry(),
          tools: {
            policy: ToolPolicy.of(toolEnv.enabled, toolEnv.policy),
            runner: new StepFunctionsToolRunner({ client: sfnClient, stateMachineArn: fastStateMachineArn }),
            slowTools: new StepFunctionsSlowToolStarter({ client: sfnClient, stateMachineArn: slowStateMachineArn }),
            decisions: new StepFunctionsDecisionSender({ client: sfnClient }),
          },
        };
        // One function, two callers told apart by shape, as lambda/orchestrator/index.ts does.
        const api = createHandler(deps);
        const resume = createResumeHandler(deps);
        current = (event) => (isResumeTurnEvent(event) ? resume(event) : api(event as APIGatewayProxyEvent));
        return { deps, send: async (event) => parseResponse(await api(event)) };
      },
      header: (tenant, session) => getItem(settings.tableName, headerKey(tenant, session) as Record<string, string>),
      referenceItem: (key) => getItem(referenceTable, { [REFERENCE_TABLE_SCHEMA.partitionKey.name]: key }),
      async approvalNotices() {
        const received: { message: string; attributes: Record<string, string> }[] = [];
        for (;;) {
          const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
          if (Messages.length === 0) return received;
          for (const message of Messages) {
            received.push({
              message: message.Body ?? '',
              attributes: Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? ''])),
            });
          }
        }
      },
      async snapshot() {
        return JSON.stringify({ sessions: await scanTable(settings.tableName), reference: await scanTable(referenceTable) });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
