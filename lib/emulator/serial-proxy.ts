import { createServer } from 'node:http';
import { listenOnLoopback } from './loopback-server';

/**
 * An HTTP proxy on 127.0.0.1 that forwards one request at a time.
 *
 * moto applies a TransactWriteItems one action at a time, with no lock across
 * its request threads, so two concurrent transactions can both pass a
 * condition that real DynamoDB (serializable transactions) lets only one
 * pass. The deployed functions' DynamoDB clients reach moto through this
 * proxy (AWS_ENDPOINT_URL_DYNAMODB), which gives moto that isolation back.
 * Callers still interleave freely between requests, which is where the
 * kit's optimistic concurrency is exercised. Bodies and headers pass
 * unchanged, so SigV4 signatures (over the Host header) still match.
 */
export interface SerialProxy {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startSerialProxy(target: string): Promise<SerialProxy> {
  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const forward = async (): Promise<void> => {
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        try {
          const answer = await fetch(`${target}${request.url ?? '/'}`, { method: request.method, headers, body });
          const payload = Buffer.from(await answer.arrayBuffer());
          const outgoing: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'content-length') outgoing[name] = value;
          });
          response.writeHead(answer.status, { ...outgoing, 'content-length': String(payload.length) }).end(payload);
        } catch (error) {
          response.writeHead(502, { 'content-type': 'text/plain' }).end(`serial proxy: ${(error as Error).message}`);
        }
      };
      queue = queue.then(forward, forward);
    });
  });
  const listening = await listenOnLoopback(server);
  return { endpoint: listening.endpoint, stop: listening.close };
}
