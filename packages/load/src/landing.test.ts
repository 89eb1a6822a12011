import { describe, expect, it } from "vitest";
import { parseLanding } from "./landing.ts";

describe("landing", () => {
  it("landing: the echo app's text line names pod, node, pod IP and the client it saw", () => {
    expect(
      parseLanding(
        "pod=web-7d4b9-x2x9k namespace=default node=node-2 podIP=10.244.2.5 client=10.244.1.7:51234 " +
          "image=kemu/echo:1 container=app method=GET path=/hello?pod=fake\n",
      ),
    ).toEqual({
      pod: "web-7d4b9-x2x9k",
      node: "node-2",
      namespace: "default",
      podIP: "10.244.2.5",
      client: "10.244.1.7:51234",
    });
  });

  it("landing: the echo app's JSON answer (Accept: application/json)", () => {
    const body = JSON.stringify({
      pod: "web-1",
      namespace: "ns1",
      node: "node-1",
      podIP: "10.244.1.5",
      client: "127.0.0.3:40000",
      clientIP: "127.0.0.3",
      port: 8080,
    });
    expect(parseLanding(body + "\n")).toEqual({
      pod: "web-1",
      node: "node-1",
      namespace: "ns1",
      podIP: "10.244.1.5",
      client: "127.0.0.3:40000",
    });
  });

  it("landing: the nginx stand-in's /linuxea.html names the pod but not the node", () => {
    expect(parseLanding("linuxea-nginx-linuxea-dd84n.com ▍ 14d55fd1c35e8 ▍version number 1.0\n")).toEqual({
      pod: "nginx-linuxea-dd84n",
      node: "unknown",
    });
  });

  it("landing: anything else is pod and node unknown", () => {
    for (const body of ["", "<html><title>Welcome to nginx!</title>", "{not json", '{"pod": 3}', "podx=1"])
      expect(parseLanding(body)).toEqual({ pod: "unknown", node: "unknown" });
  });
});
