/**
 * One round of a background turn in a child process, so a test can SIGKILL
 * it at a chosen point (the "round function killed mid-round" case). Real
 * adapters against moto and the local Step Functions endpoint; the model is
 * the scripted double, answering `threeRoundReply`. It announces each phase
 * on stdout:
 *   LOADED  after the one Query (then waits for a line on stdin)
 *   MODEL   when the model is asked (then waits for a line on stdin)
 *   COMMIT  just before the one TransactWriteItems is sent (it does not wait:
 *           a kill here races the write, as a real one does)
 *   DONE    after it returned (then waits for a line on stdin)
 * The waits make each kill land in its phase without timing: the parent
 * answers a phase with a line, or kills the child at it.
 * argv: dynamodbEndpoint table bucket stepFunctionsEndpoint loopArn tenant session requestId round
 */
import { createInterface } from 'node:readline';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbSessionRepository } from '../../../../lambda/core/adapters/dynamodb-session-repository';
import { S3PayloadStore } from '../../../../lambda/core/adapters/s3-payload-store';
import { StepFunctionsAgentLoop } from '../../../../lambda/core/adapters/step-functions/agent-loop-starter';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { runRound } from '../../../../lambda/core/domain/background-turn';
import type { ChatMessage, ModelBackend, ModelReply } from '../../../../lambda/core/ports/model-backend';
import type { SessionRepository } from '../../../../lambda/core/ports/session-repository';
import { motoDynamoDbClient, motoS3Client } from '../../../helpers/moto';
import { soleAgent } from './agents';
import { reply, ScriptedModel } from './scripted-model';

/** The phases the child announces, in order. */
export const ROUND_PHASES = ['LOADED', 'MODEL', 'COMMIT', 'DONE'] as const;
export type RoundPhase = (typeof ROUND_PHASES)[number];
/** The phases the child waits at until the parent answers with a line. */
export const WAITING_PHASES: readonly RoundPhase[] = ['LOADED', 'MODEL', 'DONE'];

/** The background limits the child and its parent run rounds with. */
export const ROUND_BACKGROUND = { deadlineSeconds: 3600, maxRounds: 50 } as const;

/**
 * A model that answers over three rounds: twice with text and a call of a
 * tool the deployment does not offer (refused as not_allowed, no workflow
 * runs), then with the answer. Which round it is comes from the prompt (the
 * assistant messages the session holds), so a round asked again, in this
 * process or another, gets the same reply.
 */
export function threeRoundReply(messages: readonly ChatMessage[]): ModelReply | Error {
  const answered = messages.filter((message) => message.role === 'assistant').length;
  const call = (n: number) => ({ id: `call-${n}`, name: 'compute_deadline', input: { startDate: '2026-11-20', businessDays: 10 * n } });
  switch (answered) {
    case 0:
      return reply('Let me compute the deadline.', [call(1)]);
    case 1:
      return reply('That tool is not available; trying once more.', [call(2)]);
    case 2:
      return reply('Ten business days from 2026-11-20 is 2026-12-04.');
    default:
      return new Error(`threeRoundReply: no round ${answered + 1}`);
  }
}

function main(): void {
  const [dynamodbEndpoint, table, bucket, stepFunctionsEndpoint, loopArn, tenant, session, requestId, round] = process.argv.slice(2);
  const input = createInterface({ input: process.stdin });
  const lines = input[Symbol.asyncIterator]();
  const say = async (phase: RoundPhase): Promise<void> => {
    process.stdout.write(`${phase}\n`);
    if (WAITING_PHASES.includes(phase)) await lines.next();
  };

  const real = new DynamoDbSessionRepository({
    client: motoDynamoDbClient({ endpoint: dynamodbEndpoint }),
    tableName: table,
    payloads: new S3PayloadStore({ client: motoS3Client({ endpoint: dynamodbEndpoint }), bucket }),
  });
  // Announces phases around the real repository; every call goes through unchanged.
  const announcing: SessionRepository = Object.assign(Object.create(real) as SessionRepository, {
    load: async (...args: Parameters<SessionRepository['load']>) => {
      const loaded = await real.load(...(args as [string, string, number]));
      await say('LOADED');
      return loaded;
    },
    commitTurn: async (...args: Parameters<SessionRepository['commitTurn']>) => {
      await say('COMMIT');
      const version = await real.commitTurn(...args);
      await say('DONE');
      return version;
    },
  });
  const scripted = ScriptedModel.responding(threeRoundReply);
  const model: ModelBackend = {
    async chat(messages, tools) {
      await say('MODEL');
      return scripted.chat(messages, tools);
    },
  };
  const loop = new StepFunctionsAgentLoop({
    client: new SFNClient({ endpoint: stepFunctionsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }),
    stateMachineArn: loopArn,
  });

  runRound(
    { sessions: announcing, clock: systemClock, ...soleAgent(model), loop, background: ROUND_BACKGROUND },
    { kind: 'statehouse.round', tenant, session, requestId, round: Number(round) },
  )
    .then((outcome) => process.stdout.write(`OUTCOME ${JSON.stringify(outcome)}\n`))
    .catch((error) => {
      process.stderr.write(String(error));
      process.exitCode = 1;
    })
    .finally(() => input.close());
}

if (require.main === module) main();
