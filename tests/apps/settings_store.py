"""A settings store with only PUT routes: an app that has no GET or POST at all."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Body, FastAPI
from pydantic import BaseModel, Field

app = FastAPI(title="Settings")
SETTINGS: dict[str, object] = {}


class Theme(BaseModel):
    mode: Literal["light", "dark", "system"]
    accent: str = Field(pattern=r"^#[0-9a-f]{6}$")
    font_size: int = Field(ge=8, le=32)


class Quota(BaseModel):
    requests_per_minute: int = Field(gt=0, le=10_000)
    burst: int = Field(ge=0, le=100, multiple_of=5)


@app.put("/settings/theme")
def set_theme(theme: Theme):
    SETTINGS["theme"] = theme.model_dump()
    return SETTINGS["theme"]


@app.put("/settings/quotas/{tier}")
def set_quota(tier: Literal["free", "pro", "enterprise"], quota: Quota):
    SETTINGS[f"quota:{tier}"] = quota.model_dump()
    return {"tier": tier, **quota.model_dump()}


@app.put("/settings/flags/{flag}")
def set_flag(flag: str, enabled: Annotated[bool, Body(embed=True)]):
    SETTINGS[f"flag:{flag}"] = enabled
    return {"flag": flag, "enabled": enabled}
