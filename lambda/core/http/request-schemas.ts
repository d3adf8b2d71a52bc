import * as z from 'zod';
import { AGENT_NAME_PATTERN, AGENT_NAME_RULE } from '../../../lib/contract/agent';
import { DEFAULT_SESSION_LIMITS } from '../../../lib/contract/session-limits';
import { MAX_SEQ } from '../domain/session-keys';
import { MAX_LIST_PAGE } from '../domain/session-lists';
import { SESSION_STATUSES } from '../domain/session-header';

/**
 * The session API's request shapes. Objects are strict: an unknown field is
 * an error, never ignored, so a client that sends `tenant` (or misspells a
 * field) learns at once that it has no effect.
 */

/** Largest request body, in bytes; API Gateway itself allows 10 MB. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Largest user message, in UTF-8 bytes (SessionLimits.maxMessageBytes). */
export const MAX_MESSAGE_BYTES = DEFAULT_SESSION_LIMITS.maxMessageBytes;
/** Events per page of a session read. */
export const MAX_PAGE_EVENTS = 100;
export const DEFAULT_PAGE_EVENTS = 100;

/**
 * Session and request ids: letters, digits, `_` and `-`, starting with a
 * letter or digit (the domain's key rule), at most 128 characters. No `#`,
 * `/`, `.` or `:`, so an id can never reach into another key or object path.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const ID_RULE = "must be 1 to 128 letters, digits, '_' or '-', starting with a letter or digit";

export const idSchema = z.string().regex(ID_PATTERN, { message: ID_RULE });

/** A lone UTF-16 surrogate has no UTF-8 form: it would be stored as U+FFFD and break the event's hash. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `POST /sessions`: every field optional; `{}` or no body creates a session with the deployment's defaults. */
export function createSessionBodySchema(maxBudget: number) {
  return z.strictObject({
    sessionId: idSchema.optional(),
    // Well formed here; whether the deployment runs it is the domain's check (agents.ts), which names the agents it has.
    agent: z.string().regex(AGENT_NAME_PATTERN, { message: `must be an agent name: ${AGENT_NAME_RULE}` }).optional(),
    maxTokens: z
      .int({ message: 'must be a whole number' })
      .positive({ message: 'must be at least 1' })
      .max(maxBudget, { message: `may not exceed this deployment's session budget of ${maxBudget} tokens` })
      .optional(),
  });
}
export type CreateSessionBody = z.infer<ReturnType<typeof createSessionBodySchema>>;

/** `POST /sessions/{sessionId}/turns`. The message's byte limit is the domain's (413, not 400). */
export const turnBodySchema = z.strictObject({
  requestId: idSchema,
  message: z
    .string()
    .min(1, { message: 'must not be empty' })
    .refine((text) => !LONE_SURROGATE.test(text), { message: 'must be valid Unicode (it holds a lone surrogate)' }),
  /** `sync` (the default): the turn runs inside this call; `background`: it runs as the agent loop's execution (202). */
  mode: z.enum(['sync', 'background'], { message: 'must be "sync" or "background"' }).optional(),
  /** A synchronous turn's replies as server-sent events while they arrive, then the turn's result. */
  stream: z.boolean({ message: 'must be true or false' }).optional(),
});
export type TurnBody = z.infer<typeof turnBodySchema>;

const decimal = (max: number, min: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, { message: 'must be a whole number written in digits' })
    .transform(Number)
    .pipe(z.number().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

/** `GET /sessions/{sessionId}?afterSeq=&limit=`. */
export const readSessionQuerySchema = z.strictObject({
  // The cursor names the last event seen, so the largest seq itself has nothing after it to ask for.
  afterSeq: decimal(MAX_SEQ - 1, 0).optional(),
  limit: decimal(MAX_PAGE_EVENTS, 1).optional(),
});
export type ReadSessionQuery = z.infer<typeof readSessionQuerySchema>;

/** A list page's cursor as the previous page returned it (base64url); what it holds is the adapter's check. */
const cursorSchema = z.string().regex(/^[A-Za-z0-9_-]{1,12288}$/, { message: 'must be the `cursor` a previous page returned' });

/** `GET /sessions?limit=&cursor=&agent=&status=`: the caller's sessions, newest first. */
export const listSessionsQuerySchema = z.strictObject({
  limit: decimal(MAX_LIST_PAGE, 1).optional(),
  cursor: cursorSchema.optional(),
  agent: z.string().regex(AGENT_NAME_PATTERN, { message: `must be an agent name: ${AGENT_NAME_RULE}` }).optional(),
  status: z.enum(SESSION_STATUSES, { message: `must be one of ${SESSION_STATUSES.join(', ')}` }).optional(),
});

/** `GET /approvals?limit=&cursor=`: pending approvals the caller's role may decide, oldest first. */
export const listApprovalsQuerySchema = z.strictObject({
  limit: decimal(MAX_LIST_PAGE, 1).optional(),
  cursor: cursorSchema.optional(),
});

/** Routes without query parameters. */
export const noQuerySchema = z.strictObject({});

export const sessionPathSchema = z.strictObject({ sessionId: idSchema });

/** `/sessions/{sessionId}/turns/{requestId}[/cancel]`. */
export const turnPathSchema = z.strictObject({ sessionId: idSchema, requestId: idSchema });

/** Tool-call ids are the model's: printable ASCII without spaces, bounded. */
const TOOL_CALL_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;
/** Room for a justification an auditor can read; small enough for the approval event and the task output. */
export const MAX_REASON_CHARS = 2000;

/** `POST /sessions/{sessionId}/approvals`. */
export const approvalBodySchema = z.strictObject({
  toolCallId: z.string().regex(TOOL_CALL_ID_PATTERN, { message: 'must be the id of the pending tool call (1 to 256 printable characters, no spaces)' }),
  approved: z.boolean({ message: 'must be true or false' }),
  reason: z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(MAX_REASON_CHARS, { message: `must be at most ${MAX_REASON_CHARS} characters` })
    .refine((text) => text.trim().length > 0, { message: 'must say why' })
    .refine((text) => !LONE_SURROGATE.test(text), { message: 'must be valid Unicode (it holds a lone surrogate)' }),
});
export type ApprovalBody = z.infer<typeof approvalBodySchema>;

/** `POST /sessions/{sessionId}/turns/{requestId}/cancel`: why, for the log (optional). */
export const cancelBodySchema = z.strictObject({
  reason: z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(MAX_REASON_CHARS, { message: `must be at most ${MAX_REASON_CHARS} characters` })
    .refine((text) => !LONE_SURROGATE.test(text), { message: 'must be valid Unicode (it holds a lone surrogate)' })
    .optional(),
});
