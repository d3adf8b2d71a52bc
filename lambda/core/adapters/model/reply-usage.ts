import { estimateTokens } from '../../domain/token-estimate';
import type { TokenUsage } from '../../domain/session-header';
import type { ChatMessage, ModelReply, ToolCall } from '../../ports/model-backend';

/**
 * Token usage for a backend that did not report it (a container without
 * usage in its stream, an agent run without traces): the domain's estimate of
 * the prompt and the reply, so the session budget is still charged.
 */
function estimateUsage(messages: readonly ChatMessage[], text: string, toolCalls: readonly ToolCall[] = []): TokenUsage {
  const prompt = messages
    .map((message) =>
      message.role === 'assistant' && message.toolCalls?.length
        ? message.content + JSON.stringify(message.toolCalls)
        : message.content,
    )
    .join('\n');
  const reply = toolCalls.length > 0 ? text + JSON.stringify(toolCalls) : text;
  return { input: estimateTokens(prompt), output: estimateTokens(reply) };
}

/** A backend's reply as parsed: the usage is undefined when the backend did not count. */
export interface ParsedReply {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: TokenUsage | undefined;
}

/** A parsed reply as the port's ModelReply, its usage estimated when the backend gave none. */
export function withUsage(messages: readonly ChatMessage[], reply: ParsedReply): ModelReply {
  return {
    text: reply.text,
    toolCalls: reply.toolCalls,
    usage: reply.usage ?? estimateUsage(messages, reply.text, reply.toolCalls),
  };
}
