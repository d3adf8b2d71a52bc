import type { AgentDirectory } from '../../../lib/contract/agent';
import type { Clock } from '../ports/clock';
import type { SessionRepository } from '../ports/session-repository';
import { agentForNewSession } from './agents';
import { newSessionHeader, type SessionHeader } from './session-header';
import { DEFAULT_SESSION_LIMITS, ttlSecondsOf } from '../../../lib/contract/session-limits';

export interface CreateSessionDeps {
  readonly sessions: SessionRepository;
  readonly clock: Clock;
  readonly agents: AgentDirectory;
}

export interface CreateSessionRequest {
  readonly tenant: string;
  readonly session: string;
  /** The caller's principal; only it may take turns. */
  readonly owner: string;
  /** The agent the session is for, for its whole life unless a handoff moves it. @default the deployment's default agent */
  readonly agent?: string;
  /** The session's lifetime token budget (input + output). */
  readonly maxTokens: number;
  readonly ttlSeconds?: number;
}

/** Starts an empty session; throws ValidationError for an agent the deployment does not run, SessionExistsError if the id is taken. */
export async function createSession(deps: CreateSessionDeps, request: CreateSessionRequest): Promise<SessionHeader> {
  const header = newSessionHeader({
    ...request,
    agent: agentForNewSession(deps.agents, request.agent),
    ttlSeconds: request.ttlSeconds ?? ttlSecondsOf(DEFAULT_SESSION_LIMITS),
    now: deps.clock.now(),
  });
  await deps.sessions.create(request.tenant, request.session, header);
  return header;
}
