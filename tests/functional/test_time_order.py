"""Times given with different UTC offsets still sort by the instant they name."""

from __future__ import annotations

from tests.functional.conftest import new_client


def test_activities_sort_by_instant_whatever_their_offset(api):
    c = new_client(api)
    early = {"type": "call", "status": "scheduled", "at": "2026-12-10T10:00:00+02:00"}  # 08:00Z
    late = {"type": "visit", "status": "scheduled", "at": "2026-12-10T09:00:00+00:00"}  # 09:00Z
    first = api.post(f"/clients/{c['id']}/activities", early).body
    second = api.post(f"/clients/{c['id']}/activities", late).body
    listed = [a["id"] for a in api.get(f"/clients/{c['id']}/activities").body["items"]]
    assert listed == [second["id"], first["id"]]  # latest first
    bell = [a["id"] for a in api.get("/activities?status=scheduled").body["items"]]
    assert bell == [first["id"], second["id"]]  # soonest first
    assert api.get(f"/clients/{c['id']}").body["next_activity"]["id"] == first["id"]
    assert first["at"] == "2026-12-10T10:00:00+02:00"  # shown as it was given
