"""``/docs``: the API reference (Swagger UI) and the integrator's guide (``/docs/guide``).

Swagger UI's script and style come from the ``swagger-ui-bundle-v2`` package and are
served from here (``/docs/assets/…``): no CDN, so the page works offline and under the
strict Content-Security-Policy (scripts and styles from this origin only; the page's own
start-up script is ``/static/docs.js``, not inline). The guide is ``guide.md`` beside this
module, rendered as CommonMark, followed by the error-code table of the registry.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from markdown_it import MarkdownIt

from anxin.error_codes import markdown_table
from anxin.errors import NotFound

# The only files of the bundle the page needs (nothing else of the package is served).
ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
          "swagger-ui.css": "text/css; charset=utf-8",
          "favicon-32x32.png": "image/png"}


@cache
def guide_html() -> str:
    text = (resources.files("anxin.web.api") / "guide.md").read_text(encoding="utf-8")
    text += "\n\n## Error codes\n\n" + markdown_table() + "\n"
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    html: str = md.render(text)
    return html


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(request.app.state.templates.get_template("docs.html").render())

    @router.get("/docs/guide", response_class=HTMLResponse)
    def guide(request: Request) -> HTMLResponse:
        return HTMLResponse(request.app.state.templates.get_template(
            "docs_guide.html").render(guide=guide_html()))

    @router.get("/docs/assets/{name}")
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise NotFound(f"no such asset: {name}")
        path = Path(str(swagger_ui_bundle.swagger_ui_path)) / name
        return FileResponse(path, media_type=ASSETS[name],
                            headers={"Cache-Control": "public, max-age=86400"})

    return router
