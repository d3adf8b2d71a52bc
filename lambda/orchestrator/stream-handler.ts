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

/** How a route's stream is written: the session API's own events, or OpenAI's `response.*` events. */
interface StreamEncoder {
  text(round: number, delta: string): void;
  /** The handler's answer once the turn committed (or failed after the first piece). */
  end(statusCode: number, body: unknown): void;
}

function sessionApiEncoder(sink: () => ResponseSink): StreamEncoder {
  return {
    text: (round, text) => sink().write(serverSentEvent('text', { round, text })),
    end: (statusCode, body) => sink().write(serverSentEvent(statusCode < 400 ? 'result' : 'error', body)),
  };
}

/**
 * OpenAI's streaming events for `POST /v1/responses` with `stream: true`
 * (platform.openai.com/docs/api-reference/responses-streaming): the response
 * created, then per reply of the agent an output message item whose text
 * arrives as `response.output_text.delta`, then the calls it handed to the
 * client as `function_call` items (their arguments arrive whole, in one
 * `response.function_call_arguments.delta`, once the turn committed: the
 * model backends send a call's input whole), then `response.completed` with
 * the response as committed (or `error`).
 */
function openAiEncoder(sink: () => ResponseSink, about: () => Readonly<Record<string, unknown>>): StreamEncoder {
  let sequence = 0;
  let current: { round: number; index: number; id: string; text: string } | undefined;
  let index = -1;
  let begun = false;
  const emit = (type: string, data: Record<string, unknown>) =>
    sink().write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  const begin = () => {
    if (begun) return;
    begun = true;
    emit('response.created', { response: about() });
    emit('response.in_progress', { response: about() });
  };
  const closeItem = () => {
    if (!current) return;
    const { index: output_index, id: item_id, text } = current;
    const part = { type: 'output_text', text, annotations: [] };
    emit('response.output_text.done', { item_id, output_index, content_index: 0, text });
    emit('response.content_part.done', { item_id, output_index, content_index: 0, part });
    emit('response.output_item.done', { output_index, item: { type: 'message', id: item_id, status: 'completed', role: 'assistant', content: [part] } });
    current = undefined;
  };
  const functionCall = (item: { readonly id: string; readonly arguments: string }) => {
    index += 1;
    const output_index = index;
    emit('response.output_item.added', { output_index, item: { ...item, arguments: '', status: 'in_progress' } });
    emit('response.function_call_arguments.delta', { item_id: item.id, output_index, delta: item.arguments });
    emit('response.function_call_arguments.done', { item_id: item.id, output_index, arguments: item.arguments });
    emit('response.output_item.done', { output_index, item });
  };
  return {
    text(round, delta) {
      begin();
      if (current?.round !== round) {
        closeItem();
        index += 1;
        current = { round, index, id: `msg_stream_${round}`, text: '' };
        emit('response.output_item.added', { output_index: index, item: { type: 'message', id: current.id, status: 'in_progress', role: 'assistant', content: [] } });
        emit('response.content_part.added', { item_id: current.id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      }
      current.text += delta;
      emit('response.output_text.delta', { item_id: current.id, output_index: index, content_index: 0, delta });
    },
    end(statusCode, body) {
      closeItem();
      if (statusCode >= 400) {
        emit('error', { ...((body as { error?: object }).error ?? {}) });
        return;
      }
      begin();
      // The client's calls end the turn's last reply, after its text: they are the output's last items.
      const output = (body as { output?: readonly { type?: string; id: string; arguments: string }[] }).output ?? [];
      for (const item of output) if (item.type === 'function_call') functionCall(item);
      emit('response.completed', { response: body });
    },
  };
}

export function createStreamingHandler(deps: OrchestratorDeps) {
  return async function stream(event: APIGatewayProxyEvent, open: OpenResponse): Promise<void> {
    let sink: ResponseSink | undefined;
    const opened = () => (sink ??= open({ statusCode: 200, headers: EVENT_STREAM_HEADERS }));
    // Set once a /v1/responses request was accepted as a stream: it streams its events even when no text came (a reply of function calls only).
    let about: Readonly<Record<string, unknown>> | undefined;
    const encoder = event?.resource === '/v1/responses' ? openAiEncoder(opened, () => about ?? {}) : sessionApiEncoder(opened);
    const streamText = (round: number, text: string) => encoder.text(round, text);
    const answer = await createHandler({ ...deps, streamText, streamAbout: (value) => (about = value) })(event);
    if (sink || (about !== undefined && answer.statusCode < 400)) {
      // The stream opened with 200 (or opens now): the outcome is its last event.
      encoder.end(answer.statusCode, JSON.parse(answer.body));
      opened().end();
      return;
    }
    const response = open({ statusCode: answer.statusCode, headers: (answer.headers ?? {}) as Record<string, string> });
    response.write(answer.body);
    response.end();
  };
}
