"""Which Microsoft 365 organizations (tenants) this server serves, and who may change their settings.

A multi-tenant bot registration accepts activities from any tenant that adds the app. Each tenant is a
workspace of its own (its meetings, its search scope, its settings); ``LIFESTREAM_TEAMS_TENANTS`` limits
the server to the tenants listed, and ``LIFESTREAM_TEAMS_ADMINS`` names, as ``tenant:aad-object-id``, the
people who may change a tenant's settings from Teams. Pure.
"""

from __future__ import annotations

from lifestream.settings import Settings

REFUSED = (
    "⚠️ This LifeStream server does not serve your organization, so I can't take recordings or questions "
    "here. Ask whoever runs it to add your organization (tenant {tenant})."
)


def tenant_allowed(settings: Settings, tenant: str) -> bool:
    return not settings.teams_tenants or tenant in settings.teams_tenants


def is_admin(settings: Settings, tenant: str, aad_object_id: str | None) -> bool:
    return bool(aad_object_id) and f"{tenant}:{aad_object_id}" in settings.teams_admins
