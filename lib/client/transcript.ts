import { genesisHash, verifyChain, type ReadChainedEvent } from '../contract/hash-chain';
import type { EventView, SessionVerification, SessionView } from './session-api-types';
import type { StatehouseClient } from './statehouse-client';

/**
 * A session's transcript for records management (AU-9, AU-10): every event
 * in order, and whether the log is whole and unaltered, checked twice. Here,
 * over the events as read: the sequence must run 1..lastSeq without a gap,
 * and each event's hash is recomputed from its fields and the hash before it
 * (lib/contract/hash-chain.ts, the code the orchestrator writes the chain
 * with), anchored at the session's genesis when the tenant is known. And by
 * the deployment's verify route, which recomputes the stored chain up to the
 * header's last hash.
 */

export type LocalVerification =
  | {
      readonly status: 'verified';
      readonly events: number;
      /** `genesis`: anchored at genesisHash(tenant, session); `first-event`: at the first event's own prevHash (no tenant given). */
      readonly anchor: 'genesis' | 'first-event';
    }
  /** `reason`: the chain's (`seq_gap`, `prev_hash_mismatch`, `hash_mismatch`, `content_unresolved`), or `incomplete` (fewer events than lastSeq). */
  | { readonly status: 'broken'; readonly events: number; readonly brokenAtSeq: number; readonly reason: string }
  /** The sequence is whole, but the events came without hashes (a deployment from before they were shown): only the server's check covers their content. */
  | { readonly status: 'unhashed'; readonly events: number };

export type Verdict = 'verified' | 'verified_by_server' | 'failed';

export interface Transcript {
  readonly kind: 'statehouse.transcript';
  readonly version: 1;
  readonly exportedAt: string;
  /** The API it was read from. */
  readonly api: string;
  readonly session: SessionView;
  readonly events: readonly EventView[];
  readonly verification: {
    readonly verdict: Verdict;
    /** One sentence a records officer can quote. */
    readonly statement: string;
    readonly local: LocalVerification;
    readonly server: SessionVerification;
  };
}

/** Checks the events as read: seq 1..lastSeq without a gap, then each event's hash, recomputed here. */
export function verifyLocally(sessionId: string, lastSeq: number, events: readonly EventView[], tenant?: string): LocalVerification {
  for (const [index, event] of events.entries()) {
    if (event.seq !== index + 1) return { status: 'broken', events: index, brokenAtSeq: index + 1, reason: 'seq_gap' };
  }
  if (events.length !== lastSeq) return { status: 'broken', events: events.length, brokenAtSeq: events.length + 1, reason: 'incomplete' };
  const anchor = tenant ? 'genesis' : 'first-event';
  if (events.length === 0) return { status: 'verified', events: 0, anchor };
  if (events.some((event) => event.prevHash === undefined || event.hash === undefined)) return { status: 'unhashed', events: events.length };
  const hashed = events as readonly ReadChainedEvent[];
  const result = verifyChain(hashed, tenant ? genesisHash(tenant, sessionId) : hashed[0].prevHash);
  if (!result.ok) return { status: 'broken', events: result.brokenAtSeq - 1, brokenAtSeq: result.brokenAtSeq, reason: result.reason };
  return { status: 'verified', events: events.length, anchor };
}

function verdictOf(local: LocalVerification, server: SessionVerification, lastSeq: number): { verdict: Verdict; statement: string } {
  const serverSays = server.valid
    ? `the deployment's verify route recomputed the stored chain over ${server.events} events and found it valid`
    : `the deployment's verify route found the stored chain broken at event ${server.brokenAtSeq} (${server.reason})`;
  if (local.status === 'broken') {
    return { verdict: 'failed', statement: `NOT VERIFIED: the events as read break at event ${local.brokenAtSeq} (${local.reason}); ${serverSays}.` };
  }
  // Events committed after the read may make the server's count larger, never smaller.
  if (!server.valid || server.events < lastSeq) {
    return { verdict: 'failed', statement: `NOT VERIFIED: ${serverSays}, but ${lastSeq} events were read.` };
  }
  if (local.status === 'verified') {
    const anchor = local.anchor === 'genesis' ? "from the session's genesis" : "from the first event's prevHash (no tenant given, so not bound to the session key)";
    return { verdict: 'verified', statement: `Verified: the hash chain of all ${local.events} events was recomputed here ${anchor}, and ${serverSays}.` };
  }
  return {
    verdict: 'verified_by_server',
    statement: `Verified by the deployment: ${serverSays}; here, events 1 to ${local.events} were read without a gap, but this API does not show event hashes, so their content was not recomputed locally.`,
  };
}

/** Reads every event of the session, checks them here and asks the deployment to verify its stored chain. */
export async function exportTranscript(
  client: StatehouseClient,
  sessionId: string,
  options: { readonly tenant?: string; readonly now?: Date } = {},
): Promise<Transcript> {
  const { session, events } = await client.readAllEvents(sessionId);
  const local = verifyLocally(sessionId, session.lastSeq, events, options.tenant);
  const server = await client.verify(sessionId);
  return {
    kind: 'statehouse.transcript',
    version: 1,
    exportedAt: (options.now ?? new Date()).toISOString(),
    api: client.url.href,
    session,
    events,
    verification: { ...verdictOf(local, server, session.lastSeq), local, server },
  };
}

/** A fence longer than any run of backticks in the text, so content is shown exactly as stored. */
function fenced(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function localCheck(local: LocalVerification): string {
  if (local.status === 'broken') return `BROKEN at event ${local.brokenAtSeq} (${local.reason})`;
  if (local.status === 'unhashed') return `not recomputed: the API showed no hashes (events 1 to ${local.events} without a gap)`;
  return `verified, ${local.events} events, ${local.anchor === 'genesis' ? "from the session's genesis" : "from the first event's prevHash"}`;
}

function serverCheck(server: SessionVerification): string {
  return server.valid ? `valid, ${server.events} events` : `BROKEN at event ${server.brokenAtSeq} (${server.reason})`;
}

export function transcriptMarkdown(transcript: Transcript): string {
  const { session, events, verification } = transcript;
  const lines = [
    `# Session ${session.sessionId}`,
    '',
    `**${verification.verdict === 'failed' ? 'NOT VERIFIED' : 'Verified'}.** ${verification.statement}`,
    '',
    '| field | value |',
    '|---|---|',
    `| agent | ${session.agent} |`,
    `| owner | ${session.owner} |`,
    `| status | ${session.status} |`,
    `| events | ${session.lastSeq} |`,
    `| created | ${session.createdAt} |`,
    `| updated | ${session.updatedAt} |`,
    `| exported | ${transcript.exportedAt} from ${transcript.api} |`,
    `| hash chain, recomputed here | ${localCheck(verification.local)} |`,
    `| hash chain, the deployment's verify route | ${serverCheck(verification.server)} |`,
    '',
  ];
  for (const event of events) {
    const tool = event.toolName ? ` · ${event.toolName}${event.toolCallId ? ` (${event.toolCallId})` : ''}` : '';
    const agent = event.agent ? ` · agent ${event.agent}${event.delegationDepth ? ` (delegate, depth ${event.delegationDepth})` : ''}` : '';
    const hash = event.hash ? ` · hash \`${event.hash}\`` : '';
    lines.push(`## ${event.seq} · ${event.type}${tool}`, '', `${event.time} · ${event.actor}${agent}${hash}`, '', fenced(event.content), '');
  }
  return lines.join('\n');
}
