import * as path from 'node:path';
import { CloudFormationClient, DescribeStackResourcesCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AGENT_LOOP_STATES } from '../constructs/agent-loop/agent-loop';
import { ENV } from '../contract/env-names';
import { DeployLocalCheckError, expectThat } from './conversation-checks';
import { EMULATOR_CREDENTIALS, type DeployedStack } from './deploy';
import { deployedApiMethods, type DeployedMethod } from './deployed-api';
import { installLambdaStreamingRuntime, streamingProxyHandlerOf, type StreamifiedHandler } from './lambda-response-stream';
import type { ProxyHandler, StreamingProxyHandler } from './local-gateway';
import { asSdkTask, snsPublishTask, startLocalStepFunctions, type AslDefinition, type LocalStepFunctions, type TaskHandler } from './local-stepfunctions';
import { resolveLocalhostNamesToLoopback } from './localhost-names';
import type { MotoServer } from './moto-server';
import { startScriptedConverseModel, type ScriptedConverseModel } from './scripted-converse-model';
import { startSerialProxy } from './serial-proxy';
import { scanAll, streamRecord } from './stream-records';

/**
 * A target's Runtime stack as deployed into moto, run in this process
 * through the DEPLOYED code and configuration:
 *
 * - each function is the bundle `cdk deploy` published (its cloud assembly
 *   asset), loaded with the environment moto's Lambda holds for it;
 * - the API's methods are the stack's `AWS::ApiGateway::Method` resources,
 *   each served by the function its integration names (the orchestrator,
 *   and the streaming orchestrator where the target streams);
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
 * Powertools quiet; the SDK's warning about this process's Node.js version
 * off (the functions are deployed on FUNCTION_RUNTIME, not on this Node.js).
 * The model is the one double (ScriptedConverseModel).
 */
export interface DeployedRuntimeOptions {
  readonly moto: MotoServer;
  readonly region: string;
  /** The target's Runtime stack as deployed. */
  readonly runtime: DeployedStack;
  /** The cloud assembly the stacks were deployed from. */
  readonly assemblyDir: string;
  readonly log: (line: string) => void;
}

export interface DeployedRuntime {
  /** The deployed API's methods, as the local gateway routes them. */
  readonly routes: readonly DeployedMethod[];
  /** The orchestrator's handler, as API Gateway's buffered integration invokes it. */
  readonly handler: ProxyHandler;
  /** The streaming orchestrator's, where the API streams a method. */
  readonly streamingHandler?: StreamingProxyHandler;
  /** Events that reached the handlers, buffered or streaming. */
  readonly invocations: number;
  readonly model: ScriptedConverseModel;
  readonly sfn: LocalStepFunctions;
  /** A client of moto's DynamoDB, for what the conversation checks in the tables. */
  readonly dynamodb: DynamoDBClient;
  /** The deployed functions' environment, as this process holds it. */
  readonly env: NodeJS.ProcessEnv;
  readonly stateMachines: { readonly fast: string; readonly slow: string; readonly loop?: string };
  /**
   * Where the Runtime has a memory extractor (an agent with memory): hands
   * its deployed bundle the session table's new event items since the last
   * delivery, as stream records through its event source mapping's filter,
   * and returns what it reported.
   */
  readonly deliverToMemoryExtractor?: () => Promise<{ readonly records: number; readonly failures: number }>;
  stop(): Promise<void>;
}

type LambdaHandler = (event: unknown, context: unknown) => Promise<any>;

const LAMBDA_CONTEXT = { functionName: 'local', getRemainingTimeInMillis: () => 30_000, callbackWaitsForEmptyEventLoop: false };

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

export async function startDeployedRuntime(options: DeployedRuntimeOptions): Promise<DeployedRuntime> {
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
  const stop = async () => {
    for (const step of stopping.reverse()) await step();
    for (const name of Object.keys(process.env)) if (!Object.hasOwn(savedEnv, name)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  };
  try {
    // 1. What was deployed: outputs → functions and workflows; template → the API's methods and the asset each function runs.
    // AgentLoopStateMachineArn only where background turns are on (background.enabled).
    const outputs = options.runtime.outputs;
    for (const name of ['OrchestratorFunctionName', 'FastToolsStateMachineArn', 'SlowToolsStateMachineArn']) {
      if (!outputs[name]) throw new DeployLocalCheckError(`${options.runtime.stackName} has no output ${name}`);
    }
    const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: options.runtime.stackName }));
    const template = JSON.parse(TemplateBody ?? '{}') as { Resources: Record<string, { Type: string; Properties?: any }> };
    const { StackResources = [] } = await cfn.send(new DescribeStackResourcesCommand({ StackName: options.runtime.stackName }));
    const physicalIdOf = (logicalId: string) => StackResources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;
    const bundleOf = (functionName: string): string => {
      const logicalId = StackResources.find((r) => r.ResourceType === 'AWS::Lambda::Function' && r.PhysicalResourceId === functionName)?.LogicalResourceId;
      const key = logicalId ? template.Resources[logicalId]?.Properties?.Code?.S3Key : undefined;
      if (typeof key !== 'string') throw new DeployLocalCheckError(`function ${functionName} is not an asset-backed function of ${options.runtime.stackName}`);
      return path.resolve(options.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js');
    };
    const routes = deployedApiMethods(template.Resources);
    const orchestratorName = outputs.OrchestratorFunctionName;
    const functionOf = (route: DeployedMethod) => physicalIdOf(route.functionLogicalId);
    const buffered = routes.filter((route) => !route.streaming);
    expectThat(
      buffered.every((route) => functionOf(route) === orchestratorName),
      `every method of the API that does not stream integrated with the orchestrator ${orchestratorName}`,
      buffered.map((route) => `${route.method} ${route.resource} → ${functionOf(route)}`),
    );
    const streamingNames = [...new Set(routes.filter((route) => route.streaming).map(functionOf))];
    expectThat(streamingNames.length <= 1 && streamingNames.every((name) => name !== undefined), 'the streaming methods to integrate with one function', streamingNames);

    // 2. The emulators the deployed code is pointed at.
    const model = await startScriptedConverseModel();
    stopping.push(() => model.stop());
    const sfn: LocalStepFunctions = await startLocalStepFunctions();
    stopping.push(() => sfn.stop());
    const serialDynamoDb = await startSerialProxy(moto.endpoint);
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
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
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
    const loadDeployed = async <T = LambdaHandler>(functionName: string): Promise<T> => {
      const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      deployedEnv[functionName] = configuration.Environment?.Variables ?? {};
      Object.assign(process.env, deployedEnv[functionName], emulators);
      const bundle = bundleOf(functionName);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deployed bundle is CommonJS, built by esbuild at deploy
      const { handler } = require(bundle) as { handler: T };
      log(`  loaded ${functionName} from ${path.relative(process.cwd(), bundle)}`);
      return handler;
    };

    // 3. The workflows as moto holds them, every Lambda Task served by its deployed bundle.
    const stateMachines = { fast: outputs.FastToolsStateMachineArn, slow: outputs.SlowToolsStateMachineArn, loop: outputs.AgentLoopStateMachineArn as string | undefined };
    const deployedDefinition = async (stateMachineArn: string): Promise<AslDefinition> =>
      JSON.parse((await motoSfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition!) as AslDefinition;
    const definitions = {
      fast: await deployedDefinition(stateMachines.fast),
      slow: await deployedDefinition(stateMachines.slow),
      loop: stateMachines.loop === undefined ? undefined : await deployedDefinition(stateMachines.loop),
    };
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
    sfn.register(stateMachines.fast, definitions.fast, handlers, { type: 'EXPRESS' });
    sfn.register(stateMachines.slow, definitions.slow, handlers, { type: 'STANDARD' });
    if (stateMachines.loop !== undefined) sfn.register(stateMachines.loop, definitions.loop!, handlers, { type: 'STANDARD' });

    // 4. The API's functions: the streaming orchestrator (its bundle reads Lambda's `awslambda` global at load), then the orchestrator.
    let invocations = 0;
    let streamingHandler: StreamingProxyHandler | undefined;
    if (streamingNames.length === 1) {
      stopping.push(installLambdaStreamingRuntime());
      const streamified = streamingProxyHandlerOf(await loadDeployed<StreamifiedHandler>(streamingNames[0]!), LAMBDA_CONTEXT);
      streamingHandler = (event, open) => {
        invocations++;
        return streamified(event, open);
      };
    }
    // The memory extractor, where an agent has memory: the function deployed with the agents' memory settings.
    const extractorLogicalId = Object.entries(template.Resources).find(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties?.Environment?.Variables?.[ENV.MEMORY_AGENTS] !== undefined,
    )?.[0];
    const deliverToMemoryExtractor = extractorLogicalId
      ? await memoryExtractorDelivery(physicalIdOf(extractorLogicalId)!, template.Resources, extractorLogicalId, loadDeployed, () => deployedEnv, dynamodb, region)
      : undefined;
    orchestrator = await loadDeployed(orchestratorName);
    if (stateMachines.loop !== undefined) {
      // The orchestrator starts the loop (StartExecution of the ARN it was deployed with); the round function runs its
      // rounds under the same limits. AgentOrchestrator gives both the same variables; what each read is its own.
      const roundFunction = invokedFunction(definitions.loop!.States[AGENT_LOOP_STATES.ROUND] as Record<string, any>)!.split(':function:')[1].split(':')[0];
      for (const name of [ENV.AGENT_LOOP_STATE_MACHINE, ENV.BACKGROUND_DEADLINE_SECONDS, ENV.BACKGROUND_MAX_ROUNDS]) {
        const values = { orchestrator: deployedEnv[orchestratorName][name], roundFunction: deployedEnv[roundFunction][name] };
        expectThat(values.orchestrator !== undefined && values.orchestrator === values.roundFunction, `the orchestrator and the round function deployed with the same ${name}`, values);
      }
      expectThat(deployedEnv[orchestratorName][ENV.AGENT_LOOP_STATE_MACHINE] === stateMachines.loop, `${ENV.AGENT_LOOP_STATE_MACHINE} naming the AgentLoopStateMachineArn output`, deployedEnv[orchestratorName][ENV.AGENT_LOOP_STATE_MACHINE]);
    }
    const handler: ProxyHandler = (event: APIGatewayProxyEvent) => {
      invocations++;
      return orchestrator!(event, LAMBDA_CONTEXT) as Promise<APIGatewayProxyResult>;
    };
    return {
      routes,
      handler,
      ...(streamingHandler ? { streamingHandler } : {}),
      get invocations() {
        return invocations;
      },
      model,
      sfn,
      dynamodb,
      env: process.env,
      stateMachines,
      ...(deliverToMemoryExtractor ? { deliverToMemoryExtractor } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The deployed memory extractor, fed as its event source mapping would feed
 * it: the mapping in the template must read the session table's stream with
 * a filter on new `E#` items (checked here), and each delivery hands the
 * bundle the event items written since the last one, oldest first.
 */
async function memoryExtractorDelivery(
  functionName: string,
  resources: Record<string, { Type: string; Properties?: any }>,
  logicalId: string,
  loadDeployed: (name: string) => Promise<LambdaHandler>,
  deployedEnv: () => Record<string, Record<string, string>>,
  dynamodb: DynamoDBClient,
  region: string,
): Promise<() => Promise<{ records: number; failures: number }>> {
  const mapping = Object.values(resources).find(
    (resource) => resource.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(resource.Properties?.FunctionName ?? '').includes(logicalId),
  );
  const filters = JSON.stringify(mapping?.Properties?.FilterCriteria ?? {});
  expectThat(mapping !== undefined && filters.includes('INSERT') && filters.includes('E#'), `the memory extractor's event source mapping to pass new E# event items only`, mapping?.Properties);
  const handler = await loadDeployed(functionName);
  const tableName = deployedEnv()[functionName][ENV.SESSION_TABLE];
  const delivered = new Set<string>();
  return async () => {
    const items = await scanAll(dynamodb, tableName);
    const key = (item: Record<string, AttributeValue>) => `${item.pk.S}\u0000${item.sk.S}`;
    const fresh = items.filter((item) => item.sk.S?.startsWith('E#') && !delivered.has(key(item))).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    for (const item of fresh) delivered.add(key(item));
    if (fresh.length === 0) return { records: 0, failures: 0 };
    const streamArn = `${tableName}/stream/deploy-local`;
    const response = (await handler({ Records: fresh.map((item) => streamRecord(item, streamArn, 'INSERT', region)) }, LAMBDA_CONTEXT)) as { batchItemFailures?: unknown[] };
    return { records: fresh.length, failures: response.batchItemFailures?.length ?? 0 };
  };
}
