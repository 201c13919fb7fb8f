"""Build the patched copy of mySociety's Open311 OpenAPI description (run once; output committed)."""
import copy, json, sys

src = json.load(open(sys.argv[1]))  # shared/data/open311/mysociety-open311-openapi.json
spec = copy.deepcopy(src)
notes = [
    "Copied from mySociety's published Open311 OpenAPI description (SocietyWorks version) and patched for its known quirks and for testing against cityops; nothing else changed.",
    "1. Media type: GeoReport v2 serves XML as text/xml; the published file says application/xml. Every application/xml response is declared as text/xml.",
    "2. POST fields: GeoReport v2 POSTs are application/x-www-form-urlencoded bodies; the published file declares the fields of POST requests and POST servicerequestupdates as query parameters. They are moved into a form requestBody (same names, types and required flags). The api_key security scheme stays (cityops accepts api_key in the query string or in the form).",
    "3. attribute[*]: a parameter whose name is a pattern cannot be expressed as a form property; it is dropped here (attribute[code] and attribute[code][] are covered by tests/integration/test_open311.py).",
    "4. Errors: GeoReport v2 defines 400 (bad request), 403 (missing or bad api_key) and 404 (not found) with an errors/error/code,description body; the published file documents few of them. Each operation gets those responses with an Errors schema (JSON and text/xml).",
    "5. lat/long: WGS84 ranges added (lat -90..90, long -180..180), as the GeoReport v2 text says.",
    "7. Empty parameters: GeoReport v2 clients send empty fields, and cityops treats an empty parameter as missing (issue #5); optional query parameters are marked allowEmptyValue and empty optional form fields are allowed the same way.",
    "6. servers: the base path /open311/v2 (cityops' default) so the file can be run against a live app.",
]
spec["info"]["x-cityops-patch"] = notes
spec["servers"] = [{"url": "/open311/v2"}]
comp = spec["components"]
for p in comp["parameters"].values():
    if p.get("in") == "query" and not p.get("required"):
        p["allowEmptyValue"] = True
comp["schemas"]["Error"] = {"type": "object", "xml": {"name": "error"}, "required": ["code", "description"],
                            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}
comp["schemas"]["Errors"] = {"type": "array", "xml": {"name": "errors", "wrapped": True},
                             "items": {"$ref": "#/components/schemas/Error"}}
err_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}},
               "text/xml": {"schema": {"$ref": "#/components/schemas/Errors"}}}
err_desc = {"400": "Bad request: missing or invalid parameters (every problem listed)",
            "403": "Missing or invalid api_key", "404": "Not found"}


def fix_types(node):
    if isinstance(node, dict):
        if "application/xml" in node:
            node["text/xml"] = node.pop("application/xml")
        for v in node.values():
            fix_types(v)
    elif isinstance(node, list):
        for v in node:
            fix_types(v)


fix_types(spec["paths"])
for path, ops in spec["paths"].items():
    for method, op in ops.items():
        for code, desc in err_desc.items():
            r = op["responses"].setdefault(code, {"description": desc})
            r["content"] = copy.deepcopy(err_content)
        for p in op.get("parameters", []):
            if "$ref" not in p and p.get("in") == "query" and not p.get("required"):
                p["allowEmptyValue"] = True
        if method != "post":
            continue
        keep, props, required = [], {}, []
        for p in op["parameters"]:
            if "$ref" in p or p.get("in") != "query":
                keep.append(p)
                continue
            if p["name"] == "attribute[*]":
                continue
            schema = dict(p["schema"])
            if p["name"] == "lat":
                schema.update(minimum=-90, maximum=90)
            if p["name"] == "long":
                schema.update(minimum=-180, maximum=180)
            props[p["name"]] = schema
            if p.get("required"):
                required.append(p["name"])
        op["parameters"] = keep
        body = {"type": "object", "properties": props}
        if required:
            body["required"] = required
        op["requestBody"] = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": body}}}

json.dump(spec, open(sys.argv[2], "w"), indent=2, ensure_ascii=False)
