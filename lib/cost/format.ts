import type { CostEstimate, CostLineItem } from './estimate';
import type { ResourceCostTable } from './resource-cost';
import type { UnitCost } from './unit-cost';

/** Plain-text table of one estimate, for a terminal or a report. */

const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

function unitPrice(l: CostLineItem): string {
  if (l.unitPriceUsd === undefined) return 'unknown';
  const per = l.unitSize === 1 ? l.unit : `${count(l.unitSize)} ${l.unit}`;
  return `$${l.unitPriceUsd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 10 })} / ${per}`;
}

const STATUS_MARK: Record<CostLineItem['status'], string> = { commercial: '', unconfirmed: ' *', unknown: ' ?' };

function table(rows: string[][], rightAligned: number[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (rightAligned.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

export function formatCostEstimate(title: string, estimate: CostEstimate, inputNotes: readonly string[] = []): string {
  const rows = [
    ['item', 'quantity / month', 'unit price', 'USD / month', 'source'],
    ...estimate.lineItems.map((l) => [
      l.item,
      `${count(l.quantity)} ${l.unit}`,
      unitPrice(l),
      l.monthlyUsd === undefined ? 'unknown' : `${usd(l.monthlyUsd)}${STATUS_MARK[l.status]}`,
      l.source,
    ]),
  ];
  const lines = [`Usage estimate, a month: ${title}`, ...table(rows, [1, 3])];
  const qualifiers = [estimate.unconfirmed ? 'GovCloud prices unconfirmed (*)' : '', estimate.complete ? '' : 'excludes items of unknown price (?)'].filter(Boolean);
  lines.push(`Usage total: ${usd(estimate.totalUsd)}${qualifiers.length ? ` (${qualifiers.join('; ')})` : ''}`);
  const token = estimate.costPerMillionOutputTokens;
  if (token) {
    const { atHighThroughput, atLowThroughput } = token.usdPerMillion;
    const tps = token.outputTokensPerSecond.low === token.outputTokensPerSecond.high ? `${token.outputTokensPerSecond.low}` : `${token.outputTokensPerSecond.low}-${token.outputTokensPerSecond.high}`;
    const cost = atHighThroughput === atLowThroughput ? usd(atHighThroughput) : `${usd(atHighThroughput)} to ${usd(atLowThroughput)}`;
    lines.push(
      `Cost per million output tokens: ${cost}${token.status === 'unconfirmed' ? ' *' : ''} (${token.model} on ${token.instanceType} at ${tps} tok/s, one instance at full load; ${token.source})`,
    );
  }
  lines.push(...[...inputNotes, ...estimate.notes].map((n) => `- ${n}`));
  return lines.join('\n');
}

const UNCONFIRMED_NOTE = 'GovCloud prices unconfirmed (*): the commercial figures of lib/cost/price-table.ts stand in; confirm with the AWS Pricing API or calculator';

/** Every resource type of the target's templates: its fixed monthly charge, or what it bills per use, or no charge, or UNPRICED. */
export function formatResourceCosts(title: string, costs: ResourceCostTable, stackNames: readonly string[]): string {
  const rows = [
    ['resource type', 'count', 'fixed quantity / month', 'USD / month', 'billed per use on, or why free', 'source'],
    ...costs.rows.map((r) => [
      r.type,
      `${r.count}`,
      r.fixed ? `${count(r.fixed.quantity)} ${r.fixed.unit}` : '-',
      r.fixed?.monthlyUsd === undefined ? (r.status === 'unpriced' ? 'UNPRICED' : '-') : `${usd(r.fixed.monthlyUsd)}${STATUS_MARK[r.fixed.status]}`,
      r.basis,
      r.source,
    ]),
  ];
  const lines = [`Statehouse fixed cost (every resource of the synthesized templates): ${title}`, `  stacks: ${stackNames.join(', ')}`, ...table(rows, [1, 3])];
  lines.push(`Fixed total: ${usd(costs.fixedMonthlyUsd)} / month, used or idle${costs.unconfirmed ? ' *' : ''}`);
  if (costs.unpriced.length > 0) lines.push(`UNPRICED resource types, in no total: ${costs.unpriced.join(', ')}`);
  if (costs.unconfirmed) lines.push(`- ${UNCONFIRMED_NOTE}.`);
  return lines.join('\n');
}

const perUnit = (n: number) => `$${n.toPrecision(3)}`;
const perThousand = (n: number | undefined) => (n === undefined ? 'unknown' : `$${(n * 1000).toFixed(4)}`);

/** One unit of work (a turn, a round, a delegated call): its cost, its parts per 1,000, its assumptions. */
export function formatUnitCost(title: string, unit: UnitCost): string {
  const head = unit.name.charAt(0).toUpperCase() + unit.name.slice(1);
  return [
    `${head}, ${title}: ${perUnit(unit.totalUsd)}${unit.unconfirmed ? ' *' : ''} (${perThousand(unit.totalUsd)} per 1,000), model tokens apart`,
    `  per 1,000: ${unit.lineItems.map((l) => `${l.item} ${perThousand(l.monthlyUsd)}`).join('; ')}`,
    `  assumes ${unit.assumptions}`,
  ].join('\n');
}

/**
 * The figures side by side: fixed a month, each unit of work, and the month:
 * fixed, the usage estimate, and the platform's per-use charges of its turns
 * (the one-turn figure's part the usage estimate does not hold).
 */
export function formatCostSummary(title: string, fixedMonthlyUsd: number, usage: CostEstimate, turnsPerMonth: number, units: readonly UnitCost[], turn: UnitCost): string {
  const mark = usage.unconfirmed ? ' *' : '';
  const platform = turnsPerMonth * turn.platformUsd;
  const month = fixedMonthlyUsd + usage.totalUsd + platform;
  return [
    `Summary, ${title}${mark ? ' (* GovCloud prices unconfirmed)' : ''}:`,
    `  fixed ${usd(fixedMonthlyUsd)} / month${mark}; ${units.map((u) => `${u.name} ${perUnit(u.totalUsd)}${mark}`).join('; ')}`,
    `  a month at ${turnsPerMonth.toLocaleString('en-US')} turns: fixed ${usd(fixedMonthlyUsd)} + usage ${usd(usage.totalUsd)} + platform per use ${usd(platform)} = ${usd(month)}${mark}`,
  ].join('\n');
}
