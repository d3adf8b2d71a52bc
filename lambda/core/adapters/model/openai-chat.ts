import * as z from 'zod';
import type { JsonValue } from '../../domain/canonical-json';
import type { TokenUsage } from '../../domain/session-header';
import type { ChatMessage, ToolCall, ToolSpec } from '../../ports/model-backend';
import { malformedReply } from './model-errors';
import type { ParsedReply } from './reply-usage';
import { describeZodIssues } from './zod-issues';

/**
 * The OpenAI chat-completions body that the Neuron serving containers accept
 * on /invocations: LMI (djl-inference, "chat completions" input/output schema
 * on docs.djl.ai) and TGI (its Messages API). Pure functions, no SDK.
 */

export type OpenAiMessage =
  | { readonly role: 'system' | 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string | null; readonly tool_calls?: readonly OpenAiToolCall[] }
  | { readonly role: 'tool'; readonly content: string; readonly tool_call_id: string };

export interface OpenAiToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export interface OpenAiTool {
  readonly type: 'function';
  readonly function: { readonly name: string; readonly description: string; readonly parameters: ToolSpec['inputSchema'] };
}

export interface ChatCompletionRequest {
  readonly messages: readonly OpenAiMessage[];
  readonly tools?: readonly OpenAiTool[];
  readonly max_tokens: number;
  readonly temperature?: number;
  readonly stream?: true;
  /** Asks for a last chunk with the usage; containers that do not know it leave it out. */
  readonly stream_options?: { readonly include_usage: true };
}

export interface ChatCompletionSettings {
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly stream?: boolean;
}

export function toOpenAiMessage(message: ChatMessage): OpenAiMessage {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // OpenAI's form for "only tool calls" is a null content, not an empty string.
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.input) },
        })),
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
  }
}

export function chatCompletionRequest(
  messages: readonly ChatMessage[],
  tools: readonly ToolSpec[] | undefined,
  settings: ChatCompletionSettings,
): ChatCompletionRequest {
  return {
    messages: messages.map(toOpenAiMessage),
    ...(tools?.length
      ? {
          tools: tools.map((tool) => ({
            type: 'function',
            function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
          })),
        }
      : {}),
    max_tokens: settings.maxTokens,
    ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
    ...(settings.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/** `arguments` is a JSON string in OpenAI's schema; TGI sends the object itself. */
export const toolArgumentsSchema = z.union([z.string(), z.record(z.string(), z.unknown())]).nullish();

export const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
});

const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().min(1),
                function: z.object({ name: z.string().min(1), arguments: toolArgumentsSchema }),
              }),
            )
            .nullish(),
        }),
      }),
    )
    .min(1),
  usage: usageSchema.nullish(),
});

/** Parses a chat.completion body; anything unusable is a ModelError naming the problem, never the content. */
export function parseChatCompletion(operation: string, body: string): ParsedReply {
  const json = parseJson(operation, body, 'the body is not JSON');
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) {
    throw malformedReply(operation, `not a chat completion (${describeZodIssues(parsed.error)})`, parsed.error);
  }
  const { message } = parsed.data.choices[0];
  const toolCalls = (message.tool_calls ?? []).map((call, position) =>
    toToolCall(operation, position, call.id, call.function.name, call.function.arguments),
  );
  return { text: message.content ?? '', toolCalls, usage: toTokenUsage(parsed.data.usage) };
}

export function toToolCall(
  operation: string,
  position: number,
  id: string,
  name: string,
  args: z.infer<typeof toolArgumentsSchema>,
): ToolCall {
  if (args === undefined || args === null || args === '') return { id, name, input: {} };
  if (typeof args !== 'string') return { id, name, input: args as JsonValue };
  return { id, name, input: parseJson(operation, args, `the arguments of tool call ${position + 1} are not JSON`) as JsonValue };
}

export function toTokenUsage(usage: z.infer<typeof usageSchema> | null | undefined): TokenUsage | undefined {
  return usage ? { input: usage.prompt_tokens, output: usage.completion_tokens } : undefined;
}

export function parseJson(operation: string, text: string, problem: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // No cause: a SyntaxError quotes the text around the fault, i.e. model output.
    throw malformedReply(operation, problem);
  }
}
