import type { StatehouseClient } from '../client/statehouse-client';
import { expectThat } from './conversation-checks';
import type { GatewayLog } from './gateway-log';

/**
 * Memory across sessions in `npm run deploy:local`: what a first session
 * taught, extracted by the deployed memory extractor (its bundle fed the
 * session table's new event items as its event source mapping would),
 * recalled in a second session of the same person and in no session of
 * another person, listed and then forgotten through the memory routes.
 */
export interface MemoryConversationOptions {
  readonly alice: StatehouseClient;
  readonly olivia: StatehouseClient;
  /** The deployed extractor, fed the event items written since the last delivery. */
  readonly deliver: () => Promise<{ readonly records: number; readonly failures: number }>;
  readonly gateway: GatewayLog;
  readonly log: (line: string) => void;
}

export interface MemoryConversationReport {
  readonly taughtIn: string;
  readonly recalledIn: string;
  readonly records: readonly { readonly kind: string; readonly text: string; readonly source: string }[];
  readonly recalledReply: string;
  readonly otherPersonReply: string;
  readonly forgotten: number;
  readonly afterForgetReply: string;
}

const TEACH = 'Please remember: I handle the Port Authority dredging request. I prefer answers as bullet points.';
const ASK = 'Which request do I handle?';
const RECALLED = 'From an earlier session I remember';

export async function runMemoryConversation(options: MemoryConversationOptions): Promise<MemoryConversationReport> {
  const { alice, olivia, gateway, log } = options;
  log('');
  log('Memory across sessions (the deployed memory extractor, fed the session table\'s new event items as its event source mapping passes them)');

  const first = await alice.createSession();
  const taught = await alice.sendTurn(first.sessionId, { requestId: 'memory-1', message: TEACH });
  gateway.step(`  session 1 (${first.sessionId}), alice: "${TEACH}" → "${taught.reply}"`);
  const delivered = await options.deliver();
  expectThat(delivered.failures === 0 && delivered.records > 0, 'the extractor to take every new event item without a failure', delivered);
  log(`  memory extractor: ${delivered.records} new event items of the session table, ${delivered.failures} failures`);

  const listing = await alice.listMemory();
  const records = listing.records.map((record) => ({
    kind: record.kind,
    text: record.text,
    source: `session ${record.source.session} events ${record.source.fromSeq}-${record.source.toSeq}`,
  }));
  expectThat(
    records.some((record) => record.kind === 'fact' && record.text.includes('Port Authority dredging')) && records.some((record) => record.kind === 'preference'),
    "alice's memory to hold the fact and the preference session 1 taught",
    records,
  );
  gateway.step(`  GET /memory as alice → ${records.length} records:`);
  for (const record of records) log(`    [${record.kind}] ${record.text} (${record.source})`);

  const second = await alice.createSession();
  const recalled = await alice.sendTurn(second.sessionId, { requestId: 'memory-2', message: ASK });
  expectThat(recalled.reply.includes(RECALLED) && recalled.reply.includes('Port Authority dredging'), 'session 2 to use what session 1 taught', recalled.reply);
  gateway.step(`  session 2 (${second.sessionId}), alice: "${ASK}" → "${recalled.reply}"`);

  const others = await olivia.createSession();
  const other = await olivia.sendTurn(others.sessionId, { requestId: 'memory-3', message: ASK });
  expectThat(!other.reply.includes(RECALLED), "olivia's session to recall nothing of alice's", other.reply);
  gateway.step(`  olivia's session (${others.sessionId}): "${ASK}" → "${other.reply}"`);

  const { forgotten } = await alice.forgetAllMemory();
  const third = await alice.createSession();
  const after = await alice.sendTurn(third.sessionId, { requestId: 'memory-4', message: ASK });
  expectThat(forgotten === records.length && !after.reply.includes(RECALLED), 'forget-me to remove every record, and a new session to recall none', { forgotten, reply: after.reply });
  gateway.step(`  DELETE /memory as alice → ${forgotten} forgotten; session 3 (${third.sessionId}): "${ASK}" → "${after.reply}"`);

  return {
    taughtIn: first.sessionId,
    recalledIn: second.sessionId,
    records,
    recalledReply: recalled.reply,
    otherPersonReply: other.reply,
    forgotten,
    afterForgetReply: after.reply,
  };
}
