"""Bad input: one clear error naming the definition and the field; nothing written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from aurastream_obs import cli
from aurastream_obs.definitions import DefinitionError, load_definitions, validate
from aurastream_obs.definitions import aurastream as spec
from aurastream_obs.definitions.spec import (
    BurnRateRule,
    Definitions,
    PromRatio,
    PromSelector,
    Threshold,
)


def _defs() -> Definitions:
    return load_definitions()


def _replace_slo(defs: Definitions, index: int, **changes: object) -> Definitions:
    slos = list(defs.slos)
    slos[index] = dataclasses.replace(slos[index], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(defs, slos=tuple(slos))


def _replace_alarm(defs: Definitions, index: int, **changes: object) -> Definitions:
    alarms = list(defs.alarms)
    alarms[index] = dataclasses.replace(alarms[index], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(defs, alarms=tuple(alarms))


def test_the_aurastream_definition_is_valid() -> None:
    defs = _defs()
    assert {s.name for s in defs.slos} == {
        "availability",
        "latency",
        "error-rate",
        "cache-hit-rate",
    }
    assert validate(defs) is defs


def test_unknown_metric_names_definition_and_field() -> None:
    bad = PromRatio(total=PromSelector("http_server_requests_total"), bad=PromSelector("x_total"))
    with pytest.raises(DefinitionError) as info:
        validate(_replace_slo(_defs(), 0, prometheus=bad))
    assert str(info.value) == (
        "definition slo 'availability': field 'prometheus.total': "
        "unknown metric 'http_server_requests_total'"
    )


def test_unknown_label_is_rejected() -> None:
    total = PromSelector("http_server_request_duration_seconds_count", (("customer", "=", "x"),))
    with pytest.raises(DefinitionError, match="has no label 'customer'"):
        validate(_replace_slo(_defs(), 0, prometheus=PromRatio(total=total, bad=total)))


def test_threshold_out_of_range() -> None:
    index = next(i for i, a in enumerate(spec.ALARMS) if a.name == "error-rate")
    thresholds = {"critical": Threshold(150, 2), "warning": Threshold(2, 3)}
    with pytest.raises(DefinitionError) as info:
        validate(_replace_alarm(_defs(), index, thresholds=thresholds))
    assert info.value.definition == "alarm 'error-rate'"
    assert info.value.field == "thresholds[critical].value"
    assert "out of range [0.0, 100.0]" in str(info.value)


def test_burn_rate_that_can_never_fire_is_out_of_range() -> None:
    rows = (BurnRateRule("critical", "1h", "5m", 14.4),)
    with pytest.raises(DefinitionError) as info:
        validate(_replace_slo(_defs(), 3, burn_rates=rows))  # cache-hit-rate: 40 % budget
    assert info.value.field == "burn_rates[0].burn_rate"


def test_duplicate_name() -> None:
    defs = _defs()
    with pytest.raises(DefinitionError) as info:
        validate(dataclasses.replace(defs, alarms=(*defs.alarms, defs.alarms[0])))
    assert str(info.value) == "definition alarm 'error-rate': field 'name': duplicate name"


@pytest.mark.parametrize("objective", [100.0, 100.5])
def test_objective_of_100_percent_or_more(objective: float) -> None:
    with pytest.raises(DefinitionError) as info:
        validate(_replace_slo(_defs(), 0, objective_percent=objective))
    assert (info.value.definition, info.value.field) == ("slo 'availability'", "objective_percent")


def test_window_longer_than_the_slo_period() -> None:
    rows = (BurnRateRule("warning", "45d", "6h", 1.0),)
    with pytest.raises(DefinitionError) as info:
        validate(_replace_slo(_defs(), 0, burn_rates=rows))
    assert info.value.field == "burn_rates[0].long_window"
    assert "longer than the SLO period (30d)" in str(info.value)


def test_panel_without_query() -> None:
    defs = _defs()
    dashboard = defs.dashboards[0]
    empty = dataclasses.replace(dashboard.panels[0], prometheus=(), cloudwatch=())
    broken = dataclasses.replace(dashboard, panels=(empty, *dashboard.panels[1:]))
    with pytest.raises(DefinitionError, match="panel has no query"):
        validate(dataclasses.replace(defs, dashboards=(broken, *defs.dashboards[1:])))


def test_invalid_definition_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = _replace_slo(_defs(), 0, objective_percent=100.0)
    monkeypatch.setattr(spec, "aurastream_definitions", lambda: broken)
    assert cli.main(["render", "--root", str(tmp_path)]) == 1  # a problem found (README)
    assert list(tmp_path.iterdir()) == []
    assert "slo 'availability': field 'objective_percent'" in capsys.readouterr().err
