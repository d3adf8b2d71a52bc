import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { cancelTurn, enqueueTurn, readTurn, type TurnView } from '../core/domain/background-turn';
import { answerClientCalls, assertClientTools } from '../core/domain/client-calls';
import { createSession } from '../core/domain/create-session';
import { ForbiddenError, SessionAwaitingError, SessionNotFoundError, ValidationError } from '../core/domain/errors';
import { isExpired, type SessionHeader } from '../core/domain/session-header';
import type { SessionEvent } from '../core/domain/session-event';
import { agentDefinition, agentForNewSession, sessionAgentOf } from '../core/domain/agents';
import { runTurn, type TurnOptions } from '../core/domain/run-turn';
import type { TurnResult } from '../core/domain/turn-result';
import type { Caller } from '../core/http/caller';
import { assertNoBody, parsePart, pathOf, queryOf, readJsonBody } from '../core/http/parse-request';
import { ID_PATTERN, noQuerySchema } from '../core/http/request-schemas';
import { REQUEST_ID_PATTERN } from '../core/domain/session-keys';
import { ttlSecondsOf } from '../../lib/contract/session-limits';
import { backgroundDepsOf, turnDepsOf, type OrchestratorDeps } from '../orchestrator/orchestrator-deps';
import type { Route } from '../orchestrator/session-routes';
import {
  clientOutputsOf,
  clientToolsOf,
  functionCallOutputItem,
  functionToolEchoes,
  functionToolsSchema,
  parallelToolCallsSchema,
  toolChoiceSchema,
  type FunctionToolEcho,
} from './function-tools';
import { conversationItemOf, ITEM_ID_PATTERN, turnOutput, type OutputItem } from './output-items';

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
 *
 * Function tools the client sends (`tools`) are offered to the agent beside
 * its own: a reply that calls one ends the response, `completed` with its
 * `function_call` items, and the conversation waits for their outputs, which
 * the client's next response brings as `function_call_output` items
 * (client-calls.ts, function-tools.ts).
 */

// ----- ids: opaque to the client, carrying where the turn lives -----

const CONVERSATION_PREFIX = 'conv_';
const RESPONSE_PREFIX = 'resp_';

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
const SERVED = ['model', 'input', 'conversation', 'previous_response_id', 'store', 'background', 'stream', 'metadata', 'tools', 'tool_choice', 'parallel_tool_calls'] as const;

const inputText = z.strictObject({ type: z.literal('input_text'), text: z.string() });
const userMessage = z.strictObject({
  type: z.literal('message').optional(),
  role: z.literal('user', { message: 'only user messages are sent as input here; the agent writes the assistant messages' }),
  content: z.union([z.string(), z.array(inputText).min(1)]),
});

/** An input item: a user message, or the output of a function call the conversation handed to the client. */
const inputItem = z.discriminatedUnion('type', [userMessage, functionCallOutputItem], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? 'must be a user message or a function_call_output: the conversation records the agent\'s messages and function calls itself, so they are ' +
        'never sent back; continue a conversation with previous_response_id or conversation (in the Agents SDK: run(agent, input, { previousResponseId }) or { conversationId })'
      : undefined,
});

const textInput = z.string().min(1, { message: 'must not be empty' });
const inputItems = z
  .array(inputItem)
  .min(1, { message: 'must not be empty' })
  .refine((items) => items.every((item) => item.type === 'function_call_output') || (items.length === 1 && items[0].type !== 'function_call_output'), {
    message: 'must be one user message, or the function_call_output items of the calls the last response handed over, alone',
  });

/** `input`: text, or a list of items; parsed by its own schema so that a problem is reported where it is, not as "no union member matched". */
const inputSchema = z.unknown().transform((value, context): string | z.infer<typeof inputItems> => {
  const parsed = typeof value === 'string' ? textInput.safeParse(value) : Array.isArray(value) ? inputItems.safeParse(value) : undefined;
  if (parsed?.success) return parsed.data;
  if (!parsed) context.addIssue({ code: 'custom', message: 'must be text or a list of input items' });
  for (const issue of parsed?.error.issues ?? []) context.addIssue({ ...issue } as Parameters<typeof context.addIssue>[0]);
  return z.NEVER;
});

const createResponseSchema = z
  .object({
    model: z.string().min(1).optional(),
    input: inputSchema,
    conversation: z.union([z.string(), z.strictObject({ id: z.string() })]).optional(),
    previous_response_id: z.string().optional(),
    store: z.literal(true, { message: 'must be true (or left out): every turn is recorded in the session, hash-chained (AU-2); there is no unstored response' }).optional(),
    background: z.boolean().optional(),
    stream: z.boolean().optional(),
    metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
    tools: functionToolsSchema.optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: parallelToolCallsSchema.optional(),
  })
  .superRefine((body, context) => {
    if (body.conversation !== undefined && body.previous_response_id !== undefined) {
      context.addIssue({ code: 'custom', path: ['previous_response_id'], message: 'give conversation or previous_response_id, not both' });
    }
    if (body.stream && body.background) context.addIssue({ code: 'custom', path: ['stream'], message: 'streams a foreground response only; follow a background one with GET /v1/responses/{id}' });
    const answers = Array.isArray(body.input) && body.input[0]?.type === 'function_call_output';
    if (body.background && ((body.tools ?? []).length > 0 || answers)) {
      context.addIssue({
        code: 'custom',
        path: ['background'],
        message: 'client-side function tools are served in the foreground only: a background response runs on the agent loop, which cannot hand a call to the client and wait for it; send the request without background',
      });
    }
    if (answers && body.conversation === undefined && body.previous_response_id === undefined) {
      context.addIssue({ code: 'custom', path: ['input'], message: 'function_call_output items answer the calls of a conversation: send them with previous_response_id or conversation' });
    }
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
  };
  throw new ValidationError(
    unserved[0],
    `unsupported parameter${unserved.length > 1 ? 's' : ''} ${unserved.map((key) => JSON.stringify(key)).join(', ')}` +
      `${unserved.map((key) => (why[key] ? `: ${why[key]}` : '')).join('')}; this deployment serves ${SERVED.join(', ')}`,
  );
}

/** What the request sends: a message, or the outputs of the calls the conversation handed to the client. */
type ResponseInput = { readonly message: string } | { readonly outputs: z.infer<typeof functionCallOutputItem>[] };

function inputOf(body: CreateResponseBody): ResponseInput {
  if (typeof body.input === 'string') return { message: body.input };
  const [first] = body.input;
  if (first.type === 'function_call_output') return { outputs: body.input.filter((item) => item.type === 'function_call_output') };
  const { content } = first;
  return { message: typeof content === 'string' ? content : content.map((part) => part.text).join('\n') };
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

interface ResponseObject {
  readonly id: string;
  readonly object: 'response';
  readonly created_at: number;
  readonly status: ResponseStatus;
  readonly model: string;
  readonly output: readonly OutputItem[];
  readonly usage: { input_tokens: number; output_tokens: number; total_tokens: number; input_tokens_details: { cached_tokens: number }; output_tokens_details: { reasoning_tokens: number } } | null;
  readonly conversation: { readonly id: string };
  readonly background: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly incomplete_details: { readonly reason: string } | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly instructions: null;
  /** The client's function tools, as the create request sent them; a retrieved response shows none (they are not stored). */
  readonly tools: readonly FunctionToolEcho[];
  readonly parallel_tool_calls: true;
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
  output: readonly OutputItem[];
  usage: { input: number; output: number };
  background: boolean;
  tools?: readonly FunctionToolEcho[];
  reason?: string;
}): ResponseObject {
  return {
    id: responseIdOf(fields.session, fields.requestId),
    object: 'response',
    created_at: Math.floor(Date.parse(fields.createdAt) / 1000),
    status: fields.status,
    model: fields.agent,
    output: fields.output,
    usage: usageOf(fields.usage),
    conversation: { id: conversationIdOf(fields.session) },
    background: fields.background,
    error: fields.status === 'failed' ? { code: 'server_error', message: fields.reason ?? 'the turn failed' } : null,
    incomplete_details: fields.status === 'incomplete' || fields.status === 'cancelled' ? { reason: fields.reason ?? fields.status } : null,
    metadata: {},
    instructions: null,
    tools: fields.tools ?? [],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    previous_response_id: null,
    store: true,
  };
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
  const input = inputOf(body);
  const clientTools = clientToolsOf(body.tools);

  // Where the turn goes: the conversation named, the conversation of the previous response, or a new one for `model`.
  let session: string;
  if (body.conversation !== undefined) {
    session = sessionOfConversation(typeof body.conversation === 'string' ? body.conversation : body.conversation.id, 'conversation');
  } else if (body.previous_response_id !== undefined) {
    session = turnOfResponse(body.previous_response_id, 'previous_response_id').session;
  } else {
    // Checked before the conversation is created, so a refused request writes nothing.
    assertClientTools(agentDefinition(deps.agents, agentForNewSession(deps.agents, body.model)), clientTools);
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
  const tools = functionToolEchoes(body.tools);
  const createdAt = deps.clock.now().toISOString();
  if (body.stream) {
    deps.streamAbout?.(responseObject({ session, requestId, createdAt, status: 'in_progress', agent, output: [], usage: { input: 0, output: 0 }, background: false, tools }) as unknown as Record<string, unknown>);
  }

  const request = { tenant: caller.tenant, session, requestId, actor: caller.actor };
  if (body.background && 'message' in input) {
    const turn = await badRequestWhileCallsWait(() => enqueueTurn(backgroundDepsOf(deps), { ...request, message: input.message }));
    return { statusCode: 200, body: responseObject({ session, requestId, createdAt, status: STATUS_OF[turn.status], agent, output: [], usage: turn.usage, background: true }) };
  }
  const options: TurnOptions = { ...(body.stream && deps.streamText ? { onText: deps.streamText } : {}), ...(clientTools.length > 0 ? { clientTools } : {}) };
  const result: TurnResult =
    'message' in input
      ? await badRequestWhileCallsWait(() => runTurn(turnDepsOf(deps), { ...request, message: input.message }, options))
      : await answerClientCalls(turnDepsOf(deps), { ...request, outputs: clientOutputsOf(input.outputs) }, options);
  const events = await turnEvents(deps, caller.tenant, session, result.turnSeq, result.lastSeq);
  // Handing calls to the client ends the response, as OpenAI's does: `completed`, with the calls in its output.
  const status: ResponseStatus = result.status === 'idle' || result.status === 'awaiting_client' ? 'completed' : 'in_progress';
  const output = turnOutput(events, result.turnSeq, result.lastSeq, status === 'completed');
  return {
    statusCode: 200,
    body: responseObject({ session, requestId, createdAt, status, agent, output, usage: result.usage, background: result.background !== undefined, tools }),
  };
};

/**
 * A message sent while the conversation waits for the outputs of the
 * client's function calls is a bad request here, as on OpenAI's API (the
 * session API answers it 409: its clients cannot send outputs). Only the
 * domain knows, since a retry of the request that handed the calls over is
 * answered with its stored response instead.
 */
async function badRequestWhileCallsWait<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof SessionAwaitingError && error.clientCallIds !== undefined) throw new ValidationError('input', error.message);
    throw error;
  }
}

const responsePathSchema = z.strictObject({ responseId: z.string().min(1) });
const conversationPathSchema = z.strictObject({ conversationId: z.string().min(1) });

async function responseOfTurn(deps: OrchestratorDeps, caller: Caller, session: string, requestId: string, view: TurnView): Promise<ResponseObject> {
  const header = await ownedHeader(deps, caller, session);
  const events = await turnEvents(deps, caller.tenant, session, view.turnSeq, view.lastSeq);
  // The turn's first event: its message, or the first of the client's outputs it answered.
  const opening = events.find((entry) => entry.seq === view.turnSeq);
  const status = STATUS_OF[view.status];
  return responseObject({
    session,
    requestId,
    createdAt: opening?.time ?? header.createdAt,
    status,
    agent: sessionAgentOf(header, deps.agents),
    output: turnOutput(events, view.turnSeq, view.lastSeq, status === 'completed'),
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
  after: z.string().regex(ITEM_ID_PATTERN, { message: 'must be an item id of this conversation' }).optional(),
  order: z.literal('asc', { message: 'only "asc" is served: items in the order they were recorded' }).optional(),
});

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
    const item = conversationItemOf(entry);
    return item ? [item] : [];
  });
  const hasMore = visible.length > limit || page.nextAfterSeq !== undefined;
  return {
    statusCode: 200,
    body: { object: 'list', data: items, first_id: items[0]?.id ?? null, last_id: items.at(-1)?.id ?? null, has_more: hasMore },
  };
};
