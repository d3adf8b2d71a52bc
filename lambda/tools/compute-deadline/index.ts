import { Logger } from '@aws-lambda-powertools/logger';
import { inputObject, parseToolTask, ToolFailedError } from '../tool-task';
import { addBusinessDays, CalendarDateError } from './federal-calendar';

/**
 * The `compute_deadline` tool: the date a number of US federal business days
 * after a start date. Pure computation; no AWS calls.
 */

// Created once per execution environment (Powertools' pattern).
const logger = new Logger();

export interface DeadlineInput {
  readonly startDate: string;
  readonly businessDays: number;
}

export interface DeadlineOutput {
  readonly startDate: string;
  readonly businessDays: number;
  readonly deadline: string;
  readonly holidaysSkipped: ReadonlyArray<{ readonly date: string; readonly name: string }>;
}

function parseInput(input: unknown): DeadlineInput {
  const { startDate, businessDays } = inputObject(input);
  if (typeof startDate !== 'string') throw new ToolFailedError('startDate must be an ISO date such as 2026-11-20');
  if (typeof businessDays !== 'number') throw new ToolFailedError('businessDays must be a whole number from 1 to 365');
  return { startDate, businessDays };
}

export const handler = async (event: unknown): Promise<DeadlineOutput> => {
  const task = parseToolTask(event, parseInput);
  logger.appendKeys({ tenant: task.tenant, session: task.session, toolCallId: task.toolCallId });
  try {
    const { deadline, holidaysSkipped } = addBusinessDays(task.input.startDate, task.input.businessDays);
    logger.info('deadline computed', { businessDays: task.input.businessDays });
    return { ...task.input, deadline, holidaysSkipped };
  } catch (error) {
    // Bad dates are the model's to fix: tell it what was wrong.
    if (error instanceof CalendarDateError) throw new ToolFailedError(error.message, { cause: error });
    throw error;
  } finally {
    logger.resetKeys();
  }
};
