import { InvokeModelCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { Embedder } from '../../ports/memory-store';

/**
 * Amazon Titan Text Embeddings V2 through Bedrock's InvokeModel: one text
 * per request (the model takes one `inputText`), `normalize: true` so the
 * cosine is the dot product, 256 dimensions (the smallest the model offers:
 * records are single sentences, and a record's vector stays at 1 KiB).
 * Request and response bodies as in
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
 */
export const EMBEDDING_DIMENSIONS = 256;

export class BedrockEmbedder implements Embedder {
  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly modelId: string,
  ) {}

  async embed(texts: readonly string[]): Promise<number[][]> {
    return Promise.all(texts.map((text) => this.embedOne(text)));
  }

  private async embedOne(text: string): Promise<number[]> {
    const response = await this.client.send(
      new InvokeModelCommand({
        modelId: this.modelId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ inputText: text, dimensions: EMBEDDING_DIMENSIONS, normalize: true }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(response.body)) as { embedding?: unknown };
    const vector = body.embedding;
    if (!Array.isArray(vector) || vector.length !== EMBEDDING_DIMENSIONS || !vector.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`the embedding model ${this.modelId} answered no ${EMBEDDING_DIMENSIONS}-dimension vector`);
    }
    return vector as number[];
  }
}
