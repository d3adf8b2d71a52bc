import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { cancelTurn, enqueueTurn, readTurn, type TurnView } from '../core/domain/background-turn';
import { createSession } from '../core/domain/create-session';
import { ForbiddenError, SessionNotFoundError, ValidationError } from '../core/domain/errors';
import { isExpired, type SessionHeader } from '../core/domain/session-header';
import type { SessionEvent } from '../core/domain/session-event';
import { sessionAgentOf } from '../core/domain/agents';
import { runTurn } from '../core/domain/run-turn';
import type { TurnResult } from '../core/domain/turn-result';
import type { Caller } from '../core/http/caller';
import { assertNoBody, parsePart, pathOf, queryOf, readJsonBody } from '../core/http/parse-request';
import { ID_PATTERN, noQuerySchema } from '../core/http/request-schemas';
import { REQUEST_ID_PATTERN } from '../core/domain/session-keys';
import { ttlSecondsOf } from '../../lib/contract/session-limits';
import { backgroundDepsOf, turnDepsOf, type OrchestratorDeps } from '../orchestrator/orchestrator-deps';
import type { Route } from '../orchestrator/session-routes';

/**
 * The OpenAI-compatible API (platform.openai.com/docs/api-reference/responses
 * and .../conversations), so code written for OpenAI's platform runs against
 * the agency's own deployment by changing the base URL and signing:
 *
 *   conversation = session, response = turn, items = events, model = agent.
 *
 * `POST /v1/responses` sends a turn (sync; `background: true` → the agent
 * loop; `stream: true` → server-sent `response.*` events, stream-handler.ts);
 * `GET /v1/responses/{id}`, `POST /v1/responses/{id}/cancel`;
 * `POST /v1/conversations`, `GET|DELETE /v1/conversations/{id}`,
 * `GET /v1/conversations/{id}/items`. The same tenancy (the caller's role),
 * limits, budgets and idempotency (`Idempotency-Key` = requestId) as the
 * session API. A parameter this deployment does not serve is a 400 that
 * names it, never silently ignored.
 */

// ----- ids: opaque to the client, carrying where the turn lives -----

const CONVERSATION_PREFIX = 'conv_';
const RESPONSE_PREFIX = 'resp_';
const MESSAGE_PREFIX = 'msg_';

export function conversationIdOf(session: string): string {
  return `${CONVERSATION_PREFIX}${session}`;
}

function sessionOfConversation(id: string, field: string): string {
  const session = id.startsWith(CONVERSATION_PREFIX) ? id.slice(CONVERSATION_PREFIX.length) : '';
  if (!ID_PATTERN.test(session)) throw new ValidationError(field, `${JSON.stringify(id)} is not a conversation id of this deployment (conv_…)`);
  return session;
}

export function responseIdOf(session: string, requestId: string): string {
  return `${RESPONSE_PREFIX}${Buffer.from(`${session}\n${requestId}`, 'utf8').toString('base64url')}`;
}

function turnOfResponse(id: string, field: string): { session: string; requestId: string } {
  const decoded = id.startsWith(RESPONSE_PREFIX) ? Buffer.from(id.slice(RESPONSE_PREFIX.length), 'base64url').toString('utf8') : '';
  const [session = '', requestId = '', ...rest] = decoded.split('\n');
  if (rest.length > 0 || !ID_PATTERN.test(session) || !REQUEST_ID_PATTERN.test(requestId)) {
    throw new ValidationError(field, `${JSON.stringify(id)} is not a response id of this deployment (resp_…)`);
  }
  return { session, requestId };
}

// ----- request bodies -----

/** Parameters of OpenAI's create-response this deployment serves; every other one is refused by name. */
const SERVED = ['model', 'input', 'conversation', 'previous_response_id', 'store', 'background', 'stream', 'metadata'] as const;

const inputText = z.strictObject({ type: z.literal('input_text'), text: z.string() });
const userMessage = z.strictObject({
  type: z.literal('message').optional(),
  role: z.literal('user', { message: 'only user messages are sent as input here; the agent writes the assistant messages' }),
  content: z.union([z.string(), z.array(inputText).min(1)]),
});

const createResponseSchema = z
  .object({
    model: z.string().min(1).optional(),
    input: z.union([z.string().min(1, { message: 'must not be empty' }), z.array(userMessage).length(1, { message: 'must be one user message' })]),
    conversation: z.union([z.string(), z.strictObject({ id: z.string() })]).optional(),
    previous_response_id: z.string().optional(),
    store: z.literal(true, { message: 'must be true (or left out): every turn is recorded in the session, hash-chained (AU-2); there is no unstored response' }).optional(),
    background: z.boolean().optional(),
    stream: z.boolean().optional(),
    metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
  })
  .superRefine((body, context) => {
    if (body.conversation !== undefined && body.previous_response_id !== undefined) {
      context.addIssue({ code: 'custom', path: ['previous_response_id'], message: 'give conversation or previous_response_id, not both' });
    }
    if (body.stream && body.background) context.addIssue({ code: 'custom', path: ['stream'], message: 'streams a foreground response only; follow a background one with GET /v1/responses/{id}' });
  });

type CreateResponseBody = z.infer<typeof createResponseSchema>;

function refuseUnserved(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  // A client that sends an unserved parameter empty (the Agents SDK sends `include: []` and `tools: []`) asks for nothing.
  const asked = (value: unknown) =>
    value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0) && !(typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);
  const unserved = Object.entries(body)
    .filter(([key, value]) => !(SERVED as readonly string[]).includes(key) && asked(value))
    .map(([key]) => key);
  if (unserved.length === 0) return;
  const why: Record<string, string> = {
    instructions: "the agent's instructions come from its definition (configuration agents.<name>.instructions)",
    tools: "the agent's tools come from its definition and the tool policy; client-side function tools are not served yet",
  };
  throw new ValidationError(
    unserved[0],
    `unsupported parameter${unserved.length > 1 ? 's' : ''} ${unserved.map((key) => JSON.stringify(key)).join(', ')}` +
      `${unserved.map((key) => (why[key] ? `: ${why[key]}` : '')).join('')}; this deployment serves ${SERVED.join(', ')}`,
  );
}

function messageOf(body: CreateResponseBody): string {
  if (typeof body.input === 'string') return body.input;
  const [{ content }] = body.input;
  return typeof content === 'string' ? content : content.map((part) => part.text).join('\n');
}

/** The requestId of a create: the client's Idempotency-Key (its retries send the same), else a new one. */
function requestIdOf(event: APIGatewayProxyEvent): string {
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const key = headers['idempotency-key'];
  if (key === undefined || key === '') return `req-${randomUUID()}`;
  if (!REQUEST_ID_PATTERN.test(key)) throw new ValidationError('Idempotency-Key', 'must be 1 to 128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
  return key;
}

// ----- the objects OpenAI's clients read -----

type ResponseStatus = 'completed' | 'in_progress' | 'queued' | 'cancelled' | 'failed' | 'incomplete';

interface OutputMessage {
  readonly type: 'message';
  readonly id: string;
  readonly status: 'completed';
  readonly role: 'assistant';
  readonly content: readonly { readonly type: 'output_text'; readonly text: string; readonly annotations: readonly never[] }[];
}

export function outputMessage(id: string, text: string): OutputMessage {
  return { type: 'message', id, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
}

interface ResponseObject {
  readonly id: string;
  readonly object: 'response';
  readonly created_at: number;
  readonly status: ResponseStatus;
  readonly model: string;
  readonly output: readonly OutputMessage[];
  readonly usage: { input_tokens: number; output_tokens: number; total_tokens: number; input_tokens_details: { cached_tokens: number }; output_tokens_details: { reasoning_tokens: number } } | null;
  readonly conversation: { readonly id: string };
  readonly background: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly incomplete_details: { readonly reason: string } | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly instructions: null;
  readonly tools: readonly never[];
  readonly parallel_tool_calls: boolean;
  readonly tool_choice: 'auto';
  readonly previous_response_id: null;
  readonly store: true;
}

const STATUS_OF: Record<TurnView['status'], ResponseStatus> = {
  queued: 'queued',
  running: 'in_progress',
  awaiting_approval: 'in_progress',
  awaiting_tool: 'in_progress',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  incomplete: 'incomplete',
};

function usageOf(usage: { input: number; output: number }): ResponseObject['usage'] {
  return {
    input_tokens: usage.input,
    output_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens_details: { reasoning_tokens: 0 },
  };
}

function responseObject(fields: {
  session: string;
  requestId: string;
  createdAt: string;
  status: ResponseStatus;
  agent: string;
  messages: readonly OutputMessage[];
  usage: { input: number; output: number };
  background: boolean;
  reason?: string;
}): ResponseObject {
  return {
    id: responseIdOf(fields.session, fields.requestId),
    object: 'response',
    created_at: Math.floor(Date.parse(fields.createdAt) / 1000),
    status: fields.status,
    model: fields.agent,
    output: fields.messages,
    usage: usageOf(fields.usage),
    conversation: { id: conversationIdOf(fields.session) },
    background: fields.background,
    error: fields.status === 'failed' ? { code: 'server_error', message: fields.reason ?? 'the turn failed' } : null,
    incomplete_details: fields.status === 'incomplete' || fields.status === 'cancelled' ? { reason: fields.reason ?? fields.status } : null,
    metadata: {},
    instructions: null,
    tools: [],
    parallel_tool_calls: false,
    tool_choice: 'auto',
    previous_response_id: null,
    store: true,
  };
}

/** The agent's messages of a turn (every assistant event of the session's agent, in order): the response's output. */
function turnMessages(events: readonly SessionEvent[], turnSeq: number, lastSeq: number): OutputMessage[] {
  return events
    .filter((event) => event.seq >= turnSeq && event.seq <= lastSeq && event.type === 'assistant' && event.delegationDepth === undefined && event.content !== '')
    .map((event) => outputMessage(`${MESSAGE_PREFIX}${event.seq}`, event.content));
}

async function turnEvents(deps: OrchestratorDeps, tenant: string, session: string, turnSeq: number, lastSeq: number): Promise<SessionEvent[]> {
  const page = await deps.sessions.readEvents(tenant, session, { afterSeq: turnSeq - 1, limit: Math.max(1, lastSeq - turnSeq + 1), resolvePayloads: true });
  return [...page.events];
}

async function ownedHeader(deps: OrchestratorDeps, caller: Caller, session: string): Promise<SessionHeader> {
  const { header } = await deps.sessions.load(caller.tenant, session, 0);
  if (isExpired(header, deps.clock.now())) throw new SessionNotFoundError(caller.tenant, session);
  if (header.owner !== caller.actor) throw new ForbiddenError(`${caller.actor} is not the owner of conversation ${conversationIdOf(session)}`);
  return header;
}

// ----- routes -----

/** POST /v1/responses → 200 with the response; as OpenAI's API, its status is in the body (`queued` for a background one). */
export const createResponseRoute: Route = async (event, caller, deps) => {
  parsePart(noQuerySchema, queryOf(event), 'query');
  const raw = readJsonBody(event);
  refuseUnserved(raw);
  const body = parsePart(createResponseSchema, raw, 'body');
  const requestId = requestIdOf(event);

  // Where the turn goes: the conversation named, the conversation of the previous response, or a new one for `model`.
  let session: string;
  if (body.conversation !== undefined) {
    session = sessionOfConversation(typeof body.conversation === 'string' ? body.conversation : body.conversation.id, 'conversation');
  } else if (body.previous_response_id !== undefined) {
    session = turnOfResponse(body.previous_response_id, 'previous_response_id').session;
  } else {
    // A retry of a create that opened a conversation must land in the same one: it is named after the request.
    session = `conv-${requestId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 128);
    await createSession(
      { sessions: deps.sessions, clock: deps.clock, agents: deps.agents },
      { tenant: caller.tenant, session, owner: caller.actor, agent: body.model, maxTokens: deps.limits.tokenBudget, ttlSeconds: ttlSecondsOf(deps.limits) },
    ).catch((error: unknown) => {
      // SessionExists: the retry of this very create; its turn below is then answered from its marker.
      if ((error as { code?: string }).code !== 'SessionExists') throw error;
    });
  }
  const header = await ownedHeader(deps, caller, session);
  const agent = sessionAgentOf(header, deps.agents);
  if (body.model !== undefined && body.model !== agent) {
    throw new ValidationError('model', `${JSON.stringify(body.model)} is not this conversation's agent (${agent}); a conversation keeps its agent: leave model out, or start a new conversation`);
  }
  if (body.stream && !deps.streamText) {
    throw new ValidationError('stream', 'this deployment does not stream responses (configuration streaming); send the request without "stream"');
  }
  const request = { tenant: caller.tenant, session, requestId, actor: caller.actor, message: messageOf(body) };
  const createdAt = deps.clock.now().toISOString();
  if (body.stream) {
    deps.streamAbout?.(responseObject({ session, requestId, createdAt, status: 'in_progress', agent, messages: [], usage: { input: 0, output: 0 }, background: false }) as unknown as Record<string, unknown>);
  }

  if (body.background) {
    const turn = await enqueueTurn(backgroundDepsOf(deps), request);
    return { statusCode: 200, body: responseObject({ session, requestId, createdAt, status: STATUS_OF[turn.status], agent, messages: [], usage: turn.usage, background: true }) };
  }
  const result: TurnResult = await runTurn(turnDepsOf(deps), request, body.stream && deps.streamText ? { onText: deps.streamText } : {});
  const events = await turnEvents(deps, caller.tenant, session, result.turnSeq, result.lastSeq);
  const status: ResponseStatus = result.status === 'idle' ? 'completed' : 'in_progress';
  return {
    statusCode: 200,
    body: responseObject({ session, requestId, createdAt, status, agent, messages: turnMessages(events, result.turnSeq, result.lastSeq), usage: result.usage, background: result.background !== undefined }),
  };
};

const responsePathSchema = z.strictObject({ responseId: z.string().min(1) });
const conversationPathSchema = z.strictObject({ conversationId: z.string().min(1) });

async function responseOfTurn(deps: OrchestratorDeps, caller: Caller, session: string, requestId: string, view: TurnView): Promise<ResponseObject> {
  const header = await ownedHeader(deps, caller, session);
  const events = await turnEvents(deps, caller.tenant, session, view.turnSeq, view.lastSeq);
  const user = events.find((entry) => entry.seq === view.turnSeq);
  return responseObject({
    session,
    requestId,
    createdAt: user?.time ?? header.createdAt,
    status: STATUS_OF[view.status],
    agent: sessionAgentOf(header, deps.agents),
    messages: turnMessages(events, view.turnSeq, view.lastSeq),
    usage: view.usage,
    background: view.mode === 'background',
    ...(view.reason === undefined ? {} : { reason: view.reason }),
  });
}

/** GET /v1/responses/{responseId}. */
export const retrieveResponseRoute: Route = async (event, caller, deps) => {
  const { responseId } = parsePart(responsePathSchema, pathOf(event), 'path');
  parsePart(z.strictObject({ include: z.never().optional() }), queryOf(event), 'query');
  assertNoBody(event);
  const { session, requestId } = turnOfResponse(responseId, 'responseId');
  const view = await readTurn(turnDepsOf(deps), { tenant: caller.tenant, session, requestId, actor: caller.actor });
  return { statusCode: 200, body: await responseOfTurn(deps, caller, session, requestId, view) };
};

/** POST /v1/responses/{responseId}/cancel: a background response only, as OpenAI's. */
export const cancelResponseRoute: Route = async (event, caller, deps) => {
  const { responseId } = parsePart(responsePathSchema, pathOf(event), 'path');
  parsePart(noQuerySchema, queryOf(event), 'query');
  const { session, requestId } = turnOfResponse(responseId, 'responseId');
  const view = await cancelTurn(backgroundDepsOf(deps), { tenant: caller.tenant, session, requestId, actor: caller.actor, reason: 'cancelled through /v1/responses/{id}/cancel' });
  return { statusCode: 200, body: await responseOfTurn(deps, caller, session, requestId, view) };
};

const createConversationSchema = z.strictObject({
  metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
  items: z.never({ message: 'initial items are not served: a conversation holds only what its turns recorded; send them as responses' }).optional(),
});

function conversationObject(session: string, header: SessionHeader) {
  return { id: conversationIdOf(session), object: 'conversation', created_at: Math.floor(Date.parse(header.createdAt) / 1000), metadata: {} };
}

/** POST /v1/conversations → a new session of the default agent. */
export const createConversationRoute: Route = async (event, caller, deps) => {
  parsePart(noQuerySchema, queryOf(event), 'query');
  parsePart(createConversationSchema, readJsonBody(event, {}), 'body');
  const session = `conv-${randomUUID()}`;
  const header = await createSession(
    { sessions: deps.sessions, clock: deps.clock, agents: deps.agents },
    { tenant: caller.tenant, session, owner: caller.actor, maxTokens: deps.limits.tokenBudget, ttlSeconds: ttlSecondsOf(deps.limits) },
  );
  return { statusCode: 200, body: conversationObject(session, header) };
};

/** GET /v1/conversations/{conversationId}. */
export const retrieveConversationRoute: Route = async (event, caller, deps) => {
  const { conversationId } = parsePart(conversationPathSchema, pathOf(event), 'path');
  parsePart(noQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const session = sessionOfConversation(conversationId, 'conversationId');
  return { statusCode: 200, body: conversationObject(session, await ownedHeader(deps, caller, session)) };
};

/** DELETE /v1/conversations/{conversationId}: the session, its events and markers. */
export const deleteConversationRoute: Route = async (event, caller, deps) => {
  const { conversationId } = parsePart(conversationPathSchema, pathOf(event), 'path');
  parsePart(noQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const session = sessionOfConversation(conversationId, 'conversationId');
  await ownedHeader(deps, caller, session);
  await deps.sessions.delete(caller.tenant, session);
  return { statusCode: 200, body: { id: conversationId, object: 'conversation.deleted', deleted: true } };
};

const itemsQuerySchema = z.strictObject({
  limit: z.string().regex(/^\d{1,3}$/, { message: 'must be a whole number from 1 to 100' }).transform(Number).pipe(z.number().min(1).max(100)).optional(),
  after: z.string().regex(/^(msg|fc|fco|item)_\d{1,12}$/, { message: 'must be an item id of this conversation' }).optional(),
  order: z.literal('asc', { message: 'only "asc" is served: items in the order they were recorded' }).optional(),
});

/** A session event as a conversation item: messages, and the agent's function calls and their outputs (server-side tools). */
function itemOf(event: SessionEvent): Record<string, unknown> | undefined {
  if (event.delegationDepth !== undefined) return undefined;
  switch (event.type) {
    case 'user':
      return { type: 'message', id: `${MESSAGE_PREFIX}${event.seq}`, status: 'completed', role: 'user', content: [{ type: 'input_text', text: event.content }] };
    case 'assistant':
      return event.content === '' ? undefined : { ...outputMessage(`${MESSAGE_PREFIX}${event.seq}`, event.content) };
    case 'tool_call': {
      const { input } = JSON.parse(event.content) as { input?: unknown };
      return { type: 'function_call', id: `fc_${event.seq}`, call_id: event.toolCallId, name: event.toolName, arguments: JSON.stringify(input ?? {}), status: 'completed' };
    }
    case 'tool_result':
      return { type: 'function_call_output', id: `fco_${event.seq}`, call_id: event.toolCallId, output: event.content, status: 'completed' };
    default:
      return undefined;
  }
}

/** GET /v1/conversations/{conversationId}/items?limit=&after=: the session's events as items, oldest first. */
export const listConversationItemsRoute: Route = async (event, caller, deps) => {
  const { conversationId } = parsePart(conversationPathSchema, pathOf(event), 'path');
  const query = parsePart(itemsQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const session = sessionOfConversation(conversationId, 'conversationId');
  const header = await ownedHeader(deps, caller, session);
  const limit = query.limit ?? 20;
  const afterSeq = query.after === undefined ? 0 : Number(query.after.split('_')[1]);
  const page = await deps.sessions.readEvents(caller.tenant, session, { afterSeq, limit: limit + 1, resolvePayloads: true });
  const visible = page.events.filter((entry) => entry.seq <= header.lastSeq);
  const items = visible.slice(0, limit).flatMap((entry): Record<string, unknown>[] => {
    const item = itemOf(entry);
    return item ? [item] : [];
  });
  const hasMore = visible.length > limit || page.nextAfterSeq !== undefined;
  return {
    statusCode: 200,
    body: { object: 'list', data: items, first_id: items[0]?.id ?? null, last_id: items.at(-1)?.id ?? null, has_more: hasMore },
  };
};
