import type { CostEstimate, CostLineItem } from './estimate';

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
  const lines = [`Statehouse monthly cost estimate: ${title}`, ...table(rows, [1, 3])];
  const qualifiers = [estimate.unconfirmed ? 'GovCloud prices unconfirmed (*)' : '', estimate.complete ? '' : 'excludes items of unknown price (?)'].filter(Boolean);
  lines.push(`Total: ${usd(estimate.totalUsd)}${qualifiers.length ? ` (${qualifiers.join('; ')})` : ''}`);
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
