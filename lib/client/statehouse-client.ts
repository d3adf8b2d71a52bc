import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { apiErrorOf, StatehouseApiError } from './api-error';
import { signingRegionFor } from './invoke-url';
import { serverSentEvents } from './server-sent-events';
import type {
  ApprovalAnswer,
  ApprovalRequest,
  CreateSessionRequest,
  DeletedSession,
  EventView,
  MemoryListing,
  ApprovalList,
  ApprovalListEntry,
  ApprovalListQuery,
  SessionList,
  SessionListEntry,
  SessionListQuery,
  SessionPage,
  SessionVerification,
  SessionView,
  TurnEventStream,
  TurnRequest,
  TurnResult,
  TurnStreamEvent,
  TurnView,
} from './session-api-types';
import { createSignedFetch } from './signed-fetch';

/** Retries with exponential backoff and full jitter (aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter). */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** 5 attempts, waits of up to 0.1, 0.2, 0.4, 0.8 s: a contended session settles well inside that. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 };

export interface StatehouseClientOptions {
  /** The API's invoke URL (the Runtime stack's `ApiEndpoint…` output), stage included: `https://{api}.execute-api.{region}.{suffix}/v1/`. */
  readonly url: string;
  /** The API's region. @default the region the URL names */
  readonly region?: string;
  /** @default the SDK's default credential chain */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Headers sent (and signed) with every request, e.g. `x-apigw-api-id` when calling a VPC endpoint's own DNS name. */
  readonly headers?: Readonly<Record<string, string>>;
  /** For turns (409 SessionBusy, 5xx) and approval decisions (409 ApprovalNotReady, 5xx). @default DEFAULT_RETRY */
  readonly retry?: RetryPolicy;
  /** The fetch under the signing. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: readonly string[];
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
}

type Retryable = (error: StatehouseApiError) => boolean;

/** A turn may be sent again with its requestId: a losing writer, a server or model failure, API Gateway throttling. */
const turnRetryable: Retryable = (error) =>
  error.status >= 500 || (error.status === 409 && error.code === 'SessionBusy') || (error.status === 429 && error.code !== 'BudgetExceeded');

/** A decision may be sent again (a repeat returns the stored one): the workflow not yet waiting, or a failure. */
const approvalRetryable: Retryable = (error) =>
  error.status >= 500 || (error.status === 409 && error.code === 'ApprovalNotReady') || (error.status === 429 && error.code !== 'BudgetExceeded');

/**
 * The session API over HTTPS, every request signed with SigV4
 * (lambda/orchestrator/README.md has the routes and their answers). Errors
 * are StatehouseApiError; turns and decisions are retried with the same
 * requestId, which the server makes safe.
 */
export class StatehouseClient {
  readonly url: URL;
  readonly region: string;
  private readonly signedFetch: typeof fetch;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly retry: RetryPolicy;

  constructor(options: StatehouseClientOptions) {
    const url = new URL(options.url);
    // Relative paths resolve under the stage only when the base ends with a slash.
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.url = url;
    this.region = signingRegionFor(url, options.region);
    this.signedFetch = createSignedFetch({ region: this.region, credentials: options.credentials, fetch: options.fetch });
    this.headers = options.headers ?? {};
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  createSession(request: CreateSessionRequest = {}): Promise<SessionView> {
    return this.json<{ session: SessionView }>({ method: 'POST', path: ['sessions'], body: request }).then((answer) => answer.session);
  }

  /** One page of the session's events after `afterSeq` (default 0), at most `limit` (1–100, default 100). */
  readSession(sessionId: string, page: { readonly afterSeq?: number; readonly limit?: number } = {}): Promise<SessionPage> {
    return this.json({ method: 'GET', path: ['sessions', sessionId], query: { afterSeq: page.afterSeq, limit: page.limit } });
  }

  /** Every event of the session, page by page, and the session as the last page read it. */
  async readAllEvents(sessionId: string): Promise<{ session: SessionView; events: EventView[] }> {
    const events: EventView[] = [];
    let afterSeq: number | undefined = 0;
    let session: SessionView | undefined;
    while (afterSeq !== undefined) {
      const page: SessionPage = await this.readSession(sessionId, { afterSeq });
      events.push(...page.events);
      session = page.session;
      afterSeq = page.nextAfterSeq;
    }
    return { session: session!, events };
  }

  sendTurn(sessionId: string, request: TurnRequest & { readonly stream: true }): Promise<TurnEventStream>;
  sendTurn(sessionId: string, request: TurnRequest & { readonly mode: 'background' }): Promise<TurnView>;
  sendTurn(sessionId: string, request: TurnRequest): Promise<TurnResult>;
  async sendTurn(sessionId: string, request: TurnRequest): Promise<TurnResult | TurnView | TurnEventStream> {
    const requestId = request.requestId ?? randomUUID();
    const call: Call = { method: 'POST', path: ['sessions', sessionId, 'turns'], body: { ...request, requestId } };
    if (request.stream) {
      const response = await this.withRetry(() => this.send(call), turnRetryable);
      return { requestId, [Symbol.asyncIterator]: () => turnEvents(response) };
    }
    const answer = await this.withRetry(() => this.json<TurnResult | { turn: TurnView }>(call), turnRetryable);
    return 'turn' in answer ? answer.turn : answer;
  }

  readTurn(sessionId: string, requestId: string): Promise<TurnView> {
    return this.json<{ turn: TurnView }>({ method: 'GET', path: ['sessions', sessionId, 'turns', requestId] }).then((answer) => answer.turn);
  }

  cancelTurn(sessionId: string, requestId: string, reason?: string): Promise<TurnView> {
    const call: Call = { method: 'POST', path: ['sessions', sessionId, 'turns', requestId, 'cancel'], body: reason === undefined ? {} : { reason } };
    return this.json<{ turn: TurnView }>(call).then((answer) => answer.turn);
  }

  decideApproval(sessionId: string, decision: ApprovalRequest): Promise<ApprovalAnswer> {
    return this.withRetry(() => this.json({ method: 'POST', path: ['sessions', sessionId, 'approvals'], body: decision }), approvalRetryable);
  }

  verify(sessionId: string): Promise<SessionVerification> {
    return this.json({ method: 'GET', path: ['sessions', sessionId, 'verify'] });
  }

  delete(sessionId: string): Promise<DeletedSession> {
    return this.json({ method: 'DELETE', path: ['sessions', sessionId] });
  }

  /**
   * `GET /sessions`: a page of the caller's own sessions, newest first. A
   * deployment from before the lists answers 403 MissingAuthenticationToken,
   * 404 or 405 (`error.routeMissing`).
   */
  listSessions(query: SessionListQuery = {}): Promise<SessionList> {
    return this.json({ method: 'GET', path: ['sessions'], query: { ...query } });
  }

  /** Every one of the caller's sessions, page by page. */
  async *allSessions(query: Omit<SessionListQuery, 'cursor'> = {}): AsyncGenerator<SessionListEntry> {
    for await (const page of this.pages((cursor) => this.listSessions({ ...query, cursor }))) yield* page.sessions;
  }

  /** `GET /approvals`: a page of the pending approvals the caller's role may decide, oldest first. */
  listApprovals(query: ApprovalListQuery = {}): Promise<ApprovalList> {
    return this.json({ method: 'GET', path: ['approvals'], query: { ...query } });
  }

  /** Every pending approval the caller may decide, page by page. */
  async *allApprovals(query: Omit<ApprovalListQuery, 'cursor'> = {}): AsyncGenerator<ApprovalListEntry> {
    for await (const page of this.pages((cursor) => this.listApprovals({ ...query, cursor }))) yield* page.approvals;
  }

  /** The caller's memory: every record the agents keep about it, newest first; `actor` (an export role only): another person's of the tenant. */
  listMemory(actor?: string): Promise<MemoryListing> {
    return this.json({ method: 'GET', path: ['memory'], query: { actor } });
  }

  /** Forgets one record of the caller's memory (404 when it holds none by that id). */
  forgetMemory(memoryId: string): Promise<{ readonly id: string; readonly forgotten: true }> {
    return this.json({ method: 'DELETE', path: ['memory', memoryId] });
  }

  /** Forgets every record of the caller's memory; returns how many there were. */
  forgetAllMemory(): Promise<{ readonly forgotten: number }> {
    return this.json({ method: 'DELETE', path: ['memory'] });
  }

  private async *pages<P extends { readonly cursor?: string }>(page: (cursor: string | undefined) => Promise<P>): AsyncGenerator<P> {
    let cursor: string | undefined;
    do {
      const next = await page(cursor);
      yield next;
      cursor = next.cursor;
    } while (cursor);
  }

  private async json<T>(call: Call): Promise<T> {
    const response = await this.send(call);
    return (await response.json()) as T;
  }

  /** Sends one signed request; an error status becomes a StatehouseApiError. */
  private async send(call: Call): Promise<Response> {
    const url = new URL(call.path.map(encodeURIComponent).join('/'), this.url);
    for (const [key, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const hasBody = call.body !== undefined;
    const response = await this.signedFetch(url, {
      method: call.method,
      headers: { ...this.headers, accept: 'application/json, text/event-stream', ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      body: hasBody ? JSON.stringify(call.body) : undefined,
    });
    if (!response.ok) throw await apiErrorOf(response);
    return response;
  }

  private async withRetry<T>(attempt: () => Promise<T>, retryable: Retryable): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        // fetch rejects with a TypeError when the connection fails: the request may or may not have arrived, which the requestId makes safe.
        const again = error instanceof StatehouseApiError ? retryable(error) : error instanceof TypeError;
        if (!again || tries >= this.retry.attempts) throw error;
        const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (tries - 1));
        await sleep(Math.random() * ceiling);
      }
    }
  }
}

/** The events of a turn's answer: server-sent while it streams, or the one result of an answer sent as JSON (a replayed request). */
async function* turnEvents(response: Response): AsyncGenerator<TurnStreamEvent> {
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
    yield { type: 'result', result: (await response.json()) as TurnResult };
    return;
  }
  for await (const { event, data } of serverSentEvents(response.body!)) {
    const parsed = JSON.parse(data);
    if (event === 'text') yield { type: 'text', round: parsed.round, text: parsed.text };
    else if (event === 'result') yield { type: 'result', result: parsed as TurnResult };
    else if (event === 'error') {
      // The stream opened with 200; what failed after that comes as its last event, and nothing of the turn was written.
      const { code, message, details } = parsed.error ?? {};
      throw new StatehouseApiError(response.status, String(code), String(message), details, response.headers.get('x-amzn-requestid') ?? undefined);
    }
  }
}
