import type { ChatMessage, ModelBackend, ModelReply } from '../ports/model-backend';
import type { EventPage, SessionRepository } from '../ports/session-repository';
import { ModelError, SessionNotFoundError, StatehouseError } from './errors';
import type { SessionEvent } from './session-event';
import type { SessionHeader } from './session-header';
import { estimateTokens } from './token-estimate';

/**
 * What the stream-driven steps (the summarizer, memory extraction) share:
 * the session's header read without its events, a stretch of events read
 * within a token budget, and the model asked with its failure typed.
 */

const PAGE_SIZE = 100;

/** The session's header, or undefined when it was deleted since the event that woke the step. */
export async function currentHeader(sessions: SessionRepository, tenant: string, session: string): Promise<SessionHeader | undefined> {
  try {
    return (await sessions.load(tenant, session, 0)).header;
  } catch (error) {
    if (error instanceof SessionNotFoundError) return undefined;
    throw error;
  }
}

/** Events after `afterSeq` up to `upToSeq`, oldest first, as many as fit `maxTokens` (always at least one). */
export async function eventStretch(
  sessions: SessionRepository,
  tenant: string,
  session: string,
  afterSeq: number,
  upToSeq: number,
  maxTokens: number,
): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  let spent = 0;
  let cursor: number | undefined = afterSeq;
  while (cursor !== undefined && cursor < upToSeq) {
    const page: EventPage<SessionEvent> = await sessions.readEvents(tenant, session, {
      afterSeq: cursor,
      limit: Math.min(PAGE_SIZE, upToSeq - cursor),
      resolvePayloads: true,
    });
    for (const event of page.events) {
      if (event.seq > upToSeq) return events;
      const cost = estimateTokens(event.content);
      if (events.length > 0 && spent + cost > maxTokens) return events;
      spent += cost;
      events.push(event);
    }
    cursor = page.nextAfterSeq;
  }
  if (events.length === 0) throw new Error(`session ${session} has no events after ${afterSeq} up to ${upToSeq}`);
  return events;
}

/** One model call of a step; a failure that is not already typed becomes a ModelError saying `while`. */
export async function askModel(model: ModelBackend, messages: readonly ChatMessage[], while_: string): Promise<ModelReply> {
  try {
    return await model.chat(messages);
  } catch (error) {
    if (error instanceof StatehouseError) throw error;
    throw new ModelError(`model backend failed while ${while_}`, { cause: error });
  }
}
