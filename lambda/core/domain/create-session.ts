import type { Clock } from '../ports/clock';
import type { SessionRepository } from '../ports/session-repository';
import { newSessionHeader, type SessionHeader } from './session-header';
import { DEFAULT_SESSION_LIMITS, ttlSecondsOf } from '../../../lib/contract/session-limits';

export interface CreateSessionDeps {
  readonly sessions: SessionRepository;
  readonly clock: Clock;
}

export interface CreateSessionRequest {
  readonly tenant: string;
  readonly session: string;
  /** The caller's principal; only it may take turns. */
  readonly owner: string;
  /** The session's lifetime token budget (input + output). */
  readonly maxTokens: number;
  readonly ttlSeconds?: number;
}

/** Starts an empty session; throws SessionExistsError if the id is taken. */
export async function createSession(deps: CreateSessionDeps, request: CreateSessionRequest): Promise<SessionHeader> {
  const header = newSessionHeader({
    ...request,
    ttlSeconds: request.ttlSeconds ?? ttlSecondsOf(DEFAULT_SESSION_LIMITS),
    now: deps.clock.now(),
  });
  await deps.sessions.create(request.tenant, request.session, header);
  return header;
}
