import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from './handler';
import type { OrchestratorDeps } from './orchestrator-deps';

/**
 * The orchestrator behind a streaming integration (API Gateway REST
 * `responseTransferMode: STREAM` with Lambda response streaming): the same
 * routes, checks and answers as the buffered handler, written to a response
 * stream. A synchronous turn sent with `"stream": true` answers with
 * server-sent events (text/event-stream):
 *
 *   event: text     data: {"round":1,"text":"Let me "}    each piece of a reply as the model sends it
 *   event: result   data: {<the turn's result>}             once the turn committed: what the buffered answer holds
 *   event: error    data: {"error":{code,message}}          a failure after the first piece (nothing of the turn is written)
 *
 * A request refused before the first piece (400, 403, 409, 429, ...) gets
 * its ordinary status and JSON body, as does every other route.
 */

/** The HTTP response as the stream opens it: status and headers, then the body's pieces. */
export interface ResponseSink {
  write(chunk: string): void;
  end(): void;
}

/** Opens the response with its status and headers (Lambda's `awslambda.HttpResponseStream.from`, or a local gateway's). */
export type OpenResponse = (metadata: { readonly statusCode: number; readonly headers: Readonly<Record<string, string>> }) => ResponseSink;

export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/** One server-sent event (html.spec.whatwg.org/multipage/server-sent-events.html): JSON data on one line. */
export function serverSentEvent(event: 'text' | 'result' | 'error', data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createStreamingHandler(deps: OrchestratorDeps) {
  return async function stream(event: APIGatewayProxyEvent, open: OpenResponse): Promise<void> {
    let sink: ResponseSink | undefined;
    const streamText = (round: number, text: string) => {
      sink ??= open({ statusCode: 200, headers: EVENT_STREAM_HEADERS });
      sink.write(serverSentEvent('text', { round, text }));
    };
    const answer = await createHandler({ ...deps, streamText })(event);
    if (sink) {
      // The stream opened with 200: the outcome is its last event.
      sink.write(serverSentEvent(answer.statusCode < 400 ? 'result' : 'error', JSON.parse(answer.body)));
      sink.end();
      return;
    }
    const response = open({ statusCode: answer.statusCode, headers: (answer.headers ?? {}) as Record<string, string> });
    response.write(answer.body);
    response.end();
  };
}
