import type { CostInput, TurnUsage } from '../../../lib/cost/estimate';

/**
 * The hand computation the estimate tests check against; USAGE is also the
 * default configuration's usage (cost-cli.test.ts). Every figure below is worked out
 * in the comments from the published list prices, not from the code.
 *
 * Input: ml.inf2.xlarge, 2 instances for 50 h a week and 1 instance the rest
 * of the week; 100,000 turns a month; per turn 13 read units, 8 write units,
 * 2 Lambda invocations, 4 GB-s, 1 Express request; 10,000 Standard
 * transitions a month.
 *
 * A month is 365.25 / 12 / 7 = 4.348214285714... weeks (168 h a week -> 730.5 h).
 *
 * SageMaker  2 x 50 + 1 x (168 - 50) = 218 instance-h a week
 *            218 x 4.348214285714 = 947.910714285714 instance-h
 *            x $0.99 = $938.431607142857
 * DynamoDB   reads  13 x 100,000 = 1,300,000 RRU x $0.125 / 1e6 = $0.1625
 *            writes  8 x 100,000 =   800,000 WRU x $0.625 / 1e6 = $0.50
 * Lambda     requests 2 x 100,000 = 200,000 x $0.20 / 1e6 = $0.04
 *            compute  4 x 100,000 = 400,000 GB-s x $0.0000166667 = $6.66668
 * Express    1 x 100,000 = 100,000 requests x $1.00 / 1e6 = $0.10
 * Standard   10,000 transitions x $0.025 / 1,000 = $0.25
 * Total      938.431607142857 + 0.1625 + 0.50 + 0.04 + 6.66668 + 0.10 + 0.25 = $946.150787142857
 */
export const USAGE: TurnUsage = {
  turnsPerMonth: 100_000,
  dynamoReadUnitsPerTurn: 13,
  dynamoWriteUnitsPerTurn: 8,
  lambdaGbSecondsPerTurn: 4,
  lambdaInvocationsPerTurn: 2,
  expressRequestsPerTurn: 1,
  standardTransitionsPerMonth: 10_000,
};
export const INPUT: CostInput = {
  region: 'us-east-1',
  endpoint: { instanceType: 'ml.inf2.xlarge', workingHoursInstances: 2, offHoursInstances: 1, workingHoursPerWeek: 50 },
  usage: USAGE,
  modelSize: '8B',
};
export const HAND = {
  instanceHours: 947.910714285714,
  endpoint: 938.431607142857,
  reads: 0.1625,
  writes: 0.5,
  lambdaRequests: 0.04,
  lambdaCompute: 6.66668,
  express: 0.1,
  standard: 0.25,
  total: 946.150787142857,
};
