import type { AgentDirectory } from '../../lib/contract/agent';
import type { SessionLimits } from '../../lib/contract/session-limits';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { TenantMap } from '../core/http/caller';
import type { Clock } from '../core/ports/clock';
import type { Guardrail } from '../core/ports/guardrail';
import type { ModelBackend } from '../core/ports/model-backend';
import type { SessionRepository } from '../core/ports/session-repository';
import type { SyncOverflow, TurnDeps } from '../core/domain/run-turn';
import type { OrchestratorTools } from '../core/wiring/tool-wiring';
import type { AgentLoop } from '../core/ports/agent-loop';
import type { BackgroundDeps, BackgroundSettings } from '../core/domain/background-turn';
import { BACKGROUND_DEFAULTS } from '../../lib/contract/agent-loop';
import { ValidationError } from '../core/domain/errors';
import type { MemorySettings } from '../../lib/contract/memory-table';
import { memoryAgentsOf } from '../core/domain/agents';
import type { Embedder, MemoryStore } from '../core/ports/memory-store';

/** The deployment's memory (ENV.MEMORY_TABLE and the rest, lambda/core/wiring/memory-wiring.ts). */
export interface OrchestratorMemory {
  readonly store: MemoryStore;
  readonly settings: MemorySettings;
  readonly exportRoles: readonly string[];
  readonly embedder?: Embedder;
}

/** Everything the orchestrator's handler uses; index.ts wires the real ones, tests wire moto and scripted models. */
export interface OrchestratorDeps {
  readonly sessions: SessionRepository;
  /** The deployment's agents, read once at cold start. */
  readonly agents: AgentDirectory;
  /** The model backend of an agent of `agents`: each agent runs on its own. */
  modelFor(agent: string): ModelBackend;
  /** The guardrail of an agent of `agents`, when its definition binds one. @default none: no agent's text is checked */
  guardrailFor?(agent: string): Guardrail | undefined;
  readonly clock: Clock;
  readonly tenants: TenantMap;
  /** The deployment's session limits (lambda/core/wiring/runtime-env.ts reads them). */
  readonly limits: SessionLimits;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Log prompts and model output (ENV.LOG_CONTENT). @default false */
  readonly logContent?: boolean;
  /** The tools the model may call, their workflows, and the approvals' decision sender. @default none */
  readonly tools?: OrchestratorTools;
  /** The agent loop that runs background turns (ENV.AGENT_LOOP_STATE_MACHINE). @default none: a background turn is refused (400) */
  readonly loop?: AgentLoop;
  /** Background turns' limits. @default BACKGROUND_DEFAULTS */
  readonly background?: BackgroundSettings;
  /**
   * How long a synchronous turn may take (SyncOverflow, run-turn.ts): with a
   * loop, a turn whose next model call would not fit moves to the background.
   * @default none: a synchronous turn runs to its end inside the call
   */
  readonly syncBudget?: Pick<SyncOverflow, 'answerWithinMs' | 'modelCallMs'>;
  /**
   * Where a streaming turn's text goes as it arrives (set per request by the
   * streaming handler, stream-handler.ts). @default none: `stream: true` is refused (400)
   */
  readonly streamText?: (round: number, delta: string) => void;
  /** Memory across sessions: recalled into turns, served by the /memory routes. @default none: nothing recalled, /memory answers 404 */
  readonly memory?: OrchestratorMemory;
  /** What a streaming route knows of its answer before the turn runs (the response's id and model), for the stream's first event. */
  readonly streamAbout?: (about: Readonly<Record<string, unknown>>) => void;
}

/** What a turn needs of the orchestrator's dependencies: the same for API turns and resumed turns. */
export function turnDepsOf(deps: OrchestratorDeps): TurnDeps {
  return {
    sessions: deps.sessions,
    agents: deps.agents,
    modelFor: (agent) => deps.modelFor(agent),
    guardrailFor: (agent) => deps.guardrailFor?.(agent),
    clock: deps.clock,
    tools: deps.tools,
    limits: deps.limits,
    ...(deps.memory
      ? { memory: { memory: deps.memory.store, agents: memoryAgentsOf(deps.agents), clock: deps.clock, ...(deps.memory.embedder ? { embedder: deps.memory.embedder } : {}) } }
      : {}),
    ...(deps.loop && deps.syncBudget ? { overflow: { loop: deps.loop, background: backgroundSettingsOf(deps), ...deps.syncBudget } } : {}),
  };
}

function backgroundSettingsOf(deps: OrchestratorDeps): BackgroundSettings {
  return deps.background ?? { deadlineSeconds: BACKGROUND_DEFAULTS.deadlineSeconds, maxRounds: BACKGROUND_DEFAULTS.maxRounds };
}

/** What a background turn needs: a turn's deps, the loop and its limits. Refused (400) where the target runs no agent loop. */
export function backgroundDepsOf(deps: OrchestratorDeps): BackgroundDeps {
  if (!deps.loop) {
    throw new ValidationError('mode', 'background turns are off in this deployment (configuration background.enabled); send the turn without "mode", or with "mode": "sync"');
  }
  return {
    ...turnDepsOf(deps),
    loop: deps.loop,
    background: backgroundSettingsOf(deps),
  };
}
