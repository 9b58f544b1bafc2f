#!/usr/bin/env python3
"""Turn Kubernetes OpenAPI schemas into the compact form plimsoll embeds.

    tools/schemas/compact.py openapi DIR OUT.json.gz
        DIR holds the documents fetch-openapi.sh wrote from a real kube-apiserver
        (/openapi/v3 and every group-version document it lists).

    tools/schemas/compact.py kubernetes-validate DIR VERSION OUT.json.gz
        DIR is the `kubernetes-json-schema/vX.Y.Z-local` folder of the PyPI package
        kubernetes-validate (its `_definitions.json`), for the releases whose
        kube-apiserver this repository does not build.

    tools/schemas/compact.py compare A.json.gz B.json.gz
        Lists where two compact files differ (kinds, properties, types, required
        fields, enums, formats), to check one source against the other.

The compact form keeps only what validation needs: one JSON object

    {"format": 1, "kubernetes": "1.37", "source": "...",
     "kinds": {"apps/v1/Deployment": "io.k8s.api.apps.v1.Deployment", ...},
     "types": {"io.k8s.api.apps.v1.Deployment": SCHEMA, ...}}

where SCHEMA is an OpenAPI v3 schema reduced to the keys `type`, `properties`,
`required`, `items`, `additionalProperties`, `enum`, `format`, `nullable`, `$ref` (the
bare type name), `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`,
`x-kubernetes-embedded-resource`, `x-kubernetes-list-type` and
`x-kubernetes-list-map-keys`: the same keys a CustomResourceDefinition's
openAPIV3Schema uses, so that plimsoll reads both with one reader. `allOf: [{$ref}]`
wrappers become `$ref`; IntOrString becomes `x-kubernetes-int-or-string`; Quantity
becomes `format: quantity`; descriptions, defaults and patch strategies are dropped.
Keys are sorted and the output is gzip-compressed with a fixed timestamp, so the
same input always gives the same bytes.
"""

import gzip
import io
import json
import os
import sys

KEEP = {
    "type", "properties", "required", "items", "additionalProperties", "enum",
    "format", "nullable", "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
}
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def reduce(node):
    """One schema node in the compact form."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": ref_name(node["$ref"])}
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        out = {"$ref": ref_name(all_of[0]["$ref"])}
        if node.get("nullable"):
            out["nullable"] = True
        return out
    out = {}
    for k, v in node.items():
        if k not in KEEP:
            continue
        if k == "type" and isinstance(v, list):
            # JSON-schema style ["string", "null"]
            kinds = [t for t in v if t != "null"]
            if "null" in v:
                out["nullable"] = True
            if len(kinds) == 1:
                out["type"] = kinds[0]
            continue
        if k == "properties":
            v = {name: reduce(p) for name, p in v.items()}
            # the one-value apiVersion/kind enums that openapi2jsonschema adds (the
            # object is looked up by those two fields already)
            for name in ("apiVersion", "kind"):
                if len(v.get(name, {}).get("enum", [None, None])) == 1:
                    del v[name]["enum"]
        elif k in ("items", "additionalProperties"):
            v = reduce(v) if isinstance(v, dict) else v
        out[k] = v
    # oneOf [string, integer] / [string, number] without a name (inline copies)
    one_of = node.get("oneOf")
    if isinstance(one_of, list) and "type" not in out:
        kinds = set()
        for alt in one_of:
            t = alt.get("type")
            kinds.update(t if isinstance(t, list) else [t])
        kinds.discard("null")
        if kinds == {"string", "integer"}:
            out["x-kubernetes-int-or-string"] = True
        elif kinds == {"string", "number"}:
            out["format"] = "quantity"
    if out.get("format") == "int-or-string":
        del out["format"]
        out.pop("type", None)
        out["x-kubernetes-int-or-string"] = True
    return out


def gvks(schema):
    return [
        (g.get("group", ""), g["version"], g["kind"])
        for g in schema.get("x-kubernetes-group-version-kind", [])
    ]


def build(schemas, version, source):
    types, kinds = {}, {}
    for name, s in schemas.items():
        if name == INT_OR_STRING:
            types[name] = {"x-kubernetes-int-or-string": True}
        elif name == QUANTITY:
            types[name] = {"format": "quantity"}
        else:
            types[name] = reduce(s)
        found = gvks(s)
        # meta types (DeleteOptions, WatchEvent) carry one entry per group: not kinds
        if len(found) == 1:
            g, v, k = found[0]
            kinds[f"{g}/{v}/{k}" if g else f"{v}/{k}"] = name
    return {
        "format": 1,
        "kubernetes": version,
        "source": source,
        "kinds": kinds,
        "types": types,
    }


def write(doc, out):
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as z:
        z.write(raw)
    with open(out, "wb") as f:
        f.write(buf.getvalue())
    print(f"{out}: {len(doc['kinds'])} kinds, {len(doc['types'])} types, "
          f"{len(raw)} bytes, {len(buf.getvalue())} compressed", file=sys.stderr)


def from_openapi(d):
    schemas = {}
    for f in sorted(os.listdir(d)):
        if not f.startswith("api") or f in ("api.json", "apis.json"):
            continue
        doc = json.load(open(os.path.join(d, f)))
        for name, s in doc.get("components", {}).get("schemas", {}).items():
            if name in schemas:
                # the same type in several documents: only the GVK lists of meta
                # types differ; keep the union so that they stay out of `kinds`
                prev = schemas[name]
                merged = {**s}
                both = prev.get("x-kubernetes-group-version-kind", []) + [
                    g for g in s.get("x-kubernetes-group-version-kind", [])
                    if g not in prev.get("x-kubernetes-group-version-kind", [])
                ]
                if both:
                    merged["x-kubernetes-group-version-kind"] = both
                schemas[name] = merged
            else:
                schemas[name] = s
    version = json.load(open(os.path.join(d, "server-version.json")))["gitVersion"]
    minor = ".".join(version.lstrip("v").split(".")[:2])
    return build(schemas, minor, f"kube-apiserver {version} /openapi/v3")


def from_kubernetes_validate(d, version):
    defs = json.load(open(os.path.join(d, "_definitions.json")))["$defs"]
    minor = ".".join(version.lstrip("v").split(".")[:2])
    return build(defs, minor, f"PyPI kubernetes-validate, {os.path.basename(d.rstrip('/'))}")


def load(path):
    with gzip.open(path) as f:
        return json.load(f)


def compare(a, b):
    """Differences that change a verdict, one a line."""
    diffs = []
    for k in sorted(set(a["kinds"]) | set(b["kinds"])):
        if k not in b["kinds"]:
            diffs.append(f"kind {k}: only in A")
        elif k not in a["kinds"]:
            diffs.append(f"kind {k}: only in B")

    def walk(x, y, where, seen):
        if (where, json.dumps(x, sort_keys=True), json.dumps(y, sort_keys=True)) in seen:
            return
        seen.add((where, json.dumps(x, sort_keys=True), json.dumps(y, sort_keys=True)))
        if "$ref" in x and "$ref" in y:
            if x["$ref"] != y["$ref"]:
                diffs.append(f"{where}: $ref {x['$ref']} != {y['$ref']}")
            return
        x = a["types"].get(x["$ref"], {}) if "$ref" in x else x
        y = b["types"].get(y["$ref"], {}) if "$ref" in y else y
        for key in ("type", "format", "x-kubernetes-int-or-string",
                    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource"):
            if x.get(key) != y.get(key):
                diffs.append(f"{where}: {key} {x.get(key)!r} != {y.get(key)!r}")
        if sorted(x.get("required", [])) != sorted(y.get("required", [])):
            diffs.append(f"{where}: required {sorted(x.get('required', []))} != {sorted(y.get('required', []))}")
        if sorted(map(str, x.get("enum", []))) != sorted(map(str, y.get("enum", []))):
            diffs.append(f"{where}: enum {x.get('enum')} != {y.get('enum')}")
        px, py = x.get("properties", {}), y.get("properties", {})
        for p in sorted(set(px) | set(py)):
            if p not in py:
                diffs.append(f"{where}.{p}: only in A")
            elif p not in px:
                diffs.append(f"{where}.{p}: only in B")
            else:
                walk(px[p], py[p], f"{where}.{p}", seen)
        for key in ("items", "additionalProperties"):
            if isinstance(x.get(key), dict) and isinstance(y.get(key), dict):
                walk(x[key], y[key], f"{where}[{key}]", seen)

    seen = set()
    for name in sorted(set(a["types"]) & set(b["types"])):
        walk(a["types"][name], b["types"][name], name, seen)
    return diffs


def main(argv):
    if len(argv) == 4 and argv[1] == "openapi":
        write(from_openapi(argv[2]), argv[3])
    elif len(argv) == 5 and argv[1] == "kubernetes-validate":
        write(from_kubernetes_validate(argv[2], argv[3]), argv[4])
    elif len(argv) == 4 and argv[1] == "compare":
        for line in compare(load(argv[2]), load(argv[3])):
            print(line)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
