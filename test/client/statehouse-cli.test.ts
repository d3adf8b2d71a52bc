import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { eventSk, sessionPk } from '../../lambda/core/domain/session-keys';
import { startLocalGateway } from '../../lib/emulator/local-gateway';
import { orchestratorRoutes } from '../../lib/emulator/orchestrator-routes';
import type { IssuedCredential } from '../../lib/emulator/sigv4-verifier';
import { ACCOUNT, ROLE_A, ROLE_OFFICER } from '../lambda/orchestrator/support/api-events';
import { sealEvents } from '../../lambda/core/domain/hash-chain';
import { inboxChange, newSessionHeader, type PendingTool, type TurnHeaderUpdate } from '../../lambda/core/domain/session-header';
import { toolCallDraft } from '../../lambda/core/domain/tool-call-event';

const ALICE_ACTOR = `${ROLE_A}#alice`;
import { StatehouseClient } from '../../lib/client/statehouse-client';
import { stacksOf, synthStatehouse } from '../helpers/synth';
import { credentialsOf, REGION, startSessionGateway, type SessionGateway } from '../emulator/support/session-gateway';

/**
 * The `statehouse` command as a user runs it (`bin/statehouse`, a child
 * process), its credentials in the environment as moto's STS issued them,
 * against the orchestrator's real handlers behind the local gateway.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
let env: SessionGateway;
let work: string;

beforeAll(async () => {
  // A deployment from before the session list and the approvals inbox: the CLI must say they are not served.
  const lists = new Set(['GET /sessions', 'GET /approvals']);
  env = await startSessionGateway(orchestratorRoutes().filter((route) => !lists.has(`${route.method} ${route.resource}`)));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-cli-'));
  const client = new StatehouseClient({ url: env.gateway.invokeUrl, region: REGION, credentials: credentialsOf(env.alice) });
  for (const sessionId of ['cli-1', 'cli-broken']) {
    await client.createSession({ sessionId });
    await client.sendTurn(sessionId, { requestId: 'r-1', message: 'Is FOIA-7 open?' });
    await client.sendTurn(sessionId, { requestId: 'r-2', message: 'Who handles it?' });
  }
  // Someone rewrites a stored answer behind the API's back.
  const { dynamodb, tableName } = env.harness.store;
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { pk: { S: sessionPk('agency-a', 'cli-broken') }, sk: { S: eventSk(2) } },
      UpdateExpression: 'SET content = :c',
      ExpressionAttributeValues: { ':c': { S: 'echo: It was closed.' } },
    }),
  );
});

afterAll(async () => {
  await env?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Runs `bin/statehouse <args>` with only these credentials in its environment: none of the developer's AWS configuration. */
function statehouse(args: string[], options: { caller?: IssuedCredential; secret?: string; stdin?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const caller = options.caller ?? env.alice;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'statehouse'), ...args], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      HOME: work,
      AWS_ACCESS_KEY_ID: caller.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.secret ?? caller.secretAccessKey,
      AWS_SESSION_TOKEN: caller.sessionToken,
      AWS_CONFIG_FILE: path.join(work, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const where = () => ['--url', env.gateway.invokeUrl, '--region', REGION];

test('export writes a Markdown transcript whose chain was recomputed here, and JSON with every event, its hashes and both checks', async () => {
  const file = path.join(work, 'cli-1.md');

  const [markdown, json] = await Promise.all([
    statehouse(['export', 'cli-1', ...where(), '--tenant', 'agency-a', '--format', 'markdown', '--out', file]),
    statehouse(['export', 'cli-1', ...where()]),
  ]);

  expect(markdown).toMatchObject({ code: 0, stdout: '' });
  expect(markdown.stderr).toBe("Verified: the hash chain of all 4 events was recomputed here from the session's genesis, and the deployment's verify route recomputed the stored chain over 4 events and found it valid.\n");
  const text = fs.readFileSync(file, 'utf8');
  expect(text).toMatch(/^# Session cli-1\n\n\*\*Verified\.\*\* Verified: the hash chain of all 4 events was recomputed here from the session's genesis/);
  expect(text).toContain("| hash chain, recomputed here | verified, 4 events, from the session's genesis |");
  expect(text).toContain("| hash chain, the deployment's verify route | valid, 4 events |");
  expect(text).toContain('## 3 · user');
  expect(text).toContain('Who handles it?');
  expect(json.code).toBe(0);
  const transcript = JSON.parse(json.stdout);
  // No --tenant: anchored at the first event's prevHash.
  expect(transcript).toMatchObject({
    kind: 'statehouse.transcript',
    session: { sessionId: 'cli-1', lastSeq: 4 },
    verification: { verdict: 'verified', local: { status: 'verified', events: 4, anchor: 'first-event' }, server: { valid: true, events: 4 } },
  });
  expect(transcript.events.every((event: { prevHash: string; hash: string }) => /^[0-9a-f]{64}$/.test(event.prevHash) && /^[0-9a-f]{64}$/.test(event.hash))).toBe(true);
  expect(transcript.events.map((event: { content: string }) => event.content)).toEqual(['Is FOIA-7 open?', 'echo: Is FOIA-7 open?', 'Who handles it?', 'echo: Who handles it?']);
});

test('verify and export of a session whose stored log was rewritten: exit 1, and the transcript says NOT VERIFIED', async () => {
  const [verified, broken, exported] = await Promise.all([
    statehouse(['verify', 'cli-1', ...where()]),
    statehouse(['verify', 'cli-broken', ...where()]),
    statehouse(['export', 'cli-broken', ...where(), '--format', 'markdown']),
  ]);

  expect(verified).toMatchObject({ code: 0, stdout: expect.stringMatching(/^session cli-1: Verified: the hash chain of all 4 events was recomputed here from the first event's prevHash .* and the deployment's verify route recomputed the stored chain over 4 events and found it valid\.\n$/) });
  // Recomputed here, the rewritten answer breaks its own hash; the deployment's route finds the same.
  const statement = "NOT VERIFIED: the events as read break at event 2 (hash_mismatch); the deployment's verify route found the stored chain broken at event 2 (hash_mismatch).";
  expect(broken).toMatchObject({ code: 1, stdout: `session cli-broken: ${statement}\n` });
  expect(exported.code).toBe(1);
  expect(exported.stdout).toContain(`**NOT VERIFIED.** ${statement}`);
  expect(exported.stdout).toContain('| hash chain, recomputed here | BROKEN at event 2 (hash_mismatch) |');
});

test('chat: each line a turn, the reply streamed as the server streams it; the lists say their routes are not served yet', async () => {
  const [chat, list, approvals] = await Promise.all([
    statehouse(['chat', ...where()], { stdin: 'Hello there\nAnd again\n/quit\n' }),
    statehouse(['sessions', 'list', ...where()]),
    statehouse(['approvals', 'list', ...where()]),
  ]);

  expect(chat.code).toBe(0);
  expect(chat.stdout).toBe('echo: Hello there\necho: And again\n');
  const sessionId = /^session ([0-9a-f-]{36}) \(agent assistant\); \/quit ends$/m.exec(chat.stderr)?.[1];
  expect(sessionId).toBeDefined();
  // Streamed: the turns came through the streaming handler, as server-sent events.
  const turns = env.events.filter((event) => event.resource === '/sessions/{sessionId}/turns' && event.pathParameters?.sessionId === sessionId);
  expect(turns.map((event) => JSON.parse(event.body!))).toEqual([
    expect.objectContaining({ message: 'Hello there', stream: true }),
    expect.objectContaining({ message: 'And again', stream: true }),
  ]);
  expect(list).toMatchObject({ code: 0, stdout: 'GET /sessions is not yet served by this deployment\n' });
  expect(approvals).toMatchObject({ code: 0, stdout: 'GET /approvals is not yet served by this deployment\n' });
});

test('sessions list and approvals list page through what the deployment serves: your sessions, newest first; what your role may decide', async () => {
  const served = await startLocalGateway({ routes: orchestratorRoutes(), handler: env.handler, credentials: env.callers.lookup, region: REGION, accountId: ACCOUNT });
  try {
    // A session of Alice's that waits for a records officer, committed by the real repository as a turn would.
    const { repository } = env.harness.store;
    await repository.create('agency-a', 'cli-waiting', newSessionHeader({ tenant: 'agency-a', session: 'cli-waiting', owner: ALICE_ACTOR, agent: 'assistant', maxTokens: 1000, ttlSeconds: 3600, now: new Date() }));
    const { header } = await repository.load('agency-a', 'cli-waiting', 0);
    const call = { id: 'call-release', name: 'release_records', input: { caseId: 'FOIA-7' } };
    const [event] = sealEvents([toolCallDraft(call, 1, 'model', new Date().toISOString())], header.lastHash);
    const pending: PendingTool = {
      toolCallId: call.id,
      tool: call.name,
      input: call.input,
      callSeq: 1,
      requestId: 'r-1',
      requestedBy: ALICE_ACTOR,
      approval: { approverRoles: ['RecordsOfficer'], timeoutSeconds: 3600 },
      executionName: 'cli-waiting-1',
    };
    const update: TurnHeaderUpdate = {
      lastSeq: 1,
      lastHash: event.hash,
      tokens: header.tokens,
      recentRequests: header.recentRequests,
      status: 'awaiting_approval',
      expiresAt: header.expiresAt,
      updatedAt: new Date().toISOString(),
      agent: header.agent,
      pendingTool: pending,
      activeTurn: undefined,
      clientCalls: undefined,
      inbox: inboxChange(undefined, pending),
    };
    await repository.commitTurn('agency-a', 'cli-waiting', header.version, [event], update);
    const olivia = await env.callers.assumeRole(ROLE_OFFICER, 'olivia');
    const url = ['--url', served.invokeUrl, '--region', REGION];

    const [sessions, json, officerInbox, ownInbox] = await Promise.all([
      statehouse(['sessions', 'list', ...url]),
      statehouse(['sessions', 'list', '--status', 'awaiting_approval', '--json', ...url]),
      statehouse(['approvals', 'list', ...url], { caller: olivia }),
      statehouse(['approvals', 'list', ...url]),
    ]);

    expect(sessions.code).toBe(0);
    const listed = sessions.stdout.trim().split('\n').map((line) => line.split('  ')[0]);
    expect(listed[0]).toBe('cli-waiting');
    expect(listed).toEqual(expect.arrayContaining(['cli-1', 'cli-broken']));
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ sessionId: 'cli-waiting', status: 'awaiting_approval' })]);
    expect(officerInbox.code).toBe(0);
    expect(officerInbox.stdout).toContain(`cli-waiting  release_records (call-release) asked by ${ALICE_ACTOR}`);
    expect(officerInbox.stdout).toContain('statehouse approvals approve|deny --session cli-waiting --tool-call call-release --reason "..."');
    // The requester's own request is never in her inbox (AC-5); her role decides nothing.
    expect(ownInbox).toMatchObject({ code: 0, stdout: 'no approvals wait for your role\n' });
  } finally {
    await served.close();
  }
});

test('chat against a deployment that does not stream: the refused streamed turn goes again, buffered, with the same requestId', async () => {
  const buffered = await startLocalGateway({ routes: orchestratorRoutes(), handler: env.handler, credentials: env.callers.lookup, region: REGION, accountId: ACCOUNT });
  try {
    const chat = await statehouse(['chat', '--url', buffered.invokeUrl, '--region', REGION], { stdin: 'Hi\nBye\n' });

    expect(chat).toMatchObject({ code: 0, stdout: 'echo: Hi\necho: Bye\n' });
    const sessionId = /^session (\S+) /m.exec(chat.stderr)?.[1];
    const bodies = env.events.filter((event) => event.pathParameters?.sessionId === sessionId && event.body).map((event) => JSON.parse(event.body!));
    expect(bodies).toEqual([
      { requestId: bodies[0].requestId, message: 'Hi', stream: true },
      { requestId: bodies[0].requestId, message: 'Hi' },
      { requestId: expect.not.stringMatching(bodies[0].requestId), message: 'Bye' },
    ]);
  } finally {
    await buffered.close();
  }
});

test("refusals: the gateway's 403 for a wrong secret, the orchestrator's 409 for a decision nothing waits for: exit 3 with what the API said", async () => {
  const [refused, undecidable] = await Promise.all([
    statehouse(['verify', 'cli-1', ...where()], { secret: 'not-the-secret' }),
    statehouse(['approvals', 'approve', '--session', 'cli-1', '--tool-call', 'tc-1', '--reason', 'reviewed', ...where()]),
  ]);

  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/^error: 403 InvalidSignatureException: The request signature we calculated does not match/);
  expect(undecidable.code).toBe(3);
  expect(undecidable.stderr).toMatch(/^error: 409 NoPendingApproval: /);
});

test('--target finds the API from the synthesized cloud assembly and the outputs file `cdk deploy --outputs-file` writes', async () => {
  // The capability gate's synth warnings are not what this test is about.
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const { outdir, stages } = synthStatehouse({ targets: 'GovWest' });
  quiet.mockRestore();
  const runtime = stacksOf(stages[0]).find((stack) => stack.node.id === 'Runtime')!;
  const api = runtime.node.findAll().find((construct): construct is RestApi => construct instanceof RestApi)!;
  const outputKey = Stack.of(api).resolve((api.node.findChild('Endpoint') as CfnOutput).logicalId);
  const outputs = path.join(work, 'cdk-outputs.json');
  const target = ['--target', 'GovWest', '--cdk-out', outdir, '--outputs-file', outputs];

  const notDeployed = await statehouse(['verify', 'cli-1', ...target]);
  // As `cdk deploy --outputs-file` writes it; the deployed URL is the gateway's.
  fs.writeFileSync(outputs, JSON.stringify({ [runtime.stackName]: { [outputKey]: env.gateway.invokeUrl } }));
  const deployed = await statehouse(['verify', 'cli-1', ...target]);

  expect(notDeployed.code).toBe(2);
  expect(notDeployed.stderr).toContain(`names GovWest's API: stack ${runtime.stackName} in us-gov-west-1, output ${outputKey}`);
  expect(deployed).toMatchObject({ code: 0, stdout: expect.stringContaining('session cli-1: Verified: the hash chain of all 4 events was recomputed here') });
  fs.rmSync(outdir, { recursive: true, force: true });
});

describe('memory', () => {
  let memoryEnv: SessionGateway;

  beforeAll(async () => {
    memoryEnv = await startSessionGateway(orchestratorRoutes(), { memory: { exportRoles: [ROLE_OFFICER] } });
    // Two records of Alice's, written as the extractor writes them (the real adapter, one transaction with the progress).
    const now = new Date();
    const record = (id: string, kind: 'fact' | 'preference', text: string) => ({
      id,
      tenant: 'agency-a',
      actor: ALICE_ACTOR,
      namespace: '',
      kind,
      text,
      agent: 'assistant',
      source: { session: 'cli-taught', fromSeq: 1, toSeq: 2, hash: 'a'.repeat(64) },
      createdAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + 86_400,
    });
    const written = await memoryEnv.memory!.store.writeExtraction({
      tenant: 'agency-a',
      actor: ALICE_ACTOR,
      session: 'cli-taught',
      afterSeq: 0,
      upToSeq: 2,
      records: [record('m-00000000000000000000000a', 'fact', 'the case is FOIA-7'), record('m-00000000000000000000000b', 'preference', 'I prefer short answers')],
      progressExpiresAt: Math.floor(now.getTime() / 1000) + 86_400,
    });
    expect(written).toBe(true);
  });

  afterAll(async () => {
    await memoryEnv?.stop();
  });

  test('memory list, export by the records officer, forget one, forget --all', async () => {
    const url = ['--url', memoryEnv.gateway.invokeUrl, '--region', REGION];
    const olivia = await memoryEnv.callers.assumeRole(ROLE_OFFICER, 'olivia');

    const listed = await statehouse(['memory', 'list', ...url], { caller: memoryEnv.alice });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('m-00000000000000000000000a  [fact] the case is FOIA-7\n  from session cli-taught events 1-2 (assistant), kept until ');
    expect(listed.stdout).toContain('[preference] I prefer short answers');
    expect(listed.stderr).toBe('2 of at most 200 records; 0 evicted by the cap so far\n');

    const exported = await statehouse(['memory', 'export', '--actor', ALICE_ACTOR, ...url], { caller: olivia });
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ actor: ALICE_ACTOR, records: [expect.objectContaining({ kind: expect.any(String) }), expect.anything()] });
    // Bob (another tenant, no export role) may not export Alice's.
    const refused = await statehouse(['memory', 'export', '--actor', ALICE_ACTOR, ...url], { caller: memoryEnv.bob });
    expect(refused.code).toBe(3);

    const one = await statehouse(['memory', 'forget', 'm-00000000000000000000000a', ...url], { caller: memoryEnv.alice });
    expect(one).toMatchObject({ code: 0, stdout: 'forgot m-00000000000000000000000a\n' });
    const again = await statehouse(['memory', 'forget', 'm-00000000000000000000000a', ...url], { caller: memoryEnv.alice });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('holds no record');

    const all = await statehouse(['memory', 'forget', '--all', ...url], { caller: memoryEnv.alice });
    expect(all).toMatchObject({ code: 0, stdout: 'forgot 1 record\n' });
    const empty = await statehouse(['memory', 'list', ...url], { caller: memoryEnv.alice });
    expect(empty).toMatchObject({ code: 0, stdout: 'the agents remember nothing of you\n' });

    const usage = await statehouse(['memory', 'forget', ...url], { caller: memoryEnv.alice });
    expect(usage.code).toBe(2);
  });
});
