"""The service commencement date: read from the customer file, and the start of Vodafone's Annual Measurement
Period in its reports."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, config_from_mapping, load_config


def demo(**vodafone: Any) -> dict[str, Any]:
    raw = tomllib.loads((resources.files("bot") / "demo_customers.toml").read_text(encoding="utf-8"))
    raw["customers"][1].update(vodafone)
    return raw


def test_the_demo_customers_have_their_commencement_dates() -> None:
    config = load_config(None)
    assert config.customer("vodafone-demo").service_commencement == date(2025, 4, 1)  # type: ignore[union-attr]
    assert config.customer("cloudcti-demo").service_commencement is None  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["2025-04-01", 20250401, "soon"])
def test_a_commencement_date_must_be_a_toml_date(tmp_path: Path, value: Any) -> None:
    expected = re.escape("service_commencement: must be a date without quotes, e.g. 2025-04-01")
    with pytest.raises(ConfigError, match=expected):
        config_from_mapping(demo(service_commencement=value), "customers.toml", tmp_path)
