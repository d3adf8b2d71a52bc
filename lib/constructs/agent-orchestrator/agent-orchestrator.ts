import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ArnFormat, Duration, Stack, Token, Tokenization } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import {
  AGENT_NAME_PATTERN,
  AGENT_NAME_RULE,
  MAX_INSTRUCTIONS_BYTES,
  type AgentDefinition,
  type AgentDirectory,
  type AgentLimits,
  type GuardrailBinding,
} from '../../contract/agent';
import { BACKGROUND_DEFAULTS, MAX_BACKGROUND_ROUNDS } from '../../contract/agent-loop';
import { ENV, SESSION_LIMIT_VARIABLES } from '../../contract/env-names';
import { canonicalJson } from '../../contract/json';
import type { AgentMemory } from '../../contract/memory-table';
import { modelToolDeclaration, type ModelToolDeclaration, type ToolDeclaration } from '../../contract/tool-declaration';
import type { ModelBackendConfig } from '../../contract/model-backend-config';
import { CONFIGURABLE_SESSION_LIMITS, DEFAULT_SESSION_LIMITS, type ConfigurableSessionLimit, type SessionLimits } from '../../contract/session-limits';
import { acknowledge } from '../../compliance/acknowledge';
import { requireCapability } from '../../residency/capability-gate';
import { checkBackgroundDeadline, type IAgentLoop } from '../agent-loop/agent-loop';
import type { IGuardrail } from '../guardrail/guardrail';
import { MemoryAccess, type IMemoryStore } from '../memory-store/memory-store';
import type { ModelBackend, ModelBackendBinding } from '../model-backend/model-backend';
import { PlatformFunction, type PlatformFunctionProps } from '../platform-function/platform-function';
import { SessionAccess, type ISessionStore } from '../session-store/session-store';

/** Where the functions' handlers live. */
const LAMBDA_DIR = path.join(__dirname, '..', '..', '..', 'lambda');

/** The session limits a deployment sets; the rest are DEFAULT_SESSION_LIMITS (lib/contract/session-limits.ts). */
export type DeployedSessionLimits = Pick<SessionLimits, ConfigurableSessionLimit>;

/** One agent the orchestrator runs (lib/contract/agent.ts AgentDefinition, with its model as a ModelBackend). */
export interface AgentProps {
  readonly description: string;
  /** The system prompt, at most MAX_INSTRUCTIONS_BYTES. */
  readonly instructions: string;
  /** @default the orchestrator's `model` */
  readonly model?: ModelBackend;
  /** Tools the agent may call (names of the tool workflow's tools). @default none */
  readonly tools?: readonly string[];
  /** Agents it may ask within a turn. @default none */
  readonly delegates?: readonly string[];
  /** Agents it may hand a session to. @default none */
  readonly handoffs?: readonly string[];
  /**
   * The guardrail applied (ApplyGuardrail) to every text of the agent's turns,
   * whatever its model: the orchestrator is granted applying exactly it.
   * @default none
   */
  readonly guardrail?: IGuardrail;
  readonly limits?: AgentLimits;
  /**
   * Memory across the person's sessions: recalled at each turn's start,
   * extracted after it by the memory extractor. Needs the orchestrator's `memory`.
   * @default none: nothing recalled, nothing extracted for this agent
   */
  readonly memory?: AgentMemory;
}

/** Memory across sessions (lib/contract/memory-table.ts): the store, the extractor's model, recall's ranking, who may export. */
export interface OrchestratorMemoryProps {
  /** The memory table (State stack). The turn functions are bound to it always, so a person can list and forget records even after every agent turned memory off. */
  readonly store: IMemoryStore;
  /** The memory extractor's model, in-region like every model. @default the orchestrator's `model` */
  readonly model?: ModelBackend;
  /**
   * The Bedrock model id of the in-region embedding model that recall ranks
   * records with (and the extractor embeds them with); the functions may
   * invoke exactly it. @default none: lexical ranking only
   */
  readonly embeddingModel?: string;
  /** IAM role ARNs that may export any person's memory of their tenant (GET /memory?actor=<arn>). @default none */
  readonly exportRoles?: readonly string[];
}

/** @cedar-policy/cedar-wasm's Node build loads this file from its own directory (the bundle's, once bundled). */
const CEDAR_WASM = path.join(path.dirname(require.resolve('@cedar-policy/cedar-wasm/nodejs')), 'cedar_wasm_bg.wasm');

/** The single agent of an orchestrator that declares none. */
export const DEFAULT_AGENT_NAME = 'assistant';
export const DEFAULT_AGENT_INSTRUCTIONS =
  'You are an assistant for the staff of a government agency. Answer from the conversation and the tools you are given; say so when you do not know.';

/** What a user may change of the functions; their code, network, keys, logs and environment are the construct's. */
export type AgentFunctionOverrides = Partial<Pick<PlatformFunctionProps, 'memorySize' | 'timeout' | 'reservedConcurrentExecutions'>>;

/** API Gateway waits at most 29 s for a REST integration; the model call gets the rest after two DynamoDB round trips. */
export const ORCHESTRATOR_MAX_TIMEOUT = Duration.seconds(29);
export const ORCHESTRATOR_FUNCTION_DEFAULTS: AgentFunctionOverrides = { timeout: ORCHESTRATOR_MAX_TIMEOUT };
/** Off the request path: two minutes per stream batch, at most 10 at a time (SC-5). */
export const SUMMARIZER_FUNCTION_DEFAULTS: AgentFunctionOverrides = { timeout: Duration.minutes(2), reservedConcurrentExecutions: 10 };
/** The memory extractor, off the request path like the summarizer: one model call per session range, at most 10 at a time (SC-5). */
export const MEMORY_EXTRACTOR_FUNCTION_DEFAULTS: AgentFunctionOverrides = { timeout: Duration.minutes(2), reservedConcurrentExecutions: 10 };
/**
 * Off the request path too: a round (one model call, its fast tools and
 * delegates) gets Lambda's longest run, 15 minutes. The agent loop retries
 * a round that dies, and the round commits at most once.
 */
export const ROUND_FUNCTION_DEFAULTS: AgentFunctionOverrides = { timeout: Duration.minutes(15) };

/** Background turns' limits (lib/contract/agent-loop.ts): the orchestrator sets a turn's deadline from them, the round function enforces them. */
export interface BackgroundTurnProps {
  /**
   * A turn's deadline: past it, the next step boundary ends the turn
   * `incomplete`, its work kept. 1 s to BACKGROUND_DEFAULTS.maxDeadlineSeconds.
   * @default BACKGROUND_DEFAULTS.deadlineSeconds
   */
  readonly deadline?: Duration;
  /** Model calls one background turn may make, 1 to MAX_BACKGROUND_ROUNDS. @default BACKGROUND_DEFAULTS.maxRounds */
  readonly maxRounds?: number;
}

/** An agent orchestrator, created here or imported with `AgentOrchestrator.fromAgentOrchestratorAttributes`. */
export interface IAgentOrchestrator extends IConstruct {
  /** The function that runs turns (the session API's handler; the approval workflow resumes it). */
  readonly orchestratorFunction: lambda.IFunction;
  /** Invoke the orchestrator (a workflow that resumes turns, a test harness). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /** Orchestrator invocations that failed (a 5xx reply is not a failed invocation; see its logs). */
  metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Orchestrator run time; API Gateway stops waiting at 29 s. */
  metricDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Failed summarizer runs, when the orchestrator has one here. */
  metricSummarizerErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric | undefined;
  /** Failed memory extractor runs, when some agent has memory on here. */
  metricMemoryExtractorErrors(props?: cloudwatch.MetricOptions): cloudwatch.IMetric | undefined;
}

export interface AgentOrchestratorAttributes {
  readonly orchestratorFunctionArn: string;
}

abstract class AgentOrchestratorBase extends Construct implements IAgentOrchestrator {
  public abstract readonly orchestratorFunction: lambda.IFunction;

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.orchestratorFunction.grantInvoke(grantee);
  }

  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.orchestratorFunction.metricErrors({ period: Duration.minutes(1), ...props });
  }

  public metricDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.orchestratorFunction.metricDuration({ period: Duration.minutes(1), ...props });
  }

  public metricSummarizerErrors(_props?: cloudwatch.MetricOptions): cloudwatch.IMetric | undefined {
    return undefined;
  }

  public metricMemoryExtractorErrors(_props?: cloudwatch.MetricOptions): cloudwatch.IMetric | undefined {
    return undefined;
  }
}

export interface AgentOrchestratorProps {
  /** Where sessions live; both functions are bound to it read-write. */
  readonly sessions: ISessionStore;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly logsKey: kms.IKey;
  readonly dataKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** The default model: of every agent that names none, and of the summarizer unless it has its own. */
  readonly model: ModelBackend;
  /**
   * The agents the orchestrator runs, by name (AGENT_NAME_PATTERN). Their
   * definitions ship in the orchestrator's bundle (they do not fit Lambda's
   * 4 KB of environment); their models' settings, which may hold deploy-time
   * values, in its environment. The function is granted exactly their models.
   * @default one agent, `assistant`, on `model` with DEFAULT_AGENT_INSTRUCTIONS
   */
  readonly agents?: Readonly<Record<string, AgentProps>>;
  /** The agent a session gets when its creator names none. @default the first of `agents` */
  readonly defaultAgent?: string;
  /**
   * The summarizer's model, e.g. a Neuron endpoint for the summaries while the
   * orchestrator runs on Bedrock. Each function is granted only its own model.
   * @default model
   */
  readonly summarizerModel?: ModelBackend;
  /**
   * Tenant id → the IAM role ARNs whose callers act for that tenant (the
   * configuration's `tenants`). A caller whose role is not listed is refused (403).
   */
  readonly tenants: Readonly<Record<string, readonly string[]>>;
  /** @default DEFAULT_SESSION_LIMITS (lib/contract/session-limits.ts) */
  readonly limits?: Partial<DeployedSessionLimits>;
  /** Services whose SDK clients must use a separate -fips host (from the region facts). */
  readonly fipsServices: readonly string[];
  /**
   * Your own settings for the orchestrator function, merged over
   * ORCHESTRATOR_FUNCTION_DEFAULTS. Its timeout cannot exceed API Gateway's 29 s integration limit.
   * @default ORCHESTRATOR_FUNCTION_DEFAULTS
   */
  readonly orchestratorFunctionProps?: AgentFunctionOverrides;
  /** Your own settings for the summarizer function, merged over SUMMARIZER_FUNCTION_DEFAULTS. @default SUMMARIZER_FUNCTION_DEFAULTS */
  readonly summarizerFunctionProps?: AgentFunctionOverrides;
  /**
   * Memory across sessions. With it, the turn functions recall, list, forget
   * and export; when some agent has `memory`, a fourth function, the memory
   * extractor (`MemoryExtractor`, lambda/memory), reads the session table's
   * stream as the summarizer does.
   * @default none: no memory routes work, nothing recalled or extracted
   */
  readonly memory?: OrchestratorMemoryProps;
  /** Your own settings for the memory extractor, merged over MEMORY_EXTRACTOR_FUNCTION_DEFAULTS. @default MEMORY_EXTRACTOR_FUNCTION_DEFAULTS */
  readonly memoryExtractorFunctionProps?: AgentFunctionOverrides;
  /**
   * Background turns: with it, a second function, the round function
   * (`Rounds`, lambda/agent-loop), runs the rounds an AgentLoop asks for,
   * configured as the orchestrator is (same agents, models, guardrails,
   * session access and environment); both get these limits. Give the loop
   * to `addAgentLoop`.
   * @default none: no round function; turns run within the API call only
   */
  readonly background?: BackgroundTurnProps;
  /** Your own settings for the round function, merged over ROUND_FUNCTION_DEFAULTS. @default ROUND_FUNCTION_DEFAULTS */
  readonly roundFunctionProps?: AgentFunctionOverrides;
  /**
   * The tools the turns may offer: the ToolWorkflow's `tools`. Their
   * model-facing declarations ship in the turn functions' bundle (ENV.TOOLS),
   * 1 to 2 KB that do not fit beside the rest in Lambda's 4 KB of
   * environment; the workflows' ARNs and the policy come with
   * `addEnvironment(tools.orchestratorEnvironment)`.
   * @default none: every tool call is refused as not available
   */
  readonly tools?: readonly ToolDeclaration[];
  /**
   * Streaming turns: a third function that runs turns, the streaming
   * orchestrator (`Streaming`, lambda/orchestrator/stream-index.ts), for the
   * API's streaming integration of `POST /sessions/{sessionId}/turns`
   * (SessionApi `streamingHandler`). Configured as the orchestrator is.
   * @default false
   */
  readonly streaming?: boolean;
}

/**
 * The agent runtime: the orchestrator function (one Query and one
 * TransactWriteItems per turn), the summarizer that folds old events into
 * the session summary from the table's stream, off the turn path, and, with
 * `background`, the round function that runs background turns' rounds for an
 * AgentLoop (one commit per round).
 */
export class AgentOrchestrator extends AgentOrchestratorBase {
  /** An orchestrator deployed elsewhere: grants and metrics work on it as on one created here. */
  public static fromAgentOrchestratorAttributes(scope: Construct, id: string, attrs: AgentOrchestratorAttributes): IAgentOrchestrator {
    class Imported extends AgentOrchestratorBase {
      public readonly orchestratorFunction = lambda.Function.fromFunctionArn(this, 'Orchestrator', attrs.orchestratorFunctionArn);
    }
    return new Imported(scope, id);
  }

  public readonly orchestrator: PlatformFunction;
  public readonly summarizer: PlatformFunction;
  /** The memory extractor, when some agent has memory on. */
  public readonly memoryExtractor?: PlatformFunction;
  /** The round function, with `background`: what the AgentLoop's Round tasks invoke. */
  public readonly rounds?: PlatformFunction;
  /** The streaming orchestrator, with `streaming`: what the API's streaming turns integration invokes. */
  public readonly streaming?: PlatformFunction;
  /** Background turns' limits as deployed, with `background`. */
  public readonly background?: Required<BackgroundTurnProps>;
  /** The deployment's session limits: the given ones over DEFAULT_SESSION_LIMITS. */
  public readonly limits: SessionLimits;
  /**
   * What the orchestrator's bundle carries: every agent's definition (its
   * model's settings as bound at synth), the default agent and each version.
   */
  public readonly agentDirectory: AgentDirectory;
  /** What the turn functions' bundle carries of the tools: their model-facing declarations (ENV.TOOLS). */
  public readonly toolDeclarations: readonly ModelToolDeclaration[];

  constructor(scope: Construct, id: string, props: AgentOrchestratorProps) {
    super(scope, id);
    const { sessions } = props;
    const timeout = props.orchestratorFunctionProps?.timeout;
    if (timeout && !Token.isUnresolved(timeout.toSeconds()) && timeout.toSeconds() > ORCHESTRATOR_MAX_TIMEOUT.toSeconds()) {
      throw new Error(
        `${this.node.path}: orchestratorFunctionProps.timeout is ${timeout.toSeconds()} s; API Gateway stops waiting after ${ORCHESTRATOR_MAX_TIMEOUT.toSeconds()} s, so use at most ${ORCHESTRATOR_MAX_TIMEOUT.toSeconds()} s.`,
      );
    }
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...props.limits };
    this.background = props.background && backgroundLimits(this, props.background);
    const common = {
      vpc: props.vpc,
      subnets: props.subnets,
      logsKey: props.logsKey,
      dataKey: props.dataKey,
      logRetention: props.logRetention,
    };
    const model = props.model.bind(this);
    const summarizerModel = props.summarizerModel === undefined || props.summarizerModel === props.model ? model : props.summarizerModel.bind(this);
    const agents = bindAgents(this, props, model);
    this.agentDirectory = agents.directory;
    const memory = props.memory;
    const memoryAgents = Object.fromEntries(
      Object.entries(agents.directory.agents).flatMap(([name, agent]): Array<[string, AgentMemory]> => (agent.memory ? [[name, agent.memory]] : [])),
    );
    const memoryOn = Object.keys(memoryAgents).length > 0;
    if (memoryOn && !memory) {
      throw new Error(
        `${this.node.path}: agents ${Object.keys(memoryAgents).map((n) => `"${n}"`).join(', ')} have memory, but the orchestrator has no memory store; pass memory: { store } (a MemoryStore), or remove the agents' memory.`,
      );
    }
    // Recall ranks with the embedding model only where an agent recalls; the grant names exactly that model.
    const embedding = memory?.embeddingModel !== undefined && memoryOn ? embeddingModelGrant(this, memory.embeddingModel) : undefined;
    // Every deployed limit is written, defaults included: the function never falls back to a value nobody reviewed.
    const environment = {
      ...Object.fromEntries(CONFIGURABLE_SESSION_LIMITS.map((limit) => [SESSION_LIMIT_VARIABLES[limit], String(this.limits[limit])])),
      [ENV.FIPS_SERVICES]: props.fipsServices.join(','),
    };
    const roleToTenant: Record<string, string> = {};
    for (const [tenant, roles] of Object.entries(props.tenants)) for (const role of roles) roleToTenant[role] = tenant;
    // The orchestrator starts background turns (their deadline is set then) and the round function runs them: both read the limits.
    const backgroundEnvironment: Record<string, string> = this.background
      ? {
          [ENV.BACKGROUND_DEADLINE_SECONDS]: Tokenization.stringifyNumber(this.background.deadline.toSeconds()),
          [ENV.BACKGROUND_MAX_ROUNDS]: Tokenization.stringifyNumber(this.background.maxRounds),
        }
      : {};

    this.toolDeclarations = (props.tools ?? []).map(modelToolDeclaration);
    const toolDeclarations = this.toolDeclarations.length > 0 ? JSON.stringify(this.toolDeclarations) : undefined;
    // Every function that runs turns is configured here, so the orchestrator and the round function cannot drift.
    const turnFunction = (id: string, options: TurnFunctionOptions): PlatformFunction => {
      const fn = new PlatformFunction(this, id, {
        ...options.defaults,
        ...options.overrides,
        ...common,
        entry: options.entry,
        description: options.description,
        serviceName: options.serviceName,
        environment: {
          ...environment,
          // The Lambda side looks a caller's role up, so the map is written role → tenant.
          [ENV.TENANT_MAP]: JSON.stringify(roleToTenant),
          // Deploy-time values (an endpoint's name) resolve here; the definitions' digest makes a changed prompt visible in the template.
          [ENV.AGENT_MODELS]: Stack.of(this).toJsonString(agents.models),
          ...(Object.keys(agents.guardrails).length > 0 ? { [ENV.AGENT_GUARDRAILS]: Stack.of(this).toJsonString(agents.guardrails) } : {}),
          [ENV.AGENT_DEFINITIONS_DIGEST]: agents.digest,
          ...(toolDeclarations === undefined ? {} : { [ENV.TOOLS_DIGEST]: digestOf(toolDeclarations) }),
          ...backgroundEnvironment,
        },
        bundledDefinitions: {
          [ENV.AGENT_DEFINITIONS]: JSON.stringify(agents.directory),
          ...(toolDeclarations === undefined ? {} : { [ENV.TOOLS]: toolDeclarations }),
        },
        // The Cedar evaluator of the tool policy reads its WebAssembly module from the handler's directory.
        bundledFiles: [CEDAR_WASM],
      });
      sessions.bind(fn.function, SessionAccess.READ_WRITE);
      // AC-6: the function may call exactly the models of the agents it runs.
      for (const grant of agents.grants) grant(fn.grantPrincipal);
      if (memory) {
        memory.store.bind(fn.function, MemoryAccess.RECALL_AND_FORGET);
        fn.function.addEnvironment(ENV.MEMORY_EXPORT_ROLES, JSON.stringify(memory.exportRoles ?? []));
        embedding?.(fn);
      }
      return fn;
    };

    this.orchestrator = turnFunction('Orchestrator', {
      defaults: ORCHESTRATOR_FUNCTION_DEFAULTS,
      overrides: props.orchestratorFunctionProps,
      entry: path.join(LAMBDA_DIR, 'orchestrator', 'index.ts'),
      description: 'Statehouse orchestrator: runs one agent turn per request',
      serviceName: 'orchestrator',
    });

    this.summarizer = new PlatformFunction(this, 'Summarizer', {
      ...SUMMARIZER_FUNCTION_DEFAULTS,
      ...props.summarizerFunctionProps,
      ...common,
      entry: path.join(LAMBDA_DIR, 'summarizer', 'index.ts'),
      description: 'Statehouse summarizer: folds old session events into the rolling summary',
      serviceName: 'summarizer',
      environment: { ...environment, [ENV.MODEL_BACKEND]: Stack.of(this).toJsonString(summarizerModel.config) },
    });
    sessions.bind(this.summarizer.function, SessionAccess.READ_WRITE);
    summarizerModel.grant(this.summarizer.grantPrincipal);
    // The stream's on-failure destination: CDK grants the queue key's encrypt actions with wildcards.
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledge(this.summarizer.role, `AwsSolutions-IAM5[Action::${action}]`, 'CDK grant for sending failed stream batches to the encrypted dead-letter queue; limited to that queue\'s key.');
    }
    this.summarizer.function.addEventSource(sessionEventSource(sessions, this.summarizer));

    if (memory && memoryOn) {
      const memoryModel = memory.model === undefined || memory.model === props.model ? model : memory.model.bind(this);
      this.memoryExtractor = new PlatformFunction(this, 'MemoryExtractor', {
        ...MEMORY_EXTRACTOR_FUNCTION_DEFAULTS,
        ...props.memoryExtractorFunctionProps,
        ...common,
        entry: path.join(LAMBDA_DIR, 'memory', 'index.ts'),
        description: 'Statehouse memory extractor: learns records about the person from new session events, off the turn path',
        serviceName: 'memory-extractor',
        environment: {
          ...environment,
          [ENV.MEMORY_MODEL]: Stack.of(this).toJsonString(memoryModel.config),
          [ENV.MEMORY_AGENTS]: JSON.stringify(memoryAgents),
        },
      });
      // It reads the events it learns from and writes only memory: read access to sessions, the extract grant on memory.
      sessions.bind(this.memoryExtractor.function, SessionAccess.READ);
      memory.store.bind(this.memoryExtractor.function, MemoryAccess.EXTRACT);
      memoryModel.grant(this.memoryExtractor.grantPrincipal);
      embedding?.(this.memoryExtractor);
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        acknowledge(this.memoryExtractor.role, `AwsSolutions-IAM5[Action::${action}]`, 'CDK grant for sending failed stream batches to the encrypted dead-letter queue; limited to that queue\'s key.');
      }
      // DynamoDB Streams serves at most two simultaneous readers per shard
      // (docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html#Streams.Processing):
      // the summarizer and this extractor are those two. A third consumer of the session table's
      // stream would be throttled; fan out through one of them (or Kinesis Data Streams) instead.
      this.memoryExtractor.function.addEventSource(sessionEventSource(sessions, this.memoryExtractor));
    }

    if (props.streaming) {
      this.streaming = turnFunction('Streaming', {
        defaults: ORCHESTRATOR_FUNCTION_DEFAULTS,
        overrides: props.orchestratorFunctionProps,
        entry: path.join(LAMBDA_DIR, 'orchestrator', 'stream-index.ts'),
        description: 'Statehouse streaming orchestrator: runs a turn and streams its replies as server-sent events',
        serviceName: 'orchestrator-stream',
      });
    }

    if (this.background) {
      this.rounds = turnFunction('Rounds', {
        defaults: ROUND_FUNCTION_DEFAULTS,
        overrides: props.roundFunctionProps,
        entry: path.join(LAMBDA_DIR, 'agent-loop', 'index.ts'),
        description: 'Statehouse round function: runs one round of a background turn for the agent loop',
        serviceName: 'agent-loop',
      });
    }
  }

  public get orchestratorFunction(): lambda.IFunction {
    return this.orchestrator.function;
  }

  /** The round function the AgentLoop invokes, with `background`. */
  public get roundFunction(): lambda.IFunction | undefined {
    return this.rounds?.function;
  }

  public override metricSummarizerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.summarizer.function.metricErrors({ period: Duration.minutes(1), ...props });
  }

  public override metricMemoryExtractorErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric | undefined {
    return this.memoryExtractor?.function.metricErrors({ period: Duration.minutes(1), ...props });
  }

  /**
   * Settings for the functions that run turns (the orchestrator and, with
   * `background`, the round function; not the summarizer), e.g. the tool
   * workflows they call (ToolWorkflow.orchestratorEnvironment).
   */
  public addEnvironment(variables: Readonly<Record<string, string>>): void {
    for (const fn of this.turnFunctions()) {
      for (const [name, value] of Object.entries(variables)) fn.function.addEnvironment(name, value);
    }
  }

  /**
   * Background turns on `loop`: both turn functions get the loop's ARN (the
   * round function's wiring refuses to start without one), and the
   * orchestrator function may start the loop's executions, look them up,
   * stop them (a cancel) and answer their approvals' task tokens. The round
   * function gets no grant on it: the loop invokes it, never the reverse.
   */
  public addAgentLoop(loop: IAgentLoop): void {
    this.addEnvironment(loop.orchestratorEnvironment);
    for (const { function: fn } of this.apiFunctions()) {
      loop.grantStart(fn);
      loop.grantDescribeExecutions(fn);
      loop.grantStop(fn);
      loop.grantSendTaskResult(fn);
    }
  }

  /** The functions behind the API: the orchestrator and, with `streaming`, the streaming orchestrator. Both answer turns: grant both what turns call. */
  public apiFunctions(): PlatformFunction[] {
    return this.streaming ? [this.orchestrator, this.streaming] : [this.orchestrator];
  }

  private turnFunctions(): PlatformFunction[] {
    return [...this.apiFunctions(), ...(this.rounds ? [this.rounds] : [])];
  }
}

/**
 * The session table's stream as a stream consumer reads it: new events only
 * (`E#` inserts; header updates, the summarizer's own included, do not wake
 * it), batch item failures reported, failed batches to the function's
 * dead-letter queue under the data key.
 */
function sessionEventSource(sessions: ISessionStore, consumer: PlatformFunction): sources.DynamoEventSource {
  return new sources.DynamoEventSource(sessions.table, {
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: 100,
    maxBatchingWindow: Duration.seconds(5),
    bisectBatchOnError: true,
    retryAttempts: 3,
    reportBatchItemFailures: true,
    onFailure: new sources.SqsDlq(consumer.deadLetterQueue),
    filters: [
      lambda.FilterCriteria.filter({
        eventName: lambda.FilterRule.isEqual('INSERT'),
        dynamodb: { Keys: { sk: { S: [{ prefix: 'E#' }] } } },
      }),
    ],
  });
}

/**
 * The embedding model as a function's variable and its one grant: InvokeModel
 * on that foundation model in this region (AC-6), after the capability gate
 * (a model the region cannot run fails synth; an unverified one warns).
 */
function embeddingModelGrant(scope: Construct, modelId: string): (fn: PlatformFunction) => void {
  requireCapability(scope, 'bedrock:runtime', 'the memory embedding model');
  requireCapability(scope, `bedrock:model:${modelId}`, `memory embedding model "${modelId}"`);
  const stack = Stack.of(scope);
  const modelArn = stack.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  return (fn) => {
    fn.function.addEnvironment(ENV.EMBEDDING_MODEL, modelId);
    iam.Grant.addToPrincipal({ grantee: fn.grantPrincipal, actions: ['bedrock:InvokeModel'], resourceArns: [modelArn] });
  };
}

/** How one function that runs turns differs from the others: its code and its function settings, never its environment. */
interface TurnFunctionOptions {
  readonly defaults: AgentFunctionOverrides;
  readonly overrides?: AgentFunctionOverrides;
  readonly entry: string;
  readonly description: string;
  readonly serviceName: string;
}

/** `background` with its defaults, checked: the deadline within a day, 1 to MAX_BACKGROUND_ROUNDS rounds. */
function backgroundLimits(scope: Construct, background: BackgroundTurnProps): Required<BackgroundTurnProps> {
  const deadline = background.deadline ?? Duration.seconds(BACKGROUND_DEFAULTS.deadlineSeconds);
  checkBackgroundDeadline(scope, 'background.deadline', deadline);
  const maxRounds = background.maxRounds ?? BACKGROUND_DEFAULTS.maxRounds;
  if (!Token.isUnresolved(maxRounds) && (!Number.isInteger(maxRounds) || maxRounds < 1 || maxRounds > MAX_BACKGROUND_ROUNDS)) {
    throw new Error(
      `${scope.node.path}: background.maxRounds is ${maxRounds}; give a whole number of rounds from 1 to ${MAX_BACKGROUND_ROUNDS} (each round is one model call; a turn that needs more is several turns).`,
    );
  }
  return { deadline, maxRounds };
}

interface BoundAgents {
  readonly directory: AgentDirectory;
  /** Agent name → its model's settings, for the environment (tokens resolve at deploy). */
  readonly models: Record<string, ModelBackendConfig>;
  /** Agent name → its guardrail's id and version, for the environment (they are deploy-time values). */
  readonly guardrails: Record<string, GuardrailBinding>;
  readonly grants: ReadonlyArray<(grantee: iam.IGrantable) => void>;
  /** A digest of every definition: changes whenever a prompt, a tool list or a model does. */
  readonly digest: string;
}

/** Each agent's model bound once, its definition checked and versioned. */
function bindAgents(scope: Construct, props: AgentOrchestratorProps, defaultModel: ModelBackendBinding): BoundAgents {
  const declared = props.agents ?? { [DEFAULT_AGENT_NAME]: { description: 'A general assistant.', instructions: DEFAULT_AGENT_INSTRUCTIONS } };
  const names = Object.keys(declared);
  const defaultAgent = props.defaultAgent ?? names[0];
  const problems: string[] = [];
  if (names.length === 0) problems.push('agents: declare at least one agent');
  if (!(defaultAgent in declared)) problems.push(`defaultAgent: "${defaultAgent}" is not one of agents (${names.join(', ')})`);
  const agents: Record<string, AgentDefinition> = {};
  const models: Record<string, ModelBackendConfig> = {};
  const guardrails: Record<string, GuardrailBinding> = {};
  const grants: Array<(grantee: iam.IGrantable) => void> = [];
  for (const [name, agent] of Object.entries(declared)) {
    if (!AGENT_NAME_PATTERN.test(name)) problems.push(`agents: "${name}" is not an agent name (${AGENT_NAME_RULE})`);
    const bytes = Buffer.byteLength(agent.instructions, 'utf8');
    if (bytes === 0 || bytes > MAX_INSTRUCTIONS_BYTES) problems.push(`agents.${name}.instructions: ${bytes} bytes; give 1 to ${MAX_INSTRUCTIONS_BYTES}`);
    for (const other of [...(agent.delegates ?? []), ...(agent.handoffs ?? [])]) {
      if (!(other in declared) || other === name) problems.push(`agents.${name}: "${other}" is not another agent of this orchestrator`);
    }
    if (agent.memory) {
      const { scope: memoryScope, recallTokens } = agent.memory;
      if (memoryScope !== 'actor' && memoryScope !== 'agent') problems.push(`agents.${name}.memory.scope: "${memoryScope}"; give "actor" (shared by the person's agents) or "agent" (this agent's own)`);
      if (!Token.isUnresolved(recallTokens) && (!Number.isInteger(recallTokens) || recallTokens < 1)) {
        problems.push(`agents.${name}.memory.recallTokens: ${recallTokens}; give a whole number of tokens of at least 1 (DEFAULT_RECALL_TOKENS is a good start)`);
      }
    }
    const binding = agent.model && agent.model !== props.model ? agent.model.bind(scope) : defaultModel;
    models[name] = binding.config;
    grants.push((grantee) => binding.grant(grantee));
    const definition = {
      name,
      description: agent.description,
      instructions: agent.instructions,
      model: binding.config,
      tools: [...(agent.tools ?? [])],
      ...(agent.delegates?.length ? { delegates: [...agent.delegates] } : {}),
      ...(agent.handoffs?.length ? { handoffs: [...agent.handoffs] } : {}),
      ...(agent.limits ? { limits: agent.limits } : {}),
      ...(agent.memory ? { memory: agent.memory } : {}),
    };
    if (agent.guardrail) {
      const guardrail = agent.guardrail;
      guardrails[name] = guardrail.binding;
      grants.push((grantee) => guardrail.grantApply(grantee));
    }
    // The version covers the guardrail too (as the template names it); the bundle does not carry it.
    const version = digestOf(Stack.of(scope).resolve({ ...definition, guardrail: guardrails[name] }));
    agents[name] = { ...definition, version };
  }
  if (problems.length > 0) throw new Error(`${scope.node.path}: ${problems.join('; ')}.`);
  const directory: AgentDirectory = { defaultAgent, agents };
  return { directory, models, guardrails, grants, digest: digestOf(Stack.of(scope).resolve({ directory, guardrails })) };
}

/** A short, stable digest of a JSON value (sha256 of its canonical form). */
function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
