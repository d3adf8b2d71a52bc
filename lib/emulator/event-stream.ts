import { EventStreamCodec } from '@smithy/core/event-streams';

/**
 * The binary event-stream framing (application/vnd.amazon.eventstream) that
 * AWS uses for streamed responses (Bedrock's ConverseStream, SageMaker's
 * InvokeEndpointWithResponseStream), encoded with the SDK's own codec so the
 * real client decodes what a real service would send.
 */
const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf-8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf-8')),
);

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

export type StreamMessage =
  | { readonly event: string; readonly body: Uint8Array | string; readonly contentType?: string }
  | { readonly exception: string; readonly body: unknown };

function encode(message: StreamMessage): Uint8Array {
  if ('exception' in message) {
    return codec.encode({
      headers: {
        ':message-type': { type: 'string', value: 'exception' },
        ':exception-type': { type: 'string', value: message.exception },
        ':content-type': { type: 'string', value: 'application/json' },
      },
      body: new Uint8Array(Buffer.from(JSON.stringify(message.body), 'utf-8')),
    });
  }
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: message.event },
      ':content-type': { type: 'string', value: message.contentType ?? 'application/json' },
    },
    body: typeof message.body === 'string' ? new Uint8Array(Buffer.from(message.body, 'utf-8')) : message.body,
  });
}

/** The messages as one response body, in order. */
export function encodeEventStream(messages: readonly StreamMessage[]): Buffer {
  return Buffer.concat(messages.map((message) => Buffer.from(encode(message))));
}
