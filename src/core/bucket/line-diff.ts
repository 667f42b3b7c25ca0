/** A line diff (longest common subsequence) shown as unified-diff hunks: small texts such as policies. */

export interface DiffLine {
  op: ' ' | '-' | '+';
  line: string;
}

/** Every line of `before` and `after`, each kept, removed or added. */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  // lcs[i][j]: the longest common subsequence of before[i..] and after[j..]
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] =
        before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push({ op: ' ', line: before[i++]! });
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push({ op: '+', line: after[j++]! });
    } else {
      out.push({ op: '-', line: before[i++]! });
    }
  }
  // removals before additions within a change, as diff -u shows them
  for (let k = 1; k < out.length; k++) {
    let x = k;
    while (x > 0 && out[x]!.op === '-' && out[x - 1]!.op === '+') {
      [out[x - 1], out[x]] = [out[x]!, out[x - 1]!];
      x--;
    }
  }
  return out;
}

/** Unified-diff hunks (`@@ -a,b +c,d @@` then ` `/`-`/`+` lines) with `context` lines around changes. */
export function unifiedHunks(lines: readonly DiffLine[], context = 3): string[] {
  const changed = lines.flatMap((l, k) => (l.op === ' ' ? [] : [k]));
  if (changed.length === 0) return [];
  // group changes whose context windows touch
  const groups: Array<[number, number]> = [];
  for (const k of changed) {
    const from = Math.max(0, k - context);
    const to = Math.min(lines.length - 1, k + context);
    const last = groups.at(-1);
    if (last && from <= last[1] + 1) last[1] = to;
    else groups.push([from, to]);
  }
  const out: string[] = [];
  for (const [from, to] of groups) {
    let oldStart = 1;
    let newStart = 1;
    for (let k = 0; k < from; k++) {
      if (lines[k]!.op !== '+') oldStart++;
      if (lines[k]!.op !== '-') newStart++;
    }
    const body = lines.slice(from, to + 1);
    const oldCount = body.filter((l) => l.op !== '+').length;
    const newCount = body.filter((l) => l.op !== '-').length;
    // diff -u numbers an empty side from the line before it
    out.push(
      `@@ -${oldCount ? oldStart : oldStart - 1},${oldCount} +${newCount ? newStart : newStart - 1},${newCount} @@`,
    );
    for (const l of body) out.push(`${l.op}${l.line}`);
  }
  return out;
}
