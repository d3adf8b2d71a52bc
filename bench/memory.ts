/**
 * Memory benchmark against moto_server: what memory costs a turn. For a
 * session of 10 events and a person holding 0, 50 and 200 (the default cap)
 * records, the DynamoDB round trips per turn (session table and memory
 * table apart), the wall time per turn with memory off and on (median,
 * interleaved so machine load hits both alike), and the in-process ranking
 * time of recall over the person's records. Prints figures; asserts nothing.
 *
 * The model is the only double (it echoes at once), so the figures are the
 * storage path and the ranking alone; moto is single-process Python, so
 * absolute times are emulator times: the difference on and off is what the
 * figure is for.
 *
 * Run: npm run bench:memory
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { attachCallCounter } from '../lambda/core/adapters/dynamodb-call-counter';
import { DynamoDbMemoryStore } from '../lambda/core/adapters/dynamodb-memory-store';
import { DynamoDbSessionRepository } from '../lambda/core/adapters/dynamodb-session-repository';
import { S3PayloadStore } from '../lambda/core/adapters/s3-payload-store';
import { systemClock } from '../lambda/core/adapters/system-clock';
import { memoryExpiresAt, memoryRecordId, type MemoryRecord } from '../lambda/core/domain/memory-records';
import { rankRecords, recallWithin } from '../lambda/core/domain/memory-recall';
import { runTurn, type TurnDeps } from '../lambda/core/domain/run-turn';
import { newSessionHeader } from '../lambda/core/domain/session-header';
import type { ModelBackend } from '../lambda/core/ports/model-backend';
import { DEFAULT_RECALL_TOKENS, MEMORY_DEFAULTS } from '../lib/contract/memory-table';
import { createBucket, createMemoryTable, createSessionTable, motoDynamoDbClient, motoS3Client, startMoto } from '../test/helpers/moto';
import { seedTurns } from '../test/helpers/seed-session';
import { agentDefinition, TEST_AGENT } from '../test/lambda/core/support/agents';

const echo: ModelBackend = {
  async chat(messages) {
    const last = [...messages].reverse().find((m) => m.role === 'user');
    return { text: `echo: ${last?.content ?? ''}`, toolCalls: [], usage: { input: 50, output: 20 } };
  },
};

const MESSAGE = 'What is the status of case FOIA-2026-0042 and who is the contracting officer?';
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 15);
const OWNER = 'arn:aws-us-gov:iam::111122223333:role/AgencyAApp#alice';
const WORDS = 'appeal audit budget case contract deadline docket filing grant hearing invoice permit release request review schedule statute'.split(' ');

/** `count` records of one person, written as the extractor writes them (8 to a transaction, as one extraction writes at most). */
async function seedRecords(store: DynamoDbMemoryStore, count: number): Promise<void> {
  const now = new Date();
  for (let batch = 0; batch * 8 < count; batch++) {
    const records: MemoryRecord[] = [];
    for (let i = batch * 8; i < Math.min(count, batch * 8 + 8); i++) {
      const text = `The ${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} for case FOIA-2026-${String(i).padStart(4, '0')} is due in week ${i % 52}`;
      const source = { session: `seed-${count}`, fromSeq: batch * 2 + 1, toSeq: batch * 2 + 2 };
      records.push({
        id: memoryRecordId('bench', OWNER, source, i),
        tenant: 'bench',
        actor: OWNER,
        namespace: '',
        kind: i % 5 === 0 ? 'preference' : 'fact',
        text,
        source: { ...source, hash: '0'.repeat(64) },
        agent: TEST_AGENT,
        createdAt: now.toISOString(),
        expiresAt: memoryExpiresAt('fact', now, MEMORY_DEFAULTS),
      });
    }
    const stored = await store.writeExtraction({
      tenant: 'bench',
      actor: OWNER,
      session: `seed-${count}`,
      afterSeq: batch * 2,
      upToSeq: batch * 2 + 2,
      records,
      progressExpiresAt: Math.floor(now.getTime() / 1000) + 86_400,
    });
    if (!stored) throw new Error('seeding lost its own progress');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const clients: DynamoDBClient[] = [];
  try {
    const sessionsClient = motoDynamoDbClient(moto);
    const s3 = motoS3Client(moto);
    clients.push(sessionsClient);
    await createBucket(s3, 'bench-payloads');
    const sessionCalls = attachCallCounter(sessionsClient);
    const agents = { defaultAgent: TEST_AGENT, agents: { [TEST_AGENT]: agentDefinition(TEST_AGENT, { memory: { scope: 'actor', recallTokens: DEFAULT_RECALL_TOKENS } }) } };
    let turn = 0;

    console.log(`memory benchmark against moto_server (${SAMPLES} turns each way per row, interleaved; session of 10 events; recall budget ${DEFAULT_RECALL_TOKENS} tokens)`);
    console.log('records   session calls/turn   memory calls/turn (on)   ms/turn off   ms/turn on   added ms   ranking ms (in process)');
    for (const count of [0, 50, MEMORY_DEFAULTS.maxRecordsPerActor]) {
      const table = `bench-sessions-${count}`;
      const memoryTable = `bench-memory-${count}`;
      await createSessionTable(sessionsClient, table);
      const memoryClient = motoDynamoDbClient(moto);
      clients.push(memoryClient);
      await createMemoryTable(memoryClient, memoryTable);
      const store = new DynamoDbMemoryStore({ client: memoryClient, tableName: memoryTable, logRetentionDays: MEMORY_DEFAULTS.logRetentionDays });
      await seedRecords(store, count);
      const memoryCalls = attachCallCounter(memoryClient);
      const sessions = new DynamoDbSessionRepository({ client: sessionsClient, tableName: table, payloads: new S3PayloadStore({ client: s3, bucket: 'bench-payloads' }) });
      const header = newSessionHeader({ tenant: 'bench', session: 's', owner: OWNER, agent: TEST_AGENT, maxTokens: 1e12, ttlSeconds: 86400, now: new Date() });
      const reply = await echo.chat([{ role: 'user', content: MESSAGE }]);
      await seedTurns(sessionsClient, table, { tenant: 'bench', session: 's' }, header, 5, (t) => ({ requestId: `seed${t}`, actor: OWNER, message: MESSAGE, reply }));

      const off: TurnDeps = { agents, modelFor: () => echo, sessions, clock: systemClock };
      const on: TurnDeps = { ...off, memory: { memory: store, agents: { [TEST_AGENT]: { scope: 'actor', recallTokens: DEFAULT_RECALL_TOKENS } }, clock: systemClock } };
      const timed = async (deps: TurnDeps) => {
        const start = process.hrtime.bigint();
        await runTurn(deps, { tenant: 'bench', session: 's', requestId: `r${++turn}`, actor: OWNER, message: MESSAGE });
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      const msOff: number[] = [];
      const msOn: number[] = [];
      let sessionTotal = 0;
      let memoryTotal = 0;
      for (let i = 0; i < SAMPLES; i++) {
        msOff.push(await timed(off));
        sessionCalls.reset();
        memoryCalls.reset();
        msOn.push(await timed(on));
        sessionTotal += sessionCalls.total;
        memoryTotal += memoryCalls.total;
      }
      const records = await store.records('bench', OWNER);
      const rankings: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const start = process.hrtime.bigint();
        recallWithin(rankRecords(MESSAGE, records), DEFAULT_RECALL_TOKENS);
        rankings.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      const [a, b] = [median(msOff), median(msOn)];
      console.log(
        `${String(count).padStart(7)}   ${(sessionTotal / SAMPLES).toFixed(1).padStart(18)}   ${(memoryTotal / SAMPLES).toFixed(1).padStart(22)}   ` +
          `${a.toFixed(1).padStart(11)}   ${b.toFixed(1).padStart(10)}   ${(b - a).toFixed(1).padStart(8)}   ${median(rankings).toFixed(2).padStart(10)}`,
      );
    }
    s3.destroy();
  } finally {
    for (const client of clients) client.destroy();
    await moto.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
