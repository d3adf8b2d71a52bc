import { setTimeout as sleep } from 'node:timers/promises';
import type { TurnView } from '../client/session-api-types';
import type { StatehouseClient } from '../client/statehouse-client';
import type { Transcript } from '../client/transcript';
import { FINAL_TURN_STATUSES, type TurnStatus } from '../contract/agent-loop';
import { expectThat, refusal } from './conversation-checks';
import type { GatewayLog } from './gateway-log';
import type { LocalStepFunctions } from './local-stepfunctions';
import { RESEARCH_TOOL_CALLS, type ScriptedConverseModel } from './scripted-converse-model';

/**
 * deploy:local's background turn: queued in a new session, run by the
 * deployed agent loop's execution a round per model call (each round
 * committed on its own), followed by reading the turn and the session's new
 * events; a synchronous turn sent while a round runs is refused with 409.
 */

export interface BackgroundTurnReport {
  readonly sessionId: string;
  readonly requestId: string;
  /** What GET /sessions/{id}/turns/{requestId} said at the end. */
  readonly status: TurnStatus;
  readonly rounds: number;
  readonly usage: { readonly input: number; readonly output: number };
  readonly reply: string;
  /** The turn's events after its user event: seq, type, and the tool of a tool_result. */
  readonly events: readonly { seq: number; type: string; toolName?: string }[];
  readonly verified: { valid: boolean; events: number };
  /** The agent loop's execution of the turn on the local endpoint. */
  readonly execution: { readonly name: string; readonly status: string };
  /** The synchronous turn sent while the loop's execution was in a round. */
  readonly refused: { readonly statusCode: number; readonly message: string };
}

/** The background turn's status is read at most this often, this far apart: a bound, not a timing assertion. */
const TURN_POLLS = 300;
const TURN_POLL_MS = 100;
/** The background turn's model call whose answer waits while a synchronous turn is sent: its round is then running. */
const HELD_MODEL_CALL = 3;

export interface BackgroundTurnOptions {
  /** The requester's client. */
  readonly client: StatehouseClient;
  readonly loopArn: string;
  readonly model: ScriptedConverseModel;
  readonly sfn: LocalStepFunctions;
  /** The session's export: its chain recomputed here and by the verify route. */
  readonly exported: (sessionId: string) => Promise<Transcript>;
  readonly gateway: GatewayLog;
  readonly log: (line: string) => void;
}

export async function runBackgroundTurn(options: BackgroundTurnOptions): Promise<BackgroundTurnReport> {
  const { client, loopArn, model, sfn, exported, gateway, log } = options;
  const researchSession = (await client.createSession()).sessionId;
  const requestId = 'research-1';
  const message = 'Please research case FOIA-4411 in depth.';
  // Nothing else asks the model while the turn runs, so this is the turn's model call HELD_MODEL_CALL.
  const held = model.holdAnswer(HELD_MODEL_CALL);
  const queued = await client.sendTurn(researchSession, { requestId, message, mode: 'background' });
  expectThat(queued.status === 'queued', 'a background turn → queued', queued);
  const runs = sfn.executions(loopArn);
  expectThat(runs.length === 1, 'one execution of the agent loop', runs);
  log('');
  gateway.step(`  background turn "${message}" (session ${researchSession}) → ${queued.status}; agent loop execution ${runs[0].name}`);

  const turnEvents: BackgroundTurnReport['events'][number][] = [];
  let seen = queued.turnSeq;
  let rounds = 0;
  let refused: BackgroundTurnReport['refused'] | undefined;
  let view: TurnView = queued;
  for (let poll = 1; ; poll++) {
    // Asked before this read: the rounds before the held one have committed, so the page shows them.
    const roundWaits = held.asked;
    // The turn's status first, then its events: once the status is final, every event of the turn is in the page.
    view = await client.readTurn(researchSession, requestId);
    const page = await client.readSession(researchSession, { afterSeq: seen });
    for (const e of page.events) {
      // Each round opens with the model's answer.
      const round = e.type === 'assistant' ? `round ${++rounds}` : '';
      const text = e.type === 'tool_call' ? `${e.toolName} ${e.content}` : e.content;
      const content = text.length > 72 ? `${text.slice(0, 71)}…` : text;
      log(`    ${round.padEnd(8)} ${String(e.seq).padStart(2)} ${e.type.padEnd(12)} ${content}`);
      turnEvents.push({ seq: e.seq, type: e.type, ...(e.toolName ? { toolName: e.toolName } : {}) });
      seen = e.seq;
    }
    if (roundWaits && refused === undefined) {
      // The loop's execution is in a round (its model call waits): a synchronous turn is refused, naming the running turn.
      const sync = await refusal(client.sendTurn(researchSession, { requestId: 'sync-1', message: 'A quick question while you research.' }));
      refused = { statusCode: sync.status, message: sync.apiMessage };
      expectThat(sync.status === 409 && refused.message.includes(requestId), `a synchronous turn during the background turn → 409 naming ${requestId}`, sync.message);
      gateway.step(`    (round ${HELD_MODEL_CALL} asks the model, turn ${view.status}, ${view.rounds} rounds) a synchronous turn → ${sync.status}: ${refused.message}`);
      held.release();
    }
    if (FINAL_TURN_STATUSES.includes(view.status)) break;
    expectThat(poll < TURN_POLLS, `the background turn to end within ${TURN_POLLS} reads of its status`, view);
    await sleep(TURN_POLL_MS);
  }
  const execution = await sfn.finished(runs[0].executionArn);
  const research = await exported(researchSession);
  const toolResults = turnEvents.filter((e) => e.type === 'tool_result').length;
  const serverCheck = research.verification.server;
  expectThat(
    view.status === 'completed' && view.rounds === RESEARCH_TOOL_CALLS + 1 && toolResults === RESEARCH_TOOL_CALLS && research.verification.verdict === 'verified' && execution.status === 'SUCCEEDED' && refused !== undefined,
    `the background turn completed in ${RESEARCH_TOOL_CALLS + 1} rounds with ${RESEARCH_TOOL_CALLS} tool results, a verified chain, its execution SUCCEEDED`,
    { view, toolResults, verification: research.verification, execution: execution.status, refused },
  );
  const usage = view.usage;
  gateway.step(`  turn ${requestId} ${view.status}: "${view.reply}"`);
  log(`    ${view.rounds} rounds, ${toolResults} tool results, usage ${usage.input} in / ${usage.output} out; execution ${execution.status}; hash chain verifies here and by the verify route (${serverCheck.events} events)`);
  return {
    sessionId: researchSession,
    requestId,
    status: view.status,
    rounds: view.rounds ?? 0,
    usage,
    reply: view.reply ?? '',
    events: turnEvents,
    verified: { valid: serverCheck.valid, events: serverCheck.events },
    execution: { name: execution.name, status: execution.status },
    refused: refused!,
  };
}
