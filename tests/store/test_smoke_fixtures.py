from desk_app.store import Queries


def test_team_fixture_creates_departments_and_agents(db, team):
    queries = Queries(db, team.anna)
    assert [d.name for d in queries.departments()] == ["Billing", "Support"]
    assert {a.email for a in queries.agents()} == {
        "anna@desk.test",
        "boris@desk.test",
        "lena@desk.test",
        "ada@desk.test",
    }
