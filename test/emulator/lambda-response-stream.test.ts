import { createSignedFetch } from '../../lib/client/signed-fetch';
import { installLambdaStreamingRuntime, streamingProxyHandlerOf, type StreamifiedHandler } from '../../lib/emulator/lambda-response-stream';
import { startLocalGateway, type GatewayAccessEntry, type LocalGateway } from '../../lib/emulator/local-gateway';
import { motoCallers, type MotoCallers } from '../../lib/emulator/moto-callers';
import type { IssuedCredential } from '../../lib/emulator/sigv4-verifier';
import { startMoto, type MotoServer } from '../helpers/moto';
import { ACCOUNT, ALICE, ROLE_A } from '../lambda/orchestrator/support/api-events';
import { credentialsOf, REGION } from './support/session-gateway';

/**
 * A function written for Lambda's response streaming (awslambda.streamifyResponse,
 * HttpResponseStream.from), behind the local gateway: its prelude is the
 * response's status and headers, the rest its body as written, piece by piece.
 * Callers' keys from moto's STS.
 */

interface LambdaStreamingGlobal {
  streamifyResponse(handler: (event: unknown, stream: NodeJS.WritableStream) => Promise<void>): StreamifiedHandler;
  HttpResponseStream: { from(stream: NodeJS.WritableStream, prelude: unknown): NodeJS.WritableStream };
}

let moto: MotoServer;
let callers: MotoCallers;
let alice: IssuedCredential;
let restore: () => void;
let awslambda: LambdaStreamingGlobal;

beforeAll(async () => {
  moto = await startMoto();
  callers = motoCallers(moto.endpoint, REGION);
  alice = await callers.assumeRole(ROLE_A, 'alice');
  restore = installLambdaStreamingRuntime();
  awslambda = (globalThis as unknown as { awslambda: LambdaStreamingGlobal }).awslambda;
});

afterAll(async () => {
  restore?.();
  callers?.destroy();
  await moto?.stop();
});

async function gatewayFor(handler: StreamifiedHandler): Promise<{ gateway: LocalGateway; log: GatewayAccessEntry[] }> {
  const log: GatewayAccessEntry[] = [];
  const gateway = await startLocalGateway({
    routes: [{ method: 'POST', resource: '/stream', streaming: true }],
    handler: () => Promise.reject(new Error('the buffered handler is not this route\'s')),
    streamingHandler: streamingProxyHandlerOf(handler, {}),
    credentials: callers.lookup,
    region: REGION,
    accountId: ACCOUNT,
    onRequest: (entry) => log.push(entry),
  });
  return { gateway, log };
}

test("the prelude's status and headers open the response; each write arrives as written, before the function returns", async () => {
  let pieceRead!: () => void;
  const firstPieceRead = new Promise<void>((resolve) => (pieceRead = resolve));
  const events: unknown[] = [];
  const { gateway, log } = await gatewayFor(
    awslambda.streamifyResponse(async (event, responseStream) => {
      events.push(event);
      const body = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Piece': 'first' } });
      body.write('Délai: ');
      // The next piece waits until the client has read the first: a gateway that buffered would never finish.
      await firstPieceRead;
      // A character split across two writes is still one character.
      const bytes = Buffer.from('10 jours ouvrés.');
      body.write(bytes.subarray(0, 13));
      body.write(bytes.subarray(13));
      body.end();
    }),
  );
  try {
    const response = await createSignedFetch({ region: REGION, credentials: credentialsOf(alice) })(new URL('stream', gateway.invokeUrl), { method: 'POST', body: '{}' });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const first = decoder.decode((await reader.read()).value, { stream: true });
    pieceRead();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value, { stream: true });

    expect(response.status).toBe(201);
    expect(response.headers.get('x-piece')).toBe('first');
    expect(first).toBe('Délai: ');
    expect(first + rest).toBe('Délai: 10 jours ouvrés.');
    expect(events).toEqual([expect.objectContaining({ httpMethod: 'POST', resource: '/stream', requestContext: expect.objectContaining({ identity: expect.objectContaining({ userArn: ALICE }) }) })]);
    expect(log).toEqual([expect.objectContaining({ status: 201, method: 'POST', resource: '/stream', caller: ALICE })]);
  } finally {
    await gateway.close();
  }
});

test("a function that writes no prelude: API Gateway's 502, as it cannot read a status", async () => {
  const { gateway, log } = await gatewayFor(
    awslambda.streamifyResponse(async (_event, responseStream) => {
      responseStream.write('no prelude');
      responseStream.end();
    }),
  );
  try {
    const response = await createSignedFetch({ region: REGION, credentials: credentialsOf(alice) })(new URL('stream', gateway.invokeUrl), { method: 'POST', body: '{}' });

    expect(response.status).toBe(502);
    expect(response.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
    expect(log).toEqual([expect.objectContaining({ status: 502, caller: ALICE, errorType: 'InternalServerErrorException' })]);
  } finally {
    await gateway.close();
  }
});
