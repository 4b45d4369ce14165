"""The API's documentation pages, Swagger UI (`/api/docs`) and ReDoc (`/api/redoc`), served with
their scripts and styles from the installed package, so they work on a network with no way out.

The assets come from the `fastapi-offline` package (MIT; Swagger UI 5 and ReDoc 2 bundles, kept
current with upstream), read from its installed files: nothing is fetched at run time. Only its
files are used, not its FastAPI factory: `create_app` builds the app itself.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)

DOCS = "/api/docs"
REDOC = "/api/redoc"
#: Where the assets are mounted (`create_app`): under the docs, so one path prefix covers the pages.
ASSETS = "/api/docs/assets"
TITLE = "tenderproof API"
#: Swagger UI asks validator.swagger.io to badge a remote document unless told not to.
SWAGGER_PARAMETERS = {"validatorUrl": None, "persistAuthorization": False, "displayRequestDuration": True,
                      "tryItOutEnabled": False}


def assets() -> StaticFiles:
    """The Swagger UI and ReDoc files of the installed `fastapi_offline` package."""
    return StaticFiles(directory=str(resources.files("fastapi_offline") / "static"))


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get(DOCS, response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json", title=f"{TITLE} · Swagger UI", oauth2_redirect_url=None,
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png", swagger_ui_parameters=SWAGGER_PARAMETERS)


@router.get(REDOC, response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}/openapi.json", title=f"{TITLE} · ReDoc",
        redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js", redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
        with_google_fonts=False)
