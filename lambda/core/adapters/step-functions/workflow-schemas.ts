import * as z from 'zod';
import type { RoundEvent, RoundFailedEvent } from '../../../../lib/contract/agent-loop';
import type { JsonValue } from '../../domain/canonical-json';
import type { ApprovalDecision, ResumeTurnEvent, ToolErrorCode, ToolRunOutput } from '../../../../lib/contract/workflow-contract';

/**
 * What the tool workflows hand back to the orchestrator, checked before it is
 * believed: a workflow definition that drifts from workflow-contract.ts fails
 * loudly here instead of writing a malformed event. Objects are strict.
 */

const TOOL_ERROR_CODES = ['tool_failed', 'timeout', 'invalid_input', 'denied', 'approval_timeout', 'not_allowed'] as const satisfies readonly ToolErrorCode[];

/** Long enough for any error a tool means the model to read; bounded against a runaway one. */
const MAX_MESSAGE_CHARS = 4000;

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

export const toolRunOutputSchema: z.ZodType<ToolRunOutput> = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), output: jsonValue }),
  z.strictObject({ ok: z.literal(false), error: z.enum(TOOL_ERROR_CODES), message: z.string().max(MAX_MESSAGE_CHARS) }),
]);

export const approvalDecisionSchema: z.ZodType<ApprovalDecision> = z.strictObject({
  approved: z.boolean(),
  approver: z.string().min(1),
  reason: z.string(),
  decidedAt: z.iso.datetime(),
});

/** `decision` may be null as well as absent: a workflow path without a decision can pass either. */
export const resumeTurnEventSchema = z
  .strictObject({
    kind: z.literal('statehouse.resume'),
    tenant: z.string().min(1),
    session: z.string().min(1),
    toolCallId: z.string().min(1),
    result: toolRunOutputSchema,
    decision: approvalDecisionSchema.nullish(),
  })
  .transform(({ decision, ...rest }): ResumeTurnEvent => (decision ? { ...rest, decision } : rest));

const loopFields = {
  tenant: z.string().min(1),
  session: z.string().min(1),
  requestId: z.string().min(1),
  round: z.number().int().min(0),
};

/** The agent loop's Round payload (lib/contract/agent-loop.ts); `resume` may be null as well as absent. */
export const roundEventSchema = z
  .strictObject({ kind: z.literal('statehouse.round'), ...loopFields, resume: resumeTurnEventSchema.nullish() })
  .transform(({ resume, ...rest }): RoundEvent => (resume ? { ...rest, resume } : rest));

/** The agent loop's RoundFailed payload: the Catch's `Error` and `Cause`. */
export const roundFailedEventSchema = z.strictObject({
  kind: z.literal('statehouse.round-failed'),
  ...loopFields,
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }),
}) satisfies z.ZodType<RoundFailedEvent>;
