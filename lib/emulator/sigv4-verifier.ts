import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * SigV4 verification as API Gateway does it for IAM-authorized methods
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html):
 * the signature is recomputed with @smithy/signature-v4 over the request as
 * received (method, path, query, the headers the client says it signed, the
 * body's hash) with the secret the credential issuer holds for the access
 * key, and compared in constant time. Refusals carry API Gateway's error
 * types and messages.
 */

/** What the issuer (moto's IAM or STS here) knows of an access key. */
export interface IssuedCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Set for temporary (STS) credentials: the request must carry this token. */
  readonly sessionToken?: string;
  readonly expiration?: Date;
  /** The principal the key belongs to: an IAM user ARN or an assumed-role ARN. */
  readonly arn: string;
  readonly accountId: string;
}

export type CredentialLookup = (accessKeyId: string) => IssuedCredential | undefined;

/** A request as the server read it. */
export interface ReceivedRequest {
  readonly method: string;
  /** The path as sent, still percent-encoded, without the query. */
  readonly path: string;
  /** The query string as sent, without `?`. */
  readonly rawQuery: string;
  /** Lower-case names; repeated headers joined with `,`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface VerifierSettings {
  readonly region: string;
  /** @default 'execute-api' */
  readonly service?: string;
  readonly lookup: CredentialLookup;
  readonly now: Date;
}

export type Verification =
  | { readonly ok: true; readonly credential: IssuedCredential }
  | { readonly ok: false; readonly errorType: string; readonly message: string };

/** How far X-Amz-Date may be from the server's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

const refuse = (errorType: string, message: string): Verification => ({ ok: false, errorType, message });

interface Authorization {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly scopeRegion: string;
  readonly scopeService: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

function parseAuthorization(value: string): Authorization | string {
  const match = /^AWS4-HMAC-SHA256 (.*)$/.exec(value);
  if (!match) return `Authorization header requires 'AWS4-HMAC-SHA256' as its algorithm. Authorization=${value}`;
  const parts = new Map(
    match[1].split(',').map((part) => {
      const [key, ...rest] = part.trim().split('=');
      return [key, rest.join('=')] as const;
    }),
  );
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parts.get(name));
  if (missing.length > 0) return `${missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ')} Authorization=${value}`;
  const scope = parts.get('Credential')!.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') return `Credential should be scoped to a valid region, service and 'aws4_request'. Credential=${parts.get('Credential')}`;
  const [accessKeyId, scopeDate, scopeRegion, scopeService] = scope;
  return { accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaders: parts.get('SignedHeaders')!.split(';'), signature: parts.get('Signature')! };
}

/** `20261204T201500Z` → a Date, or undefined when it is not that shape. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function equalInConstantTime(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time the same either way.
  return left.length === right.length ? timingSafeEqual(left, right) : !timingSafeEqual(left, left);
}

/** The query as the signer's canonical form takes it: decoded names and values, repeated names as lists. */
function queryOf(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
}

const sha256Hex = (body: Buffer) => createHash('sha256').update(body).digest('hex');

export async function verifySigV4(request: ReceivedRequest, settings: VerifierSettings): Promise<Verification> {
  const service = settings.service ?? 'execute-api';
  const header = request.headers.authorization;
  if (header === undefined) return refuse('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const auth = parseAuthorization(header);
  if (typeof auth === 'string') return refuse('IncompleteSignatureException', auth);

  const amzDate = request.headers['x-amz-date'];
  if (amzDate === undefined) return refuse('IncompleteSignatureException', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt) return refuse('IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
  const now = settings.now;
  const stamp = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');
  if (signedAt.getTime() < now.getTime() - MAX_CLOCK_SKEW_MS) {
    return refuse('InvalidSignatureException', `Signature expired: ${amzDate} is now earlier than ${stamp(new Date(now.getTime() - MAX_CLOCK_SKEW_MS))} (${stamp(now)} - 15 min.)`);
  }
  if (signedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    return refuse('InvalidSignatureException', `Signature not yet current: ${amzDate} is still later than ${stamp(new Date(now.getTime() + MAX_CLOCK_SKEW_MS))} (${stamp(now)} + 15 min.)`);
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    return refuse('InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  }
  // A signature for another region (or another partition's region) is never valid here.
  if (auth.scopeRegion !== settings.region) return refuse('InvalidSignatureException', `Credential should be scoped to a valid region. (got '${auth.scopeRegion}', expected '${settings.region}')`);
  if (auth.scopeService !== service) return refuse('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'.`);

  const credential = settings.lookup(auth.accessKeyId);
  if (!credential) return refuse('UnrecognizedClientException', INVALID_TOKEN);
  const token = request.headers['x-amz-security-token'];
  if ((credential.sessionToken ?? '') !== '' || token !== undefined) {
    if (!equalInConstantTime(token ?? '', credential.sessionToken ?? '')) return refuse('UnrecognizedClientException', INVALID_TOKEN);
  }
  if (credential.expiration && credential.expiration.getTime() <= now.getTime()) return refuse('ExpiredTokenException', 'The security token included in the request is expired');

  const signed = auth.signedHeaders;
  if (!signed.includes('host') || signed.some((name) => request.headers[name] === undefined)) return refuse('InvalidSignatureException', MISMATCH);
  // The signer trusts a declared payload hash; the body must match it, or a body changed after signing would pass.
  const declared = request.headers['x-amz-content-sha256'];
  if (declared !== undefined && !equalInConstantTime(declared, sha256Hex(request.body))) return refuse('InvalidSignatureException', MISMATCH);

  const signer = new SignatureV4({
    service,
    region: settings.region,
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey, sessionToken: credential.sessionToken },
    sha256: Sha256,
    // The canonical request holds exactly the headers the client signed: nothing is added.
    applyChecksum: false,
  });
  const recomputed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: request.headers.host,
      path: request.path,
      query: queryOf(request.rawQuery),
      headers: Object.fromEntries(signed.map((name) => [name, request.headers[name]])),
      body: request.body.length > 0 ? request.body : undefined,
    },
    { signingDate: signedAt, signableHeaders: new Set(signed) },
  );
  const expected = recomputed.headers.authorization ?? '';
  const expectedSignedHeaders = /SignedHeaders=([^,]+)/.exec(expected)?.[1] ?? '';
  const expectedSignature = /Signature=([0-9a-f]+)/.exec(expected)?.[1] ?? '';
  const sameHeaders = expectedSignedHeaders === signed.join(';');
  const sameSignature = equalInConstantTime(auth.signature, expectedSignature);
  if (!sameHeaders || !sameSignature) return refuse('InvalidSignatureException', MISMATCH);
  return { ok: true, credential };
}
