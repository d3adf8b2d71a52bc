import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * SigV4 for the session API (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html):
 * the private REST API uses IAM auth, so every request is signed for the
 * `execute-api` service in the API's region with the caller's credentials.
 */

export const EXECUTE_API_SERVICE = 'execute-api';

/** What a request is signed for. */
export interface SigningTarget {
  /** The API's region (the scope of the signature). */
  readonly region: string;
  /** @default the SDK's default chain (`fromNodeProviderChain`: env, SSO, profile, web identity, container, instance) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** A request as it will go on the wire. */
export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  /** Header names in any case; each is signed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/**
 * Headers the transport sets or rewrites itself (fetch computes Content-Length
 * and owns the connection), so they are neither signed nor passed on.
 */
const TRANSPORT_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);

export function signerFor(target: SigningTarget): SignatureV4 {
  return new SignatureV4({
    service: EXECUTE_API_SERVICE,
    region: target.region,
    credentials: target.credentials ?? fromNodeProviderChain(),
    sha256: Sha256,
  });
}

/**
 * The headers to send: the request's own (except the transport's), plus
 * `authorization`, `x-amz-date`, `x-amz-content-sha256` and, for temporary
 * credentials, `x-amz-security-token`. `host` is signed as the URL names it
 * (what fetch sends) but not returned: fetch sets it.
 */
export async function signedHeaders(signer: SignatureV4, request: RequestToSign): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    // An `authorization` the caller set (openai's `Bearer <apiKey>`) is replaced by the signature.
    if (!TRANSPORT_HEADERS.has(lower) && lower !== 'authorization') headers[lower] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  const signed = await signer.sign({
    method: request.method.toUpperCase(),
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    port: request.url.port ? Number(request.url.port) : undefined,
    // The path exactly as fetch sends it (percent-encoded); the signer encodes it once more, as SigV4 asks for every service but S3.
    path: request.url.pathname,
    query,
    headers: { ...headers, host: request.url.host },
    body: request.body,
  });
  const { host: _host, ...toSend } = signed.headers;
  return toSend;
}
