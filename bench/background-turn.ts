/**
 * Background-turn benchmark against moto_server and the local Step Functions
 * endpoint: one long background turn played round by round as the agent
 * loop's Round task plays it (runRound), with a tool call in every round but
 * the last. Prints, per round, the DynamoDB calls (target: 1 Query + 1
 * TransactWriteItems) and the wall time; and the longest turn's totals.
 * Asserts nothing.
 *
 * The model is the only double (it answers at once), so the figures are the
 * round's own path: moto is single-process Python, so absolute times are
 * emulator times.
 *
 * Run: npx ts-node --transpile-only bench/background-turn.ts [rounds=100]
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { attachCallCounter } from '../lambda/core/adapters/dynamodb-call-counter';
import { DynamoDbSessionRepository } from '../lambda/core/adapters/dynamodb-session-repository';
import { S3PayloadStore } from '../lambda/core/adapters/s3-payload-store';
import { StepFunctionsAgentLoop } from '../lambda/core/adapters/step-functions/agent-loop-starter';
import { systemClock } from '../lambda/core/adapters/system-clock';
import { enqueueTurn, readTurn, runRound, type BackgroundDeps } from '../lambda/core/domain/background-turn';
import { createSession } from '../lambda/core/domain/create-session';
import { genesisHash, verifyChain } from '../lambda/core/domain/hash-chain';
import type { ModelBackend } from '../lambda/core/ports/model-backend';
import { startLocalStepFunctions } from '../lib/emulator/local-stepfunctions';
import { createBucket, createSessionTable, motoDynamoDbClient, motoS3Client, startMoto } from '../test/helpers/moto';
import { soleAgent } from '../test/lambda/core/support/agents';
import { stateMachineArn } from '../test/lambda/core/support/tool-workflows';

const ROUNDS = Number(process.argv[2] ?? 100);
const LOOP = stateMachineArn('statehouse-bench-agent-loop');

/** Calls a tool the deployment does not run (refused without a workflow, as any refused call is) in every round but the last. */
function model(rounds: number): ModelBackend {
  let call = 0;
  return {
    async chat() {
      call += 1;
      return call < rounds
        ? { text: `Round ${call}: checking once more.`, toolCalls: [{ id: `c${call}`, name: 'lookup_case', input: { caseId: 'FOIA-9' } }], usage: { input: 60, output: 12 } }
        : { text: `Done after ${call} rounds.`, toolCalls: [], usage: { input: 60, output: 8 } };
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const sfn = await startLocalStepFunctions();
  const dynamodb = motoDynamoDbClient(moto);
  const s3 = motoS3Client(moto);
  const sfnClient = new SFNClient(sfn.clientConfig());
  try {
    await createSessionTable(dynamodb, 'bench-sessions');
    await createBucket(s3, 'bench-payloads');
    const calls = attachCallCounter(dynamodb);
    const sessions = new DynamoDbSessionRepository({ client: dynamodb, tableName: 'bench-sessions', payloads: new S3PayloadStore({ client: s3, bucket: 'bench-payloads' }) });
    sfn.register(LOOP, { StartAt: 'Rounds', States: { Rounds: { Type: 'Wait', Seconds: 3600, End: true } } }, {}, { waitMs: 3_600_000 });
    const deps: BackgroundDeps = {
      sessions,
      ...soleAgent(model(ROUNDS)),
      clock: systemClock,
      loop: new StepFunctionsAgentLoop({ client: sfnClient, stateMachineArn: LOOP }),
      background: { deadlineSeconds: 24 * 3600, maxRounds: 500 },
    };
    const ids = { tenant: 'bench', session: 'long-turn' };
    await createSession({ sessions, clock: systemClock, agents: deps.agents }, { ...ids, owner: 'alice', maxTokens: 10_000_000 });
    await enqueueTurn(deps, { ...ids, requestId: 'r-long', actor: 'alice', message: 'Work on FOIA-9 for as long as it takes.' });

    const perRound: { ms: number; calls: Record<string, number> }[] = [];
    let round = 0;
    for (;;) {
      calls.reset();
      const start = process.hrtime.bigint();
      const outcome = await runRound(deps, { kind: 'statehouse.round', ...ids, requestId: 'r-long', round });
      perRound.push({ ms: Number(process.hrtime.bigint() - start) / 1e6, calls: { ...calls.counts } });
      if (outcome.status !== 'continue') break;
      round = outcome.round;
    }
    const view = await readTurn(deps, { ...ids, requestId: 'r-long', actor: 'alice' });
    const { events } = await sessions.readEvents(ids.tenant, ids.session, { limit: 100_000 });
    const chain = verifyChain(events, genesisHash(ids.tenant, ids.session));
    const shapes = new Map<string, number>();
    for (const entry of perRound) {
      const key = Object.entries(entry.calls).map(([op, n]) => `${n} ${op}`).join(' + ');
      shapes.set(key, (shapes.get(key) ?? 0) + 1);
    }
    const ms = perRound.map((entry) => entry.ms);
    console.log(`background turn of ${view.rounds} rounds: status ${view.status}, ${events.length} events, chain ${chain.ok ? 'verifies' : 'BROKEN'}, usage ${JSON.stringify(view.usage)}`);
    console.log(`DynamoDB calls per round: ${[...shapes].map(([shape, n]) => `${shape} (${n} rounds)`).join('; ')}`);
    console.log(`wall time per round (moto): p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms; first ${ms[0].toFixed(1)} ms, last ${ms[ms.length - 1].toFixed(1)} ms`);
  } finally {
    sfnClient.destroy();
    dynamodb.destroy();
    s3.destroy();
    await sfn.stop();
    await moto.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
