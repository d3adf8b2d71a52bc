import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { StreamingProxyHandler } from './local-gateway';

/**
 * Lambda's response streaming, as the Node.js runtime gives it to a function
 * (docs.aws.amazon.com/lambda/latest/dg/response-streaming-tutorial.html),
 * for a deployed streaming bundle run in this process: the `awslambda`
 * global the bundle reads at load (`streamifyResponse`,
 * `HttpResponseStream.from`), and a response stream read the way API
 * Gateway reads it: the JSON prelude (status, headers) up to an 8-byte null
 * delimiter, then the body as written. `HttpResponseStream.from` is the
 * runtime interface client's (aws/aws-lambda-nodejs-runtime-interface-client,
 * src/HttpResponseStream.js): it sets the content type and writes the prelude
 * before the stream's first write.
 */

/** A function wrapped in `awslambda.streamifyResponse`, as the runtime calls it. */
export type StreamifiedHandler = (event: unknown, responseStream: NodeJS.WritableStream, context: unknown) => Promise<unknown>;

const HTTP_INTEGRATION_RESPONSE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);

class ResponseStream extends Writable {
  contentType?: string;
  /** Set by HttpResponseStream.from: writes the prelude before the first piece of the body. */
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
  private started = false;

  constructor(private readonly receive: (bytes: Buffer) => void) {
    super();
  }

  setContentType(contentType: string): void {
    this.contentType = contentType;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this._onBeforeFirstWrite?.((chunk) => this.receive(Buffer.from(chunk)));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      this.start();
      this.receive(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _final(done: (error?: Error | null) => void): void {
    this.start();
    done();
  }
}

/** The `awslambda` global of Lambda's Node.js runtime, for as long as the returned function is not called. */
export function installLambdaStreamingRuntime(): () => void {
  const global = globalThis as { awslambda?: unknown };
  const before = global.awslambda;
  global.awslambda = {
    streamifyResponse: (handler: StreamifiedHandler) => handler,
    HttpResponseStream: {
      from(stream: ResponseStream, prelude: unknown) {
        stream.setContentType(HTTP_INTEGRATION_RESPONSE);
        // JSON has no raw null byte, so the delimiter cannot occur in the prelude.
        const metadata = JSON.stringify(prelude);
        stream._onBeforeFirstWrite = (write) => {
          write(metadata);
          write(DELIMITER);
        };
        return stream;
      },
    },
  };
  return () => {
    if (before === undefined) delete global.awslambda;
    else global.awslambda = before;
  };
}

export class MissingPreludeError extends Error {
  override readonly name = 'MissingPreludeError';
}

/**
 * A streamified handler behind the local gateway: its response stream's
 * prelude opens the gateway's response, the rest is the body, piece by piece.
 */
export function streamingProxyHandlerOf(handler: StreamifiedHandler, context: unknown): StreamingProxyHandler {
  return async (event, open) => {
    let pending: Buffer = Buffer.alloc(0);
    let sink: ReturnType<typeof open> | undefined;
    const text = new StringDecoder('utf8');
    const stream = new ResponseStream((bytes) => {
      if (sink) {
        const piece = text.write(bytes);
        if (piece) sink.write(piece);
        return;
      }
      pending = Buffer.concat([pending, bytes]);
      const at = pending.indexOf(DELIMITER);
      if (at < 0) return;
      const prelude = JSON.parse(pending.subarray(0, at).toString('utf8')) as { statusCode?: number; headers?: Record<string, string> };
      sink = open({ statusCode: prelude.statusCode ?? 200, headers: prelude.headers ?? {} });
      const rest = text.write(pending.subarray(at + DELIMITER.length));
      if (rest) sink.write(rest);
    });
    await handler(event, stream, context);
    // The runtime ends the response when the handler's promise settles, if the handler did not.
    if (!stream.writableEnded) stream.end();
    await finished(stream);
    if (stream.contentType !== HTTP_INTEGRATION_RESPONSE || !sink) {
      throw new MissingPreludeError(`the function's response stream has no ${HTTP_INTEGRATION_RESPONSE} prelude (awslambda.HttpResponseStream.from): API Gateway cannot read its status`);
    }
    const tail = text.end();
    if (tail) sink.write(tail);
    sink.end();
  };
}
