import type { ChatMessage } from '../ports/model-backend';
import type { SessionEvent } from './session-event';
import { estimateTokens } from './token-estimate';
import { toolCallFromEvent } from './tool-call-event';

export interface ContextInput {
  /** The agent's instructions: the system prompt, sent first; empty sends none. */
  readonly instructions: string;
  /** What recall found of the person's memory (recall-memory.ts), sent after the instructions; empty or absent sends none. */
  readonly memory?: string;
  /** The summarizer's fold of every event up to `summaryUpToSeq`; empty when there is none. */
  readonly summary: string;
  readonly summaryUpToSeq: number;
  /** Newest first, as the session query returns them, content resolved. */
  readonly eventsNewestFirst: readonly SessionEvent[];
  /** The most the messages may cost by `estimateTokens`, unless the instructions, summary and newest user message alone cost more. */
  readonly maxTokens: number;
}

export interface ModelContext {
  /** Oldest first, as models expect them. */
  readonly messages: ChatMessage[];
  readonly estimatedTokens: number;
}

export const SUMMARY_PREAMBLE = 'Summary of the conversation so far:\n';

/** Approvals and summary events are audit records; the model sees their effect through tool results and the summary. */
const CONVERSATIONAL: ReadonlySet<string> = new Set(['user', 'assistant', 'tool_call', 'tool_result']);

function eventTokens(event: SessionEvent): number {
  return event.type === 'tool_call'
    ? estimateTokens(`${event.toolCallId ?? ''}${event.toolName ?? ''}${event.content}`)
    : estimateTokens(event.content);
}

/**
 * The model's view of a session, bounded by a token budget: the agent's
 * instructions, what it remembers of the person, the summary, then the newest unsummarized events that fit,
 * walking back from the newest without gaps. The instructions, the memory,
 * the summary and the newest user message are always kept, since a turn means nothing
 * without them.
 */
export function buildContext(input: ContextInput): ModelContext {
  const system: ChatMessage[] = [
    ...(input.instructions.length > 0 ? [{ role: 'system' as const, content: input.instructions }] : []),
    ...(input.memory ? [{ role: 'system' as const, content: input.memory }] : []),
    ...(input.summary.length > 0 ? [{ role: 'system' as const, content: SUMMARY_PREAMBLE + input.summary }] : []),
  ];
  const systemTokens = system.reduce((total, message) => total + estimateTokens(message.content), 0);
  const newestUser = input.eventsNewestFirst.find((event) => event.type === 'user');

  let spent = systemTokens + (newestUser ? eventTokens(newestUser) : 0);
  const kept: SessionEvent[] = [];
  for (const event of input.eventsNewestFirst) {
    if (event === newestUser) {
      kept.push(event);
      continue;
    }
    if (event.seq <= input.summaryUpToSeq) break;
    if (!CONVERSATIONAL.has(event.type)) continue;
    const cost = eventTokens(event);
    if (spent + cost > input.maxTokens) break;
    spent += cost;
    kept.push(event);
  }
  if (newestUser && !kept.includes(newestUser)) kept.push(newestUser);

  const events = withoutOrphanToolResults(kept.reverse());
  const estimatedTokens = events.reduce((total, event) => total + eventTokens(event), systemTokens);
  return { messages: [...system, ...toMessages(events)], estimatedTokens };
}

/** A tool result whose call was cut off cannot be sent: chat APIs reject a tool message without its call. */
function withoutOrphanToolResults(chronological: readonly SessionEvent[]): SessionEvent[] {
  const calledIds = new Set<string>();
  return chronological.filter((event) => {
    if (event.type === 'tool_call' && event.toolCallId !== undefined) calledIds.add(event.toolCallId);
    return event.type !== 'tool_result' || (event.toolCallId !== undefined && calledIds.has(event.toolCallId));
  });
}

/** Consecutive tool calls join the assistant message before them: chat APIs expect one message per model reply. */
function toMessages(events: readonly SessionEvent[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const event of events) {
    const previous = messages[messages.length - 1];
    if (event.type === 'user') {
      messages.push({ role: 'user', content: event.content });
    } else if (event.type === 'assistant') {
      messages.push({ role: 'assistant', content: event.content });
    } else if (event.type === 'tool_call') {
      const call = toolCallFromEvent(event);
      if (previous?.role === 'assistant') {
        messages[messages.length - 1] = { ...previous, toolCalls: [...(previous.toolCalls ?? []), call] };
      } else {
        messages.push({ role: 'assistant', content: '', toolCalls: [call] });
      }
    } else if (event.type === 'tool_result' && event.toolCallId !== undefined) {
      messages.push({ role: 'tool', content: event.content, toolCallId: event.toolCallId });
    }
  }
  return messages;
}
