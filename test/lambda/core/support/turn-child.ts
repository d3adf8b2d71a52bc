/**
 * A turn in a child process, so a test can SIGKILL it at a chosen point (the
 * "Lambda killed mid-turn" case). Real adapters against moto; the model is
 * the scripted double. It announces each phase on stdout:
 *   LOADED  after the one Query
 *   MODEL   while the model is answering (it then waits for the parent)
 *   COMMIT  just before the one TransactWriteItems is sent
 *   DONE    after it returned
 * argv: endpoint table bucket tenant session requestId
 */
import { DynamoDbSessionRepository } from '../../../../lambda/core/adapters/dynamodb-session-repository';
import { S3PayloadStore } from '../../../../lambda/core/adapters/s3-payload-store';
import { systemClock } from '../../../../lambda/core/adapters/system-clock';
import { runTurn } from '../../../../lambda/core/domain/run-turn';
import type { SessionRepository } from '../../../../lambda/core/ports/session-repository';
import { motoDynamoDbClient, motoS3Client } from '../../../helpers/moto';
import { soleAgent } from './agents';

const [endpoint, table, bucket, tenant, session, requestId] = process.argv.slice(2);
const say = (phase: string) => process.stdout.write(`${phase}\n`);

const real = new DynamoDbSessionRepository({
  client: motoDynamoDbClient({ endpoint }),
  tableName: table,
  payloads: new S3PayloadStore({ client: motoS3Client({ endpoint }), bucket }),
});

// Announces phases around the real repository; every call goes through unchanged.
const announcing: SessionRepository = Object.assign(Object.create(real) as SessionRepository, {
  load: async (...args: Parameters<SessionRepository['load']>) => {
    const loaded = await real.load(...(args as [string, string, number]));
    say('LOADED');
    return loaded;
  },
  commitTurn: async (...args: Parameters<SessionRepository['commitTurn']>) => {
    say('COMMIT');
    const version = await real.commitTurn(...args);
    say('DONE');
    return version;
  },
});

runTurn(
  {
    sessions: announcing,
    clock: systemClock,
    ...soleAgent({
      async chat() {
        say('MODEL');
        // Give the parent time to kill us while the model "thinks".
        await new Promise((resolve) => setTimeout(resolve, Number(process.env.MODEL_DELAY_MS ?? 0)));
        return { text: 'reply', toolCalls: [], usage: { input: 5, output: 3 } };
      },
    }),
  },
  { tenant, session, requestId, actor: 'alice', message: 'hello' },
).catch((error) => {
  process.stderr.write(String(error));
  process.exitCode = 1;
});
