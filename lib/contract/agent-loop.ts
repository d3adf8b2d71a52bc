import type { ResumeTurnEvent, SlowToolRunInput } from './workflow-contract';
import { taskErrorName } from './workflow-contract';

/**
 * The contract between the agent loop (a Standard state machine,
 * lib/constructs/agent-loop) and the function that runs its rounds
 * (lambda/agent-loop): what each Task sends and what it returns. Plain
 * types and constants, no SDK or CDK.
 *
 * A background turn runs as one execution of the loop:
 *
 *   Round ──continue──▶ Round ...
 *     ├─awaiting_approval─▶ wait for the approver (task token) ─▶ run the slow tool ─▶ Round (with its result)
 *     ├─awaiting_tool────▶ run the slow tool ───────────────────────────────────────▶ Round (with its result)
 *     └─done─────────────▶ end
 *
 * Each Round loads the session, asks the agent's model once (running the fast
 * tools and delegates its reply calls), and commits what it got in one
 * TransactWriteItems conditioned on the header's version. The events live in
 * the table; the execution's state carries only these small records.
 */

/** How a turn runs: inside the API call (`sync`, the default), or as an execution of the agent loop. */
export type TurnMode = 'sync' | 'background';

/** A turn's status as `GET /sessions/{id}/turns/{requestId}` reports it. */
export type TurnStatus = 'queued' | 'running' | 'awaiting_approval' | 'awaiting_tool' | 'completed' | 'failed' | 'cancelled' | 'incomplete';

/** The turn statuses that end a turn: the session takes new turns again. */
export const FINAL_TURN_STATUSES: readonly TurnStatus[] = ['completed', 'failed', 'cancelled', 'incomplete'];

/** The input of one execution of the agent loop: which turn it runs. Its name is the turn's (agentLoopExecutionName). */
export interface AgentLoopInput {
  readonly tenant: string;
  readonly session: string;
  readonly requestId: string;
  /** Rounds the turn had committed when the loop was started (0, or what a sync turn did before it moved to the background). */
  readonly round: number;
}

/** What the Round task sends the round function. */
export interface RoundEvent extends AgentLoopInput {
  readonly kind: 'statehouse.round';
  /**
   * The rounds committed when this round was asked for. A retry of a round
   * that committed before its function died finds more rounds committed,
   * asks nothing and answers as the committed round did.
   */
  readonly round: number;
  /** The slow call's outcome, when the loop ran one since the last round: it opens this round. */
  readonly resume?: ResumeTurnEvent;
}

/** What the loop does next. */
export type RoundStatus = 'continue' | 'awaiting_approval' | 'awaiting_tool' | 'done';

/** What the round function returns (the Task's Payload). */
export interface RoundOutcome {
  readonly status: RoundStatus;
  /** Rounds committed now: the next Round's `round`. */
  readonly round: number;
  /** With awaiting_approval or awaiting_tool: the slow call to run, as the slow-tool workflow takes it. */
  readonly slowTool?: SlowToolRunInput;
}

/**
 * The loop's last Task when a Round failed past its retries (or with an
 * error it does not retry): the function records the turn as failed, with
 * the error's name, and frees the session. Idempotent.
 */
export interface RoundFailedEvent extends AgentLoopInput {
  readonly kind: 'statehouse.round-failed';
  /** The States error of the failed Round (`Error`, `Cause` as Step Functions' Catch gives them). */
  readonly failure: { readonly Error: string; readonly Cause?: string };
}

/** Error names the round function raises, for the loop's Retry and Catch (lambda turns a thrown error's name into them). */
export const AGENT_LOOP_ERRORS = {
  /** The model backend throttled the call (HTTP 429, ThrottlingException): retried with backoff and full jitter. */
  MODEL_THROTTLED: taskErrorName('ModelThrottled'),
  /** The model backend failed or timed out (5xx, a connection lost, no answer in time): retried with backoff and jitter. */
  MODEL_UNAVAILABLE: taskErrorName('ModelUnavailable'),
  /** Another writer committed first (an approval, a cancel): the round is asked again from the session as it is now. */
  SESSION_BUSY: taskErrorName('SessionBusy'),
} as const;

/** Background turns' limits unless the configuration (`background.*`) says otherwise. */
export const BACKGROUND_DEFAULTS = {
  /** A turn's deadline: past it, the next step boundary ends the turn `incomplete`, its work kept. */
  deadlineSeconds: 3600,
  /** The longest deadline a target may configure (a Standard execution may run a year; a turn, a day). */
  maxDeadlineSeconds: 24 * 3600,
  /** Model calls one background turn may make. */
  maxRounds: 50,
  /** The longest one model call of a round may take before it counts as failed (and is retried). */
  modelTimeoutSeconds: 120,
} as const;

/**
 * The most rounds a target may configure (`background.maxRounds`). A round
 * is a model call and about ten events of the execution's history, which
 * Step Functions caps at 25,000 per Standard execution; 500 rounds, retries
 * and slow calls included, stay well below it.
 */
export const MAX_BACKGROUND_ROUNDS = 500;
