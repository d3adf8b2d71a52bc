import type {
  ConverseStreamOutput,
  ContentBlock,
  ConverseResponse,
  Message,
  SystemContentBlock,
  ToolConfiguration,
} from '@aws-sdk/client-bedrock-runtime';
import type { JsonValue } from '../../domain/canonical-json';
import type { TokenUsage } from '../../domain/session-header';
import type { ChatMessage, ToolCall, ToolSpec } from '../../ports/model-backend';
import { malformedReply } from './model-errors';
import type { ParsedReply } from './reply-usage';

/**
 * Our chat messages as Bedrock Converse input, and a Converse reply as ours.
 * Pure functions over the SDK's types; no client.
 */

export interface ConverseInput {
  readonly system: SystemContentBlock[];
  readonly messages: Message[];
}

/**
 * System messages go to `system`, wherever they stand. Tool results are
 * `toolResult` blocks in a user message, as Converse requires; consecutive
 * messages of one role are merged, since Converse wants the roles to
 * alternate and all results of one assistant turn in the next user message.
 * Empty text is left out: Converse refuses a blank text block.
 */
export function toConverseInput(messages: readonly ChatMessage[]): ConverseInput {
  const system: SystemContentBlock[] = [];
  const merged: Message[] = [];
  for (const message of messages) {
    if (message.role === 'system') {
      if (message.content !== '') system.push({ text: message.content });
      continue;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const content = contentBlocks(message);
    if (content.length === 0) continue;
    const last = merged[merged.length - 1];
    if (last?.role === role) last.content = [...(last.content ?? []), ...content];
    else merged.push({ role, content });
  }
  return { system, messages: merged };
}

function contentBlocks(message: ChatMessage): ContentBlock[] {
  switch (message.role) {
    case 'system':
      return []; // They go to `system`.
    case 'user':
      return message.content === '' ? [] : [{ text: message.content }];
    case 'assistant':
      return [
        ...(message.content === '' ? [] : [{ text: message.content }]),
        ...(message.toolCalls ?? []).map(
          (call): ContentBlock => ({ toolUse: { toolUseId: call.id, name: call.name, input: call.input } }),
        ),
      ];
    case 'tool':
      return [{ toolResult: { toolUseId: message.toolCallId, content: [{ text: message.content }] } }];
  }
}

export function toToolConfig(tools: readonly ToolSpec[] | undefined): ToolConfiguration | undefined {
  if (!tools?.length) return undefined;
  return {
    tools: tools.map((tool) => ({
      toolSpec: { name: tool.name, description: tool.description, inputSchema: { json: tool.inputSchema } },
    })),
  };
}

/** Text blocks joined, toolUse blocks as tool calls; other blocks (reasoning, citations) are not part of the answer. */
export function parseConverseResponse(operation: string, response: ConverseResponse): ParsedReply {
  const content = response.output?.message?.content;
  if (!Array.isArray(content)) throw malformedReply(operation, 'the response has no output message');
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of content) {
    if (typeof block.text === 'string') text += block.text;
    else if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      if (typeof toolUseId !== 'string' || toolUseId === '' || typeof name !== 'string' || name === '') {
        throw malformedReply(operation, `tool use ${toolCalls.length + 1} has no id or no name`);
      }
      toolCalls.push({ id: toolUseId, name, input: (input ?? {}) as JsonValue });
    }
  }
  return { text, toolCalls, usage: toTokenUsage(response.usage) };
}

function toTokenUsage(usage: ConverseResponse['usage']): TokenUsage | undefined {
  if (typeof usage?.inputTokens !== 'number' || typeof usage.outputTokens !== 'number') return undefined;
  // Cached prompt tokens are reported apart from inputTokens; the model still read them.
  const cached = (usage.cacheReadInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0);
  return { input: usage.inputTokens + cached, output: usage.outputTokens };
}

/**
 * Assembles a ConverseStream reply from its events: text deltas joined (each
 * passed on as it arrives), a toolUse block's input from the JSON pieces of
 * its deltas, the usage from the metadata event. The same reply as
 * parseConverseResponse gives for the same answer unstreamed.
 */
export class ConverseStreamAssembler {
  private text = '';
  private usage: ConverseResponse['usage'];
  private readonly blocks = new Map<number, { id?: string; name?: string; input: string }>();

  constructor(
    private readonly operation: string,
    private readonly onText?: (delta: string) => void,
  ) {}

  push(event: ConverseStreamOutput): void {
    if (event.contentBlockStart?.start?.toolUse) {
      const { toolUseId, name } = event.contentBlockStart.start.toolUse;
      this.blocks.set(event.contentBlockStart.contentBlockIndex ?? this.blocks.size, { id: toolUseId, name, input: '' });
    } else if (event.contentBlockDelta?.delta) {
      const { delta, contentBlockIndex } = event.contentBlockDelta;
      if (typeof delta.text === 'string' && delta.text !== '') {
        this.text += delta.text;
        this.onText?.(delta.text);
      } else if (delta.toolUse && typeof delta.toolUse.input === 'string') {
        const block = this.blocks.get(contentBlockIndex ?? -1);
        if (!block) throw malformedReply(this.operation, `a tool input arrived for block ${contentBlockIndex ?? '?'}, which did not start as a tool use`);
        block.input += delta.toolUse.input;
      }
    } else if (event.metadata?.usage) {
      this.usage = event.metadata.usage;
    }
  }

  finish(): ParsedReply {
    const toolCalls: ToolCall[] = [...this.blocks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, block], position) => {
        if (!block.id || !block.name) throw malformedReply(this.operation, `tool use ${position + 1} has no id or no name`);
        let input: JsonValue;
        try {
          input = (block.input === '' ? {} : JSON.parse(block.input)) as JsonValue;
        } catch {
          throw malformedReply(this.operation, `the input of tool use ${position + 1} is not JSON`);
        }
        return { id: block.id, name: block.name, input };
      });
    return { text: this.text, toolCalls, usage: toTokenUsage(this.usage) };
  }
}
