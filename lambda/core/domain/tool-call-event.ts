import type { ToolCall } from '../ports/model-backend';
import { canonicalJson, type JsonValue } from './canonical-json';
import type { EventDraft } from './session-event';
import { estimateTokens } from './token-estimate';

/** A tool call is stored as an event whose content is the canonical JSON of its input. */
export function toolCallDraft(call: ToolCall, seq: number, actor: string, time: string): EventDraft {
  const content = canonicalJson(call.input);
  return {
    seq,
    type: 'tool_call',
    content,
    tokens: estimateTokens(content),
    actor,
    time,
    toolCallId: call.id,
    toolName: call.name,
  };
}

export function toolCallFromEvent(event: EventDraft): ToolCall {
  if (event.type !== 'tool_call' || event.toolCallId === undefined || event.toolName === undefined) {
    throw new Error(`event ${event.seq} is not a well-formed tool_call event`);
  }
  return { id: event.toolCallId, name: event.toolName, input: JSON.parse(event.content) as JsonValue };
}
