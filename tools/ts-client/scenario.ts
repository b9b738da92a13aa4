// A partner's first integration, written against the generated TypeScript types only: get a token,
// create an organization and an instance, create a product with variants in it and read it back
// expanded. Type errors fail `tsc`; wrong behaviour fails the run.
import http from "node:http";
import createClient from "openapi-fetch";
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
  const anonymous = createClient<IdentityPaths>({ baseUrl: identityURL });
  const tok = await anonymous.POST("/oauth/token", {
    body: { grant_type: "client_credentials", client_id: env("CLIENT_ID"), client_secret: env("CLIENT_SECRET") },
    bodySerializer: (b) => new URLSearchParams(b as Record<string, string>).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  check(tok.response.status === 200 && tok.data?.token_type === "Bearer", "token issued");
  const token = tok.data!.access_token;

  const id = createClient<IdentityPaths>({ baseUrl: identityURL, headers: { Authorization: `Bearer ${token}` } });
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

  const catalog = createClient<CatalogPaths>({
    baseUrl: catalogURL,
    fetch: tenantFetch(`${handle}.${tenantDomain}`),
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
  console.log(`ts-client: ${passed} passed, 0 failed`);
}

main().catch((err) => {
  console.error(`ts-client: ${passed} passed, 1 failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
