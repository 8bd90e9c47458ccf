"""Per-tenant budgets (``minutes budgets set``): a tenant's row overrides the configured
limits field by field; a tenant without one spends under the configured budget."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from minutes.config import BudgetSettings
from minutes.store.models import TenantBudget
from minutes.units import from_micros, to_micros, utcnow_naive

OnExceed = Literal["downgrade", "extractive", "fail"]


class BudgetView(BaseModel):
    tenant: str
    daily_usd: Decimal | None
    monthly_usd: Decimal | None
    on_exceed: OnExceed | None
    updated_at: dt.datetime


def _view(row: TenantBudget) -> BudgetView:
    return BudgetView(
        tenant=row.tenant,
        daily_usd=None if row.daily_micros is None else from_micros(row.daily_micros),
        monthly_usd=None if row.monthly_micros is None else from_micros(row.monthly_micros),
        on_exceed=row.on_exceed,
        updated_at=row.updated_at,
    )


def set_budget(
    session: Session,
    tenant: str,
    *,
    daily_usd: Decimal | None,
    monthly_usd: Decimal | None,
    on_exceed: OnExceed | None = None,
) -> BudgetView:
    row = session.get(TenantBudget, tenant)
    if row is None:
        row = TenantBudget(tenant=tenant)
        session.add(row)
    row.daily_micros = None if daily_usd is None else to_micros(daily_usd)
    row.monthly_micros = None if monthly_usd is None else to_micros(monthly_usd)
    row.on_exceed = on_exceed
    row.updated_at = utcnow_naive()
    session.flush()
    return _view(row)


def list_budgets(session: Session) -> list[BudgetView]:
    return [_view(r) for r in session.scalars(select(TenantBudget).order_by(TenantBudget.tenant))]


def budget_for(session: Session, tenant: str, configured: BudgetSettings) -> BudgetSettings:
    """The budget a tenant's runs are held to."""
    row = session.get(TenantBudget, tenant)
    if row is None:
        return configured
    view = _view(row)
    return configured.model_copy(
        update={
            "daily_usd": view.daily_usd,
            "monthly_usd": view.monthly_usd,
            "on_exceed": view.on_exceed or configured.on_exceed,
        }
    )
