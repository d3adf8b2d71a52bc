/**
 * Guardrail benchmark: the wall time the ApplyGuardrail checks add to a
 * turn. The same turns run with and without the agent's guardrail,
 * BENCH_SAMPLES times each (interleaved, after a warm-up), through runTurn
 * with storage on moto, the REAL adapter and SDK client against the scripted
 * guardrail on 127.0.0.1 (test/lambda/core/support/scripted-guardrail.ts),
 * and a model that answers at once. Prints figures; asserts nothing.
 *
 * With BENCH_GUARDRAIL_DELAY_MS (default 0) the scripted guardrail holds each
 * answer back that long, as the service's own latency would: the added time
 * then follows the sequential phases of checks, not their number (a reply's
 * text and its tool inputs are checked in parallel).
 *
 * Run: npx ts-node --transpile-only bench/guardrail.ts
 */
import { agentGuardrails } from '../lambda/core/adapters/guardrail/agent-guardrails';
import { systemClock } from '../lambda/core/adapters/system-clock';
import { createSession } from '../lambda/core/domain/create-session';
import { runTurn, type TurnDeps } from '../lambda/core/domain/run-turn';
import type { Guardrail } from '../lambda/core/ports/guardrail';
import type { ModelReply } from '../lambda/core/ports/model-backend';
import { soleAgent, TEST_AGENT } from '../test/lambda/core/support/agents';
import { startMotoSessions, type MotoSessions } from '../test/lambda/core/support/moto-sessions';
import { BINDING, startScriptedGuardrail, type ScriptedGuardrail } from '../test/lambda/core/support/scripted-guardrail';
import { reply, ScriptedModel } from '../test/lambda/core/support/scripted-model';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const DELAY_MS = Number(process.env.BENCH_GUARDRAIL_DELAY_MS ?? 0);
const WARM_UP = 3;

interface Scenario {
  readonly name: string;
  /** Sequential phases of checks with a guardrail, and the checks in them. */
  readonly phases: string;
  readonly script: () => ModelReply[];
}

const SCENARIOS: Scenario[] = [
  { name: 'one answer', phases: '2 phases: the message, the answer (2 checks)', script: () => [reply('FOIA-4411 is due on 7 December 2026.')] },
  {
    name: 'three tool calls, then an answer',
    phases: '3 phases: the message, the reply with its 3 tool inputs in parallel, the answer (6 checks)',
    // No tool is enabled: the calls are refused after their inputs are checked, so the figures are the guardrail's alone.
    script: () => [
      reply('Let me look these up.', ['FOIA-1', 'FOIA-2', 'FOIA-3'].map((caseId, i) => ({ id: `c${i}`, name: 'lookup_case', input: { caseId } }))),
      reply('None of them is open.'),
    ],
  },
];

/**
 * The time during which at least one check of the turn is in flight: what
 * the checks add to the turn's critical path (a turn waits for its checks).
 */
class CheckClock {
  busyMs = 0;
  private inFlight = 0;
  private since = 0n;

  wrap(guardrail: Guardrail): Guardrail {
    return {
      binding: guardrail.binding,
      check: async (text, source) => {
        if (this.inFlight++ === 0) this.since = process.hrtime.bigint();
        try {
          return await guardrail.check(text, source);
        } finally {
          if (--this.inFlight === 0) this.busyMs += Number(process.hrtime.bigint() - this.since) / 1e6;
        }
      },
    };
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const store: MotoSessions = await startMotoSessions();
  const scripted: ScriptedGuardrail = await startScriptedGuardrail({ delayMs: DELAY_MS });
  try {
    const plain = soleAgent(ScriptedModel.answering());
    const guardedDirectory = { ...plain.agents, agents: { [TEST_AGENT]: { ...plain.agents.agents[TEST_AGENT], guardrail: BINDING } } };
    let serial = 0;
    const timedTurn = async (scenario: Scenario, guarded: boolean): Promise<{ ms: number; checks: number; checkMs: number }> => {
      const session = `bench-${++serial}`;
      await createSession({ sessions: store.repository, clock: systemClock, agents: plain.agents }, { tenant: 'bench', session, owner: 'bench-principal', maxTokens: 1e9 });
      const agents = guarded ? guardedDirectory : plain.agents;
      const model = ScriptedModel.answering(...scenario.script());
      const guardrails = agentGuardrails(agents, scripted.client);
      const clock = new CheckClock();
      const deps: TurnDeps = {
        sessions: store.repository,
        agents,
        modelFor: () => model,
        guardrailFor: (agent) => {
          const guardrail = guardrails(agent);
          return guardrail && clock.wrap(guardrail);
        },
        clock: systemClock,
      };
      const before = scripted.requests.length;
      const start = process.hrtime.bigint();
      await runTurn(deps, { tenant: 'bench', session, requestId: 'r-1', actor: 'bench-principal', message: 'When is FOIA-4411 due?' });
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, checks: scripted.requests.length - before, checkMs: clock.busyMs };
    };

    console.log(`Guardrail benchmark: ${SAMPLES} turns per case after ${WARM_UP} warm-up turns; scripted guardrail delay ${DELAY_MS} ms; storage on moto.`);
    for (const scenario of SCENARIOS) {
      for (let i = 0; i < WARM_UP; i++) {
        await timedTurn(scenario, true);
        await timedTurn(scenario, false);
      }
      const withGuardrail: number[] = [];
      const without: number[] = [];
      const checkMs: number[] = [];
      let checks = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const guarded = await timedTurn(scenario, true);
        withGuardrail.push(guarded.ms);
        checkMs.push(guarded.checkMs);
        checks = guarded.checks;
        without.push((await timedTurn(scenario, false)).ms);
      }
      const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
      console.log(`\n${scenario.name}: ${scenario.phases}; ApplyGuardrail calls per turn: ${checks} (without a guardrail: 0)`);
      console.log(`  without guardrail  ${summary(without)}`);
      console.log(`  with guardrail     ${summary(withGuardrail)}`);
      console.log(`  checks in flight   ${summary(checkMs)} per turn (the time the checks add to the turn)`);
      console.log(`  difference of p50  ${(median(withGuardrail) - median(without)).toFixed(1)} ms (moto's time per turn varies more than that)`);
    }
  } finally {
    await scripted.stop();
    await store.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
