/**
 * Turn benchmark against moto_server: DynamoDB round trips per turn (target:
 * exactly 2), bytes read per turn, and wall time per turn at session lengths
 * 10, 100 and 1,000 events. Prints figures; asserts nothing.
 *
 * The model is the only double (it echoes instantly), so the figures are the
 * storage path alone. moto is single-process Python: absolute times are
 * emulator times, only their ratio across lengths means something.
 *
 * Run: npm run bench:turn
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { attachCallCounter } from '../lambda/core/adapters/dynamodb-call-counter';
import { DynamoDbSessionRepository } from '../lambda/core/adapters/dynamodb-session-repository';
import { S3PayloadStore } from '../lambda/core/adapters/s3-payload-store';
import { systemClock } from '../lambda/core/adapters/system-clock';
import { runTurn } from '../lambda/core/domain/run-turn';
import { newSessionHeader } from '../lambda/core/domain/session-header';
import type { ModelBackend } from '../lambda/core/ports/model-backend';
import { createBucket, createSessionTable, motoDynamoDbClient, motoS3Client, startMoto } from '../test/helpers/moto';
import { seedTurns } from '../test/helpers/seed-session';
import { soleAgent, TEST_AGENT } from '../test/lambda/core/support/agents';

/** Bytes of every DynamoDB response body (content-length), and wall time per operation. */
function attachResponseMeter(client: DynamoDBClient): { bytes: number; ms: Record<string, number>; reset(): void } {
  const state = { bytes: 0, ms: {} as Record<string, number> };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const start = process.hrtime.bigint();
      const out = await next(args);
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      state.ms[operation] = (state.ms[operation] ?? 0) + Number(process.hrtime.bigint() - start) / 1e6;
      const headers = (out.response as { headers?: Record<string, string> }).headers ?? {};
      state.bytes += Number(headers['content-length'] ?? 0);
      return out;
    },
    { step: 'deserialize', name: 'benchResponseMeter' },
  );
  return {
    get bytes() {
      return state.bytes;
    },
    get ms() {
      return state.ms;
    },
    reset() {
      state.bytes = 0;
      state.ms = {};
    },
  };
}

const echo: ModelBackend = {
  async chat(messages) {
    const last = [...messages].reverse().find((m) => m.role === 'user');
    return { text: `echo: ${last?.content ?? ''}`, toolCalls: [], usage: { input: 50, output: 20 } };
  },
};

/** A session of `turns` turns, planned by the domain and seeded (seedTurns: real commits would cost O(n^2) in moto). */
async function seedSession(client: DynamoDBClient, table: string, session: string, owner: string, turns: number): Promise<void> {
  const header = newSessionHeader({ tenant: 'bench', session, owner, agent: TEST_AGENT, maxTokens: 1e12, ttlSeconds: 86400, now: new Date() });
  const reply = await echo.chat([{ role: 'user', content: MESSAGE }]);
  await seedTurns(client, table, { tenant: 'bench', session }, header, turns, (t) => ({ requestId: `seed${t}`, actor: owner, message: MESSAGE, reply }));
}

const MESSAGE = 'Summarize the status of case 4411 and list the open actions. '.repeat(4);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);

async function main(): Promise<void> {
  const moto = await startMoto();
  try {
    const dynamodb = motoDynamoDbClient(moto);
    const s3 = motoS3Client(moto);
    await createBucket(s3, 'bench-payloads');
    const calls = attachCallCounter(dynamodb);
    const meter = attachResponseMeter(dynamodb);
    const deps = { ...soleAgent(echo), clock: systemClock };
    const owner = 'bench-principal';
    let turn = 0;

    console.log(`turn benchmark against moto_server (${SAMPLES} measured turns per length; 2 events per turn)`);
    console.log('events   calls/turn  (by operation)                      bytes read/turn   ms/turn (median)   mean ms per operation');
    const medians: Record<number, number> = {};
    const lengths = (process.env.BENCH_LENGTHS ?? "10,100,1000").split(",").map(Number);
    for (const length of lengths) {
      // One session per length, in its own table, so each measurement sees a table of that size.
      const table = `bench-sessions-${length}`;
      await createSessionTable(dynamodb, table);
      const lengthSessions = new DynamoDbSessionRepository({
        client: dynamodb,
        tableName: table,
        payloads: new S3PayloadStore({ client: s3, bucket: 'bench-payloads' }),
      });
      await seedSession(dynamodb, table, `s${length}`, owner, length / 2);
      const send = () =>
        runTurn({ ...deps, sessions: lengthSessions }, { tenant: 'bench', session: `s${length}`, requestId: `r${++turn}`, actor: owner, message: MESSAGE });
      const ms: number[] = [];
      let callTotal = 0;
      let byteTotal = 0;
      let byOperation: Record<string, number> = {};
      const opMs: Record<string, number> = {};
      for (let i = 0; i < SAMPLES; i++) {
        calls.reset();
        meter.reset();
        const start = process.hrtime.bigint();
        await send();
        ms.push(Number(process.hrtime.bigint() - start) / 1e6);
        callTotal += calls.total;
        byteTotal += meter.bytes;
        for (const [op, t] of Object.entries(meter.ms)) opMs[op] = (opMs[op] ?? 0) + t / SAMPLES;
        byOperation = calls.counts as Record<string, number>;
      }
      ms.sort((a, b) => a - b);
      medians[length] = ms[Math.floor(ms.length / 2)];
      console.log(
        `${String(length).padStart(6)}   ${(callTotal / SAMPLES).toFixed(1).padStart(10)}  ${JSON.stringify(byOperation).padEnd(36)}` +
          `${Math.round(byteTotal / SAMPLES).toString().padStart(15)}   ${medians[length].toFixed(1).padStart(16)}   ` +
          Object.entries(opMs).map(([op, t]) => `${op} ${t.toFixed(1)} ms`).join(', '),
      );
    }
    console.log(`turn at 1,000 events / turn at 10 events: ${(medians[1000] / medians[10]).toFixed(2)}x (target <= 1.5x)`);
    dynamodb.destroy();
    s3.destroy();
  } finally {
    await moto.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
