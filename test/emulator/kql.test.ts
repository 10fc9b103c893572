import { describe, expect, it } from 'vitest';
import { KqlError } from '../../src/harness/emulator/kql/errors';
import { DateTimeValue, evaluate, nearestRank, type Row, type Table } from '../../src/harness/emulator/kql/evaluator';
import { parseQuery } from '../../src/harness/emulator/kql/parser';

const T0 = Date.parse('2026-11-23T10:00:00Z');

function table(): Table {
  const rows: Row[] = [
    { TimeGenerated: new DateTimeValue(T0), DeploymentName: 'blue', ResponseCode: 200, TotalDurationMs: 40, UserAgent: 'curl/8.0' },
    {
      TimeGenerated: new DateTimeValue(T0 + 30_000),
      DeploymentName: 'blue',
      ResponseCode: 500,
      TotalDurationMs: 90,
      UserAgent: 'python-requests/2.31',
    },
    {
      TimeGenerated: new DateTimeValue(T0 + 61_000),
      DeploymentName: 'green',
      ResponseCode: 200,
      TotalDurationMs: 45,
      UserAgent: 'Load Tester',
    },
    {
      TimeGenerated: new DateTimeValue(T0 + 62_000),
      DeploymentName: 'green',
      ResponseCode: 503,
      TotalDurationMs: 7,
      UserAgent: 'load-tester',
    },
    {
      TimeGenerated: new DateTimeValue(T0 + 125_000),
      DeploymentName: 'blue',
      ResponseCode: 200,
      TotalDurationMs: 41,
      UserAgent: null as unknown as string,
    },
  ];
  return {
    columns: [
      { name: 'TimeGenerated', type: 'datetime' },
      { name: 'DeploymentName', type: 'string' },
      { name: 'ResponseCode', type: 'int' },
      { name: 'TotalDurationMs', type: 'int' },
      { name: 'UserAgent', type: 'string' },
    ],
    rows,
  };
}

const run = (kql: string): Table => evaluate(parseQuery(kql), table(), { nowMs: T0 + 10 * 60_000 });
const plain = (t: Table): unknown[] =>
  t.rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof DateTimeValue ? new Date(v.ms).toISOString() : v])),
  );

describe('KQL subset: semantics', () => {
  it('filters with where, comparison, and/or/not, in, !in, between', () => {
    expect(run('T | where ResponseCode >= 500').rows).toHaveLength(2);
    expect(run('T | where DeploymentName == "blue" and ResponseCode == 200').rows).toHaveLength(2);
    expect(run('T | where DeploymentName == "green" or TotalDurationMs > 80').rows).toHaveLength(3);
    expect(run('T | where not(DeploymentName == "blue")').rows).toHaveLength(2);
    expect(run('T | where DeploymentName in ("green", "red")').rows).toHaveLength(2);
    expect(run('T | where DeploymentName !in ("green")').rows).toHaveLength(3);
    expect(run('T | where TotalDurationMs between (40 .. 45)').rows).toHaveLength(3);
    expect(run('T | where TimeGenerated between (datetime(2026-11-23T10:00:30Z) .. datetime(2026-11-23T10:01:01.000Z))').rows).toHaveLength(
      2,
    );
    expect(
      run('T | where TimeGenerated >= datetime(2026-11-23T10:01:00Z) and TimeGenerated < datetime(2026-11-23T10:02:00Z)').rows,
    ).toHaveLength(2);
  });

  it('compares strings: == is case-sensitive, =~ is not; has, contains, startswith', () => {
    expect(run('T | where DeploymentName == "BLUE"').rows).toHaveLength(0);
    expect(run('T | where DeploymentName =~ "BLUE"').rows).toHaveLength(3);
    expect(run('T | where UserAgent has "tester"').rows.map((r) => r['UserAgent'])).toEqual(['Load Tester', 'load-tester']);
    expect(run('T | where UserAgent has "test"').rows).toHaveLength(0); // whole terms only
    expect(run('T | where UserAgent contains "TEST"').rows).toHaveLength(2);
    expect(run('T | where UserAgent startswith "PYTHON"').rows).toHaveLength(1);
    expect(run('T | where isnotempty(UserAgent)').rows).toHaveLength(4);
    expect(run('T | where isnull(UserAgent)').rows).toHaveLength(1);
  });

  it('decodes string escapes', () => {
    const t = run('T | take 1 | project s = "a\\"b\\\\c"');
    expect(t.rows[0]?.['s']).toBe('a"b\\c');
  });

  it('keeps integer division integer, and real when one side is real', () => {
    const t = run(
      'T | take 1 | project a = 7 / 2, b = 7.0 / 2, c = todouble(7) / 2, d = toint(7.9), e = tolong(-7.9), f = 2 + 3 * 4, g = (2 + 3) * 4, h = 7 % 4',
    );
    expect(t.rows[0]).toEqual({ a: 3, b: 3.5, c: 3.5, d: 7, e: -7, f: 14, g: 20, h: 3 });
    expect(t.columns.map((c) => c.type)).toEqual(['long', 'real', 'real', 'int', 'long', 'long', 'long', 'long']);
  });

  it('extends, projects, iff', () => {
    const t = run(
      'T | extend isError = iff(ResponseCode >= 500, 1, 0), slow = TotalDurationMs > 50 | project DeploymentName, isError, slow',
    );
    expect(t.columns.map((c) => c.name)).toEqual(['DeploymentName', 'isError', 'slow']);
    expect(t.rows.map((r) => r['isError'])).toEqual([0, 1, 0, 1, 0]);
    expect(t.rows.map((r) => r['slow'])).toEqual([false, true, false, false, false]);
  });

  it('summarizes with every aggregation and default column names', () => {
    const t = run(
      'T | summarize count(), countif(ResponseCode >= 500), sum(TotalDurationMs), sumif(TotalDurationMs, ResponseCode == 200), avg(TotalDurationMs), avgif(TotalDurationMs, ResponseCode == 200), min(TotalDurationMs), max(TotalDurationMs), percentile(TotalDurationMs, 50), percentiles(TotalDurationMs, 5, 95), dcount(UserAgent), make_list(TotalDurationMs, 2) by DeploymentName',
    );
    expect(t.columns.map((c) => c.name)).toEqual([
      'DeploymentName',
      'count_',
      'countif_',
      'sum_TotalDurationMs',
      'sumif_TotalDurationMs',
      'avg_TotalDurationMs',
      'avgif_TotalDurationMs',
      'min_TotalDurationMs',
      'max_TotalDurationMs',
      'percentile_TotalDurationMs_50',
      'percentile_TotalDurationMs_5',
      'percentile_TotalDurationMs_95',
      'dcount_UserAgent',
      'list_TotalDurationMs',
    ]);
    expect(t.rows[0]).toEqual({
      DeploymentName: 'blue',
      count_: 3,
      countif_: 1,
      sum_TotalDurationMs: 171,
      sumif_TotalDurationMs: 81,
      avg_TotalDurationMs: 57,
      avgif_TotalDurationMs: 40.5,
      min_TotalDurationMs: 40,
      max_TotalDurationMs: 90,
      percentile_TotalDurationMs_50: 41,
      percentile_TotalDurationMs_5: 40,
      percentile_TotalDurationMs_95: 90,
      dcount_UserAgent: 2,
      list_TotalDurationMs: [40, 90],
    });
  });

  it('summarizes expressions over aggregates and groups by bin()', () => {
    const t = run(
      'T | summarize requests = count(), errorPct = 100.0 * countif(ResponseCode >= 500) / count() by bin(TimeGenerated, 1m) | order by TimeGenerated asc',
    );
    expect(plain(t)).toEqual([
      { TimeGenerated: '2026-11-23T10:00:00.000Z', requests: 2, errorPct: 50 },
      { TimeGenerated: '2026-11-23T10:01:00.000Z', requests: 2, errorPct: 50 },
      { TimeGenerated: '2026-11-23T10:02:00.000Z', requests: 1, errorPct: 0 },
    ]);
  });

  it('returns one row from summarize without by over no rows', () => {
    const t = run('T | where ResponseCode == 418 | summarize n = count(), a = avg(TotalDurationMs), p = percentile(TotalDurationMs, 95)');
    expect(t.rows).toEqual([{ n: 0, a: null, p: null }]);
    expect(run('T | where ResponseCode == 418 | summarize n = count() by DeploymentName').rows).toEqual([]);
  });

  it('sorts descending by default, asc on request, with take/limit', () => {
    expect(run('T | order by TotalDurationMs | take 2').rows.map((r) => r['TotalDurationMs'])).toEqual([90, 45]);
    expect(run('T | sort by TotalDurationMs asc | limit 2').rows.map((r) => r['TotalDurationMs'])).toEqual([7, 40]);
    expect(run('T | order by DeploymentName asc, TotalDurationMs desc').rows.map((r) => r['TotalDurationMs'])).toEqual([90, 41, 40, 45, 7]);
    expect(run('T | order by UserAgent asc').rows[0]?.['UserAgent']).toBeNull(); // nulls first when ascending
  });

  it('knows timespan literals and ago()', () => {
    expect(run('T | where TimeGenerated > ago(9m)').rows).toHaveLength(3); // now = T0+10m: after T0+1m
    expect(run('T | where TimeGenerated >= datetime(2026-11-23T10:00:00Z) + 1m + 30s').rows).toHaveLength(1);
  });

  it('uses nearest-rank percentiles', () => {
    expect(nearestRank([1, 2, 3, 4], 50)).toBe(2);
    expect(nearestRank([1, 2, 3, 4], 51)).toBe(3);
    expect(nearestRank([1, 2, 3, 4], 0)).toBe(1);
    expect(nearestRank([1, 2, 3, 4], 100)).toBe(4);
    expect(nearestRank([], 50)).toBeNull();
  });
});

describe('KQL subset: errors name what is unsupported', () => {
  it.each([
    ['T | join (T) on DeploymentName', "Unsupported operator 'join'"],
    ['T | mv-expand x', "Unsupported operator 'mv-expand'"],
    ['T | render timechart', "Unsupported operator 'render'"],
    ['T | where UserAgent matches regex "x"', "Unsupported operator 'matches'"],
    ['T | extend x = parse_json(UserAgent)', "Unsupported function 'parse_json'"],
    ['T | summarize stdev(TotalDurationMs)', "Unsupported function 'stdev'"],
    ['let x = 1; T', "Unsupported operator 'let'"],
  ])('%s', (kql, message) => {
    expect(() => run(kql)).toThrow(KqlError);
    expect(() => run(kql)).toThrow(message);
  });

  it('reports syntax and unknown columns', () => {
    expect(() => run('T | where (ResponseCode > 1')).toThrow(/expected '\)'/);
    expect(() => run('T | where Nope == 1')).toThrow("Failed to resolve scalar expression named 'Nope'");
    expect(() => run('T | where "unterminated')).toThrow(/unterminated string/);
  });
});
