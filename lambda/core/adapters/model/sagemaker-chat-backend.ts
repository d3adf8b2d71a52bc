import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import type { ModelBackendConfig } from '../../../../lib/contract/model-backend-config';
import type { ChatMessage, ChatOptions, ModelBackend, ModelReply, ToolSpec } from '../../ports/model-backend';
import { DEFAULT_MAX_OUTPUT_TOKENS } from './model-defaults';
import { malformedReply, toModelError } from './model-errors';
import { chatCompletionRequest, parseChatCompletion } from './openai-chat';
import { modelClientConfig, type ModelClientOptions } from './client-settings';
import { ChatCompletionStreamAssembler } from './openai-stream';
import { withUsage, type ParsedReply } from './reply-usage';

export interface SageMakerChatBackendProps {
  readonly client: SageMakerRuntimeClient;
  /** A real-time endpoint serving an LMI (djl-inference) or TGI container. */
  readonly endpointName: string;
  /**
   * Use InvokeEndpointWithResponseStream: the container sends tokens as it
   * produces them, so the request timeout bounds the wait for the first
   * token rather than for the whole reply. The turn still returns the whole
   * reply.
   * @default false
   */
  readonly stream?: boolean;
  /** @default DEFAULT_MAX_OUTPUT_TOKENS */
  readonly maxTokens?: number;
  /** @default the container's default */
  readonly temperature?: number;
}

/** The model port on a SageMaker real-time endpoint, speaking the OpenAI chat-completions body. */
export class SageMakerChatBackend implements ModelBackend {
  private readonly client: SageMakerRuntimeClient;
  private readonly endpointName: string;
  private readonly stream: boolean;
  private readonly maxTokens: number;
  private readonly temperature?: number;
  private readonly operation: string;

  constructor(props: SageMakerChatBackendProps) {
    this.client = props.client;
    this.endpointName = props.endpointName;
    this.stream = props.stream ?? false;
    this.maxTokens = props.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    this.temperature = props.temperature;
    this.operation = `SageMaker endpoint ${props.endpointName}`;
  }

  async chat(messages: readonly ChatMessage[], tools?: readonly ToolSpec[], options: ChatOptions = {}): Promise<ModelReply> {
    // A caller that streams gets the endpoint's own stream, whatever `stream` says for other callers.
    const stream = this.stream || options.onText !== undefined;
    const request = chatCompletionRequest(messages, tools, {
      maxTokens: this.maxTokens,
      temperature: this.temperature,
      stream,
    });
    const body = new TextEncoder().encode(JSON.stringify(request));
    let reply: ParsedReply;
    try {
      reply = stream ? await this.invokeStreaming(body, options.onText) : await this.invoke(body);
    } catch (error) {
      throw toModelError(this.operation, error);
    }
    return withUsage(messages, reply);
  }

  private async invoke(body: Uint8Array): Promise<ParsedReply> {
    const response = await this.client.send(
      new InvokeEndpointCommand({
        EndpointName: this.endpointName,
        ContentType: 'application/json',
        Accept: 'application/json',
        Body: body,
      }),
    );
    if (!response.Body) throw malformedReply(this.operation, 'the response has no body');
    return parseChatCompletion(this.operation, new TextDecoder('utf-8').decode(response.Body));
  }

  private async invokeStreaming(body: Uint8Array, onText?: (delta: string) => void): Promise<ParsedReply> {
    const response = await this.client.send(
      new InvokeEndpointWithResponseStreamCommand({
        EndpointName: this.endpointName,
        ContentType: 'application/json',
        Body: body,
      }),
    );
    if (!response.Body) throw malformedReply(this.operation, 'the response has no stream');
    const assembler = new ChatCompletionStreamAssembler(this.operation, onText);
    // ModelStreamError and InternalStreamFailure events are thrown by the iterator.
    for await (const event of response.Body) {
      if (event.PayloadPart?.Bytes) assembler.push(event.PayloadPart.Bytes);
    }
    return assembler.finish();
  }
}

/** The backend of a `sagemaker` configuration on its own SDK client (client-settings.ts); createModelBackend requires it. */
export function sageMakerChatBackend(config: Extract<ModelBackendConfig, { kind: 'sagemaker' }>, options: ModelClientOptions): SageMakerChatBackend {
  return new SageMakerChatBackend({
    client: new SageMakerRuntimeClient(modelClientConfig('runtime.sagemaker', options)),
    endpointName: config.endpointName,
    stream: config.stream,
    maxTokens: config.maxTokens,
    temperature: config.temperature,
  });
}
