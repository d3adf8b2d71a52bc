import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../../lambda/core/domain/canonical-json';
import { genesisHash, sealEvents, verifyChain } from '../../../../lambda/core/domain/hash-chain';
import type { EventDraft, SessionEvent } from '../../../../lambda/core/domain/session-event';

const TIME = '2025-01-01T00:00:00.000Z';

function drafts(count: number): EventDraft[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    type: i % 2 === 0 ? 'user' : 'assistant',
    content: `message ${i + 1}`,
    tokens: 3,
    actor: i % 2 === 0 ? 'alice' : 'model',
    time: TIME,
  }));
}

describe('hash chain', () => {
  const anchor = genesisHash('agency-a', 's1');
  const chain = sealEvents(drafts(5), anchor);

  test('each event links to the hash before it, starting at the session genesis', () => {
    expect(chain[0].prevHash).toBe(anchor);
    for (let i = 1; i < chain.length; i++) expect(chain[i].prevHash).toBe(chain[i - 1].hash);
    expect(chain.every((event) => /^[0-9a-f]{64}$/.test(event.hash))).toBe(true);
  });

  test('an untouched chain verifies and reports its end', () => {
    expect(verifyChain(chain, anchor)).toEqual({ ok: true, lastSeq: 5, lastHash: chain[4].hash });
  });

  test('a later page verifies from the last verified hash', () => {
    expect(verifyChain(chain.slice(3), chain[2].hash)).toMatchObject({ ok: true, lastSeq: 5 });
  });

  test('changed content is caught at the changed event', () => {
    const tampered = chain.map((event) => (event.seq === 3 ? { ...event, content: 'edited' } : event));
    expect(verifyChain(tampered, anchor)).toEqual({ ok: false, brokenAtSeq: 3, reason: 'hash_mismatch' });
  });

  test('a changed actor or time is caught too', () => {
    const actor = chain.map((event) => (event.seq === 2 ? { ...event, actor: 'mallory' } : event));
    const time = chain.map((event) => (event.seq === 4 ? { ...event, time: '2030-01-01T00:00:00.000Z' } : event));
    expect(verifyChain(actor, anchor)).toMatchObject({ ok: false, brokenAtSeq: 2 });
    expect(verifyChain(time, anchor)).toMatchObject({ ok: false, brokenAtSeq: 4 });
  });

  test('a re-hashed edit still breaks the link of the next event', () => {
    const [edited] = sealEvents([{ ...drafts(5)[2], content: 'edited' }], chain[1].hash);
    const tampered = chain.map((event) => (event.seq === 3 ? edited : event));
    expect(verifyChain(tampered, anchor)).toEqual({ ok: false, brokenAtSeq: 4, reason: 'prev_hash_mismatch' });
  });

  test('a removed event is a gap', () => {
    const removed = chain.filter((event) => event.seq !== 3);
    expect(verifyChain(removed, anchor)).toEqual({ ok: false, brokenAtSeq: 4, reason: 'seq_gap' });
  });

  test('events copied from another session fail against that session genesis', () => {
    expect(verifyChain(chain, genesisHash('agency-a', 's2'))).toEqual({
      ok: false,
      brokenAtSeq: 1,
      reason: 'prev_hash_mismatch',
    });
  });

  test('where content is stored does not change the hash; missing content cannot be verified', () => {
    const inS3: SessionEvent[] = chain.map((event) => ({ ...event, s3Ref: `agency-a/s1/${event.seq}` }));
    expect(verifyChain(inS3, anchor)).toMatchObject({ ok: true });
    const unresolved = chain.map(({ content, ...rest }) => (rest.seq === 2 ? rest : { ...rest, content }));
    expect(verifyChain(unresolved, anchor)).toEqual({ ok: false, brokenAtSeq: 2, reason: 'content_unresolved' });
  });

  test('the same events hash the same whatever order their fields were read in', () => {
    const reordered = chain.map((event) => Object.fromEntries(Object.entries(event).reverse()) as unknown as SessionEvent);
    expect(verifyChain(reordered, anchor)).toMatchObject({ ok: true });
  });

  test('an event from before agents hashes as it always did, so old sessions still verify', () => {
    const [old] = chain;
    const { seq, type, content, tokens, actor, time, prevHash } = old;
    const before = createHash('sha256').update(prevHash + canonicalJson({ seq, type, content, tokens, actor, time, prevHash })).digest('hex');
    expect(old.hash).toBe(before);
  });

  test("the agent, its definition's version and the delegation depth are inside the hash", () => {
    const stamped = sealEvents(
      drafts(3).map((draft) => ({ ...draft, agent: 'intake', agentVersion: 'v1', ...(draft.seq === 2 ? { delegationDepth: 1 } : {}) })),
      anchor,
    );
    expect(verifyChain(stamped, anchor)).toMatchObject({ ok: true, lastSeq: 3 });
    for (const change of [{ agent: 'billing' }, { agentVersion: 'v2' }, { delegationDepth: 2 }, { delegationDepth: undefined }]) {
      const tampered = stamped.map((event) => (event.seq === 2 ? { ...event, ...change } : event));
      expect(verifyChain(tampered, anchor)).toEqual({ ok: false, brokenAtSeq: 2, reason: 'hash_mismatch' });
    }
  });
});
