import { ttlSecondsOf } from '../../../lib/contract/session-limits';
import type { SessionRepository } from '../ports/session-repository';
import type { RequestMarkerWrite } from './idempotency';
import { startPendingTool } from './pending-tool';
import type { ActiveTurn, RecordedTurn, TurnHeaderUpdate } from './session-header';
import type { TurnDeps } from './run-turn';
import type { SessionLimits } from '../../../lib/contract/session-limits';
import { headerUpdateFor, type RoundsOutcome } from './turn-plan';
import { runModelRounds, type RoundsDeps, type RoundsInput, type RoundsOptions } from './turn-rounds';

export interface StretchDeps extends RoundsDeps {
  readonly sessions: SessionRepository;
}

/** What a stretch needs of a turn's dependencies, with the limits in force. */
export function stretchDepsOf(deps: TurnDeps, limits: SessionLimits): StretchDeps {
  return {
    sessions: deps.sessions,
    agents: deps.agents,
    modelFor: (name) => deps.modelFor(name),
    guardrailFor: (name) => deps.guardrailFor?.(name),
    tools: deps.tools,
    limits,
    ...(deps.memory ? { memory: deps.memory } : {}),
  };
}

/**
 * The request a stretch is recorded under, so its retry returns the stored
 * result: in the header's recent map (`turn`) and in its marker item
 * (`marker`), written by the same commit. Undefined records none.
 */
export type StretchRecord =
  | { readonly requestId: string; readonly turn: RecordedTurn; readonly marker: RequestMarkerWrite }
  | undefined;

export interface CommittedStretch<R extends StretchRecord> {
  readonly outcome: RoundsOutcome;
  readonly record: R;
  readonly headerUpdate: TurnHeaderUpdate;
  readonly version: number;
}

/**
 * A stretch of a turn, from its opening events to the session's next state:
 * the model rounds, ONE commit of everything they produced, and then (only
 * then, so no workflow runs for a call the log does not hold) the start of
 * the workflow of a slow call left pending. A crash between the commit and
 * the start is healed by the retry of the request, which starts it again.
 */
export async function commitStretch<R extends StretchRecord>(
  deps: StretchDeps,
  input: RoundsInput,
  recordOf: (outcome: RoundsOutcome) => R,
  now: Date,
  options: {
    readonly rounds?: RoundsOptions;
    /** The background turn the stretch leaves running (a synchronous turn out of time): its record on the header. */
    readonly activeTurnOf?: (outcome: RoundsOutcome) => ActiveTurn | undefined;
  } = {},
): Promise<CommittedStretch<R>> {
  const outcome = await runModelRounds(deps, input, options.rounds);
  const record = recordOf(outcome);
  const headerUpdate = headerUpdateFor(input.header, outcome, record, now, ttlSecondsOf(deps.limits), options.activeTurnOf?.(outcome));
  const version = await deps.sessions.commitTurn(
    input.tenant,
    input.session,
    input.header.version,
    outcome.events,
    headerUpdate,
    record?.marker,
  );
  if (outcome.pending && deps.tools) await startPendingTool(deps.tools.slowTools, input.tenant, input.session, outcome.pending);
  return { outcome, record, headerUpdate, version };
}
