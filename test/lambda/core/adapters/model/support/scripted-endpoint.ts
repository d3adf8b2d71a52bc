import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenOnLoopback } from '../../../../../../lib/emulator/loopback-server';
import type { ModelClientOptions } from '../../../../../../lambda/core/adapters/model/client-settings';

/**
 * A scripted model behind a real HTTP endpoint on 127.0.0.1 (free port): the
 * real SDK client sends it real requests, which are recorded, and it answers
 * from a script. The project's one allowed test double is the model; this is
 * it, for the services moto does not emulate (Bedrock runtime, Bedrock agent
 * runtime, SageMaker's response streams).
 */

export interface RecordedRequest {
  readonly method: string;
  /** The decoded path, e.g. `/model/anthropic.claude-3-haiku-20240307-v1:0/converse`. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Holds the answer back (to provoke a client timeout); the script, not the test, waits. */
  readonly delayMs?: number;
}

export interface ScriptedEndpoint {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** Queues answers, used one per request in order. */
  answer(...responses: ScriptedResponse[]): void;
  /** Answers every request not covered by the queue with this. */
  answerAlways(response: ScriptedResponse): void;
  /** The JSON body of the n-th request. */
  jsonBody(index: number): unknown;
  stop(): Promise<void>;
}

const SCRIPT_EXHAUSTED: ScriptedResponse = {
  status: 599,
  headers: { 'content-type': 'text/plain' },
  body: 'scripted endpoint: no answer left in the script',
};

export async function startScriptedEndpoint(): Promise<ScriptedEndpoint> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedResponse[] = [];
  let fallback: ScriptedResponse = SCRIPT_EXHAUSTED;
  const pendingTimers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        path: decodeURIComponent((request.url ?? '').split('?')[0]),
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      const scripted = queue.shift() ?? fallback;
      const send = (): void => {
        if (response.destroyed) return;
        response.writeHead(scripted.status, { ...scripted.headers });
        response.end(scripted.body === undefined ? undefined : Buffer.from(scripted.body));
      };
      if (scripted.delayMs === undefined) {
        send();
        return;
      }
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        send();
      }, scripted.delayMs);
      pendingTimers.add(timer);
    });
  });
  const listening = await listenOnLoopback(server);

  return {
    endpoint: listening.endpoint,
    requests,
    answer: (...responses) => void queue.push(...responses),
    answerAlways: (response) => {
      fallback = response;
    },
    jsonBody: (index) => {
      const request = requests[index];
      if (!request) throw new Error(`no request ${index + 1}; ${requests.length} received`);
      return JSON.parse(request.body.toString('utf-8'));
    },
    async stop() {
      for (const timer of pendingTimers) clearTimeout(timer);
      await listening.close();
    },
  };
}

/** A JSON answer in the shape of AWS's REST-JSON protocols. */
export function jsonResponse(body: unknown, status = 200): ScriptedResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** An AWS REST-JSON error: the type in `x-amzn-errortype`, a message in the body. */
export function awsError(status: number, type: string, message: string): ScriptedResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': `req-${type}` },
    body: JSON.stringify({ message }),
  };
}

/** Client options for a test: explicit region and dummy credentials, so no test reads the developer's AWS configuration. */
export function testClientOptions(endpoint: string, overrides: Partial<ModelClientOptions> = {}): ModelClientOptions {
  return {
    region: 'us-east-1',
    fipsServices: new Set(),
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    ...overrides,
  };
}
