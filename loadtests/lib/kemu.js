// Helpers shared by the kemu k6 scripts: settings from __ENV and reading where a request landed
// from the answer of kemu's emulated apps. Plain k6 JavaScript: no Node APIs, and no optional
// chaining or nullish coalescing, so that older k6 runtimes take it too. The Node runner's
// equivalent is packages/load/src/landing.ts; keep the two in step.

/** "host:port,host:port" from K6_TARGETS, as a list of "host:port" strings. */
export function targetsFromEnv() {
  const spec = __ENV.K6_TARGETS || "";
  const targets = spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (targets.length === 0) {
    throw new Error(
      "set K6_TARGETS=host:port[,host:port] (kemu up: 127.0.1.1:<nodePort>,127.0.1.2:<nodePort> or 127.0.0.1:<nodePort> for the edge)",
    );
  }
  for (const t of targets) {
    if (!/^(\[[^\]]+\]|[^:[\]]+):\d{1,5}$/.test(t)) throw new Error(`K6_TARGETS: "${t}" is not host:port`);
  }
  return targets;
}

/** A string setting, or its default. */
export function str(name, dflt) {
  const v = __ENV[name];
  return v === undefined || v === "" ? dflt : v;
}

/** A number setting, or its default; a value that is not a number stops the test at init. */
export function num(name, dflt) {
  const v = __ENV[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!isFinite(n)) throw new Error(`${name}: "${v}" is not a number`);
  return n;
}

/** A boolean setting: 1/true/yes/on. */
export function flag(name) {
  return /^(1|true|yes|on)$/i.test(str(name, ""));
}

/** A comma-separated list setting. */
export function list(name) {
  return str(name, "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Where a request landed: { pod, node }, from the echo app's text line
 * (`pod=web-7d4b9-x2x9k namespace=default node=node-2 ...`), its JSON answer, or the nginx
 * stand-in's /linuxea.html (`linuxea-<pod>.com ▍ ...`, no node). Otherwise pod and node are
 * "unknown".
 */
export function landing(body) {
  const unknown = { pod: "unknown", node: "unknown" };
  if (typeof body !== "string") return unknown;
  const text = body.replace(/^\s+/, "");
  if (text.charAt(0) === "{") {
    try {
      const o = JSON.parse(text);
      if (o && typeof o.pod === "string" && o.pod !== "") {
        return { pod: o.pod, node: typeof o.node === "string" ? o.node : "unknown" };
      }
      // eslint-disable-next-line @typescript-eslint/no-unused-vars -- a named binding: older k6 runtimes lack `catch {`
    } catch (e) {
      // Not JSON after all: try the other forms.
    }
  }
  const line = text.split("\n")[0];
  const pod = /(?:^|\s)pod=(\S+)/.exec(line);
  if (pod) {
    const node = /(?:^|\s)node=(\S+)/.exec(line);
    return { pod: pod[1], node: node ? node[1] : "unknown" };
  }
  const nginx = /^linuxea-(\S+)\.com ▍/.exec(line);
  if (nginx) return { pod: nginx[1], node: "unknown" };
  return unknown;
}

/** Whether k6 counts the response as a success (its default expected statuses are 200-399). */
export function succeeded(res) {
  return res.status >= 200 && res.status < 400;
}
