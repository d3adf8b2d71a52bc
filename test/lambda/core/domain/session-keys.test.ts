import { ValidationError } from '../../../../lambda/core/domain/errors';
import {
  eventPayloadKey,
  eventSk,
  HEADER_SK,
  MAX_SEQ,
  sessionPayloadPrefix,
  sessionPk,
} from '../../../../lambda/core/domain/session-keys';

describe('session keys', () => {
  test('the partition key names tenant and session', () => {
    expect(sessionPk('agency-a', 'chat.42')).toBe('T#agency-a#S#chat.42');
  });

  test('event sort keys are zero-padded to 10 digits', () => {
    expect(eventSk(7)).toBe('E#0000000007');
    expect(eventSk(MAX_SEQ)).toBe('E#9999999999');
  });

  test('string order of sort keys is numeric order, and the header sorts after every event', () => {
    const keys = [eventSk(10), HEADER_SK, eventSk(9), eventSk(100), eventSk(MAX_SEQ)];
    expect([...keys].sort()).toEqual([eventSk(9), eventSk(10), eventSk(100), eventSk(MAX_SEQ), HEADER_SK]);
  });

  test.each([
    ['empty', ''],
    ['the key separator', 'a#b'],
    ['the S3 separator', 'a/b'],
    ['a space', 'a b'],
    ['a leading dot', '.hidden'],
    ['non-ASCII', 'agencé'],
  ])('a tenant id with %s is a ValidationError', (_case, tenant) => {
    expect(() => sessionPk(tenant, 's1')).toThrow(ValidationError);
  });

  test('ids longer than their limit are refused with the limit in the message', () => {
    expect(() => sessionPk('t'.repeat(65), 's')).toThrow(/limit is 64/);
    expect(() => sessionPk('t', 's'.repeat(129))).toThrow(/limit is 128/);
    expect(sessionPk('t'.repeat(64), 's'.repeat(128))).toHaveLength(2 + 64 + 3 + 128);
  });

  test.each([-1, 1.5, MAX_SEQ + 1, Number.NaN])('seq %p is a ValidationError', (seq) => {
    expect(() => eventSk(seq)).toThrow(ValidationError);
  });

  test('payload keys live under the session prefix, and prefixes of different sessions never nest', () => {
    const key = eventPayloadKey('agency-a', 's1', 3, 'ab12');
    expect(key).toBe('agency-a/s1/0000000003-ab12');
    expect(key.startsWith(sessionPayloadPrefix('agency-a', 's1'))).toBe(true);
    expect(sessionPayloadPrefix('agency-a', 's10').startsWith(sessionPayloadPrefix('agency-a', 's1'))).toBe(false);
  });

  test('validation errors carry status 400 and the field name', () => {
    try {
      sessionPk('ok', 'bad#id');
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ httpStatus: 400, code: 'ValidationError', field: 'session' });
    }
  });
});
