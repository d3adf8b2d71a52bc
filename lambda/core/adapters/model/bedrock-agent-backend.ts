import { randomUUID } from 'node:crypto';
import {
  InvokeInlineAgentCommand,
  type BedrockAgentRuntimeClient,
  type InlineAgentResponseStream,
  type Message,
  type Usage,
} from '@aws-sdk/client-bedrock-agent-runtime';
import { ModelError } from '../../domain/errors';
import type { ChatMessage, ModelBackend, ModelReply, ToolSpec } from '../../ports/model-backend';
import { malformedReply, toModelError } from './model-errors';
import { assertModelIdAllowed } from './model-id-policy';
import { withUsage } from './reply-usage';

/**
 * Seconds Bedrock keeps an inline agent's session after the call: the
 * smallest it accepts. The session store is the memory of record; each call
 * brings the conversation with it, so nothing should linger in the service.
 */
export const AGENT_IDLE_SESSION_TTL_SECONDS = 60;

export interface BedrockInlineAgentBackendProps {
  readonly client: BedrockAgentRuntimeClient;
  /** The orchestration model: an in-region model id or ARN. */
  readonly foundationModel: string;
  /** The agent's standing instruction; the conversation's system messages are appended to it. */
  readonly instruction: string;
  /**
   * Accept an inference profile as the foundation model (see BedrockConverseBackendProps).
   * @default false
   */
  readonly allowInferenceProfile?: boolean;
  /**
   * Ids for Bedrock's sessions, one per call.
   * @default randomUUID
   */
  readonly newSessionId?: () => string;
}

/**
 * The model port on Amazon Bedrock Agents' InvokeInlineAgent: the agent
 * answers the conversation's last user message, with the earlier messages as
 * its conversation history. The agent runs its own orchestration; it does not
 * call the session's tools, so replies never carry tool calls and `tools` is
 * not sent (tools for an agent are its own action groups).
 */
export class BedrockInlineAgentBackend implements ModelBackend {
  private readonly client: BedrockAgentRuntimeClient;
  private readonly foundationModel: string;
  private readonly instruction: string;
  private readonly newSessionId: () => string;
  private readonly operation: string;

  /** @throws ValidationError for an inference profile that is not allowed. */
  constructor(props: BedrockInlineAgentBackendProps) {
    assertModelIdAllowed('foundationModel', props.foundationModel, props.allowInferenceProfile ?? false);
    this.client = props.client;
    this.foundationModel = props.foundationModel;
    this.instruction = props.instruction;
    this.newSessionId = props.newSessionId ?? randomUUID;
    this.operation = `Bedrock inline agent on ${props.foundationModel}`;
  }

  async chat(messages: readonly ChatMessage[], _tools?: readonly ToolSpec[]): Promise<ModelReply> {
    const last = messages[messages.length - 1];
    if (last?.role !== 'user') {
      // Only a session that began on another backend can end with a tool result here.
      throw new ModelError(
        `${this.operation} answers a user message; this conversation ends with ${last ? `a message of role ${last.role}` : 'no message'}`,
      );
    }
    const system = messages.filter((message) => message.role === 'system').map((message) => message.content);
    const history = conversationHistory(messages.slice(0, -1));
    let text = '';
    let usage: { input: number; output: number } | undefined;
    try {
      const response = await this.client.send(
        new InvokeInlineAgentCommand({
          foundationModel: this.foundationModel,
          instruction: [this.instruction, ...system].join('\n\n'),
          sessionId: this.newSessionId(),
          idleSessionTTLInSeconds: AGENT_IDLE_SESSION_TTL_SECONDS,
          inputText: last.content,
          // Traces carry the token counts of each model invocation; budgets are charged with them.
          enableTrace: true,
          ...(history.length > 0 ? { inlineSessionState: { conversationHistory: { messages: history } } } : {}),
        }),
      );
      if (!response.completion) throw malformedReply(this.operation, 'the response has no completion stream');
      const decoder = new TextDecoder('utf-8');
      // Exception events in the stream (throttling, dependency failures) are thrown by the iterator.
      for await (const event of response.completion) {
        if (event.chunk?.bytes) text += decoder.decode(event.chunk.bytes, { stream: true });
        const counted = traceUsage(event);
        if (counted) {
          usage = {
            input: (usage?.input ?? 0) + (counted.inputTokens ?? 0),
            output: (usage?.output ?? 0) + (counted.outputTokens ?? 0),
          };
        }
      }
      text += decoder.decode();
    } catch (error) {
      throw toModelError(this.operation, error);
    }
    return withUsage(messages, { text, toolCalls: [], usage });
  }
}

/** Usage of one model invocation inside the agent, from whichever step the trace reports. */
function traceUsage(event: InlineAgentResponseStream): Usage | undefined {
  const trace = event.trace?.trace;
  if (!trace) return undefined;
  const step = trace.preProcessingTrace ?? trace.orchestrationTrace ?? trace.postProcessingTrace ?? trace.routingClassifierTrace;
  return step?.modelInvocationOutput?.metadata?.usage;
}

/**
 * The messages before the input as the agent's history: user and assistant
 * text, roles alternating (consecutive messages of one role merged). System
 * messages went into the instruction; a tool result is shown as user text.
 */
function conversationHistory(messages: readonly ChatMessage[]): Message[] {
  const history: Message[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const text = message.role === 'tool' ? `Result of tool call ${message.toolCallId}:\n${message.content}` : message.content;
    if (text === '') continue;
    const previous = history[history.length - 1];
    if (previous?.role === role) previous.content = [...(previous.content ?? []), { text }];
    else history.push({ role, content: [{ text }] });
  }
  return history;
}
