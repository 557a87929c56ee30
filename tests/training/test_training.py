"""Training (F3): projects, courses and attendee lists within the project owner's scope,
courses through the recycle bin, and a customer's trainings in the customer view."""

from __future__ import annotations

from typing import Any

from tests.graphql_client import GraphQLClient

ERRORS = (
    "... on Error { code message field } ... on InvalidInputError { problems { field message } }"
)
COURSE = "id projectId title lecturer startsAt endsAt"
CREATE_CUSTOMER = """mutation($name: String!) { createCustomer(input: {name: $name, maturityId: 1},
  contacts: [{name: "Bob"}]) { ... on CustomerSuccess { customer { id contacts { id } } } } }"""
CREATE_PROJECT = f"""mutation($input: TrainingProjectInput!) {{ result: createTrainingProject(
  input: $input) {{ __typename ... on TrainingProjectSuccess {{ project {{ id name ownerId }} }}
  {ERRORS} }} }}"""
CREATE_COURSE = f"""mutation($projectId: Int!, $input: TrainingCourseInput!) {{
  result: createTrainingCourse(projectId: $projectId, input: $input) {{ __typename
  ... on TrainingCourseSuccess {{ course {{ {COURSE} }} }} {ERRORS} }} }}"""
ADD = f"""mutation($course: Int!, $customer: Int!, $input: TrainingAttendanceInput!) {{
  result: addTrainingAttendee(courseId: $course, customerId: $customer, input: $input) {{
  __typename ... on TrainingAttendeeSuccess {{ attendee {{ id status contactId }} }}
  {ERRORS} }} }}"""
UPDATE_ATTENDEE = f"""mutation($id: Int!, $input: TrainingAttendanceInput!) {{
  result: updateTrainingAttendee(id: $id, input: $input) {{ __typename
  ... on TrainingAttendeeSuccess {{ attendee {{ id status }} }} {ERRORS} }} }}"""
BIN_OP = """mutation($id: Int!) {{ result: {op}(id: $id) {{ __typename {errors} }} }}"""
LISTS = """{ trainingProjects(first: 50) { totalCount edges { node { name courses { title
  attendees { customer { name } contact { name } status } } } } }
  trainingCourses(first: 50) { totalCount edges { node { title project { name } } } } }"""
CUSTOMER_VIEW = """query($id: Int!) { customer(id: $id) { name trainings { status
  course { title project { name } } } } }"""
CUSTOMER_CONTACTS = "query($id: Int!) { customer(id: $id) { contacts { id } } }"
BIN = "{ trainingRecycleBin(first: 10) { edges { node { id title deletedAt } } } }"
WHEN = {"startsAt": "2026-03-10T09:00:00+08:00", "endsAt": "2026-03-10T17:00:00+08:00"}


async def result(client: GraphQLClient, query: str, **variables: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await client.data(query, **variables))["result"]
    return data


async def _course_with_attendee(sales1: GraphQLClient) -> tuple[int, int, int]:
    """sales1's project "CRM course" with a course and sales1's customer on its list."""
    made = await sales1.data(CREATE_CUSTOMER, name="Acme Steel")
    customer = made["createCustomer"]["customer"]
    project = await result(sales1, CREATE_PROJECT, input={"name": " CRM course "})
    assert project["project"]["name"] == "CRM course", project
    course = await result(
        sales1,
        CREATE_COURSE,
        projectId=project["project"]["id"],
        input={"title": "Pipelines", "lecturer": "Li Na", **WHEN},
    )
    assert course["__typename"] == "TrainingCourseSuccess", course
    contact = customer["contacts"][0]["id"]
    added = await result(
        sales1,
        ADD,
        course=course["course"]["id"],
        customer=customer["id"],
        input={"contactId": contact},
    )
    assert added["attendee"]["status"] == "REGISTERED", added
    return customer["id"], course["course"]["id"], added["attendee"]["id"]


async def test_a_course_with_attendees_is_listed_and_in_the_customer_view(
    sales1: GraphQLClient, manager1: GraphQLClient, gql: GraphQLClient
) -> None:
    customer_id, _, attendee_id = await _course_with_attendee(sales1)
    # An update states the whole attendance, as every update input does.
    contact = (await sales1.data(CUSTOMER_CONTACTS, id=customer_id))["customer"]["contacts"][0]
    attendance = {"contactId": contact["id"], "status": "ATTENDED"}
    attended = await result(sales1, UPDATE_ATTENDEE, id=attendee_id, input=attendance)
    assert attended["attendee"]["status"] == "ATTENDED"

    for client in (sales1, manager1):  # the owner, and the owner's manager
        lists = await client.data(LISTS)
        [project] = [edge["node"] for edge in lists["trainingProjects"]["edges"]]
        assert project["courses"] == [
            {
                "title": "Pipelines",
                "attendees": [
                    {
                        "customer": {"name": "Acme Steel"},
                        "contact": {"name": "Bob"},
                        "status": "ATTENDED",
                    }
                ],
            }
        ]
        assert lists["trainingCourses"]["totalCount"] == 1
    view = (await sales1.data(CUSTOMER_VIEW, id=customer_id))["customer"]
    assert view["trainings"] == [
        {"status": "ATTENDED", "course": {"title": "Pipelines", "project": {"name": "CRM course"}}}
    ]
    # A colleague outside the scope sees no project, and cannot add to it.
    sales2 = await gql.as_user("sales2")
    lists = await sales2.data(LISTS)
    assert lists["trainingProjects"]["totalCount"] == lists["trainingCourses"]["totalCount"] == 0
    refused = await result(sales2, UPDATE_ATTENDEE, id=attendee_id, input={"status": "ABSENT"})
    assert refused["code"] == "NOT_FOUND", refused


async def test_courses_go_through_the_recycle_bin(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    """Deleting needs training:delete: the manager's, not the sales staff's."""
    customer_id, course_id, _ = await _course_with_attendee(sales1)
    plain = "... on Error { code message }"
    delete_course = BIN_OP.format(op="deleteTrainingCourse", errors=plain)
    assert "errors" in await sales1.execute(delete_course, id=course_id)
    deleted = await result(manager1, delete_course, id=course_id)
    assert deleted["__typename"] == "DeleteSuccess", deleted
    assert (await sales1.data(LISTS))["trainingCourses"]["totalCount"] == 0
    assert (await sales1.data(CUSTOMER_VIEW, id=customer_id))["customer"]["trainings"] == []
    [binned] = [e["node"] for e in (await manager1.data(BIN))["trainingRecycleBin"]["edges"]]
    assert binned["id"] == course_id and binned["deletedAt"]

    restored = await result(
        manager1, BIN_OP.format(op="restoreTrainingCourse", errors=plain), id=course_id
    )
    assert restored["__typename"] == "TrainingCourseSuccess", restored
    assert len((await sales1.data(CUSTOMER_VIEW, id=customer_id))["customer"]["trainings"]) == 1

    delete_project = BIN_OP.format(op="deleteTrainingProject", errors=plain)
    projects = await sales1.data("{ trainingProjects { edges { node { id } } } }")
    project_id = projects["trainingProjects"]["edges"][0]["node"]["id"]
    assert (await result(manager1, delete_project, id=project_id))["code"] == "CONFLICT"
    for op in ("deleteTrainingCourse", "purgeTrainingCourse"):
        out = await result(manager1, BIN_OP.format(op=op, errors=plain), id=course_id)
        assert out["__typename"] == "DeleteSuccess", (op, out)
    assert (await manager1.data(BIN))["trainingRecycleBin"]["edges"] == []
    assert (await result(manager1, delete_project, id=project_id))["__typename"] == "DeleteSuccess"


async def test_bad_training_input_is_refused_naming_the_field(
    sales1: GraphQLClient, gql: GraphQLClient
) -> None:
    customer_id, course_id, _ = await _course_with_attendee(sales1)
    projects = await sales1.data("{ trainingProjects { edges { node { id } } } }")
    project_id = projects["trainingProjects"]["edges"][0]["node"]["id"]

    def problems(out: dict[str, Any]) -> list[tuple[str, str]]:
        assert out["__typename"] == "InvalidInputError", out
        return [(p["field"], p["message"]) for p in out["problems"]]

    blank = await result(sales1, CREATE_PROJECT, input={"name": "  "})
    assert problems(blank) == [("name", "must not be empty")]
    backwards = {**WHEN, "endsAt": "2026-03-09T09:00:00+08:00"}
    out = await result(
        sales1, CREATE_COURSE, projectId=project_id, input={"title": "X", **backwards}
    )
    assert problems(out) == [("endsAt", "must not be before startsAt")]
    out = await result(
        sales1, CREATE_COURSE, projectId=project_id, input={"title": "A\x00B", **WHEN}
    )
    assert problems(out)[0][0] == "title"
    # Someone else's customer is not found; another customer's contact is refused.
    sales2 = await gql.as_user("sales2")
    theirs = (await sales2.data(CREATE_CUSTOMER, name="Blue River"))["createCustomer"]["customer"]
    out = await result(sales1, ADD, course=course_id, customer=theirs["id"], input={})
    assert out["code"] == "NOT_FOUND", out
    out = await result(
        sales1,
        ADD,
        course=course_id,
        customer=customer_id,
        input={"contactId": theirs["contacts"][0]["id"]},
    )
    assert problems(out)[0][0] == "contactId"
