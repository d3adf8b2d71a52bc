import type { SessionEvent } from '../core/domain/session-event';
import { isClientActor } from '../core/domain/tool-events';

/**
 * Session events as the items of OpenAI's Responses API
 * (platform.openai.com/docs/api-reference/responses/object): a response's
 * `output` and a conversation's items. Ids are the events' seqs, with the
 * item type's prefix.
 */

export const MESSAGE_PREFIX = 'msg_';
const FUNCTION_CALL_PREFIX = 'fc_';
const FUNCTION_CALL_OUTPUT_PREFIX = 'fco_';

/** The item ids a conversation's listing accepts as `after`. */
export const ITEM_ID_PATTERN = /^(msg|fc|fco|item)_\d{1,12}$/;

export interface OutputMessage {
  readonly type: 'message';
  readonly id: string;
  readonly status: 'completed';
  readonly role: 'assistant';
  readonly content: readonly { readonly type: 'output_text'; readonly text: string; readonly annotations: readonly never[] }[];
}

/** OpenAI's `ResponseFunctionToolCall`, as returned by the API. */
export interface FunctionCallItem {
  readonly type: 'function_call';
  readonly id: string;
  readonly call_id: string;
  readonly name: string;
  /** The call's input as a JSON text. */
  readonly arguments: string;
  readonly status: 'completed';
}

export type OutputItem = OutputMessage | FunctionCallItem;

export function outputMessage(id: string, text: string): OutputMessage {
  return { type: 'message', id, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
}

/** A tool_call event as a function_call item; its content is the canonical JSON of the call's input. */
export function functionCallItem(event: SessionEvent): FunctionCallItem {
  return { type: 'function_call', id: `${FUNCTION_CALL_PREFIX}${event.seq}`, call_id: event.toolCallId ?? '', name: event.toolName ?? '', arguments: event.content, status: 'completed' };
}

/** What a call's output item shows: the client's output as it sent it, or a server-side tool's result as the model saw it. */
function outputOf(event: SessionEvent): string {
  if (!isClientActor(event.actor)) return event.content;
  const result = JSON.parse(event.content) as { ok?: boolean; output?: unknown };
  // The guardrail may have withheld the client's output: the model then saw the refusal, and so does the listing.
  return result.ok === true && typeof result.output === 'string' ? result.output : event.content;
}

/**
 * A response's output: the agent's messages of the turn, and the calls it
 * handed to the client, in order. A call without its result in a completed
 * turn is the client's: a server-side call always has its result in the
 * turn, and a turn waiting on a slow call is not completed.
 */
export function turnOutput(events: readonly SessionEvent[], turnSeq: number, lastSeq: number, completed: boolean): OutputItem[] {
  const own = events.filter((event) => event.seq >= turnSeq && event.seq <= lastSeq && event.delegationDepth === undefined);
  const answered = new Set(own.filter((event) => event.type === 'tool_result').map((event) => event.toolCallId));
  return own.flatMap((event): OutputItem[] => {
    if (event.type === 'assistant' && event.content !== '') return [outputMessage(`${MESSAGE_PREFIX}${event.seq}`, event.content)];
    if (completed && event.type === 'tool_call' && !answered.has(event.toolCallId)) return [functionCallItem(event)];
    return [];
  });
}

/** A session event as a conversation item: messages, and the agent's function calls and their outputs (its own tools' and the client's). */
export function conversationItemOf(event: SessionEvent): Record<string, unknown> | undefined {
  if (event.delegationDepth !== undefined) return undefined;
  switch (event.type) {
    case 'user':
      return { type: 'message', id: `${MESSAGE_PREFIX}${event.seq}`, status: 'completed', role: 'user', content: [{ type: 'input_text', text: event.content }] };
    case 'assistant':
      return event.content === '' ? undefined : { ...outputMessage(`${MESSAGE_PREFIX}${event.seq}`, event.content) };
    case 'tool_call':
      return { ...functionCallItem(event) };
    case 'tool_result':
      return { type: 'function_call_output', id: `${FUNCTION_CALL_OUTPUT_PREFIX}${event.seq}`, call_id: event.toolCallId, output: outputOf(event), status: 'completed' };
    default:
      return undefined;
  }
}
