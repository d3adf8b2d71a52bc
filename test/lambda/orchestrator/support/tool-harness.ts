import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DynamoDbSessionRepository } from '../../../../lambda/core/adapters/dynamodb-session-repository';
import { DynamoDbTaskTokenStore } from '../../../../lambda/core/adapters/dynamodb-task-token-store';
import { StepFunctionsDecisionSender } from '../../../../lambda/core/adapters/step-functions/decision-sender';
import { StepFunctionsSlowToolStarter } from '../../../../lambda/core/adapters/step-functions/slow-tool-starter';
import { StepFunctionsToolRunner } from '../../../../lambda/core/adapters/step-functions/sync-tool-runner';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import type { AgentModels } from '../../../../lambda/core/domain/agents';
import { ToolPolicy } from '../../../../lambda/core/domain/tool-policy';
import { parseTenantMap } from '../../../../lambda/core/http/caller';
import type { ModelBackend } from '../../../../lambda/core/ports/model-backend';
import type { DecisionSender } from '../../../../lambda/core/ports/tool-workflows';
import { findTool } from '../../../../lib/tools/catalog';
import { modelToolDeclaration } from '../../../../lib/contract/tool-declaration';
import { REFERENCE_TABLE_SCHEMA } from '../../../../lib/contract/reference-table';
import type { OrchestratorTools } from '../../../../lambda/core/wiring/tool-wiring';
import { createHandler } from '../../../../lambda/orchestrator/handler';
import type { OrchestratorDeps } from '../../../../lambda/orchestrator/orchestrator-deps';
import { createResumeHandler } from '../../../../lambda/orchestrator/resume-handler';
import { createApprovalWaitHandler } from '../../../../lambda/tools/approval-wait/handler';
import { parseReleaseInput, recordRelease } from '../../../../lambda/tools/release-records/release';
import { parseToolTask } from '../../../../lambda/tools/tool-task';
import { startLocalStepFunctions, type LocalStepFunctions, type TaskHandler } from '../../../helpers/local-stepfunctions';
import { motoDynamoDbClient } from '../../../helpers/moto';
import { soleAgent } from '../../core/support/agents';
import { fastToolsDefinition, FUNCTIONS, slowToolsDefinition, stateMachineArn } from '../../core/support/tool-workflows';
import { TENANT_MAP_JSON } from './api-events';
import { parseResponse, quietTelemetry, startOrchestratorHarness, TEST_LIMITS, type ApiResponse, type OrchestratorHarness } from './orchestrator-harness';

export const FAST = stateMachineArn('statehouse-fast-tools');
/**
 * The same Express workflow with compute_deadline's own 5 s cut to 1 s, for the
 * tool-timeout case. FAST keeps the 5 s: the interpreter's timeouts are real
 * time, and a tool that answers must not time out on a busy machine.
 */
export const FAST_SHORT_TIMEOUT = stateMachineArn('statehouse-fast-tools-short-timeout');
export const SLOW = stateMachineArn('statehouse-slow-tools');
/** The same Standard workflow with the approval wait cut to 1 s, for the approval-timeout case. */
export const SLOW_SHORT_APPROVAL = stateMachineArn('statehouse-slow-tools-short-approval');
/** A Standard workflow nobody registered: StartExecution fails, as when the service is unreachable. */
export const SLOW_MISSING = stateMachineArn('statehouse-slow-tools-missing');

/**
 * The tool Lambdas. By default the real handlers: compute-deadline's, and
 * release-records' recording into a reference table on moto. A test that
 * needs a tool to fail or hang replaces one for its own run.
 */
export interface ToolFunctions {
  computeDeadline: TaskHandler;
  releaseRecords: TaskHandler;
}

export const REFERENCE_TABLE = 'statehouse-reference';

/** The catalog tools the harness's orchestrator enables: the ones its test workflows run (tool name → function). */
export const HARNESS_TOOLS = ['compute_deadline', 'release_records'] as const;

export interface ToolOptions {
  /** ENV.TOOL_POLICY. @default {} (every tenant may call every enabled tool) */
  readonly policy?: Record<string, string[]>;
  /** @default FAST */
  readonly fastStateMachineArn?: string;
  /** @default SLOW */
  readonly slowStateMachineArn?: string;
  /** @default SendTaskSuccess through the local endpoint */
  readonly decisions?: DecisionSender;
  /** @default one agent on the given model, with every harness tool */
  readonly agents?: AgentModels;
}

export interface ToolOrchestrator {
  readonly deps: OrchestratorDeps;
  send(event: APIGatewayProxyEvent): Promise<ApiResponse>;
}

/**
 * The orchestrator with its tools: moto's DynamoDB and S3, the local Step
 * Functions endpoint running the test workflows, the real approval-wait
 * handler, and the real resume handler as the workflow's last task. Only the
 * model is scripted.
 */
export interface ToolHarness {
  readonly base: OrchestratorHarness;
  readonly sfn: LocalStepFunctions;
  readonly sfnClient: SFNClient;
  readonly functions: ToolFunctions;
  /** Local handlers of the tool Lambdas, the approval-wait task and the orchestrator's resume, keyed by the test function ARNs. */
  readonly taskHandlers: Readonly<Record<string, TaskHandler>>;
  /** Back to the real tool handlers after a test replaced one. */
  restoreToolFunctions(): void;
  /** The handler with tools; the workflow's resume task uses the same deps (and model). */
  orchestrator(model: ModelBackend, options?: ToolOptions): ToolOrchestrator;
  /** Holds the approval-wait task before it stores its token, until the returned function is called. */
  holdApprovalWait(): () => void;
  stop(): Promise<void>;
}

export async function startToolHarness(): Promise<ToolHarness> {
  const base = await startOrchestratorHarness();
  const sfn = await startLocalStepFunctions();
  const sfnClient = new SFNClient(sfn.clientConfig());
  // Clients of their own, so background workflow tasks never show in the turn's DynamoDB call counts.
  const backgroundDynamoDb = motoDynamoDbClient(base.store.moto);
  await createReferenceTable(backgroundDynamoDb);
  const realTools = realToolFunctions(backgroundDynamoDb);
  const functions: ToolFunctions = { ...realTools };
  const approvalWait = createApprovalWaitHandler({
    tokens: new DynamoDbTaskTokenStore({ client: backgroundDynamoDb, tableName: base.store.tableName }),
    logger: quietTelemetry().logger,
  });
  const resumeSessions = new DynamoDbSessionRepository({ client: backgroundDynamoDb, tableName: base.store.tableName, payloads: base.store.payloads });
  let current: OrchestratorDeps | undefined;
  let approvalWaitGate: Promise<void> = Promise.resolve();

  const handlers: Record<string, TaskHandler> = {
    [FUNCTIONS.computeDeadline]: (input) => functions.computeDeadline(input),
    [FUNCTIONS.releaseRecords]: (input) => functions.releaseRecords(input),
    [FUNCTIONS.approvalWait]: async (input) => {
      await approvalWaitGate;
      return approvalWait(input);
    },
    [FUNCTIONS.orchestrator]: (input) => {
      if (!current) throw new Error('no orchestrator is wired');
      return createResumeHandler({ ...current, sessions: resumeSessions })(input);
    },
  };
  const fast = fastToolsDefinition({ compute_deadline: FUNCTIONS.computeDeadline });
  sfn.register(FAST, fast, handlers, { type: 'EXPRESS' });
  sfn.register(FAST_SHORT_TIMEOUT, fast, handlers, { type: 'EXPRESS', timeoutOverrides: { compute_deadline: 1 } });
  const slow = slowToolsDefinition({ release_records: FUNCTIONS.releaseRecords });
  sfn.register(SLOW, slow, handlers);
  sfn.register(SLOW_SHORT_APPROVAL, slow, handlers, { timeoutOverrides: { WaitForApproval: 1 } });

  // As the orchestrator receives them: the model-facing declarations ToolWorkflow writes.
  const enabled = HARNESS_TOOLS.map((name) => modelToolDeclaration(findTool(name)!));
  const tenants = parseTenantMap(TENANT_MAP_JSON);

  return {
    base,
    sfn,
    sfnClient,
    functions,
    taskHandlers: handlers,
    restoreToolFunctions() {
      Object.assign(functions, realTools);
    },
    orchestrator(model, options = {}) {
      const tools: OrchestratorTools = {
        policy: ToolPolicy.of(enabled, options.policy ?? {}),
        runner: new StepFunctionsToolRunner({ client: sfnClient, stateMachineArn: options.fastStateMachineArn ?? FAST }),
        slowTools: new StepFunctionsSlowToolStarter({ client: sfnClient, stateMachineArn: options.slowStateMachineArn ?? SLOW }),
        decisions: options.decisions ?? new StepFunctionsDecisionSender({ client: sfnClient }),
      };
      const deps: OrchestratorDeps = {
        sessions: base.store.repository,
        ...(options.agents ?? soleAgent(model, HARNESS_TOOLS)),
        clock: systemClock,
        tenants,
        limits: TEST_LIMITS,
        ...quietTelemetry(),
        tools,
      };
      current = deps;
      const handler = createHandler(deps);
      return { deps, send: async (event) => parseResponse(await handler(event)) };
    },
    holdApprovalWait() {
      let release!: () => void;
      approvalWaitGate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        release();
        approvalWaitGate = Promise.resolve();
      };
    },
    async stop() {
      sfnClient.destroy();
      await sfn.stop();
      backgroundDynamoDb.destroy();
      await base.stop();
    },
  };
}

/** The real tool handlers, their loggers silenced (they log at module load's level). */
function realToolFunctions(dynamodb: DynamoDBClient): ToolFunctions {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  // Required here, after the log level is set: the handlers create their Logger at module scope.
  const { handler: computeDeadline } = require('../../../../lambda/tools/compute-deadline/index') as { handler: TaskHandler };
  const documents = DynamoDBDocumentClient.from(dynamodb);
  return {
    computeDeadline,
    releaseRecords: (event) =>
      recordRelease(
        { client: documents, tableName: REFERENCE_TABLE, keyAttribute: REFERENCE_TABLE_SCHEMA.partitionKey.name, clock: systemClock },
        parseToolTask(event, parseReleaseInput),
      ),
  };
}

/** The reference table as lib/contract/reference-table.ts declares the default one. */
async function createReferenceTable(dynamodb: DynamoDBClient): Promise<void> {
  const key = REFERENCE_TABLE_SCHEMA.partitionKey;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: REFERENCE_TABLE,
      KeySchema: [{ AttributeName: key.name, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: key.name, AttributeType: key.type }],
      BillingMode: REFERENCE_TABLE_SCHEMA.billingMode,
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 300 }, { TableName: REFERENCE_TABLE });
}
