import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { StatehouseApiError } from '../client/api-error';
import { StatehouseClient, type RetryPolicy } from '../client/statehouse-client';
import { exportTranscript, transcriptMarkdown, type Transcript } from '../client/transcript';
import { ENV } from '../contract/env-names';
import type { DeployedStack } from './deploy';
import { runBackgroundTurn, type BackgroundTurnReport } from './background-conversation';
import { DeployLocalCheckError, expectThat, refusal } from './conversation-checks';
import { startDeployedRuntime } from './deployed-runtime';
import { GatewayLog } from './gateway-log';
import { startLocalGateway } from './local-gateway';
import { motoCallers } from './moto-callers';
import type { MotoServer } from './moto-server';
import { runMemoryConversation, type MemoryConversationReport } from './memory-conversation';
import { runOpenAiConversation, type OpenAiConversationReport } from './openai-conversation';
import type { IssuedCredential } from './sigv4-verifier';

/**
 * A conversation with a target deployed into moto (deployed-runtime.ts runs
 * its deployed code), through the local gateway as a client reaches the
 * private API: every request signed with SigV4 by a caller whose keys moto's
 * STS issued for a role of the tenant, verified by the gateway, and handed
 * to the function the deployed API integrates as API Gateway's proxy event.
 * The session API is driven with the kit's StatehouseClient, the
 * OpenAI-compatible API with the official `openai` package
 * (openai-conversation.ts); the transcript shows each request as the
 * gateway saw it.
 */
export interface Caller {
  /** A role of the tenant (created in moto's IAM when missing) and the role session to assume it as. */
  readonly roleArn: string;
  readonly sessionName: string;
}

export type { BackgroundTurnReport };

export interface ConversationOptions {
  readonly moto: MotoServer;
  readonly region: string;
  readonly account: string;
  /** The target's Runtime stack as deployed. */
  readonly runtime: DeployedStack;
  /** The cloud assembly the stacks were deployed from; the session's transcript is written there. */
  readonly assemblyDir: string;
  /** A user of the tenant, and a records officer of the same tenant (the approver). */
  readonly callers: { readonly requester: Caller; readonly officer: Caller };
  /** The tenant both callers belong to: exports recompute the chain from its sessions' genesis. */
  readonly tenant: string;
  /**
   * The deployed agents as configured: which tools the default agent has
   * (the tool steps run only where it has them), and the agent that
   * delegates, for the delegation step. @default one agent with every tool
   */
  readonly agents?: { readonly defaultAgent: string; readonly agents: Readonly<Record<string, { readonly tools?: readonly string[]; readonly delegates?: readonly string[] }>> };
  readonly log: (line: string) => void;
}

export interface ConversationReport {
  /** The local gateway: its URL, the callers it verified, what it answered. */
  readonly gateway: {
    readonly url: string;
    /** The ARNs moto's STS issued the callers' keys for. */
    readonly callers: { readonly requester: string; readonly officer: string };
    readonly requests: number;
    /** Requests whose SigV4 signature it verified, per caller ARN; each reached a function. */
    readonly verified: Readonly<Record<string, number>>;
    /** Requests it refused before any function ran. */
    readonly refused: readonly { readonly status: number; readonly errorType: string }[];
  };
  readonly sessionId: string;
  /** The session's events at the end: seq, type, actor. */
  readonly events: readonly { seq: number; type: string; actor: string }[];
  readonly verified: { valid: boolean; events: number };
  /** The session's transcript as `statehouse export` writes it: its verdict, the chain recomputed here. */
  readonly transcript: { readonly file: string; readonly verdict: string; readonly local: Transcript['verification']['local'] };
  readonly concurrent: { readonly ok: number; readonly conflicts: number };
  readonly modelCalls: number;
  readonly executions: readonly { name: string; status: string }[];
  readonly releaseRecord?: Record<string, unknown>;
  /** The background turn, when the target has the agent loop: what its status route and the loop's execution ended with. */
  readonly background?: BackgroundTurnReport;
  /** The delegated turn, when an agent delegates: its session, events (seq, type, agent) and model calls. */
  readonly delegation?: { readonly sessionId: string; readonly events: readonly { seq: number; type: string; agent?: string }[]; readonly modelCalls: number; readonly valid: boolean };
  /** Memory across sessions, when an agent has memory: what session 1 taught and session 2 recalled. */
  readonly memory?: MemoryConversationReport;
  readonly openai: OpenAiConversationReport;
}


/** For the concurrent turns: each sent once, so the losers' 409 shows instead of the client's retry. */
const ONE_ATTEMPT: RetryPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

const credentialsOf = (issued: IssuedCredential) => ({ accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken });

export async function runConversation(options: ConversationOptions): Promise<ConversationReport> {
  const { moto, region, log } = options;
  const stopping: (() => Promise<void> | void)[] = [];
  try {
    const runtime = await startDeployedRuntime({ moto, region, runtime: options.runtime, assemblyDir: options.assemblyDir, log });
    stopping.push(() => runtime.stop());
    const { model, sfn, dynamodb, env } = runtime;
    const sessionTable = env[ENV.SESSION_TABLE]!;
    const itemCount = async (): Promise<number> => (await dynamodb.send(new ScanCommand({ TableName: sessionTable, Select: 'COUNT', ConsistentRead: true }))).Count ?? 0;

    // The callers: keys from moto's STS, for roles of the tenant map the runtime was deployed with.
    const callers = motoCallers(moto.endpoint, region);
    stopping.push(() => callers.destroy());
    const requester = await callers.assumeRole(options.callers.requester.roleArn, options.callers.requester.sessionName);
    const officer = await callers.assumeRole(options.callers.officer.roleArn, options.callers.officer.sessionName);
    const gatewayLog = new GatewayLog(log);
    const gateway = await startLocalGateway({
      routes: runtime.routes,
      handler: runtime.handler,
      streamingHandler: runtime.streamingHandler,
      credentials: callers.lookup,
      region,
      accountId: options.account,
      onRequest: gatewayLog.record,
    });
    stopping.push(() => gateway.close());
    const streamed = runtime.routes.filter((route) => route.streaming).map((route) => `${route.method} ${route.resource}`);
    log('');
    log(`  local gateway ${gateway.invokeUrl}: the deployed API's ${runtime.routes.length} methods${streamed.length ? ` (${streamed.join(', ')} streamed)` : ''}, API Gateway's proxy events;`);
    log("  every request's SigV4 signature verified against the keys moto's STS issued, before any function runs. Callers (moto STS AssumeRole):");
    log(`    requester ${requester.arn}`);
    log(`    approver  ${officer.arn}`);
    const client = (caller: IssuedCredential, retry?: RetryPolicy) => new StatehouseClient({ url: gateway.invokeUrl, region, credentials: credentialsOf(caller), ...(retry ? { retry } : {}) });
    const alice = client(requester);
    const olivia = client(officer);
    /** Both checks of `statehouse export`: the chain recomputed here from the session's genesis, and the verify route. */
    const exported = (sessionId: string) => exportTranscript(alice, sessionId, { tenant: options.tenant });

    // 1. Refused at the gateway: nothing reaches a function, nothing is written.
    log('');
    log('Refused by the gateway');
    const before = { items: await itemCount(), invocations: runtime.invocations };
    const unsigned = await fetch(new URL('sessions', gateway.invokeUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const unsignedMessage = ((await unsigned.json()) as { message: string }).message;
    gatewayLog.step(`  POST /sessions, unsigned → ${unsigned.status} ${unsigned.headers.get('x-amzn-errortype')}: ${unsignedMessage}`);
    const forged = await refusal(client({ ...requester, secretAccessKey: 'not-the-secret-moto-issued' }).createSession());
    gatewayLog.step(`  POST /sessions, signed with ${options.callers.requester.sessionName}'s access key and another secret → ${forged.status} ${forged.code}`);
    const after = { items: await itemCount(), invocations: runtime.invocations };
    expectThat(unsigned.status === 403 && forged.status === 403 && forged.code === 'InvalidSignatureException', 'both refused with 403', { unsigned: unsigned.status, forged: forged.message });
    expectThat(after.items === before.items && after.invocations === before.invocations, 'no function invoked and nothing written', { before, after });
    log(`  functions invoked ${before.invocations} → ${after.invocations}, items in ${sessionTable} ${before.items} → ${after.items}`);

    // 2. The session API, with the kit's client.
    log('');
    log(`The session API with StatehouseClient (lib/client), as ${options.callers.requester.sessionName}`);
    const sessionId = (await alice.createSession()).sessionId;
    gatewayLog.step(`  createSession() → session ${sessionId} in ${sessionTable}`);

    const hello = await alice.sendTurn(sessionId, { requestId: 'turn-1', message: 'Hello. What can you do for me?' });
    expectThat(hello.status === 'idle', 'a turn → idle', hello);
    gatewayLog.step(`  turn "Hello..." → ${hello.status}: "${hello.reply}" (version ${hello.version}, ${await itemCount()} items in the table)`);

    const defaultTools = options.agents ? options.agents.agents[options.agents.defaultAgent]?.tools : undefined;
    const has = (tool: string) => defaultTools === undefined || defaultTools.includes(tool);
    if (!has('compute_deadline') || !has('release_records')) {
      throw new DeployLocalCheckError(
        `deploy:local's conversation runs compute_deadline and release_records with the default agent "${options.agents!.defaultAgent}", which does not have both; ` +
          'give it both tools, or make an agent that has them the defaultAgent (the delegation step then runs with the agent that delegates).',
      );
    }
    const { fast: fastArn, slow: slowArn, loop: loopArn } = runtime.stateMachines;
    const deadline = await alice.sendTurn(sessionId, { requestId: 'turn-2', message: 'What is the deadline 10 business days after 2026-11-20?' });
    const fastRuns = sfn.executions(fastArn);
    expectThat(deadline.status === 'idle' && fastRuns.length === 1 && fastRuns[0].status === 'SUCCEEDED', 'a tool turn → idle, one SUCCEEDED Express execution', { deadline, fastRuns });
    gatewayLog.step(`  tool call compute_deadline → Express ${fastArn.split(':').at(-1)} ${fastRuns[0].status} → "${deadline.reply}"`);

    const beforeRetry = { items: await itemCount(), version: (await alice.readSession(sessionId, { limit: 1 })).session.version };
    const retried = await alice.sendTurn(sessionId, { requestId: 'turn-2', message: 'What is the deadline 10 business days after 2026-11-20?' });
    const afterRetry = { items: await itemCount(), version: (await alice.readSession(sessionId, { limit: 1 })).session.version };
    expectThat(
      retried.replayed && retried.reply === deadline.reply && afterRetry.items === beforeRetry.items && afterRetry.version === beforeRetry.version,
      'the retry replayed with nothing written',
      { retried, beforeRetry, afterRetry },
    );
    gatewayLog.step(`  retry of turn-2 (same requestId) → replayed, same reply; items ${beforeRetry.items} → ${afterRetry.items}, version ${afterRetry.version}`);

    const once = client(requester, ONE_ATTEMPT);
    const racers = await Promise.all(
      ['race-a', 'race-b', 'race-c'].map((id) =>
        once.sendTurn(sessionId, { requestId: id, message: `Concurrent message ${id}.` }).then(
          () => ({ status: 200, code: '', message: '' }),
          (error: unknown) => {
            if (!(error instanceof StatehouseApiError)) throw error;
            return { status: error.status, code: error.code, message: error.apiMessage };
          },
        ),
      ),
    );
    const ok = racers.filter((r) => r.status === 200).length;
    const conflicts = racers.filter((r) => r.status === 409 && r.code === 'SessionBusy').length;
    expectThat(ok >= 1 && conflicts >= 1 && ok + conflicts === racers.length, '3 concurrent turns → 200s and 409 SessionBusy only, at least one of each', racers);
    gatewayLog.step(`  3 concurrent turns, each sent once → ${ok} × 200, ${conflicts} × 409 (${racers.find((r) => r.status === 409)?.message})`);

    const release = await alice.sendTurn(sessionId, { requestId: 'turn-3', message: 'Please release the records of case FOIA-4411.' });
    expectThat(release.status === 'awaiting_approval', 'release_records → awaiting_approval', release);
    const slowRun = sfn.executions(slowArn).at(-1)!;
    const token = await sfn.waitingTaskToken(slowRun.executionArn);
    const toolCallId = release.toolCalls[0].id;
    gatewayLog.step(`  tool call release_records → awaiting_approval; Standard execution ${slowRun.name} waits on a task token (${token.length} chars, stored by approval-wait)`);

    // The officer finds it in the inbox (GET /approvals); the requester's own inbox does not hold it (AC-5).
    const inbox = (await olivia.listApprovals()).approvals.filter((entry) => entry.sessionId === sessionId);
    const ownInbox = (await alice.listApprovals()).approvals.filter((entry) => entry.sessionId === sessionId);
    expectThat(inbox.length === 1 && inbox[0].toolCallId === toolCallId && ownInbox.length === 0, "the officer's inbox lists the call, the requester's does not", { inbox, ownInbox });
    gatewayLog.step(`  GET /approvals as olivia → ${inbox[0].tool} (${inbox[0].toolCallId}) asked by ${inbox[0].requestedBy}, decide by ${inbox[0].decideBy}; as alice → none (her own request)`);
    const listed = (await alice.listSessions({ status: 'awaiting_approval' })).sessions.map((entry) => entry.sessionId);
    expectThat(listed.includes(sessionId), "alice's GET /sessions?status=awaiting_approval lists the session", listed);
    gatewayLog.step(`  GET /sessions?status=awaiting_approval as alice → ${listed.length} session(s), this one among them`);

    const decision = { toolCallId, approved: true, reason: 'The requester is the subject of these records.' };
    const self = await refusal(alice.decideApproval(sessionId, decision));
    expectThat(self.status === 403, 'the requester approving her own call → 403', self.message);
    gatewayLog.step(`  approval by the requester → ${self.status}: ${self.apiMessage}`);
    const approved = await olivia.decideApproval(sessionId, decision);
    expectThat(approved.decision.approved === true, 'the records officer approving → approved', approved);
    const finished = await sfn.finished(slowRun.executionArn);
    expectThat(finished.status === 'SUCCEEDED', 'the Standard execution SUCCEEDED', finished);
    gatewayLog.step(`  approval by ${approved.decision.approver} → approved; execution ${finished.status}: release-records ran, the orchestrator resumed the turn`);
    const decided = (await olivia.listApprovals()).approvals.filter((entry) => entry.sessionId === sessionId);
    expectThat(decided.length === 0, 'the decided call left the inbox', decided);
    gatewayLog.step('  GET /approvals as olivia → the decided call is gone');

    // What release-records wrote to the deployed reference table (the table is in its environment, not the orchestrator's).
    const releaseId = JSON.parse(finished.output ?? '{}')?.result?.output?.releaseId as string | undefined;
    expectThat(
      typeof releaseId === 'string' && env[ENV.REFERENCE_TABLE] !== undefined && env[ENV.REFERENCE_KEY_ATTRIBUTE] !== undefined,
      'the release id in the execution output',
      finished.output,
    );
    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: env[ENV.REFERENCE_TABLE], Key: { [env[ENV.REFERENCE_KEY_ATTRIBUTE]!]: { S: releaseId! } }, ConsistentRead: true }),
    );
    const releaseRecord = Item && unmarshall(Item);
    expectThat(releaseRecord?.releasedCaseId === 'FOIA-4411', 'the release record in the reference table', releaseRecord);
    log(`  ${env[ENV.REFERENCE_TABLE]}: ${releaseId} → case ${String(releaseRecord!.releasedCaseId)}, records ${JSON.stringify(releaseRecord!.recordIds)}`);

    // The session as `statehouse export` writes it: every event read, each hash recomputed here, and the verify route.
    const transcript = await exported(sessionId);
    expectThat(transcript.session.status === 'idle', 'the session idle after the resume', transcript.session);
    expectThat(transcript.verification.verdict === 'verified' && transcript.verification.local.status === 'verified', 'the chain to verify, recomputed here and by the verify route', transcript.verification);
    const transcriptFile = path.join(options.assemblyDir, `transcript-${sessionId}.md`);
    fs.writeFileSync(transcriptFile, transcriptMarkdown(transcript));
    const events = transcript.events.map(({ seq, type, actor }) => ({ seq, type, actor }));
    gatewayLog.step(`  session ${transcript.session.status}, ${events.length} events; export (${path.relative(process.cwd(), transcriptFile)}): ${transcript.verification.statement}`);
    for (const e of transcript.events) log(`    ${String(e.seq).padStart(2)} ${e.type.padEnd(12)} ${e.actor.padEnd(62)} ${e.hash?.slice(0, 12)}…`);
    const verified = transcript.verification.server.valid ? { valid: true, events: transcript.verification.server.events } : { valid: false, events: transcript.verification.server.events };

    // 3. A background turn: the agent loop's execution runs it, a round per model call, each round committed on its own.
    let background: BackgroundTurnReport | undefined;
    if (loopArn === undefined) {
      log('');
      log('  no agent loop in this target (background.enabled false): no background turn');
    } else {
      background = await runBackgroundTurn({ client: alice, loopArn, model, sfn, exported, gateway: gatewayLog, log });
    }

    // 4. An agent that delegates: one turn in which it asks its delegate, all in one commit and one chain.
    let delegation: ConversationReport['delegation'];
    const delegating = Object.entries(options.agents?.agents ?? {}).find(([, agent]) => (agent.delegates ?? []).length > 0);
    if (delegating) {
      const [agent, { delegates }] = delegating;
      const opened = await alice.createSession({ agent });
      expectThat(opened.agent === agent, `a session of ${agent}`, opened);
      const callsBefore = model.calls;
      const asked = await alice.sendTurn(opened.sessionId, { requestId: 'delegated-1', message: 'Which records exist for case FOIA-4411?' });
      const record = await exported(opened.sessionId);
      const delegatedEvents = record.events.map(({ seq, type, agent: by }) => ({ seq, type, agent: by }));
      const valid = record.verification.verdict === 'verified';
      expectThat(valid && delegatedEvents.some((e) => e.agent === delegates![0]), `events of ${delegates![0]} in the same verified chain`, { delegatedEvents, verification: record.verification });
      delegation = { sessionId: opened.sessionId, events: delegatedEvents, modelCalls: model.calls - callsBefore, valid };
      log('');
      gatewayLog.step(`  agent ${agent} (session ${opened.sessionId}) asks ${delegates![0]} within one turn → ${asked.status}: "${asked.reply}"`);
      log(`    ${delegation.modelCalls} model calls; hash chain verifies here and by the verify route; events:`);
      for (const e of delegatedEvents) log(`    ${String(e.seq).padStart(2)} ${e.type.padEnd(12)} ${e.agent ?? ''}`);
    }

    // 5. Memory across sessions, where an agent has memory.
    const memory = runtime.deliverToMemoryExtractor
      ? await runMemoryConversation({ alice, olivia, deliver: runtime.deliverToMemoryExtractor, gateway: gatewayLog, log })
      : undefined;
    if (!memory) {
      log('');
      log('  no agent with memory in this target: no memory across sessions');
    }

    // 6. The OpenAI-compatible API, with the official openai package.
    log('');
    log(`The OpenAI-compatible API with the official openai package (fetch: the kit's signedFetch), as ${options.callers.requester.sessionName}`);
    const openai = await runOpenAiConversation({
      invokeUrl: gateway.invokeUrl,
      region,
      credentials: credentialsOf(requester),
      client: alice,
      tenant: options.tenant,
      streams: runtime.routes.some((route) => route.streaming && route.resource === '/v1/responses'),
      gateway: gatewayLog,
      log,
    });

    // What the gateway saw: every request it let through was verified, and reached a function.
    const verifiedBy: Record<string, number> = {};
    for (const entry of gatewayLog.entries) if (entry.caller) verifiedBy[entry.caller] = (verifiedBy[entry.caller] ?? 0) + 1;
    const refusedRequests = gatewayLog.entries.filter((entry) => !entry.caller).map((entry) => ({ status: entry.status, errorType: entry.errorType ?? '' }));
    const passed = gatewayLog.entries.length - refusedRequests.length;
    expectThat(passed === runtime.invocations && Object.keys(verifiedBy).every((arn) => arn === requester.arn || arn === officer.arn), 'each request that reached a function verified as one of the two callers', { verifiedBy, invocations: runtime.invocations });
    log('');
    log(`  the gateway answered ${gatewayLog.entries.length} requests: ${passed} verified and handed to a function (${Object.entries(verifiedBy).map(([arn, n]) => `${n} as ${arn.split('/').pop()}`).join(', ')}), ${refusedRequests.length} refused before any function ran`);

    return {
      gateway: { url: gateway.invokeUrl, callers: { requester: requester.arn, officer: officer.arn }, requests: gatewayLog.entries.length, verified: verifiedBy, refused: refusedRequests },
      background,
      delegation,
      ...(memory ? { memory } : {}),
      sessionId,
      events,
      verified,
      transcript: { file: transcriptFile, verdict: transcript.verification.verdict, local: transcript.verification.local },
      concurrent: { ok, conflicts },
      modelCalls: model.calls,
      executions: sfn.executions().map((e) => ({ name: e.name, status: e.status })),
      releaseRecord,
      openai,
    };
  } finally {
    for (const stop of stopping.reverse()) await stop();
  }
}
