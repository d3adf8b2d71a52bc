import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { AGENT_LOOP_STATES } from '../constructs/agent-loop/agent-loop';
import { FINAL_TURN_STATUSES, type TurnStatus } from '../contract/agent-loop';
import { ENV } from '../contract/env-names';
import { apiGatewayEvent, type ApiRequest } from './api-gateway-event';
import { EMULATOR_CREDENTIALS, type DeployedStack } from './deploy';
import { asSdkTask, snsPublishTask, startLocalStepFunctions, type AslDefinition, type LocalStepFunctions, type TaskHandler } from './local-stepfunctions';
import type { MotoServer } from './moto-server';
import { resolveLocalhostNamesToLoopback } from './localhost-names';
import { RESEARCH_TOOL_CALLS, startScriptedConverseModel, type ScriptedConverseModel } from './scripted-converse-model';
import { startSerialProxy, type SerialProxy } from './serial-proxy';

/**
 * A conversation against a target deployed into moto, through the DEPLOYED
 * code and configuration:
 *
 * - the orchestrator is the bundle `cdk deploy` published (its cloud assembly
 *   asset), loaded in this process with the environment moto's Lambda holds
 *   for the function named by the Runtime stack's `OrchestratorFunctionName`
 *   output; API Gateway events go straight to its handler;
 * - the workflows are the definitions moto's Step Functions holds for the
 *   stack's `FastToolsStateMachineArn` / `SlowToolsStateMachineArn` /
 *   `AgentLoopStateMachineArn`, executed by the local Step Functions endpoint
 *   (moto stores them but cannot run them), each Lambda Task served by that
 *   function's deployed bundle and environment (the loop's Round tasks by the
 *   round function's), the DynamoDB SDK Task by moto;
 * - DynamoDB and S3 are the deployed table and bucket in moto.
 *
 * Changes to the deployed environment, each because of the emulators: the
 * AWS_ENDPOINT_URL_* variables (moto; the local Step Functions endpoint; the
 * scripted model for Bedrock runtime); STATEHOUSE_FIPS_SERVICES emptied
 * (moto has no -fips hosts and the SDK refuses FIPS with a custom endpoint);
 * Powertools quiet. The model is the one double (ScriptedConverseModel).
 */
export interface ConversationOptions {
  readonly moto: MotoServer;
  readonly region: string;
  readonly account: string;
  /** The target's Runtime stack as deployed. */
  readonly runtime: DeployedStack;
  /** The cloud assembly the stacks were deployed from. */
  readonly assemblyDir: string;
  /** Assumed-role ARNs of the callers: a user of the tenant, and a records officer of the same tenant (the approver). */
  readonly callers: { readonly requester: string; readonly officer: string };
  /**
   * The deployed agents as configured: which tools the default agent has
   * (the tool steps run only where it has them), and the agent that
   * delegates, for the delegation step. @default one agent with every tool
   */
  readonly agents?: { readonly defaultAgent: string; readonly agents: Readonly<Record<string, { readonly tools?: readonly string[]; readonly delegates?: readonly string[] }>> };
  readonly log: (line: string) => void;
}

export interface ConversationReport {
  readonly sessionId: string;
  /** The session's events at the end: seq, type, actor. */
  readonly events: readonly { seq: number; type: string; actor: string }[];
  readonly verified: { valid: boolean; events: number };
  readonly concurrent: { readonly ok: number; readonly conflicts: number };
  readonly modelCalls: number;
  readonly executions: readonly { name: string; status: string }[];
  readonly releaseRecord?: Record<string, unknown>;
  /** The background turn, when the target has the agent loop: what its status route and the loop's execution ended with. */
  readonly background?: BackgroundTurnReport;
  /** The delegated turn, when an agent delegates: its session, events (seq, type, agent) and model calls. */
  readonly delegation?: { readonly sessionId: string; readonly events: readonly { seq: number; type: string; agent?: string }[]; readonly modelCalls: number; readonly valid: boolean };
}

export interface BackgroundTurnReport {
  readonly sessionId: string;
  readonly requestId: string;
  /** What GET /sessions/{id}/turns/{requestId} said at the end. */
  readonly status: TurnStatus;
  readonly rounds: number;
  readonly usage: { readonly input: number; readonly output: number };
  readonly reply: string;
  /** The turn's events after its user event: seq, type, and the tool of a tool_result. */
  readonly events: readonly { seq: number; type: string; toolName?: string }[];
  readonly verified: { valid: boolean; events: number };
  /** The agent loop's execution of the turn on the local endpoint. */
  readonly execution: { readonly name: string; readonly status: string };
  /** The synchronous turn sent while the loop's execution was in a round. */
  readonly refused: { readonly statusCode: number; readonly message: string };
}

type LambdaHandler = (event: unknown, context: unknown) => Promise<any>;
type ApiAnswer = { statusCode: number; body: any };

const LAMBDA_CONTEXT = { functionName: 'local', getRemainingTimeInMillis: () => 30_000, callbackWaitsForEmptyEventLoop: false };

/** The background turn's status is read at most this often, this far apart: a bound, not a timing assertion. */
const TURN_POLLS = 300;
const TURN_POLL_MS = 100;
/** The background turn's model call whose answer waits while a synchronous turn is sent: its round is then running. */
const HELD_MODEL_CALL = 3;

/** Every Task state of a definition, however deep (Parallel branches, Map iterators). */
function taskStates(definition: unknown, found: Record<string, any>[] = []): Record<string, any>[] {
  if (Array.isArray(definition)) definition.forEach((item) => taskStates(item, found));
  else if (definition && typeof definition === 'object') {
    const state = definition as Record<string, any>;
    if (state.Type === 'Task') found.push(state);
    Object.values(state).forEach((value) => taskStates(value, found));
  }
  return found;
}

/** The ARN of the function a Lambda Task invokes (`lambda:invoke` or the function as the resource), or undefined. */
function invokedFunction(task: Record<string, any>): string | undefined {
  const target = typeof task.Parameters?.FunctionName === 'string' ? task.Parameters.FunctionName : task.Resource;
  return typeof target === 'string' && /:lambda:[^:]+:\d{12}:function:/.test(target) ? target : undefined;
}

function expectThat(condition: boolean, what: string, seen: unknown): void {
  if (!condition) throw new Error(`deploy:local conversation: expected ${what}, got ${JSON.stringify(seen)}`);
}

export async function runConversation(options: ConversationOptions): Promise<ConversationReport> {
  const { moto, region, log } = options;
  const motoUrl = `http://localhost:${moto.port}`;
  const config = { region, endpoint: motoUrl, credentials: EMULATOR_CREDENTIALS };
  const cfn = new CloudFormationClient(config);
  const lambda = new LambdaClient(config);
  const motoSfn = new SFNClient(config);
  const dynamodb = new DynamoDBClient(config);
  const sns = new SNSClient(config);
  const stopping: (() => Promise<void> | void)[] = [() => cfn.destroy(), () => lambda.destroy(), () => motoSfn.destroy(), () => dynamodb.destroy(), () => sns.destroy()];
  const savedEnv = { ...process.env };
  try {
    // 1. What was deployed: outputs → function and workflows; template → the asset each function runs.
    // AgentLoopStateMachineArn only where background turns are on (background.enabled).
    const outputs = options.runtime.outputs;
    for (const name of ['OrchestratorFunctionName', 'FastToolsStateMachineArn', 'SlowToolsStateMachineArn']) {
      if (!outputs[name]) throw new Error(`${options.runtime.stackName} has no output ${name}`);
    }
    const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: options.runtime.stackName }));
    const template = JSON.parse(TemplateBody ?? '{}') as { Resources: Record<string, { Type: string; Properties?: any }> };
    const { StackResources = [] } = await cfn.send(new DescribeStackResourcesCommand({ StackName: options.runtime.stackName }));
    const bundleOf = (functionName: string): string => {
      const logicalId = StackResources.find((r) => r.ResourceType === 'AWS::Lambda::Function' && r.PhysicalResourceId === functionName)?.LogicalResourceId;
      const key = logicalId ? template.Resources[logicalId]?.Properties?.Code?.S3Key : undefined;
      if (typeof key !== 'string') throw new Error(`function ${functionName} is not an asset-backed function of ${options.runtime.stackName}`);
      return path.resolve(options.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js');
    };

    // 2. The emulators the deployed code is pointed at.
    const model: ScriptedConverseModel = await startScriptedConverseModel();
    stopping.push(() => model.stop());
    const sfn: LocalStepFunctions = await startLocalStepFunctions();
    stopping.push(() => sfn.stop());
    const serialDynamoDb: SerialProxy = await startSerialProxy(moto.endpoint);
    stopping.push(() => serialDynamoDb.stop());
    stopping.push(resolveLocalhostNamesToLoopback());
    const emulators: Record<string, string> = {
      AWS_REGION: region,
      AWS_ENDPOINT_URL: motoUrl,
      AWS_ENDPOINT_URL_DYNAMODB: serialDynamoDb.endpoint,
      // A *.localhost name: StartSyncExecution's `sync-` host prefix then still reaches the local endpoint.
      AWS_ENDPOINT_URL_SFN: `http://sfn.localhost:${new URL(sfn.endpoint).port}`,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: model.endpoint,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      [ENV.FIPS_SERVICES]: '',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const deployedEnv: Record<string, Record<string, string>> = {};
    /**
     * Loads a deployed bundle the way Lambda would: its deployed environment first (plus the emulators), then the
     * module. The functions share this process's environment: each reads its own at load (its cold start), and the
     * emulators' variables, which the SDK may read later, are the same for all.
     */
    const loadDeployed = async (functionName: string): Promise<LambdaHandler> => {
      const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      deployedEnv[functionName] = configuration.Environment?.Variables ?? {};
      Object.assign(process.env, deployedEnv[functionName], emulators);
      const bundle = bundleOf(functionName);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deployed bundle is CommonJS, built by esbuild at deploy
      const { handler } = require(bundle) as { handler: LambdaHandler };
      log(`  loaded ${functionName} from ${path.relative(process.cwd(), bundle)}`);
      return handler;
    };

    // 3. The workflows as moto holds them, every Lambda Task served by its deployed bundle.
    const fastArn = outputs.FastToolsStateMachineArn;
    const slowArn = outputs.SlowToolsStateMachineArn;
    const loopArn: string | undefined = outputs.AgentLoopStateMachineArn;
    const deployedDefinition = async (stateMachineArn: string): Promise<AslDefinition> =>
      JSON.parse((await motoSfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition!) as AslDefinition;
    const definitions = {
      fast: await deployedDefinition(fastArn),
      slow: await deployedDefinition(slowArn),
      loop: loopArn === undefined ? undefined : await deployedDefinition(loopArn),
    };
    const orchestratorName = outputs.OrchestratorFunctionName;
    const tasks = [...taskStates(definitions.fast), ...taskStates(definitions.slow), ...taskStates(definitions.loop ?? {})];
    const handlers: Record<string, TaskHandler> = {};
    // lookup_case: the dynamodb:getItem SDK integration, on moto. Keyed by the resource as deployed: moto
    // resolves AWS::Partition to the commercial partition in every region (moto/cloudformation/parsing.py),
    // so in a GovCloud target the deployed definition names the commercial partition where AWS would not.
    for (const resource of new Set(tasks.map((task) => String(task.Resource)).filter((r) => /^arn:[^:]+:states:::aws-sdk:dynamodb:getItem$/.test(r)))) {
      handlers[resource] = asSdkTask('DynamoDb', (parameters) => dynamodb.send(new GetItemCommand(parameters)) as never);
    }
    // Notify approvers: the SNS Publish integration, on the topic moto's CloudFormation created.
    for (const resource of new Set(tasks.map((task) => String(task.Resource)).filter((r) => /^arn:[^:]+:states:::sns:publish$/.test(r)))) {
      handlers[resource] = snsPublishTask(sns);
    }
    let orchestrator: LambdaHandler | undefined;
    for (const arn of new Set(tasks.map(invokedFunction).filter((a): a is string => a !== undefined))) {
      const name = arn.split(':function:')[1].split(':')[0];
      if (name === orchestratorName) {
        // Loaded last, below: its environment wins where functions share a variable.
        handlers[arn] = (event) => orchestrator!(event, LAMBDA_CONTEXT);
        continue;
      }
      const handler = await loadDeployed(name);
      handlers[arn] = (event) => handler(event, LAMBDA_CONTEXT);
    }
    sfn.register(fastArn, definitions.fast, handlers, { type: 'EXPRESS' });
    sfn.register(slowArn, definitions.slow, handlers, { type: 'STANDARD' });
    if (loopArn !== undefined) sfn.register(loopArn, definitions.loop!, handlers, { type: 'STANDARD' });
    orchestrator = await loadDeployed(orchestratorName);
    if (loopArn !== undefined) {
      // The orchestrator starts the loop (StartExecution of the ARN it was deployed with); the round function runs its
      // rounds under the same limits. AgentOrchestrator gives both the same variables; what each read is its own.
      const roundFunction = invokedFunction(definitions.loop!.States[AGENT_LOOP_STATES.ROUND] as Record<string, any>)!.split(':function:')[1].split(':')[0];
      for (const name of [ENV.AGENT_LOOP_STATE_MACHINE, ENV.BACKGROUND_DEADLINE_SECONDS, ENV.BACKGROUND_MAX_ROUNDS]) {
        const values = { orchestrator: deployedEnv[orchestratorName][name], roundFunction: deployedEnv[roundFunction][name] };
        expectThat(values.orchestrator !== undefined && values.orchestrator === values.roundFunction, `the orchestrator and the round function deployed with the same ${name}`, values);
      }
      expectThat(deployedEnv[orchestratorName][ENV.AGENT_LOOP_STATE_MACHINE] === loopArn, `${ENV.AGENT_LOOP_STATE_MACHINE} naming the AgentLoopStateMachineArn output`, deployedEnv[orchestratorName][ENV.AGENT_LOOP_STATE_MACHINE]);
    }
    const env = process.env;
    const sessionTable = env[ENV.SESSION_TABLE]!;

    let serial = 0;
    const call = async (request: Omit<ApiRequest, 'accountId' | 'requestId' | 'caller'> & { caller?: string }): Promise<ApiAnswer> => {
      const event: APIGatewayProxyEvent = apiGatewayEvent({ ...request, caller: request.caller ?? options.callers.requester, accountId: options.account, requestId: `local-${++serial}` });
      const result = (await orchestrator!(event, LAMBDA_CONTEXT)) as { statusCode: number; body: string };
      return { statusCode: result.statusCode, body: JSON.parse(result.body) };
    };
    const turn = (sessionId: string, requestId: string, message: string) =>
      call({ method: 'POST', resource: '/sessions/{sessionId}/turns', pathParameters: { sessionId }, body: { requestId, message } });
    const read = async (sessionId: string) => (await call({ method: 'GET', resource: '/sessions/{sessionId}', pathParameters: { sessionId } })).body;
    const itemCount = async (): Promise<number> => (await dynamodb.send(new ScanCommand({ TableName: sessionTable, Select: 'COUNT', ConsistentRead: true }))).Count ?? 0;

    // 4. The conversation.
    log('');
    log(`Conversation (requester ${options.callers.requester})`);
    const created = await call({ method: 'POST', resource: '/sessions', body: {} });
    expectThat(created.statusCode === 201, 'POST /sessions → 201', created);
    const sessionId = created.body.session.sessionId as string;
    log(`  POST /sessions → ${created.statusCode}, session ${sessionId} in ${sessionTable}`);

    const hello = await turn(sessionId, 'turn-1', 'Hello. What can you do for me?');
    expectThat(hello.statusCode === 200 && hello.body.status === 'idle', 'a turn → 200 idle', hello);
    log(`  turn "Hello..." → ${hello.statusCode}: "${hello.body.reply}" (version ${hello.body.version}, ${await itemCount()} items in the table)`);

    const defaultTools = options.agents ? options.agents.agents[options.agents.defaultAgent]?.tools : undefined;
    const has = (tool: string) => defaultTools === undefined || defaultTools.includes(tool);
    if (!has('compute_deadline') || !has('release_records')) {
      throw new Error(
        `deploy:local's conversation runs compute_deadline and release_records with the default agent "${options.agents!.defaultAgent}", which does not have both; ` +
          'give it both tools, or make an agent that has them the defaultAgent (the delegation step then runs with the agent that delegates).',
      );
    }
    const deadline = await turn(sessionId, 'turn-2', 'What is the deadline 10 business days after 2026-11-20?');
    const fastRuns = sfn.executions(fastArn);
    expectThat(deadline.statusCode === 200 && fastRuns.length === 1 && fastRuns[0].status === 'SUCCEEDED', 'a tool turn → 200, one SUCCEEDED Express execution', { deadline, fastRuns });
    log(`  tool call compute_deadline → Express ${fastArn.split(':').at(-1)} ${fastRuns[0].status} → ${deadline.statusCode}: "${deadline.body.reply}"`);

    const before = { items: await itemCount(), session: await read(sessionId) };
    const retried = await turn(sessionId, 'turn-2', 'What is the deadline 10 business days after 2026-11-20?');
    const after = { items: await itemCount(), session: await read(sessionId) };
    expectThat(
      retried.statusCode === 200 && retried.body.replayed === true && retried.body.reply === deadline.body.reply && after.items === before.items && after.session.session.version === before.session.session.version,
      'the retry replayed with nothing written',
      { retried: retried.body, before: before.items, after: after.items },
    );
    log(`  retry of turn-2 (same requestId) → ${retried.statusCode}, replayed, same reply; items ${before.items} → ${after.items}, version ${after.session.session.version}`);

    const racers = await Promise.all(['race-a', 'race-b', 'race-c'].map((id) => turn(sessionId, id, `Concurrent message ${id}.`)));
    const ok = racers.filter((r) => r.statusCode === 200).length;
    const conflicts = racers.filter((r) => r.statusCode === 409).length;
    expectThat(ok >= 1 && conflicts >= 1 && ok + conflicts === racers.length, '3 concurrent turns → 200s and 409s only, at least one of each', racers.map((r) => [r.statusCode, r.body]));
    log(`  3 concurrent turns → ${ok} × 200, ${conflicts} × 409 (${racers.find((r) => r.statusCode === 409)?.body.error?.message})`);

    const release = await turn(sessionId, 'turn-3', 'Please release the records of case FOIA-4411.');
    expectThat(release.statusCode === 202 && release.body.status === 'awaiting_approval', 'release_records → 202 awaiting_approval', release);
    const slowRun = sfn.executions(slowArn).at(-1)!;
    const token = await sfn.waitingTaskToken(slowRun.executionArn);
    const toolCallId = release.body.toolCalls[0].id as string;
    log(`  tool call release_records → ${release.statusCode} awaiting_approval; Standard execution ${slowRun.name} waits on a task token (${token.length} chars, stored by approval-wait)`);

    const decision = (approver: string) =>
      call({ method: 'POST', resource: '/sessions/{sessionId}/approvals', pathParameters: { sessionId }, body: { toolCallId, approved: true, reason: 'The requester is the subject of these records.' }, caller: approver });
    const self = await decision(options.callers.requester);
    expectThat(self.statusCode === 403, 'the requester approving her own call → 403', self);
    log(`  approval by the requester → ${self.statusCode}: ${self.body.error?.message}`);
    const approved = await decision(options.callers.officer);
    expectThat(approved.statusCode === 200 && approved.body.decision?.approved === true, 'the records officer approving → 200', approved);
    const finished = await sfn.finished(slowRun.executionArn);
    expectThat(finished.status === 'SUCCEEDED', 'the Standard execution SUCCEEDED', finished);
    log(`  approval by ${approved.body.decision.approver} → ${approved.statusCode}; execution ${finished.status}: release-records ran, the orchestrator resumed the turn`);

    // What release-records wrote to the deployed reference table (the table is in its environment, not the orchestrator's).
    const releaseId = JSON.parse(finished.output ?? '{}')?.result?.output?.releaseId as string | undefined;
    expectThat(
      typeof releaseId === 'string' && env[ENV.REFERENCE_TABLE] !== undefined && env[ENV.REFERENCE_KEY_ATTRIBUTE] !== undefined,
      'the release id in the execution output',
      finished.output,
    );
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: env[ENV.REFERENCE_TABLE], Key: { [env[ENV.REFERENCE_KEY_ATTRIBUTE]!]: { S: releaseId! } }, ConsistentRead: true }),
    );
    const releaseRecord = Item && unmarshall(Item);
    expectThat(releaseRecord?.releasedCaseId === 'FOIA-4411', 'the release record in the reference table', releaseRecord);
    log(`  ${env[ENV.REFERENCE_TABLE]}: ${releaseId} → case ${String(releaseRecord!.releasedCaseId)}, records ${JSON.stringify(releaseRecord!.recordIds)}`);

    const final = await read(sessionId);
    expectThat(final.session.status === 'idle', 'the session idle after the resume', final.session);
    const verified = (await call({ method: 'GET', resource: '/sessions/{sessionId}/verify', pathParameters: { sessionId } })).body as { valid: boolean; events: number };
    expectThat(verified.valid === true, 'the hash chain to verify', verified);
    const events = (final.events as { seq: number; type: string; actor: string }[]).map(({ seq, type, actor }) => ({ seq, type, actor }));
    log(`  session ${final.session.status}, ${events.length} events, hash chain ${verified.valid ? 'verifies' : 'BROKEN'}:`);
    for (const e of events) log(`    ${String(e.seq).padStart(2)} ${e.type.padEnd(12)} ${e.actor}`);

    // 5. A background turn: the agent loop's execution runs it, a round per model call, each round committed on its own.
    let background: BackgroundTurnReport | undefined;
    if (loopArn === undefined) {
      log('');
      log('  no agent loop in this target (background.enabled false): no background turn');
    } else {
      const opened = await call({ method: 'POST', resource: '/sessions', body: {} });
      expectThat(opened.statusCode === 201, 'POST /sessions → 201', opened);
      const researchSession = opened.body.session.sessionId as string;
      const pathParameters = { sessionId: researchSession };
      const requestId = 'research-1';
      const message = 'Please research case FOIA-4411 in depth.';
      // Nothing else asks the model while the turn runs, so this is the turn's model call HELD_MODEL_CALL.
      const held = model.holdAnswer(HELD_MODEL_CALL);
      const queued = await call({ method: 'POST', resource: '/sessions/{sessionId}/turns', pathParameters, body: { requestId, message, mode: 'background' } });
      expectThat(queued.statusCode === 202 && queued.body.turn?.status === 'queued', 'a background turn → 202 queued', queued);
      const runs = sfn.executions(loopArn);
      expectThat(runs.length === 1, 'one execution of the agent loop', runs);
      log('');
      log(`  background turn "${message}" (session ${researchSession}) → ${queued.statusCode} ${queued.body.turn.status}; agent loop execution ${runs[0].name}`);

      const events: BackgroundTurnReport['events'][number][] = [];
      let seen = queued.body.turn.turnSeq as number;
      let rounds = 0;
      let refused: BackgroundTurnReport['refused'] | undefined;
      let view: { status: TurnStatus; rounds: number; usage: { input: number; output: number }; reply?: string } = queued.body.turn;
      for (let poll = 1; ; poll++) {
        // Asked before this read: the rounds before the held one have committed, so the page shows them.
        const roundWaits = held.asked;
        // The turn's status first, then its events: once the status is final, every event of the turn is in the page.
        view = (await call({ method: 'GET', resource: '/sessions/{sessionId}/turns/{requestId}', pathParameters: { ...pathParameters, requestId } })).body.turn;
        const page = (await call({ method: 'GET', resource: '/sessions/{sessionId}', pathParameters, query: { afterSeq: String(seen) } })).body;
        for (const e of page.events as { seq: number; type: string; content: string; toolName?: string }[]) {
          // Each round opens with the model's answer.
          const round = e.type === 'assistant' ? `round ${++rounds}` : '';
          const text = e.type === 'tool_call' ? `${e.toolName} ${e.content}` : e.content;
          const content = text.length > 72 ? `${text.slice(0, 71)}…` : text;
          log(`    ${round.padEnd(8)} ${String(e.seq).padStart(2)} ${e.type.padEnd(12)} ${content}`);
          events.push({ seq: e.seq, type: e.type, ...(e.toolName ? { toolName: e.toolName } : {}) });
          seen = e.seq;
        }
        if (roundWaits && refused === undefined) {
          // The loop's execution is in a round (its model call waits): a synchronous turn is refused, naming the running turn.
          const sync = await turn(researchSession, 'sync-1', 'A quick question while you research.');
          refused = { statusCode: sync.statusCode, message: String(sync.body.error?.message) };
          expectThat(sync.statusCode === 409 && refused.message.includes(requestId), `a synchronous turn during the background turn → 409 naming ${requestId}`, sync);
          log(`    (round ${HELD_MODEL_CALL} asks the model, turn ${view.status}, ${view.rounds} rounds) a synchronous turn → ${sync.statusCode}: ${refused.message}`);
          held.release();
        }
        if (FINAL_TURN_STATUSES.includes(view.status)) break;
        expectThat(poll < TURN_POLLS, `the background turn to end within ${TURN_POLLS} reads of its status`, view);
        await sleep(TURN_POLL_MS);
      }
      const execution = await sfn.finished(runs[0].executionArn);
      const verifiedChain = (await call({ method: 'GET', resource: '/sessions/{sessionId}/verify', pathParameters })).body as { valid: boolean; events: number };
      const toolResults = events.filter((e) => e.type === 'tool_result').length;
      expectThat(
        view.status === 'completed' && view.rounds === RESEARCH_TOOL_CALLS + 1 && toolResults === RESEARCH_TOOL_CALLS && verifiedChain.valid && execution.status === 'SUCCEEDED' && refused !== undefined,
        `the background turn completed in ${RESEARCH_TOOL_CALLS + 1} rounds with ${RESEARCH_TOOL_CALLS} tool results, a verified chain, its execution SUCCEEDED`,
        { view, toolResults, verifiedChain, execution: execution.status, refused },
      );
      log(`  turn ${requestId} ${view.status}: "${view.reply}"`);
      log(`    ${view.rounds} rounds, ${toolResults} tool results, usage ${view.usage.input} in / ${view.usage.output} out; execution ${execution.status}; hash chain ${verifiedChain.valid ? 'verifies' : 'BROKEN'} (${verifiedChain.events} events)`);
      background = {
        sessionId: researchSession,
        requestId,
        status: view.status,
        rounds: view.rounds,
        usage: view.usage,
        reply: view.reply ?? '',
        events,
        verified: verifiedChain,
        execution: { name: execution.name, status: execution.status },
        refused: refused!,
      };
    }

    // 6. An agent that delegates: one turn in which it asks its delegate, all in one commit and one chain.
    let delegation: ConversationReport['delegation'];
    const delegating = Object.entries(options.agents?.agents ?? {}).find(([, agent]) => (agent.delegates ?? []).length > 0);
    if (delegating) {
      const [agent, { delegates }] = delegating;
      const opened = await call({ method: 'POST', resource: '/sessions', body: { agent } });
      expectThat(opened.statusCode === 201 && opened.body.session.agent === agent, `POST /sessions {agent: ${agent}} → 201`, opened);
      const delegatedSession = opened.body.session.sessionId as string;
      const callsBefore = model.calls;
      const asked = await turn(delegatedSession, 'delegated-1', 'Which records exist for case FOIA-4411?');
      expectThat(asked.statusCode === 200, 'the delegated turn → 200', asked);
      const record = await read(delegatedSession);
      const delegatedEvents = (record.events as { seq: number; type: string; agent?: string }[]).map(({ seq, type, agent: by }) => ({ seq, type, agent: by }));
      const check = (await call({ method: 'GET', resource: '/sessions/{sessionId}/verify', pathParameters: { sessionId: delegatedSession } })).body as { valid: boolean };
      expectThat(check.valid && delegatedEvents.some((e) => e.agent === delegates![0]), `events of ${delegates![0]} in the same verified chain`, { delegatedEvents, check });
      delegation = { sessionId: delegatedSession, events: delegatedEvents, modelCalls: model.calls - callsBefore, valid: check.valid };
      log('');
      log(`  agent ${agent} (session ${delegatedSession}) asks ${delegates![0]} within one turn → ${asked.statusCode}: "${asked.body.reply}"`);
      log(`    ${delegation.modelCalls} model calls; hash chain ${check.valid ? 'verifies' : 'BROKEN'}; events:`);
      for (const e of delegatedEvents) log(`    ${String(e.seq).padStart(2)} ${e.type.padEnd(12)} ${e.agent ?? ''}`);
    }
    return {
      background,
      delegation,
      sessionId,
      events,
      verified,
      concurrent: { ok, conflicts },
      modelCalls: model.calls,
      executions: sfn.executions().map((e) => ({ name: e.name, status: e.status })),
      releaseRecord,
    };
  } finally {
    for (const stop of stopping.reverse()) await stop();
    for (const name of Object.keys(process.env)) if (!Object.hasOwn(savedEnv, name)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  }
}
