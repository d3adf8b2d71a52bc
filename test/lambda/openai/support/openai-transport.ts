import OpenAI from 'openai';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from '../../../../lambda/orchestrator/handler';
import type { OrchestratorDeps } from '../../../../lambda/orchestrator/orchestrator-deps';
import { createStreamingHandler } from '../../../../lambda/orchestrator/stream-handler';
import { apiGatewayEvent } from '../../../../lib/emulator/api-gateway-event';
import { ACCOUNT, ALICE } from '../../orchestrator/support/api-events';

/**
 * The OFFICIAL `openai` package against the orchestrator: its `fetch` is a
 * transport that hands each request to the handler as the API Gateway proxy
 * event it would become (resource template matched, the caller's verified
 * ARN in requestContext), in this process.
 */

const ROUTES = [
  '/v1/responses/{responseId}/cancel',
  '/v1/responses/{responseId}',
  '/v1/responses',
  '/v1/conversations/{conversationId}/items',
  '/v1/conversations/{conversationId}',
  '/v1/conversations',
];

let serial = 0;

/** The request as API Gateway hands it to the function: the resource template it matched, and the caller. */
async function proxyEvent(request: Request, caller: string): Promise<APIGatewayProxyEvent> {
  const url = new URL(request.url);
  const path = url.pathname;
  for (const resource of ROUTES) {
    const pattern = new RegExp(`^${resource.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`);
    const match = pattern.exec(path);
    if (!match) continue;
    const body = request.method === 'GET' || request.method === 'DELETE' ? undefined : await request.text();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    return apiGatewayEvent({
      method: request.method,
      resource,
      pathParameters: match.groups ? Object.fromEntries(Object.entries(match.groups).map(([k, v]) => [k, decodeURIComponent(v)])) : null,
      query: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : null,
      body: body === '' ? undefined : body,
      headers,
      caller,
      accountId: ACCOUNT,
      requestId: `oa-${++serial}`,
    });
  }
  throw new Error(`no route for ${path}`);
}

export interface OpenAiTransportOptions {
  /** Sees the JSON body of every request the client sends, before the handler does. */
  readonly onRequest?: (body: Record<string, unknown>) => void;
}

/** An OpenAI client whose requests the handler answers (streaming ones through the streaming handler). */
export function openAiFor(deps: OrchestratorDeps, caller = ALICE, options: OpenAiTransportOptions = {}): OpenAI {
  const buffered = createHandler(deps);
  const streaming = createStreamingHandler(deps);
  const transport = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const event = await proxyEvent(request, caller);
    const sent = event.body === null ? undefined : (JSON.parse(event.body) as Record<string, unknown>);
    if (sent) options.onRequest?.(sent);
    if (sent?.stream !== true) {
      const result = await buffered(event);
      return new Response(result.body, { status: result.statusCode, headers: result.headers as Record<string, string> });
    }
    let open!: (head: { statusCode: number; headers: Headers }) => void;
    const head = new Promise<{ statusCode: number; headers: Headers }>((resolve) => (open = resolve));
    const body = new TransformStream<Uint8Array, Uint8Array>();
    const writer = body.writable.getWriter();
    const encoder = new TextEncoder();
    void streaming(event, ({ statusCode, headers }) => {
      open({ statusCode, headers: new Headers(headers as Record<string, string>) });
      return { write: (chunk) => void writer.write(encoder.encode(chunk)), end: () => void writer.close() };
    });
    const { statusCode, headers } = await head;
    return new Response(body.readable, { status: statusCode, headers });
  };
  return new OpenAI({ baseURL: 'https://api.example.internal/v1', apiKey: 'unused: requests are signed with SigV4', fetch: transport, maxRetries: 0 });
}
