"""Browser libraries served by the app itself (no CDN): installed by npm from package.json.

The files live in the repository's ``node_modules`` (``npm ci``, which scripts/demo.sh and
scripts/test.sh run); ``CITYOPS_VENDOR_DIR`` points elsewhere when the app is deployed without
the checkout.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse

router = APIRouter(include_in_schema=False)

# name served → path inside node_modules
FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
}


def vendor_dir(configured: Path | None = None) -> Path | None:
    if configured:
        return configured
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "node_modules"
        if candidate.is_dir():
            return candidate
    return None


@router.get("/static/vendor/{name}")
def vendor_file(name: str, request: Request):
    rel = FILES.get(name)
    base = vendor_dir(request.app.state.container.settings.vendor_dir)
    if rel is None:
        return PlainTextResponse("unknown file", status_code=404)
    if base is None or not (base / rel).is_file():
        return PlainTextResponse(f"{name} is not installed: run `npm ci` in the repository", status_code=404)
    return FileResponse(base / rel, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})
