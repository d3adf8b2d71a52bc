import { delegateToolName, handoffToolName, type AgentDefinition } from '../../../lib/contract/agent';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../../../lib/contract/session-limits';
import type { ToolSpec } from '../ports/model-backend';
import { agentDefinition, sessionAgentOf, stampOf, type AgentStamp } from './agents';
import { canonicalJson } from './canonical-json';
import { commitStretch, stretchDepsOf } from './commit-stretch';
import { ForbiddenError, PayloadTooLargeError, quotedIds, RequestRecordedError, SessionAwaitingError, SessionNotFoundError, ValidationError } from './errors';
import { recallForStretch } from './recall-memory';
import { sealEvents } from './hash-chain';
import { messageDigest, replayFromMarker, requestMarkerWithDigest, reusedRequestId, type RequestMarker } from './idempotency';
import { startPendingTool } from './pending-tool';
import type { SessionEvent } from './session-event';
import { isExpired, type ClientCall, type SessionHeader } from './session-header';
import { assertRequestId, assertSessionId, assertTenantId } from './session-keys';
import { clientActor, toolResultDraft } from './tool-events';
import { recordedTurnFor, type RoundsOutcome } from './turn-plan';
import { turnResultFromEvents, type TurnResult } from './turn-result';
import type { TurnDeps, TurnOptions } from './run-turn';

/**
 * Calls of the client's own functions: the OpenAI-compatible API's function
 * tools (platform.openai.com/docs/guides/function-calling), which the client
 * runs, not the deployment.
 *
 * A request brings the client's functions (TurnOptions.clientTools) and the
 * session's agent may call them beside its own tools. The server-side calls
 * of a reply run as always; calls of the client's functions end the turn,
 * which hands them over: the session is `awaiting_client`, with the calls on
 * its header, and takes no message. The client's next request brings the
 * output of every one (answerClientCalls): they are written as the calls'
 * tool results, checked by the agent's guardrail like any tool result, and
 * the agent goes on from there as from a message, in one commit.
 */

/** The output the client sends for one call of its function. */
export interface ClientOutput {
  /** The call it answers: the model's id of the call, as the response handed it over. */
  readonly toolCallId: string;
  /** What the function returned, as text: the model is shown it as the call's result. */
  readonly output: string;
}

/** A request that answers the session's outstanding client calls. */
export interface ClientOutputsRequest {
  /** From the authenticated caller, never from the request body. */
  readonly tenant: string;
  readonly session: string;
  /** Chosen by the client, reused on every retry of the same request. */
  readonly requestId: string;
  /** The caller's principal: only the session's owner answers its calls, and the results record who did. */
  readonly actor: string;
  readonly outputs: readonly ClientOutput[];
}

/**
 * The client's functions may not take a name the agent's own tools,
 * delegates or handoffs use: a call of that name would be ambiguous.
 */
export function assertClientTools(agent: AgentDefinition, tools: readonly ToolSpec[]): void {
  const own = new Set([...agent.tools, ...(agent.delegates ?? []).map(delegateToolName), ...(agent.handoffs ?? []).map(handoffToolName)]);
  const seen = new Set<string>();
  tools.forEach((tool, index) => {
    const field = `tools[${index}].name`;
    if (own.has(tool.name)) {
      throw new ValidationError(field, `${JSON.stringify(tool.name)} is the name of a tool of the agent ${agent.name}, which runs in the deployment; give the function another name`);
    }
    if (seen.has(tool.name)) throw new ValidationError(field, `${JSON.stringify(tool.name)} names two functions; give each its own name`);
    seen.add(tool.name);
  });
}

function validateOutputsRequest(request: ClientOutputsRequest, limits: Pick<SessionLimits, 'maxMessageBytes'>): void {
  assertTenantId(request.tenant);
  assertSessionId(request.session);
  assertRequestId(request.requestId);
  if (request.actor.length === 0) throw new ValidationError('actor', 'is required');
  if (request.outputs.length === 0) throw new ValidationError('input', 'holds no function call output');
  request.outputs.forEach((entry, index) => {
    // An output is what a message is to the model: the same limit.
    const bytes = Buffer.byteLength(entry.output, 'utf8');
    if (bytes > limits.maxMessageBytes) throw new PayloadTooLargeError(`input[${index}].output`, bytes, limits.maxMessageBytes);
  });
}

/** What the request sent, as its retries send it (in any order): what its marker's digest covers. */
function sentOutputs(outputs: readonly ClientOutput[]): string {
  const sorted = [...outputs].sort((a, b) => (a.toolCallId < b.toolCallId ? -1 : a.toolCallId > b.toolCallId ? 1 : 0));
  return canonicalJson(sorted.map(({ toolCallId, output }) => ({ toolCallId, output })));
}

/** One output for each outstanding call, and none for anything else. */
function assertAnswersAll(calls: readonly ClientCall[], outputs: readonly ClientOutput[]): void {
  const ids = outputs.map((entry) => entry.toolCallId);
  const waiting = calls.map((call) => call.toolCallId);
  const duplicated = [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
  if (duplicated.length > 0) {
    throw new ValidationError('input', `holds more than one output for the function calls ${quotedIds(duplicated)}; send one function_call_output per call`);
  }
  const unknown = ids.filter((id) => !waiting.includes(id));
  if (unknown.length > 0) {
    throw new ValidationError('input', `the conversation waits for no function calls ${quotedIds(unknown)}; it waits for the outputs of ${quotedIds(waiting)}`);
  }
  const missing = waiting.filter((id) => !ids.includes(id));
  if (missing.length > 0) {
    throw new ValidationError('input', `holds no output for the function calls ${quotedIds(missing)}; send the output of every call the last response handed over (${quotedIds(waiting)}) in one request`);
  }
}

/** The calls' results in the order the model made the calls, chained after the header, each the client's: what the answering stretch opens with. */
export function clientResults(header: SessionHeader, request: ClientOutputsRequest, stamp: AgentStamp, time: string): SessionEvent[] {
  const outputs = new Map(request.outputs.map((entry) => [entry.toolCallId, entry.output]));
  const drafts = (header.clientCalls ?? []).map((call, index) => ({
    ...toolResultDraft({ id: call.toolCallId, name: call.name }, { ok: true, output: outputs.get(call.toolCallId) ?? '' }, header.lastSeq + 1 + index, clientActor(request.actor), time),
    ...stamp,
  }));
  return sealEvents(drafts, header.lastHash);
}

/**
 * The request that answers the session's outstanding client calls: their
 * results open a stretch of the session's agent (with the request's client
 * functions, if it brought any), committed in one TransactWriteItems with
 * the request's marker. Outputs that do not answer exactly the outstanding
 * calls are refused (400) and write nothing. A retry with the same requestId
 * gets the stored result, however long ago it committed, and writes nothing;
 * one that sends other outputs is refused as a reused requestId. Never moves
 * to the background: the agent loop could not hand a call back to the client.
 */
export async function answerClientCalls(deps: TurnDeps, request: ClientOutputsRequest, options: TurnOptions = {}): Promise<TurnResult> {
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
  validateOutputsRequest(request, limits);
  const { tenant, session, requestId } = request;

  const { header, events } = await deps.sessions.load(tenant, session, limits.contextEvents, { resolvePayloads: true });
  const now = deps.clock.now();
  if (isExpired(header, now)) throw new SessionNotFoundError(tenant, session);
  // AC-3: checked before the replay, so another principal cannot read a stored result either.
  if (header.owner !== request.actor) throw new ForbiddenError(`${request.actor} is not the owner of session ${session}`);
  const sent = sentOutputs(request.outputs);
  const recent = Object.hasOwn(header.recentRequests, requestId);
  if (recent || header.status !== 'awaiting_client') {
    // A retry, however old: its marker answers it. One read, on the retry path only.
    const marker = await deps.sessions.readRequestMarker(tenant, session, requestId);
    if (marker) return replayed(deps, request, header, marker, sent);
    if (recent) throw reusedRequestId(requestId);
    if (header.status !== 'idle') throw SessionAwaitingError.of(header);
    const ids = request.outputs.map((entry) => entry.toolCallId);
    throw new ValidationError('input', `the conversation waits for no function call outputs; ${quotedIds(ids)} answer no call it handed over`);
  }
  assertAnswersAll(header.clientCalls ?? [], request.outputs);

  // The session's agent goes on, with its definition as deployed now, as it would from a message.
  const agent = agentDefinition(deps.agents, sessionAgentOf(header, deps.agents));
  const clientTools = options.clientTools ?? [];
  assertClientTools(agent, clientTools);
  const time = now.toISOString();
  const opening = clientResults(header, request, stampOf(agent, 0), time);
  const recalled = await recallForStretch(deps.memory, tenant, header.owner, agent.name, events);
  const digest = messageDigest(sent);
  const recordOf = (outcome: RoundsOutcome) => {
    const turn = recordedTurnFor(header, outcome, opening[0].seq, outcome.usage);
    // No answer when the budget could not pay for asking: the results are still recorded, and the session idle again.
    return { requestId, turn, marker: { kind: 'first' as const, marker: requestMarkerWithDigest(requestId, digest, turn, outcome.events, undefined, false) } };
  };
  try {
    const { outcome, record } = await commitStretch(
      stretchDepsOf(deps, limits),
      {
        tenant,
        session,
        header,
        agent: agent.name,
        loaded: events,
        opening,
        time,
        requestId,
        requestedBy: request.actor,
        ...(clientTools.length > 0 ? { clientTools } : {}),
        ...(recalled.text ? { memory: recalled.text } : {}),
      },
      recordOf,
      now,
      { rounds: options.onText ? { onText: options.onText } : {} },
    );
    return turnResultFromEvents(requestId, record.turn, outcome.events, false, false);
  } catch (error) {
    // An earlier attempt of this request committed first (concurrently).
    if (error instanceof RequestRecordedError) return replayFromMarker(error.marker, sent);
    throw error;
  }
}

/** A retry's stored result; the slow call its turn left pending has its workflow started again (idempotent), as a message's retry does. */
async function replayed(deps: TurnDeps, request: ClientOutputsRequest, header: SessionHeader, marker: RequestMarker, sent: string): Promise<TurnResult> {
  const result = replayFromMarker(marker, sent);
  const pending = header.pendingTool;
  if (pending && pending.requestId === request.requestId && deps.tools) {
    await startPendingTool(deps.tools.slowTools, request.tenant, request.session, pending);
  }
  return result;
}
