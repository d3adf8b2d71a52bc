import { DEFAULT_SESSION_LIMITS } from '../../../../lib/contract/session-limits';
import { Template } from 'aws-cdk-lib/assertions';
import { TARGET_DEFAULTS } from '../../../../lib/config/defaults';
import { ModelBackend } from '../../../../lib/constructs/model-backend/model-backend';
import { orchestratorIn } from './orchestrator-fixture';
import { NeuronEndpoint, type INeuronEndpoint } from '../../../../lib/constructs/neuron-endpoint/neuron-endpoint';
import { fipsHostServices, partitionOf } from '../../../../lib/residency/region-facts';
import type { StatehouseStage } from '../../../../lib/stacks/statehouse-stage';
import { parseModelBackendConfig } from '../../../../lambda/core/adapters/model/backend-config';
import { EVENT_SK_PREFIX, eventSk, HEADER_SK } from '../../../../lambda/core/domain/session-keys';
import { ENV } from '../../../../lib/contract/env-names';
import { parseTenantMap } from '../../../../lambda/core/http/caller';
import { readRuntimeEnv } from '../../../../lambda/core/wiring/runtime-env';
import { synthStatehouse } from '../../../helpers/synth';
import {
  COMMERCIAL,
  GOV_EAST,
  GOV_WEST,
  listOf,
  logicalIdOf,
  roleStatements,
  TEST_ACCOUNT,
  type Statement,
} from '../construct-test-stacks';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
/** The default targets' model (lib/config/defaults.ts MODEL_CATALOG.general). */
const NOVA_PRO = 'amazon.nova-pro-v1:0';
/** The target's Neuron endpoint that a model of kind `neuron` means (deployed by the Inference stack; imported here by name). */
const NEURON_ENDPOINT = 'Statehouse-Test-Llm';
const SETTINGS = TARGET_DEFAULTS.session;

/** A backend for the fixture's stack: most ignore the target's Neuron endpoint, ModelBackend.neuron calls it. */
type BackendIn = (neuron: INeuronEndpoint) => ModelBackend;
const converse = (modelId: string, allowedRegions?: string[]): BackendIn => () => ModelBackend.bedrockConverse({ modelId, allowedRegions });

type FunctionResource = { Properties: { Environment: { Variables: Record<string, unknown> }; Role: { 'Fn::GetAtt': [string, string] } } };

/** The function whose Powertools service name is `service`. */
function functionOf(template: Template, service: string): FunctionResource {
  const found = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (f) => f.Properties.Environment?.Variables?.[ENV.POWERTOOLS_SERVICE_NAME] === service,
  );
  expect(found).toHaveLength(1);
  return found[0] as FunctionResource;
}

/** The environment as the function sees it: CloudFormation references replaced by placeholder strings. */
function runtimeEnvironment(fn: FunctionResource, region: string): NodeJS.ProcessEnv {
  const variables = Object.entries(fn.Properties.Environment.Variables).map(([name, value]) => [
    name,
    typeof value === 'string' ? value : `resolved-${name.toLowerCase()}`,
  ]);
  return { AWS_REGION: region, ...Object.fromEntries(variables) };
}

/** The model a function calls, as its own parser reads it: the orchestrator's default agent from ENV.AGENT_MODELS, the summarizer's ENV.MODEL_BACKEND. */
function modelOf(template: Template, service: string): unknown {
  const variables = functionOf(template, service).Properties.Environment.Variables;
  if (service === 'orchestrator') {
    const models = JSON.parse(variables[ENV.AGENT_MODELS] as string) as Record<string, unknown>;
    return parseModelBackendConfig(JSON.stringify(Object.values(models)[0]));
  }
  return parseModelBackendConfig(variables[ENV.MODEL_BACKEND] as string);
}

const bedrockStatements = (statements: Statement[]) => statements.filter((s) => listOf(s.Action).some((a) => a.startsWith('bedrock:')));
const sagemakerStatements = (statements: Statement[]) => statements.filter((s) => listOf(s.Action).some((a) => a.startsWith('sagemaker:')));

/** An orchestrator with its own session store and foundation, on `model` (and the summarizer on `summarizerModel`). */
function agentIn(region: string, model: BackendIn, summarizerModel?: BackendIn) {
  return orchestratorIn(region, (stack) => {
    const neuron = NeuronEndpoint.fromEndpointAttributes(stack, 'Llm', { endpointName: NEURON_ENDPOINT });
    return {
      model: model(neuron),
      summarizerModel: summarizerModel?.(neuron),
      tenants: { agency: [`arn:${partitionOf(region)!.id}:iam::${TEST_ACCOUNT}:role/agency-app`] },
      limits: SETTINGS,
    };
  });
}

describe('AgentOrchestrator in the real GovWest app', () => {
  let stage: StatehouseStage;
  let template: Template;
  beforeAll(() => {
    // GIVEN the GovWest target as `cdk synth` builds it (default model: Claude 3 Haiku on Bedrock Converse)
    [stage] = synthStatehouse({ targets: 'GovWest' }).stages;
    template = Template.fromStack(stage.runtime);
  });

  test('the orchestrator environment names the session store, the settings, the model, the tenants and the FIPS services', () => {
    // WHEN the orchestrator's environment is read
    // THEN each variable named in ENV carries its value: references to the State and Foundation resources, the settings, the model JSON
    const state = stage.state.sessions;
    const env = functionOf(template, 'orchestrator').Properties.Environment.Variables;
    const imported = (value: unknown) => JSON.stringify(value);
    expect(imported(env[ENV.SESSION_TABLE])).toContain(logicalIdOf(state.table));
    expect(imported(env[ENV.PAYLOAD_BUCKET])).toContain(logicalIdOf(state.payloadBucket));
    expect(imported(env[ENV.PAYLOAD_KEY])).toContain(logicalIdOf(stage.foundation.keys.data));
    expect(JSON.parse(env[ENV.AGENT_MODELS] as string)).toEqual({ assistant: { kind: 'bedrock-converse', modelId: NOVA_PRO, allowInferenceProfile: false } });
    expect(env[ENV.MODEL_BACKEND]).toBeUndefined();
    expect(env).toMatchObject({
      [ENV.INLINE_THRESHOLD_BYTES]: String(SETTINGS.inlineThresholdBytes),
      [ENV.CONTEXT_EVENTS]: String(SETTINGS.contextEvents),
      [ENV.CONTEXT_TOKENS]: String(SETTINGS.contextTokens),
      [ENV.SESSION_TOKEN_BUDGET]: String(SETTINGS.tokenBudget),
      [ENV.SESSION_TTL_DAYS]: String(SETTINGS.ttlDays),
      [ENV.TENANT_MAP]: '{}',
      [ENV.FIPS_SERVICES]: fipsHostServices(GOV_WEST).join(','),
    });
  });

  test.each(['orchestrator', 'summarizer'])('the %s environment passes the function\'s own start-up parser', (service) => {
    // WHEN the synthesized environment is read the way the function reads it at cold start
    const env = readRuntimeEnv(runtimeEnvironment(functionOf(template, service), GOV_WEST));
    // THEN every setting arrives with its configured value
    expect(env).toMatchObject({
      region: GOV_WEST,
      limits: { ...DEFAULT_SESSION_LIMITS, ...SETTINGS },
      logContent: false,
    });
    expect(modelOf(template, service)).toEqual({ kind: 'bedrock-converse', modelId: NOVA_PRO, allowInferenceProfile: false });
    expect([...env.fipsServices].sort()).toEqual([...fipsHostServices(GOV_WEST)].sort());
  });

  test('only the orchestrator gets the tenant map, and the orchestrator\'s parser accepts it', () => {
    // THEN the summarizer has no tenant map, and the orchestrator's parses with the handler's own parser
    expect(functionOf(template, 'summarizer').Properties.Environment.Variables[ENV.TENANT_MAP]).toBeUndefined();
    expect(parseTenantMap(functionOf(template, 'orchestrator').Properties.Environment.Variables[ENV.TENANT_MAP] as string).size).toBe(0);
  });

  test('the summarizer reads new events from the table stream: INSERT of `E#` items only, bisecting, with an on-failure DLQ', () => {
    // WHEN the one event source mapping is read
    // THEN it feeds the summarizer from the table's stream, filtered, bisecting, with its DLQ as the on-failure destination
    const summarizer = stage.runtime.agent.summarizer;
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0].Properties;
    expect(mapping).toMatchObject({
      FunctionName: { Ref: logicalIdOf(summarizer.function) },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(summarizer.deadLetterQueue), 'Arn'] } } },
    });
    expect(JSON.stringify(mapping.EventSourceArn)).toContain(`${logicalIdOf(stage.state.sessions.table)}StreamArn`);
    expect(mapping.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: EVENT_SK_PREFIX }] } } } },
    ]);
  });

  test('the stream filter matches the sort keys the Lambda code writes for events, not the header\'s', () => {
    // WHEN the filter's prefix is applied to the keys lambda/core/domain/session-keys.ts writes
    // THEN event items match and the header item does not
    const pattern = JSON.parse(Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0].Properties.FilterCriteria.Filters[0].Pattern);
    const [{ prefix }] = pattern.dynamodb.Keys.sk.S as Array<{ prefix: string }>;
    expect(eventSk(1).startsWith(prefix)).toBe(true);
    expect(HEADER_SK.startsWith(prefix)).toBe(false);
  });

  test.each(['orchestrator', 'summarizer'])('the %s may invoke exactly the configured foundation model in us-gov-west-1', (service) => {
    // WHEN the role's Bedrock statements are read
    // THEN there is one, for the configured model in the target region only
    const roleId = functionOf(template, service).Properties.Role['Fn::GetAtt'][0];
    expect(bedrockStatements(roleStatements(template, roleId))).toEqual([
      {
        Effect: 'Allow',
        Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        Resource: `arn:aws-us-gov:bedrock:${GOV_WEST}::foundation-model/${NOVA_PRO}`,
      },
    ]);
  });
});

describe('the model each function is bound to', () => {
  test('Bedrock Converse in us-east-1: InvokeModel on exactly the foundation model in us-east-1', () => {
    // GIVEN an orchestrator on an in-region model in us-east-1
    const { template, agent } = agentIn(COMMERCIAL, converse(HAIKU));
    // THEN its role may invoke that model, in that region, and nothing else of Bedrock
    expect(bedrockStatements(roleStatements(template, logicalIdOf(agent.orchestrator.role)))).toEqual([
      {
        Effect: 'Allow',
        Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        Resource: `arn:aws:bedrock:${COMMERCIAL}::foundation-model/${HAIKU}`,
      },
    ]);
  });

  test('an inference profile whose routes are all allowed: the profile and the foundation model in each route region only', () => {
    // GIVEN a GovCloud profile id with both GovCloud regions allowed
    const { template, agent } = agentIn(GOV_WEST, converse(`us-gov.${HAIKU}`, [GOV_WEST, GOV_EAST]));
    // THEN the role may invoke the profile and, in each region it routes to, the model
    const [statement] = bedrockStatements(roleStatements(template, logicalIdOf(agent.orchestrator.role)));
    expect([...listOf(statement.Resource as string[])].sort()).toEqual(
      [
        `arn:aws-us-gov:bedrock:${GOV_WEST}:${TEST_ACCOUNT}:inference-profile/us-gov.${HAIKU}`,
        `arn:aws-us-gov:bedrock:${GOV_WEST}::foundation-model/${HAIKU}`,
        `arn:aws-us-gov:bedrock:${GOV_EAST}::foundation-model/${HAIKU}`,
      ].sort(),
    );
  });

  test('an inference profile that could leave the allowed regions fails the orchestrator\'s synth, naming them', () => {
    // GIVEN an orchestrator on a us. profile with only us-east-1 allowed
    // WHEN its stack is synthesized THEN synth fails, naming the regions outside
    expect(() => agentIn(COMMERCIAL, converse(`us.${HAIKU}`, [COMMERCIAL]))).toThrow(/us-east-2, us-west-1, us-west-2 are not in allowedRegions \(us-east-1\)/);
  });

  test('SageMaker in us-gov-west-1: sagemaker:InvokeEndpoint on exactly that endpoint', () => {
    // GIVEN an orchestrator on a SageMaker endpoint (names are case-insensitive; ARNs are lowercase)
    const { template, agent } = agentIn(GOV_WEST, () => ModelBackend.sagemakerEndpoint({ endpointName: 'Neuron-Llm' }));
    // THEN both functions may invoke that endpoint only, and no Bedrock model
    for (const fn of [agent.orchestrator, agent.summarizer]) {
      const statements = roleStatements(template, logicalIdOf(fn.role));
      expect(sagemakerStatements(statements)).toEqual([
        { Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: `arn:aws-us-gov:sagemaker:${GOV_WEST}:${TEST_ACCOUNT}:endpoint/neuron-llm` },
      ]);
      expect(bedrockStatements(statements)).toEqual([]);
    }
  });

  test('ModelBackend.neuron in us-east-1: the target\'s endpoint, through NeuronEndpoint.grantInvoke on exactly its ARN', () => {
    // GIVEN an orchestrator on the target's Neuron endpoint
    const { template, agent } = agentIn(COMMERCIAL, (llm) => ModelBackend.neuron(llm, { stream: true }));
    // THEN both functions may invoke that endpoint only (ARNs carry the name in lower case), and no Bedrock model
    for (const fn of [agent.orchestrator, agent.summarizer]) {
      const statements = roleStatements(template, logicalIdOf(fn.role));
      expect(sagemakerStatements(statements)).toEqual([
        { Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: `arn:aws:sagemaker:${COMMERCIAL}:${TEST_ACCOUNT}:endpoint/statehouse-test-llm` },
      ]);
      expect(bedrockStatements(statements)).toEqual([]);
    }
  });

  test('summarizerModel: each function gets its own backend in its environment and a grant on its own model only', () => {
    // GIVEN the orchestrator on Bedrock and the summarizer on the Neuron endpoint ("both")
    const { template, agent } = agentIn(GOV_WEST, converse(HAIKU), (llm) => ModelBackend.neuron(llm, { maxTokens: 512 }));
    // THEN the orchestrator reads and may call Bedrock only
    const orchestrator = roleStatements(template, logicalIdOf(agent.orchestrator.role));
    expect(bedrockStatements(orchestrator)).toHaveLength(1);
    expect(sagemakerStatements(orchestrator)).toEqual([]);
    expect(modelOf(template, 'orchestrator')).toEqual({ kind: 'bedrock-converse', modelId: HAIKU, allowInferenceProfile: false });
    // AND the summarizer reads and may call the endpoint only
    const summarizer = roleStatements(template, logicalIdOf(agent.summarizer.role));
    expect(bedrockStatements(summarizer)).toEqual([]);
    expect(sagemakerStatements(summarizer)).toEqual([
      { Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: `arn:aws-us-gov:sagemaker:${GOV_WEST}:${TEST_ACCOUNT}:endpoint/statehouse-test-llm` },
    ]);
    expect(modelOf(template, 'summarizer')).toEqual({
      kind: 'sagemaker',
      endpointName: NEURON_ENDPOINT,
      maxTokens: 512,
    });
  });
});

describe('ENV.AGENT_MODELS and ENV.MODEL_BACKEND: what the binding writes, the Lambda parser reads (drift)', () => {
  test.each<[string, BackendIn, Record<string, unknown>]>([
    ['bedrock-converse', () => ModelBackend.bedrockConverse({ modelId: HAIKU, maxTokens: 1024 }), { kind: 'bedrock-converse', modelId: HAIKU, allowInferenceProfile: false, maxTokens: 1024 }],
    ['bedrock-converse with a profile', converse(`us-gov.${HAIKU}`, [GOV_WEST, GOV_EAST]), { kind: 'bedrock-converse', modelId: `us-gov.${HAIKU}`, allowInferenceProfile: true }],
    [
      'sagemaker',
      () => ModelBackend.sagemakerEndpoint({ endpointName: 'neuron-llm', stream: true, maxTokens: 2048 }),
      { kind: 'sagemaker', endpointName: 'neuron-llm', stream: true, maxTokens: 2048 },
    ],
    // The target's Neuron endpoint is a SageMaker endpoint to the Lambda adapter: its name, and the settings given.
    ['neuron', (llm) => ModelBackend.neuron(llm, { stream: true, maxTokens: 2048 }), { kind: 'sagemaker', endpointName: NEURON_ENDPOINT, stream: true, maxTokens: 2048 }],
    ['neuron, no settings', (llm) => ModelBackend.neuron(llm), { kind: 'sagemaker', endpointName: NEURON_ENDPOINT }],
  ])('%s', (_, model, expected) => {
    // GIVEN an orchestrator in us-gov-west-1 on this model
    const { template } = agentIn(GOV_WEST, model);
    for (const service of ['orchestrator', 'summarizer']) {
      // WHEN the function parses the variable the template gives it
      const parsed = modelOf(template, service);
      // THEN it gets the configured backend
      expect(parsed).toEqual(expected);
    }
  });
});
