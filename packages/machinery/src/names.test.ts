import { describe, expect, it } from "vitest";
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidIP,
  isValidIPv4,
  isValidIPv6,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
} from "./names.ts";

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const dns1035Msg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const nameMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe("names: IsDNS1123Subdomain", () => {
  it.each<[string, string[]]>([
    ["example.com", []],
    ["a", []],
    ["a-b.c", []],
    ["Example.com", [subdomainMsg]],
    ["-a", [subdomainMsg]],
    ["a..b", [subdomainMsg]],
    ["a".repeat(254), ["must be no more than 253 characters"]],
    ["A".repeat(254), ["must be no more than 253 characters", subdomainMsg]],
  ])("%j", (v, want) => expect(isDNS1123Subdomain(v)).toEqual(want));
});

describe("names: IsDNS1123Label", () => {
  it.each<[string, string[]]>([
    ["my-name", []],
    ["123", []],
    ["a.b", ["must not contain dots"]],
    ["a_b", [labelMsg]],
    ["", [labelMsg]],
    ["a".repeat(64), ["must be no more than 63 characters"]],
  ])("%j", (v, want) => expect(isDNS1123Label(v)).toEqual(want));
});

describe("names: IsDNS1035Label", () => {
  it.each<[string, string[]]>([
    ["redis", []],
    ["1abc", [dns1035Msg]],
    ["abc-", [dns1035Msg]],
    ["a".repeat(64), ["must be no more than 63 characters"]],
  ])("%j", (v, want) => expect(isDNS1035Label(v)).toEqual(want));
});

describe("names: IsQualifiedName", () => {
  it.each<[string, string[]]>([
    ["app", []],
    ["example.com/app", []],
    ["App_1.x", []],
    ["-a", [`name part ${nameMsg}`]],
    ["/a", ["prefix part must be non-empty"]],
    ["a/", ["name part must be non-empty", `name part ${nameMsg}`]],
    ["Example.com/a", [`prefix part ${subdomainMsg}`]],
    [
      "a/b/c",
      [
        `a qualified name ${nameMsg} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    ],
    ["a".repeat(64), ["name part must be no more than 63 characters"]],
  ])("%j", (v, want) => expect(isQualifiedName(v)).toEqual(want));
});

describe("names: IsValidLabelValue", () => {
  const msg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  it.each<[string, string[]]>([
    ["", []],
    ["Logstorage", []],
    ["a b", [msg]],
    ["a".repeat(64), ["must be no more than 63 characters"]],
  ])("%j", (v, want) => expect(isValidLabelValue(v)).toEqual(want));
});

describe("names: IsValidPortName and IsValidPortNum", () => {
  it.each<[string, string[]]>([
    ["http", []],
    ["http-2", []],
    ["a".repeat(16), ["must be no more than 15 characters"]],
    [
      "HTTP",
      [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)",
      ],
    ],
    ["80", ["must contain at least one letter (a-z)"]],
    ["a--b", ["must not contain consecutive hyphens"]],
    ["-ab", ["must not begin or end with a hyphen"]],
  ])("port name %j", (v, want) => expect(isValidPortName(v)).toEqual(want));
  it.each<[number, string[]]>([
    [1, []],
    [65535, []],
    [0, ["must be between 1 and 65535, inclusive"]],
    [65536, ["must be between 1 and 65535, inclusive"]],
  ])("port %d", (v, want) => expect(isValidPortNum(v)).toEqual(want));
});

describe("names: IP addresses", () => {
  it.each<[string, boolean, boolean]>([
    ["10.96.0.1", true, false],
    ["010.096.000.001", true, false],
    ["256.0.0.1", false, false],
    ["1.2.3", false, false],
    ["::1", false, true],
    ["2001:db8::ffff", false, true],
    ["fe80::1:2:3:4:5:6:7:8", false, false],
    ["::ffff:1.2.3.4", false, true],
    ["nope", false, false],
  ])("%j is v4 %s, v6 %s", (ip, v4, v6) => {
    expect(isValidIPv4(ip).length === 0).toBe(v4);
    expect(isValidIPv6(ip).length === 0).toBe(v6);
    expect(isValidIP(ip)).toEqual(
      v4 || v6 ? [] : ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"],
    );
  });
});

describe("names: config keys and generateName", () => {
  it.each<[string, string[]]>([
    ["key.name", []],
    ["KEY_NAME", []],
    [
      "a/b",
      [
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    [".", ["must not be '.'"]],
    ["..a", ["must not start with '..'"]],
  ])("config key %j", (v, want) => expect(isConfigMapKey(v)).toEqual(want));
  it("names: a generateName prefix may end with a dash", () => {
    expect(nameIsDNSSubdomain("web-", true)).toEqual([]);
    expect(nameIsDNSSubdomain("web-", false)).toEqual([subdomainMsg]);
  });
});
