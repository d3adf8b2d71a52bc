import { parseConfig } from '../../../lib/config/load';
import { formatUnitCost } from '../../../lib/cost/format';
import { estimateRoundCost, TRANSITIONS_PER_ROUND } from '../../../lib/cost/round-cost';
import { backgroundRoundCost } from '../../../lib/cost/unit-cost';
import { stacksOf, synthStatehouse } from '../../helpers/synth';
import { machineNamed, synthesizedMachines } from '../tool-workflow/synthesized-workflows';

/** The cost of one background round, and its assumption about transitions checked against the synthesized loop. */

test('a continuing round enters exactly TRANSITIONS_PER_ROUND states of the synthesized loop before it is asked again', () => {
  const [stage] = synthStatehouse({ targets: 'GovWest' }).stages;
  const { definition } = machineNamed(synthesizedMachines(stage.runtime, stacksOf(stage)), '-agent-loop');
  const states = definition.States as Record<string, { Type: string; Next?: string; Choices?: { Next: string; StringEquals?: string }[] }>;
  // Walk a round whose outcome is `continue`, from the Round state back to it.
  const visited: string[] = [];
  let name = definition.StartAt;
  do {
    visited.push(name);
    const state = states[name];
    name = state.Type === 'Choice' ? state.Choices!.find((choice) => choice.StringEquals === 'continue')!.Next : state.Next!;
  } while (name !== definition.StartAt && visited.length < 20);

  expect(visited).toHaveLength(TRANSITIONS_PER_ROUND);
});

test('one round in a commercial and a GovCloud region: the parts, the total, GovCloud marked unconfirmed, model tokens left out', () => {
  const config = parseConfig({});
  const commercial = estimateRoundCost(config.targets.Commercial);
  const govWest = estimateRoundCost(config.targets.GovWest);

  expect(commercial.lineItems.map((l) => [l.item, l.quantity])).toEqual([
    ['Step Functions Standard transitions', 3],
    ['Lambda requests', 1],
    ['Lambda compute (x86_64)', 5],
    ['DynamoDB reads (on demand)', 13],
    ['DynamoDB writes (on demand)', 10],
    ['Step Functions Express requests (the fast tool)', 1],
  ]);
  // 3 x $0.025/1000 + $0.2/1e6 + 5 GB-s x $0.0000166667 + 13 x $0.125/1e6 + 10 x $0.625/1e6 + $1/1e6
  expect(commercial.totalUsd).toBeCloseTo(0.000075 + 0.0000002 + 0.0000833335 + 0.000001625 + 0.00000625 + 0.000001, 10);
  expect([commercial.unconfirmed, govWest.unconfirmed]).toEqual([false, true]);
  // With the platform around it: 2 trail data events x $0.10/100,000, (2 KB function logs + 2 x 1.5 KB trail events) x $0.50/GB, 60 KB through the model's endpoint x $0.01/GB.
  const round = backgroundRoundCost(config.targets.GovWest);
  const platform = 0.000002 + (5 / 1048576) * 0.5 + (60 / 1048576) * 0.01;
  expect(round.platformUsd).toBeCloseTo(platform, 12);
  expect(round.totalUsd).toBeCloseTo(govWest.totalUsd + platform, 12);
  const text = formatUnitCost('GovWest (us-gov-west-1)', round);
  expect(text).toMatch(/^One background round, GovWest \(us-gov-west-1\): \$0\.000172 \* \(\$0\.1724 per 1,000\), model tokens apart/);
  expect(text).not.toMatch(/\.\.\/shared|FACTS\.md/);
});
