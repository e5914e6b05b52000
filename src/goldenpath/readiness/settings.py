"""A repository's own readiness settings: its tier, the level each tier must reach, and
checks it disables (with a recorded reason) or will enable later (shown, not counted).

Read from ``pyproject.toml`` ``[tool.goldenpath.readiness]`` or ``.goldenpath.toml``
``[readiness]`` at the repository root (the latter wins when both exist)::

    [tool.goldenpath.readiness]
    tier = 1
    required = { "1" = "gold", "2" = "silver", "3" = "bronze" }
    disable = { "progressive-rollout" = "single-tenant internal tool, rolled out by hand" }
    later = { "model-card-filled" = "evaluation section due with the 2027-Q1 model" }

A disabled check without a reason is refused: the reason is the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from goldenpath.errors import GoldenpathError
from goldenpath.readiness.facts import Repo
from goldenpath.readiness.model import Level

# The level a tier must reach unless the repository's settings say otherwise.
DEFAULT_REQUIRED = {1: Level.GOLD, 2: Level.SILVER, 3: Level.BRONZE}
_KEYS = {"tier", "required", "disable", "later"}


class SettingsError(GoldenpathError):
    """The repository's readiness settings are malformed."""


@dataclass
class Settings:
    """Parsed readiness settings; ``source`` names the file they came from."""

    source: str = ""
    tier: int | None = None
    required: dict[int, Level] = field(default_factory=lambda: dict(DEFAULT_REQUIRED))
    disable: dict[str, str] = field(default_factory=dict)
    later: dict[str, str] = field(default_factory=dict)


def _table(repo: Repo) -> tuple[str, dict[str, Any]] | None:
    if repo.exists(".goldenpath.toml"):
        data = repo.toml(".goldenpath.toml")
        if data is None:
            raise SettingsError(".goldenpath.toml is not valid TOML")
        table = data.get("readiness")
        return (".goldenpath.toml [readiness]", table) if isinstance(table, dict) else None
    if repo.exists("pyproject.toml"):
        data = repo.toml("pyproject.toml")
        table = (((data or {}).get("tool") or {}).get("goldenpath") or {}).get("readiness")
        if isinstance(table, dict):
            return "pyproject.toml [tool.goldenpath.readiness]", table
    return None


def _reasons(where: str, key: str, value: Any) -> dict[str, str]:
    if isinstance(value, list):  # ids without reasons: refused below for ``disable``
        value = dict.fromkeys(value, "")
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: {key} must be a table of check id = reason")
    reasons = {str(k): str(v).strip() for k, v in value.items()}
    if key == "disable":
        bare = [k for k, v in reasons.items() if not v]
        if bare:
            raise SettingsError(
                f"{where}: disabling {', '.join(bare)} needs a reason",
                hint='write disable = { "check-id" = "why it does not apply" }',
            )
    return reasons


def load(repo: Repo) -> Settings:
    """The repository's settings, or the defaults when it has none."""
    found = _table(repo)
    if found is None:
        return Settings()
    where, table = found
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {', '.join(unknown)}")
    settings = Settings(source=where)
    if "tier" in table:
        settings.tier = _tier(where, table["tier"])
    if "required" in table:
        if not isinstance(table["required"], dict):
            raise SettingsError(f"{where}: required must map tiers to levels")
        for tier, level in table["required"].items():
            try:
                settings.required[_tier(where, tier)] = Level.parse(str(level))
            except ValueError as exc:
                raise SettingsError(f"{where}: {exc}") from None
    settings.disable = _reasons(where, "disable", table.get("disable", {}))
    settings.later = _reasons(where, "later", table.get("later", {}))
    return settings


def _tier(where: str, value: Any) -> int:
    try:
        tier = int(str(value))
    except ValueError:
        raise SettingsError(f"{where}: tier {value!r} is not 1, 2 or 3") from None
    if tier not in (1, 2, 3):
        raise SettingsError(f"{where}: tier {value!r} is not 1, 2 or 3")
    return tier
