import type { TurnLimits } from '../core/domain/turn-limits';
import type { OrchestratorDeps } from './orchestrator-deps';

/** The deployment's session limits as the turn domain names them (API turns and resumed turns alike). */
export function turnLimitsOf(deps: Pick<OrchestratorDeps, 'limits'>): Partial<TurnLimits> {
  return {
    historyEvents: deps.limits.contextEvents,
    contextTokens: deps.limits.contextTokens,
    sessionTtlSeconds: deps.limits.ttlSeconds,
  };
}
