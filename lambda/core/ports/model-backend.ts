import type { JsonValue } from '../domain/canonical-json';
import type { TokenUsage } from '../domain/session-header';

/**
 * The inference port. Adapters translate to the OpenAI chat-completions body
 * (SageMaker LMI/TGI), Bedrock Converse or Bedrock Agents; the domain sees only this.
 */

export interface ToolCall {
  /** The model's id for the call; the tool result answers it. */
  readonly id: string;
  readonly name: string;
  readonly input: JsonValue;
}

export type ChatMessage =
  | { readonly role: 'system' | 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly content: string; readonly toolCallId: string };

/** A tool the model may call: its name and a JSON schema of its input. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: { readonly [key: string]: JsonValue };
}

export interface ModelReply {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  /** Tokens as the backend counted them; budgets are charged with these. */
  readonly usage: TokenUsage;
}

/** How a caller that streams is told of a reply while it arrives. */
export interface ChatOptions {
  /**
   * Called with each piece of the reply's text as the backend sends it,
   * in order: their concatenation is the reply's `text`. A backend that
   * cannot stream calls it once, with the whole text, before it returns.
   */
  readonly onText?: (delta: string) => void;
}

export interface ModelBackend {
  /** Throws on any failure; the turn maps it to a ModelError and writes nothing. */
  chat(messages: readonly ChatMessage[], tools?: readonly ToolSpec[], options?: ChatOptions): Promise<ModelReply>;
}
