/**
 * What `flexotwin local` shows while it runs: the start-up banner, and one status line — redrawn in
 * place on a terminal, printed as a plain line every so often otherwise — with event lines ([ALARM],
 * [FAULT], …) printed above it.
 */
import type { LocalRuntime, RuntimeStats } from './runtime.js';
import { isLoopback, shortPath } from './runtime.js';

const number = new Intl.NumberFormat('en-US');

/** `[STATUS] 6.0 msg/s · processed 1,234 · queue 6 · alarms 1 active · quarantined 0 · DLQ 0 · health C_FL104 81.4 …` */
export function formatStatus(stats: RuntimeStats): string {
  const q = stats.queue;
  const parts = [
    `${stats.ingestRate.toFixed(1)} msg/s`,
    `processed ${number.format(stats.processed)}`,
    `queue ${number.format(q.depth)}${q.delayed > 0 ? ` (${q.delayed} retrying)` : ''}`,
    `alarms ${stats.alarmsActive} active`,
    `quarantined ${number.format(stats.quarantined)}`,
    `DLQ ${number.format(q.deadLetters)}`,
  ];
  const health = stats.machines
    .filter((m) => m.health_index !== null)
    .map((m) => `${m.machine_id} ${(m.health_index as number).toFixed(1)}${m.active_alarms > 0 ? '!' : ''}`);
  if (health.length > 0) parts.push(`health ${health.join(' ')}`);
  return `[STATUS] ${parts.join(' · ')}`;
}

/** The banner printed once everything is up. */
export function formatBanner(
  runtime: LocalRuntime,
  options: {
    readonly dashboard: boolean /** Since the process started, when known. */;
    readonly processUptimeMs?: number;
  },
): string {
  const u = runtime.urls;
  const example = `curl ${u.api}/health/Main%20Drive%20Motor`;
  const rows: [string, string][] = [
    ['API', `${u.api}   (docs ${u.api}/docs, OpenAPI ${u.api}/openapi.json)`],
    ['Try', example],
    [
      'Dashboard',
      options.dashboard ? u.dashboard : `${u.dashboard}   (no dashboard installed yet: / answers 404)`,
    ],
    [
      'MQTT',
      `${u.mqtt}   ·   over WebSocket ${u.mqttWebSocket}${u.mqttWebSocketPort === undefined ? '' : `, ${u.mqttWebSocketPort}`}`,
    ],
    ['S3', `${u.s3}   (bucket ${runtime.config.RAW_BUCKET}; access key S3RVER, secret S3RVER)`],
    ['DynamoDB', `${u.dynamodb}   (region ${runtime.emulators.region}, any credentials)`],
    ['Data', shortPath(runtime.dataDir)],
    ['Logs', `${shortPath(runtime.dataDir)}/logs/flexotwin.log`],
    [
      'Started in',
      `${((runtime.readyAt - runtime.startedAt) / 1000).toFixed(1)} s${options.processUptimeMs === undefined ? '' : ` (${(options.processUptimeMs / 1000).toFixed(1)} s since the command started)`}`,
    ],
  ];
  if (!isLoopback(runtime.host)) {
    rows.push([
      'WARNING',
      `bound to ${runtime.host}: the API and MQTT are reachable from the network, unauthenticated`,
    ]);
  }
  const rule = '='.repeat(70);
  return [
    rule,
    'FlexoTwin is running on this machine (no AWS account involved)',
    rule,
    ...rows.map(([k, v]) => `  ${k.padEnd(11)} ${v}`),
    '',
    '  Ctrl-C stops it: the simulator stops, every queued message is processed, then it exits.',
    rule,
  ].join('\n');
}

export interface Console {
  /** Prints a line above the status line. */
  line(text: string): void;
  /** Starts showing the status (redrawn every second on a TTY, a plain line every `plainEveryMs` otherwise). */
  startStatus(render: () => string, plainEveryMs: number): void;
  stopStatus(): void;
}

export function createConsole(stream: NodeJS.WriteStream = process.stdout): Console {
  const tty = stream.isTTY === true;
  let render: (() => string) | undefined;
  let shown = false;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    if (render === undefined) return;
    // A pseudo-terminal without a size reports 0 columns.
    const width = Math.max(40, (stream.columns || 120) - 1);
    const text = render();
    stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    shown = true;
  };
  const clear = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    line(text) {
      if (tty) clear();
      stream.write(`${text}\n`);
      if (tty && timer !== undefined) draw();
    },
    startStatus(r, plainEveryMs) {
      render = r;
      if (tty) {
        draw();
        timer = setInterval(draw, 1000);
      } else {
        timer = setInterval(() => stream.write(`${r()}\n`), plainEveryMs);
      }
    },
    stopStatus() {
      clearInterval(timer);
      timer = undefined;
      if (tty) clear();
      render = undefined;
    },
  };
}
