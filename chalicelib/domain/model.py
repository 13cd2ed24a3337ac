"""The base of every pydantic model of the app: its schema is built on first use, not at
import, so a cold start pays only for the models its request touches (bench/coldstart.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
