/**
 * A small keep-alive HTTP(S) client for the benchmark, on node:http rather than fetch so that the
 * client's own overhead stays small and predictable, and a line-oriented watch reader.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import { nowMs } from "./stats.ts";

/** What an https client trusts and presents, as a kubeconfig's CA and client certificate. */
export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

/** Sends a request with node:http or node:https according to the URL's scheme. */
function send(
  base: URL,
  opts: RequestOptions,
  tls: ClientTls | undefined,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const target = { host: base.hostname, port: base.port, ...opts };
  if (base.protocol === "https:") return https.request({ ...target, ...tls }, onResponse);
  return http.request(target, onResponse);
}

/** A response read to the end. */
export interface HttpResponse {
  status: number;
  body: Buffer;
}

/** Thrown for a response whose status the caller did not expect. */
export class HttpStatusError extends Error {
  readonly status: number;
  constructor(method: string, path: string, status: number, body: Buffer) {
    super(`${method} ${path}: HTTP ${status}: ${body.toString("utf8").slice(0, 300)}`);
    this.status = status;
  }
}

/** Requests against one base URL over a pool of keep-alive connections. */
export class HttpClient {
  readonly #base: URL;
  readonly #agent: http.Agent;
  readonly #tls: ClientTls | undefined;

  constructor(baseUrl: string, maxSockets: number, tls?: ClientTls) {
    this.#base = new URL(baseUrl);
    this.#tls = tls;
    const opts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    this.#agent =
      this.#base.protocol === "https:" ? new https.Agent({ ...opts, ...tls }) : new http.Agent(opts);
  }

  /** Sends a request and reads the whole response; a body other than a Buffer is sent as JSON. */
  send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResponse> {
    const payload =
      body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = send(
        this.#base,
        {
          agent: this.#agent,
          method,
          path,
          headers: {
            Accept: "application/json",
            ...(payload ? { "Content-Type": "application/json", "Content-Length": payload.length } : {}),
            ...headers,
          },
        },
        this.#tls,
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Sends a request and parses the JSON response; any status other than expect throws. */
  async json(method: string, path: string, expect: number, body?: unknown): Promise<any> {
    const res = await this.send(method, path, body);
    if (res.status !== expect) throw new HttpStatusError(method, path, res.status, res.body);
    return JSON.parse(res.body.toString("utf8"));
  }

  /** Closes idle connections. */
  close(): void {
    this.#agent.destroy();
  }
}

/** One decoded watch event with the time its chunk arrived. */
export interface ArrivedEvent {
  /** Epoch milliseconds (nowMs) when the chunk carrying the event was read. */
  at: number;
  event: any;
}

/** An open HTTP watch stream. */
export interface HttpWatch {
  /** Resolves once the server answered 200 with the stream's headers (the watch is registered). */
  ready: Promise<void>;
  close(): void;
}

/**
 * Opens a watch (a GET whose response is newline-delimited JSON events) on its own connection,
 * as client-go does, and calls onEvent for each event.
 */
export function openWatch(
  baseUrl: string,
  path: string,
  tls: ClientTls | undefined,
  onEvent: (e: ArrivedEvent) => void,
): HttpWatch {
  const base = new URL(baseUrl);
  let req: ClientRequest | undefined;
  let closed = false;
  const ready = new Promise<void>((resolve, reject) => {
    req = send(
      base,
      { agent: false, method: "GET", path, headers: { Accept: "application/json" } },
      tls,
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        resolve();
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const at = nowMs();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) onEvent({ at, event: JSON.parse(line) });
          }
        });
        res.on("error", () => {});
      },
    );
    req.on("error", (err) => {
      if (!closed) reject(err);
    });
    req.end();
  });
  return {
    ready,
    close: () => {
      closed = true;
      req?.destroy();
    },
  };
}
