import { MEMORY_DEFAULTS } from '../../../lib/contract/memory-table';
import type { JsonValue } from '../../../lib/contract/json';
import type { ToolRunOutput } from '../../../lib/contract/workflow-contract';
import type { ToolSpec } from '../ports/model-backend';
import { canonicalJson } from './canonical-json';
import type { SessionEvent } from './session-event';

/**
 * The tools an agent with memory has beside its own: `remember`, which keeps
 * a sentence the person asked to be kept, and `recall`, which searches the
 * person's memory for something the turn's message did not bring up.
 *
 * `remember` writes nothing itself. Its call is an event of the turn, in the
 * hash chain, committed with the turn or not at all; the memory extractor
 * turns each committed call into a record (no model needed), with that
 * event as its source. So a turn that fails remembers nothing, and a
 * remembered sentence is as traceable as an extracted one.
 *
 * `recall` reads: one Query of the person's partition, ranked as recall
 * ranks at turn start (recall-memory.ts), run by the turn's driver.
 */

export const REMEMBER_TOOL = 'remember';
export const RECALL_TOOL = 'recall';
/** Names an agent with memory cannot also take for its own tools. */
export const MEMORY_TOOL_NAMES: readonly string[] = [REMEMBER_TOOL, RECALL_TOOL];

export const REMEMBER_SPEC: ToolSpec = {
  name: REMEMBER_TOOL,
  description:
    'Keep one sentence in the long-term memory you have of this person, for their later sessions: a fact of their work ' +
    'or how they want things done. Only what the person asked you to keep, or plainly would want kept; never secrets they did not offer.',
  inputSchema: {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['fact', 'preference'], description: 'fact (default): true of their work; preference: how they want it done' },
      text: { type: 'string', description: 'one self-contained sentence', maxLength: MEMORY_DEFAULTS.maxRecordBytes },
    },
    required: ['text'],
    additionalProperties: false,
  },
};

export const RECALL_SPEC: ToolSpec = {
  name: RECALL_TOOL,
  description: 'Search the long-term memory you have of this person (from their earlier sessions) for what bears on a question.',
  inputSchema: {
    type: 'object',
    properties: { query: { type: 'string', description: 'what to look for, in words the memory would use' } },
    required: ['query'],
    additionalProperties: false,
  },
};

export interface Remembered {
  readonly kind: 'fact' | 'preference';
  readonly text: string;
}

function objectOf(input: JsonValue): Record<string, JsonValue> | undefined {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? input : undefined;
}

/** The sentence of a `remember` call, or a refusal the model can act on. */
export function rememberInput(input: JsonValue, maxRecordBytes: number = MEMORY_DEFAULTS.maxRecordBytes): Remembered | { readonly refusal: string } {
  const fields = objectOf(input);
  const { kind = 'fact', text, ...rest } = fields ?? {};
  const clean = typeof text === 'string' ? text.replace(/\s+/g, ' ').trim() : '';
  if (!fields || Object.keys(rest).length > 0 || (kind !== 'fact' && kind !== 'preference') || clean.length === 0) {
    return { refusal: 'the input of "remember" must be { "text": "<one sentence>", "kind"?: "fact" | "preference" }' };
  }
  if (Buffer.byteLength(clean, 'utf8') > maxRecordBytes) return { refusal: `a remembered sentence is at most ${maxRecordBytes} bytes; say it shorter` };
  return { kind, text: clean };
}

/** The query of a `recall` call, or undefined for any other input. */
export function recallQuery(input: JsonValue): string | undefined {
  const fields = objectOf(input);
  if (!fields) return undefined;
  const { query, ...rest } = fields;
  return typeof query === 'string' && query.trim().length > 0 && Object.keys(rest).length === 0 ? query : undefined;
}

export const REMEMBERED: ToolRunOutput = { ok: true, output: 'kept: it will be in this person\'s memory from their next turn on' };

/**
 * The `remember` calls of the session's agent among these events that were
 * kept: answered, in the same events, with REMEMBERED (not refused by a
 * limit, nor masked by a guardrail), with what they keep.
 */
export function rememberCalls(events: readonly SessionEvent[], maxRecordBytes: number): { readonly event: SessionEvent; readonly remembered: Remembered }[] {
  const kept = canonicalJson(REMEMBERED);
  const answered = new Set(
    events
      .filter((event) => event.type === 'tool_result' && event.toolName === REMEMBER_TOOL && (event.delegationDepth ?? 0) === 0 && event.content === kept)
      .map((event) => event.toolCallId),
  );
  return events.flatMap((event) => {
    if (event.type !== 'tool_call' || event.toolName !== REMEMBER_TOOL || (event.delegationDepth ?? 0) !== 0 || !answered.has(event.toolCallId)) return [];
    let input: JsonValue;
    try {
      input = JSON.parse(event.content) as JsonValue;
    } catch {
      return [];
    }
    const remembered = rememberInput(input, maxRecordBytes);
    return 'refusal' in remembered ? [] : [{ event, remembered }];
  });
}
