"""The REST generator's translation of the contracts' buf.validate rules into JSON Schema: what it renders, and that a
rule it cannot render stops `make gen` instead of leaving the OpenAPI document without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from buf.validate import validate_pb2
from google.protobuf import descriptor_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.codegen import rest_models
from racecoach.codegen.rest_models import CEL_JSON_SCHEMA, is_required, json_rules
from racecoach.codegen.rest_plugin import PluginError
from racecoach.rest.models import JSON_SCHEMA_REQUIRED, JSON_SCHEMA_RULES
from racecoach.services.common import limits

F = descriptor_pb2.FieldDescriptorProto
REPO = Path(__file__).resolve().parents[2]


def _field(kind: int = F.TYPE_DOUBLE, *, label: int = F.LABEL_OPTIONAL, type_name: str = "") -> F:
    return F(name="probe", number=1, type=kind, label=label, type_name=type_name)


def _rules(fld: F) -> validate_pb2.FieldRules:
    return fld.options.Extensions[validate_pb2.field]


def test_a_cel_rule_is_rendered_with_the_json_schema_written_for_its_expression():
    expression, schema = CEL_JSON_SCHEMA["get_lap_comparison_request.step_m"]
    fld = _field()
    _rules(fld).cel.add(id="get_lap_comparison_request.step_m", message="m", expression=expression)
    assert json_rules(fld) == schema == {"anyOf": [{"const": 0}, {"minimum": 0.1, "maximum": 100}]}


@pytest.mark.parametrize(("rule_id", "expression"), [
    ("no_such_rule", "this > 0.0"),  # an id the generator has no JSON Schema for
    ("get_lap_comparison_request.step_m", "this == 0.0 || (this >= 0.1 && this <= 50.0)"),  # the rule, changed
])
def test_a_cel_rule_without_its_json_schema_stops_the_generator(rule_id, expression):
    fld = _field()
    _rules(fld).cel.add(id=rule_id, message="m", expression=expression)
    with pytest.raises(PluginError, match="CEL_JSON_SCHEMA"):
        json_rules(fld)


def test_a_cel_rule_without_an_id_or_on_a_repeated_field_stops_the_generator():
    bare = _field()
    _rules(bare).cel_expression.append("this > 0.0")
    with pytest.raises(PluginError, match="needs an id"):
        json_rules(bare)
    repeated = _field(label=F.LABEL_REPEATED)
    expression, _ = CEL_JSON_SCHEMA["get_lap_comparison_request.step_m"]
    _rules(repeated).cel.add(id="get_lap_comparison_request.step_m", message="m", expression=expression)
    with pytest.raises(PluginError, match="repeated"):
        json_rules(repeated)


def test_required_is_a_required_property_and_for_a_string_at_least_one_character():
    string = _field(F.TYPE_STRING)
    _rules(string).required = True
    _rules(string).string.max_len = 8
    assert is_required(string) and json_rules(string) == {"pattern": rest_models.NO_NUL, "maxLength": 8, "minLength": 1}
    message = _field(F.TYPE_MESSAGE, type_name=".racecoach.analysis.v1.LapAnalysis")
    _rules(message).required = True
    assert is_required(message) and json_rules(message) == {}
    assert not is_required(_field(F.TYPE_STRING))
    number = _field()
    _rules(number).required = True
    with pytest.raises(PluginError, match="required"):
        is_required(number)


def test_every_cel_rule_of_the_contracts_has_its_json_schema_and_every_json_schema_its_rule():
    used = {}
    for module in limits.CONTRACTS:
        for message in module.DESCRIPTOR.message_types_by_name.values():
            for fld in message.fields:
                for rule in limits.field_rules(fld).cel:
                    used[rule.id] = rule.expression
    assert used == {rule_id: expression for rule_id, (expression, _) in CEL_JSON_SCHEMA.items()}


def test_the_generated_tables_carry_the_moved_rules():
    assert JSON_SCHEMA_RULES["StorageGetLapComparisonRequest"]["stepM"] == {
        "anyOf": [{"const": 0}, {"minimum": 0.1, "maximum": 100}]}
    assert JSON_SCHEMA_RULES["CoachingScoreLapRequest"]["lap"] == {
        "type": "object", "required": ["sessionId"], "properties": {"sessionId": {"type": "string", "minLength": 1}}}
    assert "lap" in JSON_SCHEMA_REQUIRED["CoachingScoreLapRequest"]
    assert limits.field_rules(coaching_pb2.ScoreLapRequest.DESCRIPTOR.fields_by_name["lap"]).required
    assert JSON_SCHEMA_RULES["StorageStreamLapTelemetryRequest"]["maxSamples"] == {"minimum": 0, "maximum": 2**32 - 1}


def test_the_openapi_document_states_the_rules_the_contract_holds():
    document = json.loads((REPO / "gen" / "openapi.json").read_text())
    schemas, paths = document["components"]["schemas"], document["paths"]
    compare = paths["/api/v1/laps/{lap_id}/compare/{reference_lap_id}"]["get"]["parameters"]
    step = next(p for p in compare if p["name"] == "stepM")["schema"]
    assert step["anyOf"] == [{"const": 0}, {"minimum": 0.1, "maximum": 100}], step
    scored = schemas["CoachingScoreLapRequest"]
    assert scored["required"] == ["lap"]
    assert scored["properties"]["lap"]["allOf"] == [
        {"$ref": "#/components/schemas/AnalysisLapAnalysis"},
        {"type": "object", "required": ["sessionId"], "properties": {"sessionId": {"type": "string", "minLength": 1}}}]
    assert schemas["TelemetrySession"]["required"] == ["sessionId"]
    assert schemas["TelemetrySession"]["properties"]["sessionId"]["minLength"] == 1
    columns = paths["/api/v1/laps/{lap_id}/columns"]["get"]["parameters"]
    most = next(p for p in columns if p["name"] == "maxSamples")["schema"]
    assert (most["minimum"], most["maximum"]) == (0, 2**32 - 1), most
