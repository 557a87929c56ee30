from __future__ import annotations

import strawberry

from gql_crm.resolvers.kit import connection, mutation, success
from gql_crm.schema import training as schema
from gql_crm.schema.common import DeleteSuccess as Deleted
from gql_crm.services import training as service
from gql_crm.services.training import CREATE, DELETE, EDIT, VIEW

Project = success(schema.TrainingProjectType, "project")
Course = success(schema.TrainingCourseType, "course")
Attendee = success(schema.TrainingAttendeeType, "attendee")


@strawberry.type
class TrainingQuery:
    training_projects = connection(
        service.project_list, schema.TrainingProjectType, service.PROJECT_ORDER, needs=VIEW,
        search=str | None,
    )  # fmt: skip
    training_courses = connection(
        service.course_list, schema.TrainingCourseType, service.COURSE_ORDER, needs=VIEW,
        project_id=int | None, description="Latest first.",
    )  # fmt: skip
    training_recycle_bin = connection(
        service.course_bin, schema.TrainingCourseType, service.BIN_ORDER,
        description="Training courses you deleted: restore or purge them.",
    )  # fmt: skip


@strawberry.type
class TrainingMutation:
    create_training_project = mutation(
        service.projects.create, Project, needs=CREATE, input=schema.TrainingProjectInput
    )
    update_training_project = mutation(
        service.projects.update, Project, needs=EDIT, id=int, input=schema.TrainingProjectInput
    )
    delete_training_project = mutation(
        service.projects.delete, Deleted, needs=DELETE, id=int,
        description="Only once it has no course, not even in a recycle bin.",
    )  # fmt: skip
    create_training_course = mutation(
        service.courses.create, Course, needs=CREATE, project_id=int,
        input=schema.TrainingCourseInput,
    )  # fmt: skip
    update_training_course = mutation(
        service.courses.update, Course, needs=EDIT, id=int, input=schema.TrainingCourseInput
    )
    delete_training_course = mutation(
        service.courses.delete, Deleted, needs=DELETE, id=int,
        description="Into your recycle bin.",
    )  # fmt: skip
    restore_training_course = mutation(service.courses.restore, Course, needs=DELETE, id=int)
    purge_training_course = mutation(service.courses.purge, Deleted, needs=DELETE, id=int)
    add_training_attendee = mutation(
        service.attendees.create, Attendee, needs=EDIT, course_id=int, customer_id=int,
        input=schema.TrainingAttendanceInput, description="Put a customer on a course's list.",
    )  # fmt: skip
    update_training_attendee = mutation(
        service.attendees.update, Attendee, needs=EDIT, id=int,
        input=schema.TrainingAttendanceInput,
    )  # fmt: skip
    remove_training_attendee = mutation(service.attendees.delete, Deleted, needs=EDIT, id=int)
