/** The run's table (stdout) and the rows that decide its exit code. */

export interface Row {
  label: string;
  value: number | string;
  /** a must-be-0 row: anything else fails the run */
  mustBeZero?: boolean;
  /** a bounded row: more than this (or no number) fails the run */
  max?: number;
  /** a row that must reach this (or no number) */
  min?: number;
  indent?: boolean;
}

export function failingRows(rows: Row[]): Row[] {
  return rows.filter(
    (r) =>
      (r.mustBeZero && r.value !== 0) ||
      (r.max !== undefined && (typeof r.value !== 'number' || r.value > r.max)) ||
      (r.min !== undefined && (typeof r.value !== 'number' || r.value < r.min)),
  );
}

export function printTable(title: string, rows: Row[]): void {
  const labels = rows.map((r) => `${r.indent ? '  ' : ''}${r.label}`);
  const width = Math.max(...labels.map((l) => l.length), title.length) + 2;
  const valueWidth = Math.max(...rows.map((r) => String(r.value).length), 5);
  const line = '─'.repeat(width + valueWidth + 12);
  console.log(line);
  console.log(title);
  console.log(line);
  rows.forEach((r, i) => {
    const failing = failingRows([r]).length > 0;
    const checked = r.mustBeZero || r.max !== undefined || r.min !== undefined;
    const mark = checked ? (failing ? '  FAIL' : '  ok') : '';
    const must = r.mustBeZero
      ? ' (must be 0)'
      : r.max !== undefined
        ? ` (must be ≤ ${r.max})`
        : r.min !== undefined
          ? ` (must be ≥ ${r.min})`
          : '';
    console.log(`${labels[i]!.padEnd(width)}${String(r.value).padStart(valueWidth)}${mark}${must}`);
  });
  console.log(line);
}
