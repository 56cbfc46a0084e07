// Issue 7's goals, restated by issue 18 (against the physical limit: `cat`, `node -e 0`), each a ratio (or a bound) on procinit's medians, and whether this run meets it.

/**
 * The rows the goals below compare procinit with, per scenario. In quick mode every other peer (a figure
 * for context: foreman, s6, tini, supervisord's throughput, ...) runs in the first repetition only; procinit
 * and its variants (--also-procinit, the JS bundle) run in all.
 */
const GOAL_ROWS = {
  session: ['supervisord', 'pm2-runtime', 'node-e0', 'node-idle'],
  throughput: ['procinit-raw', 'cat'],
  shutdown: ['floor'],
  restart: [],
};

/** Does row id of scenario run in repetition rep (0-based)? contextReps: how many a context-only row gets. */
export function runsInRep(scenario, id, rep, contextReps) {
  if (rep < contextReps || id === 'procinit' || id.startsWith('procinit@') || id.startsWith('procinit-raw@') || GOAL_ROWS[scenario].includes(id)) return true;
  return false;
}

function med(metrics, metricId, rowId) {
  const m = metrics.get(metricId);
  const s = m?.stat(rowId);
  return s ? s.median : null;
}

function naReason(metrics, metricId, rowId) {
  return metrics.get(metricId)?.rows.get(rowId)?.na ?? 'no measurement';
}

function ratioGoal(metrics, { id, goal, metric, ref, bound, higher = false, scenario, extraCheck, row = 'procinit', refMetric = metric }) {
  const p = med(metrics, metric, row);
  const r = med(metrics, refMetric, ref);
  if (p === null || r === null) {
    return { id, goal, scenario, met: null, measured: p === null ? naReason(metrics, metric, row) : naReason(metrics, refMetric, ref) };
  }
  const ratio = p / r;
  let met = higher ? ratio >= bound : ratio <= bound;
  let why = '';
  if (met && extraCheck) {
    const e = extraCheck();
    if (e) {
      met = false;
      why = `; ${e}`;
    }
  }
  const m = metrics.get(metric);
  const fmt = (v) => `${v.toLocaleString('en', { maximumFractionDigits: m.digits })} ${m.unit}`;
  return { id, goal, scenario, met, ratio, measured: `${fmt(p)} vs ${fmt(r)} → ${ratio.toFixed(ratio < 0.1 ? 3 : 2)}×${why}` };
}

export function evaluateGoals(metrics) {
  const goals = [];
  goals.push(ratioGoal(metrics, { id: 'start-supervisord', goal: 'Start ≤ 0.1× supervisord', metric: 'start', ref: 'supervisord', bound: 0.1, scenario: 'start' }));
  goals.push(ratioGoal(metrics, { id: 'start-node', goal: 'Start ≤ 1.5× a bare `node -e 0`', metric: 'start', ref: 'node-e0', bound: 1.5, scenario: 'start' }));
  goals.push(ratioGoal(metrics, { id: 'idle-pm2', goal: 'Idle RSS ≤ pm2-runtime', metric: 'idle', ref: 'pm2-runtime', bound: 1, scenario: 'idle' }));
  goals.push(ratioGoal(metrics, { id: 'idle-node', goal: 'Idle RSS ≤ 1.3× a bare idle `node`', metric: 'idle', ref: 'node-idle', bound: 1.3, scenario: 'idle' }));
  const whole = (rowId = 'procinit', ids = ['throughput', 'throughput-block']) => {
    for (const id of ids) {
      const row = metrics.get(id)?.rows.get(rowId);
      const bad = (row?.extra.verify ?? []).filter((v) => !/checksum ok/.test(v) || /broken|lost/.test(v));
      if (bad.length) return `procinit lost or broke lines${id.endsWith('block') ? ' (block writes)' : ''}: ${bad[0]}`;
    }
    return null;
  };
  // issue 18: `≥ 3× supervisord` was the wrong goal (supervisord copies chunks at `cat`'s speed): cat is the limit
  goals.push(ratioGoal(metrics, { id: 'tput-cat', goal: 'Prefixed lines (Procfile) ≥ 0.8× a raw pipe (`cat`), every line whole', metric: 'throughput', ref: 'cat', bound: 0.8, higher: true, scenario: 'throughput', extraCheck: whole }));
  goals.push(ratioGoal(metrics, { id: 'tput-raw-cat', goal: 'Raw passthrough (supervisord.conf, /dev/stdout) ≥ 0.9× a raw pipe (`cat`), whole lines from whole-line writers', metric: 'throughput', row: 'procinit-raw', ref: 'cat', bound: 0.9, higher: true, scenario: 'throughput', extraCheck: () => whole('procinit-raw', ['throughput']) }));

  const sd = metrics.get('shutdown')?.stat('procinit');
  goals.push(
    sd
      ? { id: 'shutdown', goal: 'Shutdown overhead ≤ 20 ms', scenario: 'shutdown', met: sd.median <= 20, measured: `${sd.median.toFixed(1)} ms (min ${sd.min.toFixed(1)}, max ${sd.max.toFixed(1)})` }
      : { id: 'shutdown', goal: 'Shutdown overhead ≤ 20 ms', scenario: 'shutdown', met: null, measured: naReason(metrics, 'shutdown', 'procinit') },
  );

  const reap = metrics.get('reaping');
  for (const rowId of ['procinit', 'procinit-procfile']) {
    const row = reap?.rows.get(rowId);
    const s = reap?.stat(rowId);
    const goal = `10 000 orphans reaped, none left, within 1 s (${row?.label ?? rowId})`;
    if (!s) goals.push({ id: `reap-${rowId}`, goal, scenario: 'reaping', met: null, measured: row?.na ?? 'no measurement' });
    else {
      const failures = reap.notesOf(row).filter((n) => /zombies left|only/.test(n));
      goals.push({ id: `reap-${rowId}`, goal, scenario: 'reaping', met: s.max <= 1000 && failures.length === 0, measured: `median ${s.median.toFixed(1)} ms, worst ${s.max.toFixed(1)} ms${failures.length ? `; ${failures[0]}` : ''}` });
    }
  }
  goals.push(ratioGoal(metrics, { id: 'control-node', goal: 'Status round trip ≤ 1.3× `node -e 0`', metric: 'control', ref: 'node-e0', bound: 1.3, scenario: 'control' }));
  goals.push(ratioGoal(metrics, { id: 'churn-load', goal: 'RSS under churn (crash loop + 4 floods + 100 `logs -f`) ≤ 1.3× idle', metric: 'churn-load', refMetric: 'churn-idle', ref: 'procinit', bound: 1.3, scenario: 'churn' }));
  goals.push(ratioGoal(metrics, { id: 'churn-after', goal: 'RSS a minute after the load stopped within 10 % of idle', metric: 'churn-after', refMetric: 'churn-idle', ref: 'procinit', bound: 1.1, scenario: 'churn' }));
  return goals;
}
