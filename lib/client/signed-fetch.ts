import { signedHeaders, signerFor, type SigningTarget } from './sigv4';

export interface SignedFetchOptions extends SigningTarget {
  /** The fetch that sends the signed request. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * A `fetch` that signs every request with SigV4 for `execute-api`: method,
 * URL, headers and body as they will be sent. Any client that takes a fetch
 * can call the private API with it, the official `openai` package included:
 *
 *   new OpenAI({ baseURL, fetch: createSignedFetch({ region }), apiKey: 'unused' })
 *
 * The body is read whole before it is signed (a stream or form data too), so
 * the signature covers it; an `Authorization` header the caller set (openai's
 * `Bearer <apiKey>`) is replaced by the signature.
 */
export function createSignedFetch(options: SignedFetchOptions): typeof fetch {
  const signer = signerFor(options);
  const send = options.fetch ?? globalThis.fetch;
  return async function signedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    // A stream body needs `duplex` to make a Request; the Request then normalises every kind of body and header.
    const streaming = init?.body instanceof ReadableStream;
    const request = new Request(input, streaming ? ({ ...init, duplex: 'half' } as RequestInit) : init);
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const headers = await signedHeaders(signer, {
      method: request.method,
      url: new URL(request.url),
      headers: Object.fromEntries(request.headers),
      body,
    });
    return send(request.url, {
      method: request.method,
      headers,
      body,
      signal: init?.signal ?? request.signal,
      redirect: request.redirect,
    });
  };
}
