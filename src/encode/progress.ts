/**
 * A progress bar on stderr: `label [#####.....] 45/90 12.3 items/s ETA 4s`. On a terminal it
 * redraws one line (at most every 100 ms); otherwise (logs, CI, tests) it prints a line at
 * most every 10 s and a final line, so logs stay short. Never writes to stdout.
 */
export interface ProgressOptions {
  /** Default: true. */
  readonly enabled?: boolean;
  /** Unit name shown after the rate (default "items"). */
  readonly unit?: string;
  /** Format amounts and the rate (default: integers and "<rate> <unit>/s"; e.g. bytes → MB). */
  readonly format?: (n: number) => string;
  readonly stream?: NodeJS.WriteStream;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private lastDraw = this.start;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private finished = false;

  constructor(
    readonly label: string,
    readonly total: number,
    private readonly opts: ProgressOptions = {},
  ) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.enabled = opts.enabled ?? true;
  }

  /** The status line for `done` of `total` after `seconds`. */
  static line(label: string, done: number, total: number, seconds: number, unit = 'items', format?: (n: number) => string): string {
    const amount = format ?? ((n: number) => String(Math.round(n)));
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 20;
    const filled = Math.round(frac * width);
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    // With a custom amount format (e.g. bytes → MB) the rate is shown in that format too.
    const rateText = format ? `${format(rate)}/s` : `${rate >= 100 ? rate.toFixed(0) : rate.toFixed(1)} ${unit}/s`;
    const tail = done >= total ? `in ${fmtTime(seconds)}` : `ETA ${fmtTime(eta)}`;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${amount(done)}/${amount(total)} ${rateText} ${tail}`;
  }

  tick(n = 1): void {
    this.done += n;
    if (!this.enabled || this.finished) return;
    const now = performance.now();
    const interval = this.tty ? 100 : 10_000;
    if (now - this.lastDraw >= interval && this.done < this.total) {
      this.lastDraw = now;
      this.draw(false);
    }
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.enabled && this.total > 0) this.draw(true);
  }

  private draw(final: boolean): void {
    const text = Progress.line(this.label, this.done, this.total, (performance.now() - this.start) / 1000, this.opts.unit, this.opts.format);
    if (this.tty) this.stream.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else this.stream.write(`${text}\n`);
  }
}
