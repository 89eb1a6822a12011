/**
 * Where a request landed, read from the answer of kemu's emulated apps:
 *
 * - echo, text: `pod=web-7d4b9-x2x9k namespace=default node=node-2 podIP=10.244.2.5
 *   client=10.244.1.7:51234 image=kemu/echo:1 container=app method=GET path=/hello`
 * - echo, JSON (`Accept: application/json`): the same keys in an object
 * - nginx stand-in, /linuxea.html: `linuxea-<pod>.com ▍ <container id> ▍version number 1.0`
 *   (names the pod but not the node)
 *
 * Anything else lands on pod "unknown", node "unknown".
 */

/** The pod and node name used when an answer does not say. */
export const UNKNOWN = "unknown";

/** Where one request landed. */
export interface Landing {
  pod: string;
  node: string;
  namespace?: string;
  podIP?: string;
  /** The client address the pod saw (ip:port), when the app reports it. */
  client?: string;
}

const ECHO_KEYS = new Set(["pod", "namespace", "node", "podIP", "client"]);

function fromRecord(r: Record<string, unknown>): Landing | undefined {
  if (typeof r["pod"] !== "string" || r["pod"] === "") return undefined;
  const landing: Landing = { pod: r["pod"], node: typeof r["node"] === "string" ? r["node"] : UNKNOWN };
  if (typeof r["namespace"] === "string") landing.namespace = r["namespace"];
  if (typeof r["podIP"] === "string") landing.podIP = r["podIP"];
  if (typeof r["client"] === "string") landing.client = r["client"];
  return landing;
}

/** Reads where a request landed from a response body; unknown bodies give pod and node "unknown". */
export function parseLanding(body: string): Landing {
  const text = body.trimStart();
  if (text.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object") {
        const landing = fromRecord(parsed as Record<string, unknown>);
        if (landing) return landing;
      }
    } catch {
      // Not JSON after all: fall through to the other forms.
    }
  }
  const firstLine = text.split("\n", 1)[0] ?? "";
  if (/(^|\s)pod=\S/.test(firstLine)) {
    const fields: Record<string, string> = {};
    for (const m of firstLine.matchAll(/(?:^|\s)(\w+)=(\S*)/g)) {
      if (ECHO_KEYS.has(m[1]!)) fields[m[1]!] = m[2]!;
    }
    const landing = fromRecord(fields);
    if (landing) return landing;
  }
  const nginx = /^linuxea-(\S+)\.com ▍/.exec(firstLine);
  if (nginx) return { pod: nginx[1]!, node: UNKNOWN };
  return { pod: UNKNOWN, node: UNKNOWN };
}
