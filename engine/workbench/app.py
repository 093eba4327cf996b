"""The workbench as an ASGI app (Starlette): read-only pages over one case file, GET only.

Every value reaches the page through Jinja2 with autoescaping on (graphs through `dot`, which escapes its
labels as XML); scripts and styles come from the package's `static` folder, never from elsewhere, and a
Content-Security-Policy tells the browser so. Hosts other than the one served on are refused (DNS rebinding).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..diagnostics import WarrantError
from ..proof.render_text import binding_text
from ..proof.terms import ProofError, value_text
from . import graphs
from .view import Workbench

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["entity_link"] = graphs.entity_link
    env.filters["pretty_json"] = lambda data: json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)
    env.filters["value"] = value_text
    env.filters["binding"] = binding_text
    return env


def create_app(path: str | Path, hosts: list[str] | None = None, as_principal: str | None = None,
               say=None) -> Starlette:
    """The workbench over the case file at `path`, opened read-only, reading as `as_principal` (default: the
    owner); `hosts` are the Host headers accepted; `say` is told when page views cannot be recorded."""
    bench = Workbench(path, as_principal, say)
    env = _environment()
    env.globals["atom_entities"] = bench.atom_entities
    env.globals["reader"] = bench.principal

    def page(name: str, request: Request, status_code: int = 200, **data) -> HTMLResponse:
        html = env.get_template(name).render(case_path=bench.path, query=request.query_params, **data)
        return HTMLResponse(html, status_code=status_code)

    def arg(request: Request, name: str, default: str | None = None) -> str:
        value = request.query_params.get(name, default)
        if value is None:
            raise HTTPException(400, f"missing parameter {name!r}")
        return value

    def read(fn):
        """A GET endpoint that reads the case file under the lock, then appends its access-log entries; a bad
        atom or run is a 400 page."""
        def endpoint(request: Request) -> Response:
            try:
                with bench.lock:
                    try:
                        return fn(request)
                    finally:
                        bench.flush()
            except (WarrantError, ProofError, ValueError) as exc:
                message = "\n".join(d.message for d in exc.diagnostics) if isinstance(exc, WarrantError) else str(exc)
                if request.url.path.startswith("/api/"):
                    return JSONResponse({"error": message}, status_code=400)
                return page("error.html", request, 400, message=message)
        return endpoint

    def home(request: Request) -> Response:
        latest, runs = bench.latest_runs(), bench.runs()
        conclusions = {r.id: bench.conclusions(r.id) for r in latest}
        bench.record("view.case", None, {"runs": [r.id for r in latest],
                                         "conclusions": sum(len(a) for c in conclusions.values() for a in c.values())})
        return page("case.html", request, runs=runs, latest=latest, conclusions=conclusions, changes=bench.changes(),
                    shown_counts={r.id: bench.counts(r) for r in runs})

    def search(request: Request) -> Response:
        text = request.query_params.get("q", "")
        return page("search.html", request, text=text, found=bench.search(text, 100) if text else [])

    def api_search(request: Request) -> Response:
        return JSONResponse(bench.search(request.query_params.get("q", ""), 20))

    def entity(request: Request) -> Response:
        return page("entity.html", request, e=bench.entity(arg(request, "id")))

    def api_reason(request: Request) -> Response:
        return JSONResponse({"reason": bench.one_line_whynot(arg(request, "run"), arg(request, "atom"))})

    def conclusion(request: Request) -> Response:
        run_id, atom = arg(request, "run"), arg(request, "atom")
        data = bench.conclusion(run_id, atom)
        return page("conclusion.html", request, run_id=run_id, atom=atom, **data,
                    client={"layout": data["layout"], "nodes": data["nodes"], "run": run_id})

    def court(request: Request) -> Response:
        return HTMLResponse(bench.court(arg(request, "run"), arg(request, "atom")))

    def court_pdf(request: Request) -> Response:
        return Response(bench.court(arg(request, "run"), arg(request, "atom"), "pdf"), media_type="application/pdf",
                        headers={"Content-Disposition": 'attachment; filename="court-exhibit.pdf"'})

    def whynot(request: Request) -> Response:
        runs = bench.runs()
        run_id = request.query_params.get("run") or (runs[-1].id if runs else "")
        atom = request.query_params.get("atom", "").strip()
        depth = max(1, min(8, int(request.query_params.get("depth", "3") or 3)))
        answer = bench.whynot(run_id, atom, depth) if atom else None
        return page("whynot.html", request, runs=runs, run_id=run_id, atom=atom, depth=depth, answer=answer,
                    candidates=bench.candidates(run_id) if run_id else [])

    def diff(request: Request) -> Response:
        runs = bench.runs()
        a, b = request.query_params.get("a"), request.query_params.get("b")
        result = bench.diff(a, b) if a and b else None
        return page("diff.html", request, runs=runs, a=a, b=b, diff=result)

    def audit(request: Request) -> Response:
        return page("audit.html", request, **bench.audit())

    async def not_found(request: Request, exc: HTTPException) -> Response:
        return HTMLResponse(env.get_template("error.html").render(case_path=bench.path, query=request.query_params,
                                                                  message=exc.detail), status_code=exc.status_code)

    routes = [Route(p, read(fn), methods=["GET"]) for p, fn in (
        ("/", home), ("/search", search), ("/api/search", api_search), ("/entity", entity),
        ("/api/reason", api_reason), ("/conclusion", conclusion), ("/court", court), ("/court.pdf", court_pdf), ("/whynot", whynot), ("/diff", diff),
        ("/audit", audit))]
    routes.append(Mount("/static", StaticFiles(directory=HERE / "static", follow_symlink=False), name="static"))
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        bench.close()

    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found}, lifespan=lifespan,
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts or LOCAL_HOSTS),
                                Middleware(ReadOnly)])
    app.state.workbench = bench
    return app


class ReadOnly:
    """ASGI middleware: every method but GET and HEAD is refused (405), and each response carries the
    security headers (the Content-Security-Policy above, no sniffing, no referrer, no caching)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            refused = PlainTextResponse("the workbench only reads: no method but GET\n", status_code=405,
                                        headers={"Allow": "GET, HEAD", **SECURITY_HEADERS})
            await refused(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
