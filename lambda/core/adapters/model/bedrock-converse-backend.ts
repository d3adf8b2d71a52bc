import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import type { ModelBackendConfig } from '../../../../lib/contract/model-backend-config';
import type { ChatMessage, ChatOptions, ModelBackend, ModelReply, ToolSpec } from '../../ports/model-backend';
import { modelClientConfig, type ModelClientOptions } from './client-settings';
import { ConverseStreamAssembler, parseConverseResponse, toConverseInput, toToolConfig } from './converse-format';
import { DEFAULT_MAX_OUTPUT_TOKENS } from './model-defaults';
import { malformedReply, toModelError } from './model-errors';
import { assertModelIdAllowed } from './model-id-policy';
import { withUsage, type ParsedReply } from './reply-usage';

export interface BedrockConverseBackendProps {
  readonly client: BedrockRuntimeClient;
  /** An in-region model id or ARN (foundation model, provisioned throughput). */
  readonly modelId: string;
  /**
   * Accept an inference profile (`us.`, `us-gov.` ids, profile ARNs), which
   * may process the request in another region. Set it only where the
   * target's residency allows cross-region inference.
   * @default false
   */
  readonly allowInferenceProfile?: boolean;
  /** @default DEFAULT_MAX_OUTPUT_TOKENS */
  readonly maxTokens?: number;
  /** @default the model's default */
  readonly temperature?: number;
}

/** The model port on Amazon Bedrock's Converse API. */
export class BedrockConverseBackend implements ModelBackend {
  private readonly client: BedrockRuntimeClient;
  private readonly modelId: string;
  private readonly maxTokens: number;
  private readonly temperature?: number;
  private readonly operation: string;

  /** @throws ValidationError for an inference profile that is not allowed. */
  constructor(props: BedrockConverseBackendProps) {
    assertModelIdAllowed('modelId', props.modelId, props.allowInferenceProfile ?? false);
    this.client = props.client;
    this.modelId = props.modelId;
    this.maxTokens = props.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    this.temperature = props.temperature;
    this.operation = `Bedrock Converse with ${props.modelId}`;
  }

  async chat(messages: readonly ChatMessage[], tools?: readonly ToolSpec[], options: ChatOptions = {}): Promise<ModelReply> {
    const { system, messages: converseMessages } = toConverseInput(messages);
    const toolConfig = toToolConfig(tools);
    const input = {
      modelId: this.modelId,
      messages: converseMessages,
      ...(system.length > 0 ? { system } : {}),
      ...(toolConfig ? { toolConfig } : {}),
      inferenceConfig: {
        maxTokens: this.maxTokens,
        ...(this.temperature === undefined ? {} : { temperature: this.temperature }),
      },
    };
    let reply: ParsedReply;
    try {
      if (options.onText) {
        // ConverseStream: the same request, the reply as events (docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html).
        const response = await this.client.send(new ConverseStreamCommand(input));
        if (!response.stream) throw malformedReply(this.operation, 'the response has no stream');
        const assembler = new ConverseStreamAssembler(this.operation, options.onText);
        // Exceptions in the stream (throttling, modelStreamError, ...) are thrown by the iterator.
        for await (const event of response.stream) assembler.push(event);
        reply = assembler.finish();
      } else {
        reply = parseConverseResponse(this.operation, await this.client.send(new ConverseCommand(input)));
      }
    } catch (error) {
      throw toModelError(this.operation, error);
    }
    return withUsage(messages, reply);
  }
}

/** The backend of a `bedrock-converse` configuration on its own SDK client (client-settings.ts); createModelBackend requires it. */
export function bedrockConverseBackend(config: Extract<ModelBackendConfig, { kind: 'bedrock-converse' }>, options: ModelClientOptions): BedrockConverseBackend {
  return new BedrockConverseBackend({
    client: new BedrockRuntimeClient(modelClientConfig('bedrock-runtime', options)),
    modelId: config.modelId,
    allowInferenceProfile: config.allowInferenceProfile,
    maxTokens: config.maxTokens,
    temperature: config.temperature,
  });
}
