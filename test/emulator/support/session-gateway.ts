import type { APIGatewayProxyEvent } from 'aws-lambda';
import { systemClock } from '../../../lambda/core/adapters/system-clock';
import { parseTenantMap } from '../../../lambda/core/http/caller';
import type { ChatMessage, ChatOptions, ModelBackend, ModelReply, ToolSpec } from '../../../lambda/core/ports/model-backend';
import { createHandler } from '../../../lambda/orchestrator/handler';
import type { OrchestratorDeps, OrchestratorMemory } from '../../../lambda/orchestrator/orchestrator-deps';
import { DynamoDbMemoryStore } from '../../../lambda/core/adapters/dynamodb-memory-store';
import { DEFAULT_RECALL_TOKENS, MEMORY_DEFAULTS } from '../../../lib/contract/memory-table';
import { createMemoryTable } from '../../helpers/moto';
import { createStreamingHandler } from '../../../lambda/orchestrator/stream-handler';
import { startLocalGateway, type GatewayAccessEntry, type GatewayRoute, type LocalGateway, type ProxyHandler, type StreamingProxyHandler } from '../../../lib/emulator/local-gateway';
import { motoCallers, type MotoCallers } from '../../../lib/emulator/moto-callers';
import { orchestratorRoutes } from '../../../lib/emulator/orchestrator-routes';
import type { IssuedCredential } from '../../../lib/emulator/sigv4-verifier';
import type { AgentModels } from '../../../lambda/core/domain/agents';
import { soleAgent, TEST_AGENT } from '../../lambda/core/support/agents';
import { ScriptedModel } from '../../lambda/core/support/scripted-model';
import { ACCOUNT, ROLE_A, ROLE_B, TENANT_MAP_JSON } from '../../lambda/orchestrator/support/api-events';
import { quietTelemetry, startOrchestratorHarness, TEST_LIMITS, type OrchestratorHarness } from '../../lambda/orchestrator/support/orchestrator-harness';

/**
 * The orchestrator's REAL handlers (buffered and streaming) behind the local
 * gateway, on moto's DynamoDB and S3, with callers whose credentials moto's
 * STS issued for roles of the tenant map. Only the model is scripted.
 */

/** The tenant map's roles are GovCloud roles: the API, its signatures and moto's ARNs are in us-gov-west-1. */
export const REGION = 'us-gov-west-1';

export interface SessionGateway {
  readonly harness: OrchestratorHarness;
  readonly gateway: LocalGateway;
  readonly callers: MotoCallers;
  /** Agency A's application role, session `alice`, from moto's STS. */
  readonly alice: IssuedCredential;
  /** Agency B's application role, session `bob`. */
  readonly bob: IssuedCredential;
  /** Every proxy event that reached a handler, in order. */
  readonly events: APIGatewayProxyEvent[];
  /** The gateway's access log: every request it answered, refused ones included. */
  readonly access: GatewayAccessEntry[];
  /** The handlers behind the gateway (they note each event in `events`), for another gateway on the same store. */
  readonly handler: ProxyHandler;
  readonly streamingHandler: StreamingProxyHandler;
  /** The memory store, when started with `memory`. */
  readonly memory?: OrchestratorMemory;
  /** The model for the turns from now on. @default ScriptedModel.echoing() */
  useModel(model: ModelBackend): void;
  stop(): Promise<void>;
}

export interface SessionGatewayOptions {
  /** A memory table on the same moto, its store in the orchestrator's deps (agent `assistant` with memory scope `actor`). @default none */
  readonly memory?: { readonly exportRoles: readonly string[] };
}

/** The memory table of a gateway started with `memory`. */
export const GATEWAY_MEMORY_TABLE = 'statehouse-memory';

export async function startSessionGateway(routes: readonly GatewayRoute[] = orchestratorRoutes(), options: SessionGatewayOptions = {}): Promise<SessionGateway> {
  const harness = await startOrchestratorHarness();
  let memory: OrchestratorMemory | undefined;
  if (options.memory) {
    await createMemoryTable(harness.store.dynamodb, GATEWAY_MEMORY_TABLE);
    memory = {
      store: new DynamoDbMemoryStore({ client: harness.store.dynamodb, tableName: GATEWAY_MEMORY_TABLE, logRetentionDays: MEMORY_DEFAULTS.logRetentionDays }),
      settings: MEMORY_DEFAULTS,
      exportRoles: options.memory.exportRoles,
    };
  }
  const callers = motoCallers(harness.store.moto.endpoint, REGION);
  let model: ModelBackend = ScriptedModel.echoing();
  // One agent whose model is whichever the test chose last.
  const current: ModelBackend = {
    chat: (messages: readonly ChatMessage[], tools?: readonly ToolSpec[], options?: ChatOptions): Promise<ModelReply> => model.chat(messages, tools, options),
  };
  const deps: OrchestratorDeps = {
    sessions: harness.store.repository,
    ...agentsOf(soleAgent(current), memory !== undefined),
    clock: systemClock,
    tenants: parseTenantMap(TENANT_MAP_JSON),
    limits: TEST_LIMITS,
    ...(memory ? { memory } : {}),
    ...quietTelemetry(),
  };
  const handler = createHandler(deps);
  const streaming = createStreamingHandler(deps);
  const events: APIGatewayProxyEvent[] = [];
  const access: GatewayAccessEntry[] = [];
  const noted: ProxyHandler = (event) => {
    events.push(event);
    return handler(event);
  };
  const notedStreaming: StreamingProxyHandler = (event, open) => {
    events.push(event);
    return streaming(event, open);
  };
  const gateway = await startLocalGateway({
    routes,
    handler: noted,
    streamingHandler: notedStreaming,
    credentials: callers.lookup,
    region: REGION,
    accountId: ACCOUNT,
    onRequest: (entry) => access.push(entry),
  });
  const [alice, bob] = [await callers.assumeRole(ROLE_A, 'alice'), await callers.assumeRole(ROLE_B, 'bob')];
  return {
    harness,
    gateway,
    callers,
    alice,
    bob,
    events,
    access,
    handler: noted,
    streamingHandler: notedStreaming,
    ...(memory ? { memory } : {}),
    useModel(next) {
      model = next;
    },
    async stop() {
      await gateway.close();
      callers.destroy();
      await harness.stop();
    },
  };
}

/** The one agent, with memory scope `actor` when the gateway has memory. */
function agentsOf(sole: AgentModels, withMemory: boolean): AgentModels {
  if (!withMemory) return sole;
  const definition = sole.agents.agents[TEST_AGENT];
  const memory = { scope: 'actor' as const, recallTokens: DEFAULT_RECALL_TOKENS };
  return { ...sole, agents: { ...sole.agents, agents: { [TEST_AGENT]: { ...definition, memory } } } };
}

/** The credentials as an AWS SDK or the client takes them. */
export function credentialsOf(issued: IssuedCredential) {
  return { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken };
}
