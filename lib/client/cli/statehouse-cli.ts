import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { StatehouseApiError } from '../api-error';
import { invokeUrlOf, regionOfInvokeUrl } from '../invoke-url';
import type { SessionListQuery, TurnResult, TurnView } from '../session-api-types';
import { StatehouseClient } from '../statehouse-client';
import { exportTranscript, transcriptMarkdown } from '../transcript';
import { endpointOfTarget } from './target-endpoint';

export const USAGE = `statehouse <command> [options]

  chat [--session <id>] [--agent <name>] [--no-stream]   talk to an agent: one line a turn, /quit to end
  sessions list [--agent <name>] [--status <status>] [--json]
                                                          your sessions, newest first (every page)
  approvals list [--json]                                 approvals your role may decide, oldest first (every page)
  approvals approve|deny --session <id> --tool-call <id> --reason <text>
  memory list [--json]                                    what the agents remember of you, newest first
  memory forget <id> | --all                              forget one record, or everything about you
  memory export --actor <actor> [--out <file>]            a person's memory as JSON (the deployment's export roles)
  verify <session> [--tenant <id>]                        the session's hash chain, recomputed here and by the deployment
  export <session> [--format json|markdown] [--out <file>] [--tenant <id>]
                                                          a transcript for records management, verified the same way
  (--tenant: your tenant id; the chain is then checked from the session's genesis, which binds it to the session)

Where the API is (one of):
  --url <invokeUrl>          the Runtime stack's ApiEndpoint output, stage included
  --api-id <id>              with --region: https://{id}.execute-api.{region}.{partition's DNS suffix}/v1/
  --target <Target>          read from cdk.out (--cdk-out) and the outputs \`cdk deploy --outputs-file\` wrote (--outputs-file)
  --region <region>          the API's region (default: the URL's, the target's, AWS_REGION)

Credentials: the AWS SDK's default chain (environment, SSO, profile, role, instance).
Exit codes: 0 done, 1 a verification failed, 2 a usage error, 3 the API refused or failed.`;

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly isInteractive?: boolean;
}

class UsageError extends Error {}

const OPTIONS = {
  url: { type: 'string' },
  'api-id': { type: 'string' },
  target: { type: 'string' },
  'cdk-out': { type: 'string', default: 'cdk.out' },
  'outputs-file': { type: 'string', default: 'cdk-outputs.json' },
  region: { type: 'string' },
  session: { type: 'string' },
  agent: { type: 'string' },
  status: { type: 'string' },
  'no-stream': { type: 'boolean', default: false },
  'tool-call': { type: 'string' },
  reason: { type: 'string' },
  format: { type: 'string', default: 'json' },
  out: { type: 'string' },
  tenant: { type: 'string' },
  actor: { type: 'string' },
  all: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function required(values: Values, name: 'session' | 'tool-call' | 'reason'): string {
  const value = values[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

/** The client for the API the options name, and a line saying where that is. */
function clientFor(values: Values, env: NodeJS.ProcessEnv): { client: StatehouseClient; where: string } {
  const envRegion = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (values.url) {
    // A URL that names its region (execute-api's own host names do) wins over the environment's default region.
    const region = values.region ?? (regionOfInvokeUrl(new URL(values.url)) ? undefined : envRegion);
    return { client: new StatehouseClient({ url: values.url, region }), where: values.url };
  }
  if (values['api-id']) {
    const region = values.region ?? envRegion;
    if (!region) throw new UsageError('--api-id needs --region (or AWS_REGION)');
    const url = invokeUrlOf(values['api-id'], region);
    return { client: new StatehouseClient({ url, region }), where: url };
  }
  if (values.target) {
    const endpoint = endpointOfTarget(values.target, values['cdk-out'], values['outputs-file']);
    return { client: new StatehouseClient({ url: endpoint.url, region: values.region ?? endpoint.region }), where: `${endpoint.url} (${endpoint.source})` };
  }
  throw new UsageError('say where the API is: --url, --api-id with --region, or --target');
}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text);
}

/** What a turn that did not simply answer is waiting for, in words. */
function pendingNote(sessionId: string, result: TurnResult): string | undefined {
  if (result.status === 'awaiting_approval') {
    const call = result.toolCalls[result.toolCalls.length - 1];
    return `(waiting for an approver: statehouse approvals approve --session ${sessionId} --tool-call ${call?.id} --reason "...")`;
  }
  if (result.status === 'awaiting_tool') return '(waiting for a slow tool; the answer comes with the session\'s next events)';
  return undefined;
}

async function followBackground(client: StatehouseClient, sessionId: string, requestId: string): Promise<TurnView> {
  for (;;) {
    const turn = await client.readTurn(sessionId, requestId);
    if (!['queued', 'running'].includes(turn.status)) return turn;
    await sleep(1000);
  }
}

async function chat(client: StatehouseClient, values: Values, io: CliIo): Promise<number> {
  const session = values.session
    ? (await client.readSession(values.session, { limit: 1 })).session
    : await client.createSession(values.agent ? { agent: values.agent } : {});
  const { sessionId } = session;
  write(io.stderr, `session ${sessionId} (agent ${session.agent}); /quit ends\n`);
  let stream = !values['no-stream'];
  const lines = createInterface({ input: io.stdin, terminal: false });
  const prompt = () => io.isInteractive && write(io.stderr, 'you> ');
  prompt();
  for await (const line of lines) {
    const message = line.trim();
    if (message === '/quit') break;
    if (message === '') {
      prompt();
      continue;
    }
    try {
      stream = await turn(client, sessionId, message, stream, io);
    } catch (error) {
      // A refused or failed turn wrote nothing: say why and take the next line.
      if (!(error instanceof StatehouseApiError)) throw error;
      write(io.stderr, `error: ${error.message}\n`);
    }
    prompt();
  }
  lines.close();
  return 0;
}

/** Sends one turn and prints its answer as it comes; returns whether the next turn should stream. */
async function turn(client: StatehouseClient, sessionId: string, message: string, streamAsked: boolean, io: CliIo): Promise<boolean> {
  const requestId = randomUUID();
  let stream = streamAsked;
  let result: TurnResult | undefined;
  if (stream) {
    try {
      for await (const event of await client.sendTurn(sessionId, { requestId, message, stream: true })) {
        if (event.type === 'text') write(io.stdout, event.text);
        else result = event.result;
      }
      // A replayed answer comes whole, as JSON.
      write(io.stdout, result?.replayed ? `${result.reply}\n` : '\n');
    } catch (error) {
      // A deployment that does not stream says so with a 400 on the `stream` field, having written nothing: the same requestId goes again, buffered.
      if (!(error instanceof StatehouseApiError && error.code === 'ValidationError' && error.message.includes('stream:'))) throw error;
      stream = false;
    }
  }
  if (!stream) {
    result = await client.sendTurn(sessionId, { requestId, message });
    write(io.stdout, `${result.reply}\n`);
  }
  if (result?.background) {
    write(io.stderr, '(out of time: the turn goes on in the background)\n');
    const view = await followBackground(client, sessionId, result.background.requestId);
    write(io.stdout, `${view.reply ?? `(turn ${view.status}${view.reason ? `: ${view.reason}` : ''})`}\n`);
  }
  const note = result && pendingNote(sessionId, result);
  if (note) write(io.stderr, `${note}\n`);
  return stream;
}

/** Every entry of a list, one line each (or the entries as JSON); a deployment from before the lists says so. */
async function printList<T>(entries: AsyncIterable<T>, line: (entry: T) => string, none: string, route: string, json: boolean, io: CliIo): Promise<number> {
  try {
    const all: T[] = [];
    for await (const entry of entries) all.push(entry);
    if (json) write(io.stdout, `${JSON.stringify(all, null, 2)}\n`);
    else write(io.stdout, all.length === 0 ? `${none}\n` : all.map((entry) => `${line(entry)}\n`).join(''));
    return 0;
  } catch (error) {
    if (error instanceof StatehouseApiError && error.routeMissing) {
      write(io.stdout, `${route} is not yet served by this deployment\n`);
      return 0;
    }
    throw error;
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help || positionals.length === 0) {
    write(io.stdout, `${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const [command, sub, ...rest] = positionals;
  const one = (what: string) => {
    if (!sub || rest.length > 0) throw new UsageError(`${command} takes one ${what}`);
    return sub;
  };
  switch (command) {
    case 'chat': {
      const { client, where } = clientFor(values, io.env);
      write(io.stderr, `API: ${where}\n`);
      return chat(client, values, io);
    }
    case 'sessions':
      if (sub !== 'list') throw new UsageError('sessions takes: list');
      return printList(
        // The server checks the status and names the ones it knows.
        clientFor(values, io.env).client.allSessions({ agent: values.agent, status: values.status as SessionListQuery['status'] }),
        (entry) => `${entry.sessionId}  ${entry.agent}  ${entry.status}  ${entry.lastSeq} events  created ${entry.createdAt}  updated ${entry.updatedAt}`,
        'no sessions',
        'GET /sessions',
        values.json,
        io,
      );
    case 'approvals': {
      if (sub === 'list') {
        return printList(
          clientFor(values, io.env).client.allApprovals(),
          (entry) =>
            `${entry.sessionId}  ${entry.tool} (${entry.toolCallId}) asked by ${entry.requestedBy} at ${entry.requestedAt}; decide by ${entry.decideBy}\n` +
            `  input: ${JSON.stringify(entry.input)}\n` +
            `  statehouse approvals approve|deny --session ${entry.sessionId} --tool-call ${entry.toolCallId} --reason "..."`,
          'no approvals wait for your role',
          'GET /approvals',
          values.json,
          io,
        );
      }
      if (sub !== 'approve' && sub !== 'deny') throw new UsageError('approvals takes: list, approve, deny');
      const answer = await clientFor(values, io.env).client.decideApproval(required(values, 'session'), {
        toolCallId: required(values, 'tool-call'),
        approved: sub === 'approve',
        reason: required(values, 'reason'),
      });
      write(io.stdout, `${answer.decision.approved ? 'approved' : 'denied'} ${answer.toolCallId} in session ${answer.sessionId}${answer.replayed ? ' (already decided: the stored decision stands)' : ''}\n`);
      return 0;
    }
    case 'memory':
      return memory(clientFor(values, io.env).client, sub, rest, values, io);
    case 'verify': {
      const sessionId = one('session id');
      // The export's checks, without writing the transcript: every event read and recomputed here, and the verify route.
      const { verification } = await exportTranscript(clientFor(values, io.env).client, sessionId, { tenant: values.tenant });
      write(io.stdout, `session ${sessionId}: ${verification.statement}\n`);
      return verification.verdict === 'failed' ? 1 : 0;
    }
    case 'export': {
      const sessionId = one('session id');
      if (values.format !== 'json' && values.format !== 'markdown') throw new UsageError('--format is json or markdown');
      const transcript = await exportTranscript(clientFor(values, io.env).client, sessionId, { tenant: values.tenant });
      const text = values.format === 'json' ? `${JSON.stringify(transcript, null, 2)}\n` : transcriptMarkdown(transcript);
      if (values.out) fs.writeFileSync(values.out, text);
      else write(io.stdout, text);
      write(io.stderr, `${transcript.verification.statement}\n`);
      return transcript.verification.verdict === 'failed' ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function memory(client: StatehouseClient, sub: string | undefined, rest: readonly string[], values: Values, io: CliIo): Promise<number> {
  switch (sub) {
    case 'list': {
      const listing = await client.listMemory();
      if (values.json) {
        write(io.stdout, `${JSON.stringify(listing, null, 2)}\n`);
        return 0;
      }
      const lines = listing.records.map(
        (record) => `${record.id}  [${record.kind}] ${record.text}\n  from session ${record.source.session} events ${record.source.fromSeq}-${record.source.toSeq} (${record.agent}), kept until ${record.expiresAt}`,
      );
      write(io.stdout, lines.length === 0 ? 'the agents remember nothing of you\n' : `${lines.join('\n')}\n`);
      write(io.stderr, `${listing.profile.records} of at most ${listing.limits.maxRecords} records; ${listing.profile.evicted} evicted by the cap so far\n`);
      return 0;
    }
    case 'forget': {
      if (values.all === (rest.length === 1)) throw new UsageError('memory forget takes one record id, or --all');
      if (values.all) {
        const { forgotten } = await client.forgetAllMemory();
        write(io.stdout, `forgot ${forgotten} record${forgotten === 1 ? '' : 's'}\n`);
      } else {
        await client.forgetMemory(rest[0]);
        write(io.stdout, `forgot ${rest[0]}\n`);
      }
      return 0;
    }
    case 'export': {
      if (!values.actor) throw new UsageError('memory export needs --actor (as sessions record it: arn:<partition>:iam::<account>:role/<name>#<session name>)');
      const text = `${JSON.stringify(await client.listMemory(values.actor), null, 2)}\n`;
      if (values.out) fs.writeFileSync(values.out, text);
      else write(io.stdout, text);
      return 0;
    }
    default:
      throw new UsageError('memory takes: list, forget, export');
  }
}

/** Runs one command; the exit code says how it went (see USAGE). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      write(io.stderr, `${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    write(io.stderr, `error: ${(error as Error).message}\n`);
    return error instanceof StatehouseApiError ? 3 : 2;
  }
}
