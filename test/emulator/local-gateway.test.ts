import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import OpenAI from 'openai';
import { createSignedFetch } from '../../lib/client/signed-fetch';
import { signerFor } from '../../lib/client/sigv4';
import { StatehouseClient } from '../../lib/client/statehouse-client';
import { startLocalGateway } from '../../lib/emulator/local-gateway';
import { orchestratorRoutes } from '../../lib/emulator/orchestrator-routes';
import { ACCOUNT, ALICE, BOB, ROLE_A } from '../lambda/orchestrator/support/api-events';
import { credentialsOf, REGION, startSessionGateway, type SessionGateway } from './support/session-gateway';

/**
 * The local gateway verifies real SigV4 signatures (credentials from moto's
 * STS) before anything reaches the orchestrator's real handler: every
 * refusal is API Gateway's 403, no event reaches the handler and the table
 * and bucket are byte for byte as before.
 */

let env: SessionGateway;
let sessionId: string;

beforeAll(async () => {
  env = await startSessionGateway();
  const client = new StatehouseClient({ url: env.gateway.invokeUrl, region: REGION, credentials: credentialsOf(env.alice) });
  sessionId = (await client.createSession({ sessionId: 'gateway-1' })).sessionId;
});

afterAll(async () => {
  await env?.stop();
});

const turnBody = JSON.stringify({ requestId: 'r-refused', message: 'Hello' });

/** A turn request signed by hand; `sentBody` and `sentHeaders` change what is sent after signing. */
async function signedTurn(options: {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region?: string;
  service?: string;
  signingDate?: Date;
  /** Sign as botocore does for execute-api: no x-amz-content-sha256 header, so the server hashes the body itself. */
  withoutPayloadHeader?: boolean;
  sentBody?: string;
  sentHeaders?: Record<string, string>;
  /** Where to send it. @default the local gateway */
  url?: URL;
}): Promise<Response> {
  const url = options.url ?? new URL(`sessions/${sessionId}/turns`, env.gateway.invokeUrl);
  const target = { region: options.region ?? REGION, credentials: options.credentials ?? credentialsOf(env.alice) };
  const signer =
    options.withoutPayloadHeader || options.service
      ? new SignatureV4({ service: options.service ?? 'execute-api', sha256: Sha256, applyChecksum: !options.withoutPayloadHeader, ...target })
      : signerFor(target);
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'content-type': 'application/json' },
      body: turnBody,
    },
    { signingDate: options.signingDate },
  );
  const { host: _host, ...headers } = signed.headers;
  return fetch(url, { method: 'POST', headers: { ...headers, ...options.sentHeaders }, body: options.sentBody ?? turnBody });
}

describe('refused at the gateway: 403, nothing reaches the handler, nothing is written', () => {
  const refusals: [string, () => Promise<Response>, string, RegExp][] = [
    [
      'unsigned',
      () => fetch(new URL(`sessions/${sessionId}/turns`, env.gateway.invokeUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: turnBody }),
      'MissingAuthenticationTokenException',
      /^Missing Authentication Token$/,
    ],
    [
      'signed with the wrong secret',
      () => signedTurn({ credentials: { ...credentialsOf(env.alice), secretAccessKey: 'not-the-secret-moto-issued' } }),
      'InvalidSignatureException',
      /signature we calculated does not match/,
    ],
    [
      'an access key no issuer knows',
      () => signedTurn({ credentials: { accessKeyId: 'ASIAUNKNOWNKEY000000', secretAccessKey: 'x', sessionToken: 'y' } }),
      'UnrecognizedClientException',
      /security token included in the request is invalid/,
    ],
    [
      "another role session's token with alice's key",
      () => signedTurn({ credentials: { ...credentialsOf(env.alice), sessionToken: env.bob.sessionToken } }),
      'UnrecognizedClientException',
      /security token included in the request is invalid/,
    ],
    [
      'signed 16 minutes ago (replayed after expiry)',
      () => signedTurn({ signingDate: new Date(Date.now() - 16 * 60 * 1000) }),
      'InvalidSignatureException',
      /^Signature expired: \d{8}T\d{6}Z is now earlier than/,
    ],
    [
      'signed for another region of the partition',
      () => signedTurn({ region: 'us-gov-east-1' }),
      'InvalidSignatureException',
      /Credential should be scoped to a valid region/,
    ],
    [
      'signed for a commercial region',
      () => signedTurn({ region: 'us-east-1' }),
      'InvalidSignatureException',
      /Credential should be scoped to a valid region/,
    ],
    [
      'signed for another service',
      () => signedTurn({ service: 'lambda' }),
      'InvalidSignatureException',
      /Credential should be scoped to correct service: 'execute-api'/,
    ],
    [
      'body changed after signing',
      () => signedTurn({ sentBody: JSON.stringify({ requestId: 'r-refused', message: 'Hellp' }) }),
      'InvalidSignatureException',
      /signature we calculated does not match/,
    ],
    [
      'body changed after signing, signed without x-amz-content-sha256',
      () => signedTurn({ withoutPayloadHeader: true, sentBody: JSON.stringify({ requestId: 'r-refused', message: 'Hellp' }) }),
      'InvalidSignatureException',
      /signature we calculated does not match/,
    ],
    [
      'a signed header changed after signing',
      () => signedTurn({ sentHeaders: { 'content-type': 'application/json; charset=utf-8' } }),
      'InvalidSignatureException',
      /signature we calculated does not match/,
    ],
    [
      'a resource the API does not have, signed',
      () => createSignedFetch({ region: REGION, credentials: credentialsOf(env.alice) })(new URL('admin/tables', env.gateway.invokeUrl)),
      'MissingAuthenticationTokenException',
      /^Missing Authentication Token$/,
    ],
  ];

  test.each(refusals)('%s', async (_name, send, errorType, message) => {
    const before = await env.harness.snapshot();
    const reached = env.events.length;

    const response = await send();

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe(errorType);
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await response.json()) as { message: string }).message).toMatch(message);
    expect(env.events.length).toBe(reached);
    expect(await env.harness.snapshot()).toBe(before);
    // The access log names the refusal and no caller: no signature was taken as anyone's.
    const logged = env.access.at(-1)!;
    expect(logged).toMatchObject({ requestId: response.headers.get('x-amzn-requestid'), status: 403, errorType });
    expect(logged).not.toHaveProperty('caller');
  });
});

test("temporary credentials past their expiry are refused, even signed at the gateway's own time", async () => {
  // moto's STS issues credentials for an hour: this gateway's clock is two hours on.
  const later = new Date(Date.now() + 2 * 60 * 60 * 1000);
  const ahead = await startLocalGateway({ routes: orchestratorRoutes(), handler: env.handler, credentials: env.callers.lookup, region: REGION, accountId: ACCOUNT, clock: () => later });
  try {
    const before = await env.harness.snapshot();
    const reached = env.events.length;

    const response = await signedTurn({ signingDate: later, url: new URL(`sessions/${sessionId}/turns`, ahead.invokeUrl) });

    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('ExpiredTokenException');
    expect(((await response.json()) as { message: string }).message).toBe('The security token included in the request is expired');
    expect(env.events.length).toBe(reached);
    expect(await env.harness.snapshot()).toBe(before);
  } finally {
    await ahead.close();
  }
});

test('a request signed without x-amz-content-sha256 (as botocore signs execute-api) is verified over the body received', async () => {
  const response = await signedTurn({ withoutPayloadHeader: true });

  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ requestId: 'r-refused', reply: 'echo: Hello', replayed: false });
  expect(env.events.at(-1)!.headers).not.toHaveProperty('x-amz-content-sha256');
});

test('a signed request becomes the proxy event API Gateway sends: resource, path parameters, query, headers, the caller from STS', async () => {
  const signedFetch = createSignedFetch({ region: REGION, credentials: credentialsOf(env.alice) });

  const response = await signedFetch(new URL(`sessions/${sessionId}?afterSeq=0&limit=5`, env.gateway.invokeUrl), { headers: { 'X-Trace-Note': 'a b' } });

  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(((await response.json()) as { session: unknown }).session).toMatchObject({ sessionId, owner: `${ROLE_A}#alice` });
  const event = env.events.at(-1)!;
  expect(event).toMatchObject({
    httpMethod: 'GET',
    resource: '/sessions/{sessionId}',
    path: `/sessions/${sessionId}`,
    pathParameters: { sessionId },
    queryStringParameters: { afterSeq: '0', limit: '5' },
    body: null,
    requestContext: {
      accountId: ACCOUNT,
      stage: 'v1',
      resourcePath: '/sessions/{sessionId}',
      path: `/v1/sessions/${sessionId}`,
      identity: {
        // What moto's STS GetCallerIdentity says the key belongs to.
        userArn: ALICE,
        caller: ALICE,
        accessKey: env.alice.accessKeyId,
        accountId: ACCOUNT,
        sourceIp: '127.0.0.1',
      },
    },
  });
  expect(event.headers).toMatchObject({ 'x-trace-note': 'a b', 'x-amz-security-token': env.alice.sessionToken });
  // As API Gateway's access log has it: the route's resource and the verified caller.
  expect(env.access.at(-1)).toEqual({
    requestId: event.requestContext.requestId,
    method: 'GET',
    path: `/v1/sessions/${sessionId}`,
    resource: '/sessions/{sessionId}',
    status: 200,
    caller: ALICE,
  });
  expect(event.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${env.alice.accessKeyId}/\\d{8}/${REGION}/execute-api/aws4_request, `));
});

test('the official openai package with signedFetch reaches the handler through the gateway, as the caller', async () => {
  const openai = new OpenAI({
    baseURL: `${env.gateway.invokeUrl}v1`,
    fetch: createSignedFetch({ region: REGION, credentials: credentialsOf(env.bob) }),
    apiKey: 'unused',
    maxRetries: 0,
  });

  const conversation = await openai.conversations.create({ metadata: { case: 'FOIA-12' } });
  const read = await openai.conversations.retrieve(conversation.id);

  expect(read.id).toBe(conversation.id);
  const [created, retrieved] = env.events.slice(-2);
  expect([created.resource, retrieved.resource]).toEqual(['/v1/conversations', '/v1/conversations/{conversationId}']);
  expect(retrieved.pathParameters).toEqual({ conversationId: conversation.id });
  for (const event of [created, retrieved]) {
    expect(event.requestContext.identity.userArn).toBe(BOB);
    // openai's own headers arrive as it sent them and were signed; its Bearer key was replaced by the signature.
    expect(event.headers['x-stainless-lang']).toBe('js');
    expect(event.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(event.headers.authorization).toContain('x-stainless-lang');
  }
  // Another tenant's caller does not see it.
  const alice = new OpenAI({ baseURL: `${env.gateway.invokeUrl}v1`, fetch: createSignedFetch({ region: REGION, credentials: credentialsOf(env.alice) }), apiKey: 'unused', maxRetries: 0 });
  await expect(alice.conversations.retrieve(conversation.id)).rejects.toMatchObject({ status: 404 });
});

test('an IAM user access key (no session token) is verified too, and its user ARN is the caller', async () => {
  const user = await env.callers.createUser(ACCOUNT, 'records-auditor');
  const signedFetch = createSignedFetch({ region: REGION, credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey } });

  const response = await signedFetch(new URL(`sessions/${sessionId}`, env.gateway.invokeUrl));

  // Through the gateway, and refused by the orchestrator: the user is not in the tenant map.
  expect(response.status).toBe(403);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('Forbidden');
  expect(env.events.at(-1)!.requestContext.identity.userArn).toBe(`arn:aws-us-gov:iam::${ACCOUNT}:user/records-auditor`);
});
