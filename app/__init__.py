"""The Flask application factory: it only wires configuration, extensions, blueprints,
error pages and commands. Nothing runs at import time."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

import config as config_module

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: object | str | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(config_module.INSTANCE_DIR),
    )
    if config is None or isinstance(config, str):
        config = config_module.load(config)
    app.config.from_object(config)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic.runtime.plugins", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if app.config.get("ALLOW_DEMO_DATA"):
        import email_validator

        # The demo accounts live under the reserved .test domain (RFC 2606), which
        # email-validator refuses outside its test environment.
        email_validator.TEST_ENVIRONMENT = True

    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]  # the client's address and scheme, as the proxy saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from app import cli, edge, errors, headers, idempotency, logs, web
    from app.auth import second_step, sessions, throttle
    from app.extensions import babel, csrf, db, login_manager, migrate
    from app.services import connections, relay

    edge.init_app(app)  # first: its check runs before every other hook, its `int` in every route
    db.init_app(app)
    connections.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    sessions.init_app(app)
    throttle.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)
    web.init_app(app)
    second_step.init_app(app)  # after web's login check: its gate sees who is signed in
    headers.init_app(app)
    idempotency.init_app(app)
    relay.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    import workflows.procedures  # noqa: F401  (registers the procedures with the engine)
    from app.api.views import bp as api_bp
    from app.auth.factor_views import bp as factor_bp
    from app.auth.views import bp as auth_bp
    from app.cases.views import bp as cases_bp
    from app.decisions.views import bp as decisions_bp
    from app.documents.views import bp as documents_bp
    from app.feeds.views import bp as calendar_bp
    from app.filing.views import bp as filing_bp
    from app.main.views import bp as main_bp
    from app.manage.views import bp as manage_bp
    from app.rules.views import bp as rules_bp

    for blueprint in (main_bp, auth_bp, factor_bp, filing_bp, cases_bp, documents_bp, decisions_bp,
                      manage_bp, api_bp, rules_bp, calendar_bp):
        app.register_blueprint(blueprint)
    if app.config.get("BENCH_ROUTES"):
        from app.bench.views import bp as bench_bp

        app.register_blueprint(bench_bp)
    logs.init_app(app)  # after the blueprints: it reads which routes carry a token
    return app
