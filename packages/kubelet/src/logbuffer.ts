/**
 * A container's stdout: a ring buffer of timestamped lines, read as `kubectl logs` reads a CRI
 * log file (tailLines, sinceSeconds/sinceTime, timestamps, limitBytes) and followed for -f.
 *
 * Limitations vs Kubernetes: the last `capacity` lines only (no log rotation files); no
 * separate stderr stream.
 */

/** One line and when it was written (ms since the epoch). */
export interface LogLine {
  at: number;
  text: string;
}

/** What to read, as PodLogOptions has it. */
export interface LogReadOptions {
  tailLines?: number;
  /** Only lines at or after this time (ms since the epoch). */
  sinceMs?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

/** RFC 3339 with nanoseconds, as the kubelet prints --timestamps. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000000Z`;
}

/** Formats lines for output. */
export function formatLines(lines: LogLine[], timestamps: boolean): string {
  let out = "";
  for (const l of lines) out += timestamps ? `${rfc3339Nano(l.at)} ${l.text}\n` : `${l.text}\n`;
  return out;
}

/** Cuts s to at most limit bytes of UTF-8. */
export function limitBytes(s: string, limit: number | undefined): string {
  if (limit === undefined) return s;
  const b = Buffer.from(s);
  return b.length <= limit ? s : b.subarray(0, limit).toString();
}

/** The log of one container instance. */
export class LogBuffer {
  readonly capacity: number;
  readonly #now: () => number;
  #lines: LogLine[] = [];
  #start = 0;
  readonly #followers = new Set<{ line(l: LogLine): void; end(): void }>();
  #closed = false;

  constructor(capacity: number, now: () => number) {
    this.capacity = capacity;
    this.#now = now;
  }

  /** Appends one line (a trailing newline is dropped; embedded ones split it). */
  write(text: string): void {
    if (this.#closed) return;
    const at = this.#now();
    for (const t of text.replace(/\n$/, "").split("\n")) {
      const l = { at, text: t };
      if (this.#lines.length < this.capacity) this.#lines.push(l);
      else {
        this.#lines[this.#start] = l;
        this.#start = (this.#start + 1) % this.capacity;
      }
      for (const f of this.#followers) f.line(l);
    }
  }

  /** All lines, oldest first. */
  lines(): LogLine[] {
    return [...this.#lines.slice(this.#start), ...this.#lines.slice(0, this.#start)];
  }

  /** The lines an options set selects, oldest first. */
  select(opts: LogReadOptions): LogLine[] {
    let lines = this.lines();
    if (opts.sinceMs !== undefined) lines = lines.filter((l) => l.at >= opts.sinceMs!);
    if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
    return lines;
  }

  /** Reads as `kubectl logs` without -f. */
  read(opts: LogReadOptions = {}): string {
    return limitBytes(formatLines(this.select(opts), opts.timestamps ?? false), opts.limitBytes);
  }

  /** Whether the instance has stopped (no more lines). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls line for each new line until the instance stops (end) or the returned stop is called. */
  follow(line: (l: LogLine) => void, end: () => void): () => void {
    if (this.#closed) {
      end();
      return () => {};
    }
    const f = { line, end };
    this.#followers.add(f);
    return () => this.#followers.delete(f);
  }

  /** Marks the instance stopped: followers end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const f of this.#followers) f.end();
    this.#followers.clear();
  }
}
