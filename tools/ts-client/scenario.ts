// A partner's first integration, written against the generated TypeScript types only: get a token,
// create an organization and an instance, create a product with variants in it and read it back
// expanded. Type errors fail `tsc`; wrong behaviour fails the run.
import http from "node:http";
import createClient from "openapi-fetch";
import { Ajv, type ValidateFunction } from "ajv";
import yaml from "js-yaml";
import jsonld from "jsonld";
import type { paths as IdentityPaths } from "./gen/identity.js";
import type { paths as CatalogPaths, components as Catalog } from "./gen/product-management.js";

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const identityURL = env("IDENTITY_URL");
const catalogURL = env("PRODUCT_MANAGEMENT_URL"); // loopback address of product-management
const tenantDomain = env("TENANT_BASE_DOMAIN");
const handle = env("HANDLE");

let passed = 0;
function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`check failed: ${what}`);
  passed++;
}

// The published contract as a partner downloads it, read by a standard JSON Schema validator (ajv,
// which knows OpenAPI 3.0's nullable): every response of the scenario must match its operation.
type Spec = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>; components: object };
class Contract {
  private ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  private cache = new Map<string, ValidateFunction | null>();
  private routes: { re: RegExp; path: string }[];
  failures: string[] = [];
  checked = 0;
  constructor(private spec: Spec) {
    this.routes = Object.keys(spec.paths).map((p) => ({ path: p, re: new RegExp("^" + p.replace(/\{[^}]+\}/g, "[^/]+") + "$") }));
  }
  static async load(url: string, fetcher: typeof fetch = fetch): Promise<Contract> {
    const res = await fetcher(new Request(url + "/openapi.yaml"));
    return new Contract(yaml.load(await res.text()) as Spec);
  }
  async check(method: string, url: URL, res: Response): Promise<void> {
    const route = this.routes.find((r) => r.re.test(url.pathname));
    if (!route) return;
    const op = this.spec.paths[route.path]?.[method.toLowerCase()];
    const declared = this.resolve(op?.responses[String(res.status)] ?? op?.responses["default"]);
    const type = (res.headers.get("content-type") ?? "").split(";")[0] ?? "";
    const schema = declared?.content?.[type]?.schema;
    if (!schema) {
      if (res.status !== 204) this.failures.push(`${method} ${route.path} -> ${res.status} ${type}: not declared`);
      return;
    }
    const key = `${method} ${route.path} ${res.status} ${type}`;
    let validate = this.cache.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile({ ...schema, components: this.spec.components });
      this.cache.set(key, validate);
    }
    const body: unknown = await res.clone().json();
    this.checked++;
    if (validate && !validate(body)) this.failures.push(`${key}: ${this.ajv.errorsText(validate.errors)}`);
  }
  // resolve follows a response's $ref into the components (#/components/responses/X).
  private resolve<T>(r: T | undefined): T | undefined {
    const ref = (r as { $ref?: string } | undefined)?.$ref;
    if (!ref) return r;
    const [, , kind, name] = ref.split("/");
    const components = this.spec.components as Record<string, Record<string, T>>;
    return this.resolve(components[kind ?? ""]?.[name ?? ""]);
  }
  // fetch that checks every response against the contract.
  fetch(inner: typeof fetch): typeof fetch {
    return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const req = input instanceof Request ? input : new Request(input, init);
      const res = await inner(req);
      await this.check(req.method, new URL(req.url), res);
      return res;
    };
  }
}

// fetch over node:http so the Host header can name the tenant (fetch forbids setting Host).
function tenantFetch(host: string): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers: Record<string, string> = { host: host };
    req.headers.forEach((v, k) => (headers[k] = v));
    return new Promise((resolve, reject) => {
      const r = http.request({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h.set(k, v);
          resolve(new Response(chunks.length ? Buffer.concat(chunks) : null, { status: res.statusCode ?? 500, headers: h }));
        });
      });
      r.on("error", reject);
      if (body) r.write(body);
      r.end();
    });
  };
}

async function main(): Promise<void> {
  const identityContract = await Contract.load(identityURL);
  const anonymous = createClient<IdentityPaths>({ baseUrl: identityURL, fetch: identityContract.fetch(fetch) });
  const tok = await anonymous.POST("/oauth/token", {
    body: { grant_type: "client_credentials", client_id: env("CLIENT_ID"), client_secret: env("CLIENT_SECRET") },
    bodySerializer: (b) => new URLSearchParams(b as Record<string, string>).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  check(tok.response.status === 200 && tok.data?.token_type === "Bearer", "token issued");
  const token = tok.data!.access_token;

  const id = createClient<IdentityPaths>({ baseUrl: identityURL, fetch: identityContract.fetch(fetch), headers: { Authorization: `Bearer ${token}` } });
  const org = await id.POST("/organizations", { body: { name: "TypeScript Traders", country_code: "NL" } });
  check(org.response.status === 201 && org.data?.country_code === "NL", "organization created");
  const orgId = org.data!.id;
  const inst = await id.POST("/organizations/{organizationId}/instances", {
    params: { path: { organizationId: orgId } },
    body: { name: "TS shop", handle },
  });
  check(inst.response.status === 201 && inst.data?.handle === handle, "instance created");
  const bad = await id.POST("/organizations/{organizationId}/instances", {
    params: { path: { organizationId: orgId } },
    body: { name: "Bad", handle: "Not A Handle" },
  });
  check(bad.response.status === 422 && (bad.error?.violations ?? []).some((v) => v.propertyPath === "handle"), "invalid handle refused with a violation");

  const host = `${handle}.${tenantDomain}`;
  const catalogContract = await Contract.load(catalogURL, tenantFetch(host));
  const catalog = createClient<CatalogPaths>({
    baseUrl: catalogURL,
    fetch: catalogContract.fetch(tenantFetch(host)),
    headers: { Authorization: `Bearer ${token}`, "X-Flowkiwi-Organization-Id": orgId },
  });
  const orgHeader = { "X-Flowkiwi-Organization-Id": orgId };
  const created = await catalog.POST("/rest/api/products", {
    params: { header: orgHeader },
    body: {
      title: "Stroopwafel tin",
      options: [{ name: "Size", values: ["Small", "Large"] }],
      variants: [
        { sku: "SW-S", optionValues: [{ option: "Size", value: "Small" }] },
        { sku: "SW-L", optionValues: [{ option: "Size", value: "Large" }] },
      ],
    },
  });
  check(created.response.status === 201 && created.data?.["@type"] === "Product", "product created");
  const productId = created.data!.id;
  const read = await catalog.GET("/rest/api/products/{id}", {
    params: { path: { id: productId }, header: orgHeader, query: { expand: "variants" } },
  });
  check(read.response.status === 200, "product read");
  const variants = (read.data?.variants ?? []).filter((v): v is Catalog["schemas"]["Variant"] => typeof v !== "string");
  check(variants.map((v) => v.sku).join(",") === "SW-S,SW-L", "variants embedded in order");
  const missing = await catalog.GET("/rest/api/products/{id}", {
    params: { path: { id: "00000000-0000-4000-8000-000000000000" }, header: orgHeader },
  });
  check(missing.response.status === 404 && missing.error?.status === 404, "unknown product is a 404 problem");

  // A JSON-LD processor nobody here wrote expands the product: its contexts dereference.
  const base = `http://${host}`;
  const documentLoader = async (url: string) => {
    const res = await tenantFetch(host)(new Request(new URL(new URL(url, base).pathname, catalogURL)));
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    return { contextUrl: undefined, documentUrl: url, document: await res.json() };
  };
  const expanded = await jsonld.expand(read.data as object, { base: `${base}/rest/api/products/${productId}`, documentLoader: documentLoader as never });
  const node = expanded[0] as Record<string, unknown> | undefined;
  check(node?.["@id"] === `${base}/rest/api/products/${productId}`, "the product expands as JSON-LD with its @id");
  check(Array.isArray(node?.["@type"]) && String((node?.["@type"] as unknown[])[0]).endsWith("Product"), "the product's @type expands to the vocabulary");

  check(identityContract.failures.length === 0, `identity responses match the published contract (ajv): ${identityContract.failures.join("; ")}`);
  check(catalogContract.failures.length === 0, `catalog responses match the published contract (ajv): ${catalogContract.failures.join("; ")}`);
  check(identityContract.checked >= 4 && catalogContract.checked >= 3, `responses were validated (${identityContract.checked} + ${catalogContract.checked})`);
  console.log(`ts-client: ${passed} passed, 0 failed`);
}

main().catch((err) => {
  console.error(`ts-client: ${passed} passed, 1 failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
