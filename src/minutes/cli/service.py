"""``minutes serve`` (the HTTP API), ``minutes worker`` (a Celery worker for its jobs),
``minutes keys`` (tenants' API keys) and ``minutes budgets`` (tenants' spending limits)."""

from __future__ import annotations

import importlib.util
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from minutes.cli._console import JsonFlag, open_configured_store, out, print_json, usd
from minutes.errors import ConfigError

commands = typer.Typer()
keys_app = typer.Typer(help="API keys of the service's tenants.", no_args_is_help=True)
budgets_app = typer.Typer(help="Spending limits per tenant.", no_args_is_help=True)
commands.add_typer(keys_app, name="keys")
commands.add_typer(budgets_app, name="budgets")


def _need(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"this command needs the [{extra}] extra: pip install 'minutes[{extra}]'")


@commands.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on [127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="port [8000]")] = None,
) -> None:
    """Serve the HTTP API. Alone it needs nothing else (SQLite, jobs run in this process);
    with MINUTES_BROKER_URL its jobs go to `minutes worker` processes."""
    _need("fastapi", "service")
    _need("uvicorn", "service")
    import uvicorn

    from minutes.config import load_settings
    from minutes.service.app import create_app

    settings = load_settings()
    app = create_app(settings)
    where = settings.broker_url.split("@")[-1] if settings.broker_url else "in this process"
    out.print(f"jobs run {'through ' if settings.broker_url else ''}{where}", style="dim")
    uvicorn.run(
        app,
        host=host or settings.service.host,
        port=settings.service.port if port is None else port,
        log_level="info",
        # Access lines carry paths and statuses only; bodies (transcripts) and the
        # Authorization header are never logged.
        access_log=True,
    )


@commands.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=256, help="meetings at once [service.worker_concurrency]"),
    ] = None,
) -> None:
    """Take meeting jobs from the broker (MINUTES_BROKER_URL) and run them."""
    _need("celery", "worker")
    from minutes.config import load_settings
    from minutes.service.tasks import run_worker

    settings = load_settings()
    if not settings.broker_url:
        raise ConfigError("minutes worker needs MINUTES_BROKER_URL (redis://… or amqp://…)")
    run_worker(settings, concurrency=concurrency)


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="whose key it is", min=1)],
    name: Annotated[str | None, typer.Option(help="a label for lists")] = None,
    rate: Annotated[
        int | None, typer.Option(min=1, help="requests per minute for this key")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Make a new API key and print it, once: only its hash is kept."""
    from minutes.store.keys import create_key

    _check_tenant(tenant)
    with open_configured_store() as store, store.transaction() as session:
        made = create_key(session, tenant, name=name, requests_per_minute=rate)
    if json_out:
        print_json({"key": made.key, **made.view.model_dump(mode="json")})
        return
    typer.echo(made.key)
    out.print(f"key {made.view.id} for tenant {tenant}: shown once, store it now", style="dim")


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option(help="only this tenant's")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Keys (their prefixes, never the keys), revoked ones marked."""
    from minutes.store.keys import list_keys

    with open_configured_store() as store, store.read() as session:
        rows = list_keys(session, tenant=tenant)
    if json_out:
        print_json(rows)
        return
    table = Table("id", "tenant", "prefix", "name", "created", "last used", "revoked")
    for k in rows:
        table.add_row(
            k.id,
            k.tenant,
            k.prefix + "…",
            k.name or "",
            f"{k.created_at:%Y-%m-%d %H:%M}",
            f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "",
            f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="the key's id or shown prefix")]) -> None:
    """Revoke a key: requests with it get 401 (within seconds on a running service)."""
    from minutes.store.keys import revoke_key

    with open_configured_store() as store, store.transaction() as session:
        view = revoke_key(session, key)
    out.print(f"revoked key {view.id} ({view.prefix}…) of tenant {view.tenant}")


class OnExceed(StrEnum):
    downgrade = "downgrade"
    extractive = "extractive"
    fail = "fail"


def _usd(value: str | None, option: str) -> Decimal | None:
    if value is None or value.lower() == "none":
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{option} must be an amount in USD, not {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{option} must be zero or more, not {value!r}")
    return amount


@budgets_app.command("set")
def budgets_set(
    tenant: Annotated[str, typer.Option(help="whose budget")],
    daily: Annotated[str | None, typer.Option(help="USD per UTC day ('none': no limit)")] = None,
    monthly: Annotated[str | None, typer.Option(help="USD per UTC month")] = None,
    on_exceed: Annotated[OnExceed | None, typer.Option(help="what a run over it does")] = None,
) -> None:
    """Set a tenant's budget (it replaces the configured one for that tenant)."""
    from minutes.store.budgets import set_budget

    _check_tenant(tenant)
    with open_configured_store() as store, store.transaction() as session:
        view = set_budget(
            session,
            tenant,
            daily_usd=_usd(daily, "--daily"),
            monthly_usd=_usd(monthly, "--monthly"),
            on_exceed=on_exceed.value if on_exceed else None,
        )
    daily_s = usd(view.daily_usd) if view.daily_usd is not None else "no limit"
    monthly_s = usd(view.monthly_usd) if view.monthly_usd is not None else "no limit"
    out.print(f"tenant {tenant}: {daily_s} a day, {monthly_s} a month")


@budgets_app.command("list")
def budgets_list(json_out: JsonFlag = False) -> None:
    """Tenants' budgets."""
    from minutes.store.budgets import list_budgets

    with open_configured_store() as store, store.read() as session:
        rows = list_budgets(session)
    if json_out:
        print_json(rows)
        return
    table = Table("tenant", "daily", "monthly", "on exceed", "updated")
    for b in rows:
        table.add_row(
            b.tenant,
            usd(b.daily_usd) if b.daily_usd is not None else "—",
            usd(b.monthly_usd) if b.monthly_usd is not None else "—",
            b.on_exceed or "(configured)",
            f"{b.updated_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


def _check_tenant(tenant: str) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", tenant):
        raise ConfigError(
            f"--tenant {tenant!r}: use 1-64 letters, digits, '.', '_' or '-', starting with "
            "a letter or digit"
        )
