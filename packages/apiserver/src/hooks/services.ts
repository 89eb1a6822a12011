/**
 * Service strategy: ClusterIP and NodePort allocation on create, on type changes and on
 * delete, as kube-apiserver's service REST storage does.
 *
 * Limitations vs Kubernetes: IPv4 single-stack only (ipFamilies [IPv4]); no repair loop yet for
 * allocations leaked by a crash between allocating and storing the Service.
 */
import type { KObject, Store } from "@kemu/store";
import { goRepr, invalid, type FieldError } from "@kemu/machinery";
import { ApiError } from "../errors.ts";
import type { ResourceHooks, Rollback } from "../hooks.ts";
import {
  AllocationError,
  Allocator,
  cidrRange,
  ipStaticBand,
  portRange,
  portStaticBand,
} from "./allocator.ts";

/** Service network settings. */
export interface ServiceNetwork {
  serviceCIDR: string;
  nodePortRange: string;
}

const IP_ALLOCATIONS = "ipallocations_kemu";
const PORT_ALLOCATIONS = "nodeportallocations_kemu";

function needsClusterIP(svc: KObject): boolean {
  const spec = svc["spec"] ?? {};
  return spec["type"] !== "ExternalName" && spec["clusterIP"] !== "None";
}

function needsNodePorts(svc: KObject): boolean {
  const t = svc["spec"]?.["type"];
  if (t === "NodePort") return true;
  return t === "LoadBalancer" && svc["spec"]?.["allocateLoadBalancerNodePorts"] !== false;
}

function needsHealthCheckPort(svc: KObject): boolean {
  const spec = svc["spec"] ?? {};
  return spec["type"] === "LoadBalancer" && spec["externalTrafficPolicy"] === "Local";
}

function ownerOf(svc: KObject): string {
  return `${svc["metadata"]["namespace"]}/${svc["metadata"]["name"]}`;
}

/** The Service hooks, bound to the cluster's service network. */
export function serviceHooks(store: Store, net: ServiceNetwork): ResourceHooks {
  const ipRange = cidrRange(net.serviceCIDR);
  const ports = portRange(net.nodePortRange);
  const ips = new Allocator(store, IP_ALLOCATIONS, ipRange, ipStaticBand(ipRange.size));
  const nodePorts = new Allocator(store, PORT_ALLOCATIONS, ports, portStaticBand(ports.size));

  const invalidSvc = (svc: KObject, errs: FieldError[]) =>
    ApiError.invalid("", "Service", String(svc["metadata"]?.["name"] ?? ""), errs);

  /** Allocates what svc needs and old did not hold; returns the undo. */
  async function allocate(svc: KObject, old: KObject | undefined): Promise<Rollback> {
    const done: (() => Promise<void>)[] = [];
    const rollback = async () => {
      for (const undo of done.reverse()) await undo();
    };
    const owner = ownerOf(svc);
    const spec = (svc["spec"] ??= {}) as KObject;
    try {
      if (needsClusterIP(svc)) {
        const oldIP = old && needsClusterIP(old) ? old["spec"]?.["clusterIP"] : undefined;
        let ip: string | undefined = spec["clusterIP"] || spec["clusterIPs"]?.[0] || undefined;
        if (!ip && oldIP) ip = oldIP;
        if (ip && ip !== "None" && !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
          // Not an IPv4 address: validation reports it; nothing to allocate.
        } else if (ip !== oldIP || !oldIP) {
          if (ip) {
            try {
              await ips.allocate(ip, owner);
            } catch (err) {
              if (!(err instanceof AllocationError)) throw err;
              throw invalidSvc(svc, [
                invalid(
                  "spec.clusterIPs",
                  goRepr(`[]string{"${ip}"}`),
                  `failed to allocate IP ${ip}: ${err.message}`,
                ),
              ]);
            }
          } else {
            ip = await ips.allocateNext(owner);
          }
          const allocated = ip;
          done.push(() => ips.release(allocated));
        }
        spec["clusterIP"] = ip;
        spec["clusterIPs"] = [ip];
        spec["ipFamilies"] ??= ["IPv4"];
        spec["ipFamilyPolicy"] ??= "SingleStack";
      } else if (spec["clusterIP"] === "None") {
        spec["clusterIPs"] = ["None"];
        spec["ipFamilies"] ??= ["IPv4"];
        spec["ipFamilyPolicy"] ??= "SingleStack";
      }
      const portsList: KObject[] = Array.isArray(spec["ports"]) ? spec["ports"] : [];
      if (needsNodePorts(svc)) {
        const oldPorts: KObject[] = old && needsNodePorts(old) ? (old["spec"]?.["ports"] ?? []) : [];
        const held = new Set(oldPorts.map((p) => p["nodePort"]).filter(Boolean));
        const usedHere = new Map<number, string>();
        for (let i = 0; i < portsList.length; i++) {
          const p = portsList[i]!;
          if (!p["nodePort"]) {
            // Keep the port an update's object left out, as upstream does for the same service port.
            const prev = oldPorts.find(
              (o) => o["port"] === p["port"] && (o["protocol"] ?? "TCP") === (p["protocol"] ?? "TCP"),
            );
            if (prev?.["nodePort"]) p["nodePort"] = prev["nodePort"];
          }
          const want: number | undefined = p["nodePort"];
          if (want && held.has(want)) continue;
          // One service may use the same node port for the same port number over TCP and UDP.
          if (want && usedHere.has(want)) continue;
          if (want) {
            try {
              await nodePorts.allocate(String(want), owner);
            } catch (err) {
              if (!(err instanceof AllocationError)) throw err;
              throw invalidSvc(svc, [invalid(`spec.ports[${i}].nodePort`, want, err.message)]);
            }
            done.push(() => nodePorts.release(String(want)));
            usedHere.set(want, p["protocol"] ?? "TCP");
          } else {
            const np = Number(await nodePorts.allocateNext(owner));
            done.push(() => nodePorts.release(String(np)));
            p["nodePort"] = np;
            usedHere.set(np, p["protocol"] ?? "TCP");
          }
        }
      }
      if (needsHealthCheckPort(svc)) {
        const oldHC = old && needsHealthCheckPort(old) ? old["spec"]?.["healthCheckNodePort"] : undefined;
        const want: number | undefined = spec["healthCheckNodePort"] || oldHC;
        if (want !== oldHC || !oldHC) {
          if (want) {
            try {
              await nodePorts.allocate(String(want), owner);
            } catch (err) {
              if (!(err instanceof AllocationError)) throw err;
              throw invalidSvc(svc, [invalid("spec.healthCheckNodePort", want, err.message)]);
            }
            done.push(() => nodePorts.release(String(want)));
            spec["healthCheckNodePort"] = want;
          } else {
            const np = Number(await nodePorts.allocateNext(owner));
            done.push(() => nodePorts.release(String(np)));
            spec["healthCheckNodePort"] = np;
          }
        } else {
          spec["healthCheckNodePort"] = oldHC;
        }
      }
    } catch (err) {
      await rollback();
      throw err;
    }
    return rollback;
  }

  /** Releases what old held that svc (if any) no longer holds. */
  async function release(old: KObject, svc: KObject | undefined): Promise<void> {
    const oldIP = needsClusterIP(old) ? old["spec"]?.["clusterIP"] : undefined;
    const newIP = svc && needsClusterIP(svc) ? svc["spec"]?.["clusterIP"] : undefined;
    if (oldIP && oldIP !== newIP) await ips.release(oldIP);
    const held = (s: KObject | undefined): Set<number> => {
      const out = new Set<number>();
      if (!s) return out;
      if (needsNodePorts(s))
        for (const p of s["spec"]?.["ports"] ?? []) if (p["nodePort"]) out.add(p["nodePort"]);
      if (needsHealthCheckPort(s) && s["spec"]?.["healthCheckNodePort"])
        out.add(s["spec"]["healthCheckNodePort"]);
      return out;
    };
    const keep = held(svc);
    for (const p of held(old)) if (!keep.has(p)) await nodePorts.release(String(p));
  }

  return {
    prepareForCreate(svc) {
      svc["status"] = { loadBalancer: {} };
    },
    async beforeCreate(ctx, svc) {
      const rollback = await allocate(svc, undefined);
      return ctx.dryRun ? rollback : rollback;
    },
    async beforeUpdate(_ctx, svc, old) {
      const spec = (svc["spec"] ??= {}) as KObject;
      if (!needsClusterIP(svc)) {
        if (spec["type"] === "ExternalName") {
          delete spec["clusterIP"];
          delete spec["clusterIPs"];
        }
      }
      if (!needsNodePorts(svc) && spec["type"] !== "LoadBalancer") {
        for (const p of spec["ports"] ?? []) {
          if (p["nodePort"] && old["spec"]?.["type"] !== spec["type"]) delete p["nodePort"];
        }
      }
      if (!needsHealthCheckPort(svc)) delete spec["healthCheckNodePort"];
      const rollback = await allocate(svc, old);
      return { rollback, commit: () => release(old, svc) };
    },
    async afterDelete(_ctx, svc) {
      await release(svc, undefined);
    },
  };
}
