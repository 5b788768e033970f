/**
 * `mllmshift monitor CONFIG.yaml` (or `--demo`): watch a deployed MLLM over its logged traffic.
 * stdout carries one JSON line per alert raised in this invocation (and, with --json, a final
 * summary line); progress goes to stderr. Exit codes: 0 no new alert, 3 at least one new
 * alert, 1 a failure while running (a reference endpoint or the webhook failed), 2 bad input.
 */
import type { Command } from 'commander';
import { runAction } from './run-action.js';
import { parseNonNegativeInt } from './options.js';
import { UsageError } from '../errors.js';

/** Exit code when a window analysed in this invocation raised an alert. */
export const ALERT_EXIT_CODE = 3;

export function register(program: Command): void {
  program
    .command('monitor')
    .description('watch a deployed MLLM over logged traffic: EMI, EMID and its bound per window, alerts with a controlled false-alarm rate, a dashboard')
    .argument('[config]', 'monitor configuration (YAML); see docs/monitoring.md')
    .option('--demo', 'run a SIMULATED deployment end to end (offline, 127.0.0.1 simulators)')
    .option('--out <dir>', 'output folder for --demo', 'mllmshift-monitor-demo')
    .option('--seed <n>', 'random seed for --demo', '0')
    .option('--json', 'print a summary JSON line on stdout at the end')
    .action(
      runAction(async (config: string | undefined, opts: { demo?: boolean; out: string; seed: string; json?: boolean }) => {
        if (opts.demo === true && config !== undefined) throw new UsageError('monitor: give a CONFIG or --demo, not both');
        if (opts.demo !== true && config === undefined) throw new UsageError('monitor: missing CONFIG (a monitor configuration YAML), or use --demo');
        const { renderDashboardHtml } = await import('../monitor/dashboard.js');
        const onAlert = (a: unknown): void => { process.stdout.write(`${JSON.stringify({ alert: a })}\n`); };
        const t0 = performance.now();
        if (opts.demo === true) {
          const { runMonitorDemo, MONITOR_DEMO_NOTICE } = await import('../monitor/demo.js');
          const r = await runMonitorDemo({ outDir: opts.out, seed: parseNonNegativeInt(opts.seed, '--seed'), onAlert, renderDashboard: renderDashboardHtml });
          const s = r.score;
          const lines = [
            '', MONITOR_DEMO_NOTICE, '',
            `stationary windows ${s.phases.stationary}–${s.phases.gradual - 1}: ${s.stationaryAlarms} false alarm${s.stationaryAlarms === 1 ? '' : 's'}`,
            `gradual shift from window ${s.phases.gradual}: first alert at ${s.gradualAlert ?? 'none'}; the bound reached the midpoint of its rise at ${s.gradualMidpoint ?? 'never'}`,
            `sudden shift at window ${s.phases.sudden}: ${s.suddenDelay === null ? 'not alerted' : `alerted ${s.suddenDelay} window${s.suddenDelay === 1 ? '' : 's'} after it began`}`,
            `finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
            `dashboard: ${r.monitor.dashboardPath}`,
          ];
          process.stderr.write(`${lines.join('\n')}\n`);
          if (opts.json) process.stdout.write(`${JSON.stringify({ summary: { score: s, dashboard: r.monitor.dashboardPath, windows: r.monitor.windows.length } })}\n`);
          return;
        }
        const { loadMonitorConfig } = await import('../monitor/config.js');
        const { runMonitor } = await import('../monitor/monitor.js');
        const m = await runMonitor(loadMonitorConfig(config!), { onAlert, renderDashboard: renderDashboardHtml });
        const monitored = m.windows.filter((w) => w.role === 'monitored').length;
        process.stderr.write(`[monitor] ${m.ingest.records} requests read (${m.ingest.malformed} malformed, ${Object.values(m.ingest.skipped).reduce((x, y) => x + y, 0)} skipped); ${monitored} monitored windows (${m.analysedNow} analysed now), ${m.alertsNow.length} new alert${m.alertsNow.length === 1 ? '' : 's'}; dashboard: ${m.dashboardPath}\n`);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ summary: { windows: m.windows.length, monitored, analysedNow: m.analysedNow, alerts: m.alertsNow.length, malformed: m.ingest.malformed, skipped: m.ingest.skipped, records: m.ingest.records, dashboard: m.dashboardPath } })}\n`);
        }
        if (m.webhookFailures > 0) {
          process.stderr.write(`mllmshift: ${m.webhookFailures} alert${m.webhookFailures === 1 ? '' : 's'} could not be delivered to the webhook\n`);
          process.exitCode = 1;
        } else if (m.alertsNow.length > 0) process.exitCode = ALERT_EXIT_CODE;
      }),
    );
}
