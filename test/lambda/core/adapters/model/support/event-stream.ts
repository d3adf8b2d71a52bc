import { EVENT_STREAM_CONTENT_TYPE, encodeEventStream, type StreamMessage } from '../../../../../../lib/emulator/event-stream';
import type { ScriptedResponse } from './scripted-endpoint';

export type { StreamMessage };

/** A streamed answer of a scripted endpoint, framed as AWS frames it (lib/emulator/event-stream.ts). */
export function eventStreamResponse(messages: readonly StreamMessage[], headers: Record<string, string> = {}): ScriptedResponse {
  return { status: 200, headers: { 'content-type': EVENT_STREAM_CONTENT_TYPE, ...headers }, body: encodeEventStream(messages) };
}
