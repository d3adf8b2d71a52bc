import { CostInputError, endpointInstanceHours, estimateMonthlyCost, WEEKS_PER_MONTH, type CostInput } from '../../../lib/cost/estimate';
import { formatCostEstimate } from '../../../lib/cost/format';
import { SAGEMAKER_INSTANCE_HOUR } from '../../../lib/cost/price-table';
import { HAND, INPUT, USAGE } from './hand-figures';

/** The estimate against the hand computation written out in hand-figures.ts. */

describe('estimateMonthlyCost, against the hand computation', () => {
  test('a month is 4.348214... weeks, 730.5 hours', () => {
    expect(WEEKS_PER_MONTH).toBeCloseTo(4.348214285714, 12);
    expect(168 * WEEKS_PER_MONTH).toBeCloseTo(730.5, 10);
    expect(endpointInstanceHours(INPUT.endpoint!)).toBeCloseTo(HAND.instanceHours, 9);
  });

  test('us-east-1: every line item (quantity, unit price, monthly, source) and the total', () => {
    const estimate = estimateMonthlyCost(INPUT);
    const items = estimate.lineItems.map((l) => [l.item, l.quantity, l.unitPriceUsd, l.unitSize, l.monthlyUsd, l.status]);
    const expected = [
      ['SageMaker ml.inf2.xlarge', HAND.instanceHours, 0.99, 1, HAND.endpoint, 'commercial'],
      ['DynamoDB reads (on demand)', 1_300_000, 0.125, 1_000_000, HAND.reads, 'commercial'],
      ['DynamoDB writes (on demand)', 800_000, 0.625, 1_000_000, HAND.writes, 'commercial'],
      ['Lambda requests', 200_000, 0.2, 1_000_000, HAND.lambdaRequests, 'commercial'],
      ['Lambda compute (x86_64)', 400_000, 0.0000166667, 1, HAND.lambdaCompute, 'commercial'],
      ['Step Functions Express requests', 100_000, 1, 1_000_000, HAND.express, 'commercial'],
      ['Step Functions Standard transitions', 10_000, 0.025, 1_000, HAND.standard, 'commercial'],
    ];
    expect(items.map((i) => i[0])).toEqual(expected.map((e) => e[0]));
    items.forEach((item, n) => {
      const [, quantity, price, size, monthly, status] = expected[n];
      expect(item[1]).toBeCloseTo(quantity as number, 6);
      expect([item[2], item[3], item[5]]).toEqual([price, size, status]);
      expect(item[4]).toBeCloseTo(monthly as number, 9);
    });
    // Every priced line names a primary source (a pricing page or the benchmark repository), never a file outside the repo.
    for (const l of estimate.lineItems) expect(l.source).toMatch(/aws\.amazon\.com\/[a-z-]+\/pricing|foundation-model-benchmarking-tool/);
    expect(estimate.totalUsd).toBeCloseTo(HAND.total, 9);
    expect([estimate.complete, estimate.unconfirmed]).toEqual([true, false]);
    // No Neuron benchmark for inf2.xlarge: no per-token figure, and a note says so.
    expect(estimate.costPerMillionOutputTokens).toBeUndefined();
    expect(estimate.notes).toContainEqual(expect.stringMatching(/no benchmark figure for Llama-3 8B on ml\.inf2\.xlarge/));
  });

  test('us-gov-west-1: the same figures, every price marked unconfirmed, and the estimate says so', () => {
    const estimate = estimateMonthlyCost({ ...INPUT, region: 'us-gov-west-1' });
    expect(estimate.totalUsd).toBeCloseTo(HAND.total, 9);
    expect(new Set(estimate.lineItems.map((l) => l.status))).toEqual(new Set(['unconfirmed']));
    expect(estimate.unconfirmed).toBe(true);
    expect(estimate.notes[0]).toMatch(/^GovCloud prices are UNCONFIRMED: us-gov-west-1 is priced with the commercial figures of lib\/cost\/price-table\.ts/);
    expect(formatCostEstimate('GovWest', estimate)).toMatch(/Usage total: \$946\.15 \(GovCloud prices unconfirmed \(\*\)\)/);
  });

  test('Without an endpoint: the serverless items only ($7.72 by hand: 0.1625 + 0.50 + 0.04 + 6.66668 + 0.10 + 0.25 = 7.71918)', () => {
    const estimate = estimateMonthlyCost({ region: 'us-east-1', usage: USAGE });
    expect(estimate.lineItems).toHaveLength(6);
    expect(estimate.totalUsd).toBeCloseTo(7.71918, 9);
  });

  test('arm64 Lambda: 400,000 GB-s x $0.0000133334 = $5.33336', () => {
    const estimate = estimateMonthlyCost({ ...INPUT, lambdaArchitecture: 'arm64' });
    expect(estimate.lineItems.find((l) => l.item === 'Lambda compute (arm64)')!.monthlyUsd).toBeCloseTo(5.33336, 9);
  });
});

describe('estimateMonthlyCost, unknown prices and per-token cost', () => {
  test.each(['ml.trn1.2xlarge', 'ml.trn2.48xlarge'])('%s has no sourced price: unknown, left out of the total, and said so', (instanceType) => {
    expect(SAGEMAKER_INSTANCE_HOUR[instanceType].usd).toBeUndefined();
    const estimate = estimateMonthlyCost({ ...INPUT, endpoint: { ...INPUT.endpoint!, instanceType } });
    const endpoint = estimate.lineItems[0];
    expect([endpoint.item, endpoint.unitPriceUsd, endpoint.monthlyUsd, endpoint.status]).toEqual([`SageMaker ${instanceType}`, undefined, undefined, 'unknown']);
    expect(endpoint.quantity).toBeCloseTo(HAND.instanceHours, 9);
    expect(estimate.complete).toBe(false);
    expect(estimate.totalUsd).toBeCloseTo(HAND.total - HAND.endpoint, 9);
    expect(estimate.notes).toContainEqual(expect.stringMatching(new RegExp(`SageMaker ${instanceType.replace(/\./g, '\\.')}: no price in lib/cost/price-table\\.ts, so the total leaves it out`)));
    expect(formatCostEstimate('x', estimate)).toMatch(/unknown .*\n[\s\S]*Usage total: \$7\.72 \(excludes items of unknown price \(\?\)\)/);
  });

  // hourly price / (tokens per second x 3600) x 1e6, by hand:
  test.each([
    // 15.58 / (859 x 3600) x 1e6 = 15.58 / 3,092,400 x 1e6 = 5.038158...
    ['ml.inf2.48xlarge', '8B', 5.038158, 5.038158, 'Llama-3-8B'],
    // 28.497 / (1143 x 3600) x 1e6 = 28.497 / 4,114,800 x 1e6 = 6.925488...
    ['ml.trn1.32xlarge', '8B', 6.925488, 6.925488, 'Llama-3-8B'],
    // 15.58 / (30 x 3600) x 1e6 = 15.58 / 108,000 x 1e6 = 144.259259...
    ['ml.inf2.48xlarge', '70B', 144.259259, 144.259259, 'Llama-3-70B'],
    // 28.497 / (141 x 3600) x 1e6 = 56.140662...; 28.497 / (120 x 3600) x 1e6 = 65.965278...
    ['ml.trn1.32xlarge', '70B', 56.140662, 65.965278, 'Llama-3-70B'],
  ] as const)('cost per million output tokens, %s with a %s model', (instanceType, modelSize, atHigh, atLow, model) => {
    const estimate = estimateMonthlyCost({ ...INPUT, endpoint: { ...INPUT.endpoint!, instanceType }, modelSize });
    const token = estimate.costPerMillionOutputTokens!;
    expect(token.model).toBe(model);
    expect(token.usdPerMillion.atHighThroughput).toBeCloseTo(atHigh, 5);
    expect(token.usdPerMillion.atLowThroughput).toBeCloseTo(atLow, 5);
    expect(token.source).toMatch(/about-neuron\/benchmarks/);
  });

  test('the formatter prints the per-token cost, a range where the benchmark gives one', () => {
    const estimate = estimateMonthlyCost({ ...INPUT, endpoint: { ...INPUT.endpoint!, instanceType: 'ml.trn1.32xlarge' }, modelSize: '70B' });
    expect(formatCostEstimate('x', estimate)).toMatch(/Cost per million output tokens: \$56\.14 to \$65\.97 \(Llama-3-70B on ml\.trn1\.32xlarge at 120-141 tok\/s, one instance at full load/);
  });
});

describe('estimateMonthlyCost refuses impossible input', () => {
  test.each<[string, CostInput, RegExp]>([
    ['more than 168 working hours', { ...INPUT, endpoint: { ...INPUT.endpoint!, workingHoursPerWeek: 200 } }, /endpoint\.workingHoursPerWeek is 200; it must be a number from 0 to 168\./],
    ['negative instances', { ...INPUT, endpoint: { ...INPUT.endpoint!, offHoursInstances: -1 } }, /endpoint\.offHoursInstances is -1/],
    ['negative turns', { ...INPUT, usage: { ...USAGE, turnsPerMonth: -5 } }, /usage\.turnsPerMonth is -5/],
    ['an unknown region', { ...INPUT, region: 'mars-north-1' }, /region "mars-north-1" is not in lib\/residency\/region-facts\.ts/],
  ])('%s', (_, input, message) => {
    expect(() => estimateMonthlyCost(input)).toThrow(CostInputError);
    expect(() => estimateMonthlyCost(input)).toThrow(message);
  });
});
