"""Prepare a Portman-generated Postman collection for a run against live services: form fields on,
path variables and query parameters pointed at collection variables that earlier requests set,
and the requests in an order where each finds what it needs (create before read, delete last).
usage: prepare.py COLLECTION ORDER_AND_VARIABLES.json"""
import json
import re
import sys

path, spec_path = sys.argv[1], sys.argv[2]
c = json.load(open(path))
spec = json.load(open(spec_path))
requests = []


def flatten(items):
    for it in items:
        if "item" in it:
            flatten(it["item"])
        else:
            requests.append(it)


flatten(c["item"])


def key(it):
    r = it["request"]
    raw = "/" + "/".join(r["url"]["path"])
    raw = re.sub(r"/:([A-Za-z_]+)", r"/{\1}", raw)
    return r["method"] + "::" + raw


for it in requests:
    r = it["request"]
    for f in (r.get("body") or {}).get("urlencoded") or []:
        f["disabled"] = False
        if f["key"] in spec.get("form", {}):
            f["value"] = spec["form"][f["key"]]
    segments = r["url"]["path"]
    for v in r["url"].get("variable", []):
        if v["key"] in spec.get("pathVariables", {}):
            v["value"] = "{{" + spec["pathVariables"][v["key"]] + "}}"
        elif v["key"] in ("id", "code", "type"):
            # /rest/api/{collection}/{id}: the collection names the variable (productsId, localesCode...).
            i = segments.index(":" + v["key"])
            v["value"] = "{{" + segments[i - 1] + v["key"].capitalize() + "}}"
    query = []
    for q in r["url"].get("query", []):
        if q["key"] in spec.get("dropQuery", []) or spec.get("dropAllQuery") and q["key"] not in spec.get("query", {}):
            continue
        if q["key"] in spec.get("query", {}):
            q["value"] = spec["query"][q["key"]]
        query.append(q)
    r["url"]["query"] = query
    r["header"] = [h for h in r.get("header", []) if h["key"] not in spec.get("dropHeaders", [])]
    for h in r["header"]:
        if h["key"] in spec.get("headers", {}):
            h["value"], h["disabled"] = spec["headers"][h["key"]], False
    body = (r.get("body") or {}).get("raw")
    if body and key(it) in spec.get("bodies", {}):
        r["body"]["raw"] = json.dumps(spec["bodies"][key(it)])
    # Remember what later requests refer to.
    for var, prop in spec.get("assign", {}).get(key(it), {}).items():
        # prop is a property name, or a JavaScript expression over `body` when it starts with "=".
        expr = prop[1:] if prop.startswith("=") else "body[" + json.dumps(prop) + "]"
        it.setdefault("event", []).append({"listen": "test", "script": {"type": "text/javascript", "exec": [
            f"if (pm.response.code < 300) {{ const body = pm.response.json(); pm.collectionVariables.set({json.dumps(var)}, {expr}); }}"]}})

order = spec["order"]
known = {key(it): it for it in requests}
missing = [k for k in known if k not in order]
if missing:
    sys.exit("prepare.py: operations without a place in the order: " + ", ".join(missing))
c["item"] = [known[k] for k in order if k in known]
json.dump(c, open(path, "w"), indent=1)
