import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { TenantMap } from '../core/http/caller';
import type { Clock } from '../core/ports/clock';
import type { ModelBackend } from '../core/ports/model-backend';
import type { SessionRepository } from '../core/ports/session-repository';
import type { OrchestratorTools } from '../core/wiring/tool-wiring';

/** Session limits of this deployment, from the environment (see lambda/core/wiring/runtime-env.ts). */
export interface OrchestratorLimits {
  /** Newest events read with the header per turn (K). */
  readonly contextEvents: number;
  readonly contextTokens: number;
  /** The budget a new session gets, and the most a create request may ask for. */
  readonly sessionTokenBudget: number;
  readonly ttlSeconds: number;
}

/** Everything the orchestrator's handler uses; index.ts wires the real ones, tests wire moto and a scripted model. */
export interface OrchestratorDeps {
  readonly sessions: SessionRepository;
  readonly model: ModelBackend;
  readonly clock: Clock;
  readonly tenants: TenantMap;
  readonly limits: OrchestratorLimits;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Log prompts and model output (ENV.LOG_CONTENT). @default false */
  readonly logContent?: boolean;
  /** The tools the model may call, their workflows, and the approvals' decision sender. @default none */
  readonly tools?: OrchestratorTools;
}
