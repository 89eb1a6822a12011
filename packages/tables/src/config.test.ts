import { describe, expect, it } from "vitest";
import {
  configMapPrinter,
  leasePrinter,
  namespacePrinter,
  secretPrinter,
  serviceAccountPrinter,
} from "./config.ts";
import { makeConfigMap, makeLease, makeNamespace, makeSecret, makeServiceAccount, NOW } from "./fixtures.ts";

describe("config kinds", () => {
  it("namespaces: NAME, STATUS, AGE", () => {
    expect(namespacePrinter.columns.map((c) => c.name)).toEqual(["Name", "Status", "Age"]);
    expect(namespacePrinter.cells(makeNamespace("ns1"), NOW)).toEqual(["ns1", "Active", "5m"]);
    const terminating = makeNamespace("ns2", (n) => (n.status = { phase: "Terminating" }));
    expect(namespacePrinter.cells(terminating, NOW)).toEqual(["ns2", "Terminating", "5m"]);
  });

  it("configmaps: DATA counts data and binaryData keys", () => {
    expect(configMapPrinter.columns.map((c) => [c.name, c.type])).toEqual([
      ["Name", "string"],
      ["Data", "string"],
      ["Age", "string"],
    ]);
    expect(configMapPrinter.cells(makeConfigMap("ns1", "empty"), NOW)).toEqual(["empty", 0, "5m"]);
    const cm = makeConfigMap("ns1", "kube-root-ca.crt", (c) => {
      c.data = { "ca.crt": "---", extra: "x" };
      c.binaryData = { blob: "AAEC" };
    });
    expect(configMapPrinter.cells(cm, NOW)).toEqual(["kube-root-ca.crt", 3, "5m"]);
  });

  it("secrets: TYPE and DATA, stringData keys merged into data", () => {
    expect(secretPrinter.columns.map((c) => c.name)).toEqual(["Name", "Type", "Data", "Age"]);
    const secret = makeSecret("ns1", "tls", (s) => {
      s.type = "kubernetes.io/tls";
      s.data = { "tls.crt": "Y3J0", "tls.key": "a2V5" };
      s.stringData = { "tls.key": "key", "ca.crt": "ca" };
    });
    expect(secretPrinter.cells(secret, NOW)).toEqual(["tls", "kubernetes.io/tls", 3, "5m"]);
    expect(secretPrinter.cells(makeSecret("ns1", "empty"), NOW)).toEqual(["empty", "Opaque", 0, "5m"]);
  });

  it("serviceaccounts: SECRETS counts the secrets list", () => {
    expect(serviceAccountPrinter.columns.map((c) => c.name)).toEqual(["Name", "Secrets", "Age"]);
    expect(serviceAccountPrinter.cells(makeServiceAccount("ns1", "default"), NOW)).toEqual([
      "default",
      0,
      "5m",
    ]);
    const sa = makeServiceAccount("ns1", "builder", (s) => (s.secrets = [{ name: "a" }, { name: "b" }]));
    expect(serviceAccountPrinter.cells(sa, NOW)).toEqual(["builder", 2, "5m"]);
  });

  it("leases: HOLDER is the holder identity, empty when unheld", () => {
    expect(leasePrinter.columns.map((c) => c.name)).toEqual(["Name", "Holder", "Age"]);
    expect(leasePrinter.cells(makeLease("kube-node-lease", "node-1"), NOW)).toEqual([
      "node-1",
      "node-1",
      "5m",
    ]);
    const free = makeLease("kube-system", "kube-scheduler", (l) => (l.spec = {}));
    expect(leasePrinter.cells(free, NOW)).toEqual(["kube-scheduler", "", "5m"]);
  });
});
