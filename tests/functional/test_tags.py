"""The tag catalogue and the tags of a client through the HTTP API."""

from __future__ import annotations

from tests.functional.conftest import new_client
from tests.functional.relations_helpers import (
    add_tag,
    assert_404,
    ids,
    ok,
    problem_fields,
    timeline,
)


def tags_of(api, client_id):
    return ok(api.get(f"/clients/{client_id}"))["tags"]


def test_the_catalogue_is_sorted_by_name_and_managers_and_admins_edit_it(team):
    admin, manager, luis = team["u-admin"], team["u-manager"], team["u-luis"]
    hot = add_tag(admin, "hot", "#ff0000")
    cold = add_tag(manager, "Cold", "#0000FF")
    default = ok(admin.post("/tags", {"name": "  Beta  "}), 201)
    assert default["name"] == "Beta" and default["color"] == "#9e9e9e"
    assert ok(luis.get("/tags"))["items"] == [default, cold, hot]  # everyone reads it

    renamed = ok(manager.patch(f"/tags/{hot['id']}", {"name": "Very hot"}))
    assert renamed["name"] == "Very hot" and renamed["color"] == "#ff0000"
    recoloured = ok(admin.patch(f"/tags/{cold['id']}", {"color": "#00ffff"}))
    assert recoloured["name"] == "Cold" and recoloured["color"] == "#00ffff"
    assert admin.delete(f"/tags/{default['id']}").status == 204
    assert ok(admin.get("/tags"))["items"] == [recoloured, renamed]
    assert_404(admin.patch(f"/tags/{default['id']}", {"name": "Gamma"}))
    assert_404(admin.delete(f"/tags/{default['id']}"))


def test_a_sales_user_cannot_change_the_catalogue(team):
    luis = team["u-luis"]
    tag = add_tag(team["u-admin"], "hot")
    for r in (
        luis.post("/tags", {"name": "mine", "color": "#112233"}),
        luis.patch(f"/tags/{tag['id']}", {"name": "cool"}),
        luis.delete(f"/tags/{tag['id']}"),
    ):
        assert r.status == 403, r
        assert r.headers["Content-Type"] == "application/problem+json"
    assert ok(luis.get("/tags"))["items"] == [tag]


def test_tag_names_are_unique_whatever_their_case(team):
    admin = team["u-admin"]
    hot = add_tag(admin, "Hot Lead")
    cold = add_tag(admin, "Cold")
    for name in ("hot lead", "HOT LEAD", "  Hot   Lead "):
        assert problem_fields(admin.post("/tags", {"name": name})) == ["name"], name
    assert problem_fields(admin.patch(f"/tags/{cold['id']}", {"name": "hot LEAD"})) == ["name"]
    # its own name in another case is fine
    assert ok(admin.patch(f"/tags/{hot['id']}", {"name": "HOT lead"}))["name"] == "HOT lead"
    assert [t["name"] for t in ok(admin.get("/tags"))["items"]] == ["Cold", "HOT lead"]
    # a renamed or deleted tag frees its name
    ok(admin.patch(f"/tags/{cold['id']}", {"name": "Frozen"}))
    assert add_tag(admin, "cold")["name"] == "cold"
    assert admin.delete(f"/tags/{hot['id']}").status == 204
    assert add_tag(admin, "Hot lead")["name"] == "Hot lead"


def test_bad_tags_are_400_naming_the_field(team):
    admin = team["u-admin"]
    cases = [
        ({"name": "x", "color": "red"}, "color"),
        ({"name": "x", "color": "#ff00"}, "color"),
        ({"name": "x", "color": "ff0000"}, "color"),
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"color": "#ff0000"}, "name"),
        ({"name": "x", "shade": "dark"}, "shade"),
    ]
    for body, field in cases:
        assert problem_fields(admin.post("/tags", body)) == [field], body
    tag = add_tag(admin, "hot")
    assert problem_fields(admin.patch(f"/tags/{tag['id']}", {"color": "#gggggg"})) == ["color"]
    assert ok(admin.get("/tags"))["items"] == [tag]


def test_set_add_and_remove_the_tags_of_a_client(team):
    luis, admin = team["u-luis"], team["u-admin"]
    a, b, c = add_tag(admin, "Alpha", "#aa0000"), add_tag(admin, "beta"), add_tag(admin, "Gamma")
    cid = new_client(luis)["id"]

    refs = ok(luis.put(f"/clients/{cid}/tags", {"tag_ids": [c["id"], a["id"], a["id"]]}))
    assert refs["items"] == [
        {"id": a["id"], "name": "Alpha", "color": "#aa0000"},
        {"id": c["id"], "name": "Gamma", "color": "#ff0000"},
    ]
    assert tags_of(luis, cid) == refs["items"]

    added = ok(luis.post(f"/clients/{cid}/tags/{b['id']}"))
    assert ids(added["items"]) == [a["id"], b["id"], c["id"]]
    assert ids(ok(luis.post(f"/clients/{cid}/tags/{b['id']}"))["items"]) == ids(added["items"])
    removed = ok(luis.delete(f"/clients/{cid}/tags/{a['id']}"))
    assert ids(removed["items"]) == [b["id"], c["id"]]
    assert ids(tags_of(luis, cid)) == [b["id"], c["id"]]
    assert_404(luis.delete(f"/clients/{cid}/tags/{a['id']}"))
    assert_404(luis.post(f"/clients/{cid}/tags/no-such-tag"))

    assert ok(luis.put(f"/clients/{cid}/tags", {"tag_ids": []}))["items"] == []
    assert tags_of(luis, cid) == []


def test_unknown_tag_ids_are_400_and_change_nothing(team):
    admin = team["u-admin"]
    tag = add_tag(admin, "hot")
    cid = new_client(admin)["id"]
    ok(admin.put(f"/clients/{cid}/tags", {"tag_ids": [tag["id"]]}))
    for body in (
        {"tag_ids": [tag["id"], "nope"]},
        {"tag_ids": ["bad#id"]},
        {"tag_ids": tag["id"]},
        {},
    ):
        named = problem_fields(admin.put(f"/clients/{cid}/tags", body))
        assert [f.split(".")[0] for f in named] == ["tag_ids"], body
    assert ids(tags_of(admin, cid)) == [tag["id"]]
    assert [e["action"] for e in timeline(admin, cid)].count("tags_changed") == 1


def test_renaming_or_deleting_a_tag_shows_on_every_client(team):
    admin, luis, sara = team["u-admin"], team["u-luis"], team["u-sara"]
    hot, vip = add_tag(admin, "hot", "#ff0000"), add_tag(admin, "vip", "#ffd700")
    mine, hers = new_client(luis)["id"], new_client(sara, name="Bruno")["id"]
    ok(luis.put(f"/clients/{mine}/tags", {"tag_ids": [hot["id"], vip["id"]]}))
    ok(sara.put(f"/clients/{hers}/tags", {"tag_ids": [hot["id"]]}))

    ok(admin.patch(f"/tags/{hot['id']}", {"name": "Burning", "color": "#ff4500"}))
    burning = {"id": hot["id"], "name": "Burning", "color": "#ff4500"}
    assert tags_of(luis, mine) == [burning, {"id": vip["id"], "name": "vip", "color": "#ffd700"}]
    assert tags_of(sara, hers) == [burning]

    assert admin.delete(f"/tags/{hot['id']}").status == 204
    assert ids(tags_of(luis, mine)) == [vip["id"]]
    assert tags_of(sara, hers) == []
    # a deleted tag cannot be set again
    named = problem_fields(sara.put(f"/clients/{hers}/tags", {"tag_ids": [hot["id"]]}))
    assert named == ["tag_ids"]


def test_tag_changes_are_on_the_timeline(team):
    luis, admin = team["u-luis"], team["u-admin"]
    hot, cold = add_tag(admin, "Hot"), add_tag(admin, "cold")
    cid = new_client(luis)["id"]
    ok(luis.put(f"/clients/{cid}/tags", {"tag_ids": [hot["id"]]}))
    ok(luis.post(f"/clients/{cid}/tags/{cold['id']}"))
    ok(luis.put(f"/clients/{cid}/tags", {"tag_ids": [cold["id"], hot["id"]]}))  # the same set
    ok(luis.delete(f"/clients/{cid}/tags/{hot['id']}"))
    events = [e for e in timeline(luis, cid) if e["action"] == "tags_changed"]
    assert [e["changes"]["tags"] for e in events] == [
        {"before": ["Hot", "cold"], "after": ["cold"]},
        {"before": ["Hot"], "after": ["Hot", "cold"]},
        {"before": [], "after": ["Hot"]},
    ]
    assert {e["actor_id"] for e in events} == {"u-luis"}


def test_tags_of_a_client_others_cannot_see_are_404(team):
    tag = add_tag(team["u-admin"], "hot")
    cid = new_client(team["u-luis"])["id"]
    sara = team["u-sara"]
    assert_404(sara.put(f"/clients/{cid}/tags", {"tag_ids": [tag["id"]]}))
    assert_404(sara.post(f"/clients/{cid}/tags/{tag['id']}"))
    assert_404(sara.delete(f"/clients/{cid}/tags/{tag['id']}"))
    assert tags_of(team["u-luis"], cid) == []
