import {
  BudgetExceededError,
  ForbiddenError,
  ModelError,
  PayloadTooLargeError,
  SessionAwaitingError,
  SessionBusyError,
  SessionExistsError,
  SessionNotFoundError,
  StatehouseError,
  ValidationError,
} from '../../../../lambda/core/domain/errors';

describe('typed errors', () => {
  test.each<[StatehouseError, number, string]>([
    [new ValidationError('message', 'is empty'), 400, 'ValidationError'],
    [new ForbiddenError('not the owner'), 403, 'Forbidden'],
    [new SessionNotFoundError('t', 's'), 404, 'SessionNotFound'],
    [new SessionExistsError('t', 's'), 409, 'SessionExists'],
    [new SessionBusyError(3, 4), 409, 'SessionBusy'],
    [new SessionAwaitingError('awaiting_tool'), 409, 'SessionAwaiting'],
    [new PayloadTooLargeError('message', 2, 1), 413, 'PayloadTooLarge'],
    [new BudgetExceededError(1, 2, 2), 429, 'BudgetExceeded'],
    [new ModelError('backend down'), 502, 'ModelError'],
  ])('%s maps to %i %s', (error, httpStatus, code) => {
    expect(error).toBeInstanceOf(StatehouseError);
    expect(error).toBeInstanceOf(Error);
    expect(error.httpStatus).toBe(httpStatus);
    expect(error.code).toBe(code);
    expect(error.name).toBe(error.constructor.name);
  });

  test('SessionBusy carries the version the loser read and the one that won', () => {
    expect(new SessionBusyError(3, 4)).toMatchObject({ seenVersion: 3, currentVersion: 4 });
  });
});
