import { Tracer } from '@aws-lambda-powertools/tracer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { sessionPk } from '../../../lambda/core/domain/session-keys';
import { ENV } from '../../../lib/contract/env-names';
import { modelToolDeclaration } from '../../../lib/contract/tool-declaration';
import { findTool } from '../../../lib/tools/catalog';
import { DEFAULT_TOOL_POLICY_FILES, ToolPolicySet } from '../../../lib/policy/tool-policy-set';
import { DEFAULT_SESSION_LIMITS } from '../../../lib/contract/session-limits';
import { readRuntimeEnv, RuntimeEnvError } from '../../../lambda/core/wiring/runtime-env';
import { sessionClients } from '../../../lambda/core/wiring/session-store-wiring';
import { readToolEnv, stepFunctionsClient, toolsFromEnv } from '../../../lambda/core/wiring/tool-wiring';
import { queueEndpointResults } from '../core/adapters/model/support/moto-endpoint-results';
import { startMotoSessions, type MotoSessions } from '../core/support/moto-sessions';
import { streamEventFor } from '../summarizer/support/stream-records';
import { api, TENANT_MAP_JSON } from './support/api-events';
import { parseResponse } from './support/orchestrator-harness';

/** What the functions build from their environment: settings, SDK clients, and the module-scope handlers themselves. */

const BASE_ENV = {
  AWS_REGION: 'us-gov-west-1',
  [ENV.SESSION_TABLE]: 'statehouse-sessions',
  [ENV.PAYLOAD_BUCKET]: 'statehouse-payloads',
  [ENV.SESSION_TOKEN_BUDGET]: '500000',
  [ENV.MODEL_BACKEND]: JSON.stringify({ kind: 'sagemaker', endpointName: 'statehouse-llm' }),
};

describe('runtime environment', () => {
  test('required settings are named when missing; the rest take the documented defaults', () => {
    expect(() => readRuntimeEnv({})).toThrow(RuntimeEnvError);
    expect(() => readRuntimeEnv({ ...BASE_ENV, [ENV.SESSION_TABLE]: '' })).toThrow(ENV.SESSION_TABLE);
    expect(() => readRuntimeEnv({ ...BASE_ENV, [ENV.SESSION_TOKEN_BUDGET]: '-5' })).toThrow(ENV.SESSION_TOKEN_BUDGET);
    expect(() => readRuntimeEnv({ ...BASE_ENV, [ENV.MODEL_BACKEND]: '{"kind":"gpt"}' })).toThrow(ENV.MODEL_BACKEND);
    // One set of defaults: what the configuration deploys when it sets nothing (lib/contract/session-limits.ts).
    expect(readRuntimeEnv(BASE_ENV)).toMatchObject({
      region: 'us-gov-west-1',
      limits: { ...DEFAULT_SESSION_LIMITS, tokenBudget: 500_000 },
      logContent: false,
      fipsServices: new Set(),
    });
    expect(readRuntimeEnv({ ...BASE_ENV, [ENV.LOG_CONTENT]: 'true', [ENV.SESSION_TTL_DAYS]: '2' })).toMatchObject({
      logContent: true,
      limits: { ttlDays: 2 },
    });
    // The bounds the configuration checks hold at cold start too.
    expect(() => readRuntimeEnv({ ...BASE_ENV, [ENV.CONTEXT_EVENTS]: '501' })).toThrow(ENV.CONTEXT_EVENTS);
    expect(readRuntimeEnv({ ...BASE_ENV, [ENV.LOG_CONTENT]: 'yes' }).logContent).toBe(false);
  });

  test('a client uses its FIPS endpoint only when its service is listed', async () => {
    const env = readRuntimeEnv({ ...BASE_ENV, [ENV.FIPS_SERVICES]: 'dynamodb,bedrock-runtime' });
    const { dynamodb, s3 } = sessionClients(env, new Tracer({ enabled: false }));
    await expect(dynamodb.config.useFipsEndpoint()).resolves.toBe(true);
    await expect(s3.config.useFipsEndpoint()).resolves.toBe(false);
    await expect(dynamodb.config.region()).resolves.toBe('us-gov-west-1');
  });
});

describe('tool environment', () => {
  const FAST_ARN = 'arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:statehouse-fast-tools';
  const SLOW_ARN = 'arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:statehouse-slow-tools';
  /** The variable as the construct writes it: the enabled tools' model-facing declarations. */
  const toolsJson = (...names: string[]) => JSON.stringify(names.map((name) => modelToolDeclaration(findTool(name)!)));
  const TOOLS_ENV = {
    [ENV.TOOLS]: toolsJson('compute_deadline', 'release_records'),
    [ENV.FAST_TOOLS_STATE_MACHINE]: FAST_ARN,
    [ENV.SLOW_TOOLS_STATE_MACHINE]: SLOW_ARN,
    // The Cedar policy as the construct writes it: the kit's default and a forbid for agency-b outside compute_deadline.
    [ENV.TOOL_POLICY]: JSON.stringify(
      ToolPolicySet.of({ files: [...DEFAULT_TOOL_POLICY_FILES], tenantTools: { 'agency-b': ['compute_deadline'] } }, { tools: ['compute_deadline', 'release_records'].map((n) => findTool(n)!), tenants: ['agency-a', 'agency-b'], agents: ['assistant'] }).document,
    ),
  };

  test('no STATEHOUSE_TOOLS means no tools; a valid setting names catalog tools, their workflows and the policy', () => {
    expect(readToolEnv({})).toMatchObject({ enabled: [], fastStateMachineArn: undefined, slowStateMachineArn: undefined });
    expect(toolsFromEnv(readToolEnv({}), { region: 'us-gov-west-1', fipsServices: new Set() }, new Tracer({ enabled: false }))).toBeUndefined();
    const tools = readToolEnv(TOOLS_ENV);
    expect(tools.enabled.map((tool) => tool.name)).toEqual(['compute_deadline', 'release_records']);
    expect(tools).toMatchObject({ fastStateMachineArn: FAST_ARN, slowStateMachineArn: SLOW_ARN });
    const wired = toolsFromEnv(tools, { region: 'us-gov-west-1', fipsServices: new Set() }, new Tracer({ enabled: false }));
    expect(wired?.policy.specsFor('agency-b').map((spec) => spec.name)).toEqual(['compute_deadline']);
  });

  test.each<[string, Record<string, string>, string]>([
    ['a list that is not JSON', { [ENV.TOOLS]: 'compute_deadline' }, `${ENV.TOOLS} is not JSON`],
    ['names instead of declarations', { [ENV.TOOLS]: '["drop_tables"]' }, ENV.TOOLS],
    ['a slow tool without its workflow', { ...TOOLS_ENV, [ENV.SLOW_TOOLS_STATE_MACHINE]: '' }, `"release_records" is enabled but ${ENV.SLOW_TOOLS_STATE_MACHINE} is not set`],
    ['a workflow that is not a state machine ARN', { ...TOOLS_ENV, [ENV.FAST_TOOLS_STATE_MACHINE]: 'fast-tools' }, 'not a state machine ARN'],
    ['a policy keyed by something not a tenant id', { ...TOOLS_ENV, [ENV.TOOL_POLICY]: '{"a/b":[]}' }, ENV.TOOL_POLICY],
  ])('%s fails the cold start, naming the setting', (_case, env, message) => {
    expect(() => readToolEnv(env)).toThrow(message);
  });

  test('the Step Functions client uses its FIPS endpoint only when `states` is listed', async () => {
    const tools = readToolEnv(TOOLS_ENV);
    const fips = stepFunctionsClient(tools, { region: 'us-gov-west-1', fipsServices: new Set(['states']) }, new Tracer({ enabled: false }));
    const plain = stepFunctionsClient(tools, { region: 'us-gov-west-1', fipsServices: new Set(['dynamodb']) }, new Tracer({ enabled: false }));
    await expect(fips.config.useFipsEndpoint()).resolves.toBe(true);
    await expect(plain.config.useFipsEndpoint()).resolves.toBe(false);
  });
});

describe('module-scope handlers wired from the environment', () => {
  let store: MotoSessions;
  const saved = { ...process.env };

  beforeAll(async () => {
    store = await startMotoSessions();
    Object.assign(process.env, {
      ...BASE_ENV,
      AWS_REGION: 'us-east-1',
      // Every SDK client of the function reaches moto; FIPS stays off, as a custom endpoint cannot be a FIPS one.
      AWS_ENDPOINT_URL: store.moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      [ENV.SESSION_TABLE]: store.tableName,
      [ENV.PAYLOAD_BUCKET]: store.bucket,
      [ENV.CONTEXT_EVENTS]: '2',
      [ENV.TENANT_MAP]: TENANT_MAP_JSON,
      // The orchestrator's one agent: its definition as the bundle carries it (run from source, a variable), its model here.
      [ENV.AGENT_DEFINITIONS]: JSON.stringify({
        defaultAgent: 'assistant',
        agents: {
          assistant: {
            name: 'assistant',
            description: 'Answers questions about the agency.',
            instructions: 'You answer questions about the agency.',
            model: { kind: 'sagemaker', endpointName: 'statehouse-llm' },
            tools: [],
            version: 'assistant-v1',
          },
        },
      }),
      [ENV.AGENT_MODELS]: JSON.stringify({ assistant: { kind: 'sagemaker', endpointName: 'statehouse-llm' } }),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });

  afterAll(async () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await store?.stop();
  });

  function load<T>(path: string): T {
    let loaded: T | undefined;
    jest.isolateModules(() => {
      loaded = require(path).handler as T;
    });
    return loaded as T;
  }

  function completion(text: string) {
    return {
      Body: JSON.stringify({
        id: `chatcmpl-${text.length}`,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 },
      }),
    };
  }

  test('the orchestrator and summarizer run on DynamoDB, S3 and the SageMaker endpoint named in their environment', async () => {
    const orchestrator = load<(event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>>('../../../lambda/orchestrator/index');
    const summarizer = load<(event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>>('../../../lambda/summarizer/index');
    const send = async (event: APIGatewayProxyEvent) => parseResponse(await orchestrator(event));
    await queueEndpointResults(store.moto, ['one', 'two', 'three'].map((word) => completion(`reply ${word}`)));

    expect((await send(api.create({ sessionId: 'wired' }))).statusCode).toBe(201);
    for (const [i, word] of ['one', 'two', 'three'].entries()) {
      const turn = await send(api.turn('wired', { requestId: `r-${i}`, message: `turn ${word}` }));
      expect(turn).toMatchObject({ statusCode: 200, body: { reply: `reply ${word}`, usage: { input: 20, output: 4 } } });
    }

    await queueEndpointResults(store.moto, [completion('the first two turns, folded')]);
    const stream = await streamEventFor(store.dynamodb, store.tableName, [sessionPk('agency-a', 'wired')]);
    expect(await summarizer(stream)).toEqual({ batchItemFailures: [] });

    const read = await send(api.read('wired'));
    expect(read.body.session).toMatchObject({ version: 3, lastSeq: 6, summary: 'the first two turns, folded', summaryUpToSeq: 4 });
    expect((await send(api.verify('wired'))).body).toEqual({ valid: true, events: 6 });
    expect((await send(api.delete('wired'))).statusCode).toBe(200);
  });

  test('the orchestrator tells a workflow resume from an API event; resume failures are Statehouse.<code> task errors', async () => {
    const orchestrator = load<(event: unknown) => Promise<unknown>>('../../../lambda/orchestrator/index');
    const resume = { kind: 'statehouse.resume', tenant: 'agency-a', session: 'gone', toolCallId: 'call-1', result: { ok: false, error: 'denied', message: 'no' } };
    await expect(orchestrator(resume)).resolves.toEqual({ resumed: false, reason: 'session_gone' });
    await expect(orchestrator({ kind: 'statehouse.resume', tenant: 'agency-a' })).rejects.toMatchObject({ name: 'Statehouse.ValidationError' });
    expect(await orchestrator(api.read('gone'))).toMatchObject({ statusCode: 404 });
  });

  test('the approval-wait task stores tokens only for a call awaiting approval', async () => {
    const approvalWait = load<(event: unknown) => Promise<unknown>>('../../../lambda/tools/approval-wait/index');
    await expect(approvalWait({ taskToken: 'AQ-1', tenant: 'agency-a', session: 'gone', toolCallId: 'call-1' })).rejects.toMatchObject({
      name: 'Statehouse.NoPendingApproval',
    });
  });
});
