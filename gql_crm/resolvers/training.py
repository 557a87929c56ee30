from __future__ import annotations

import strawberry

from gql_crm.resolvers.kit import connection, success, writes
from gql_crm.schema import training as schema
from gql_crm.services import training as service
from gql_crm.services.training import CREATE, DELETE, EDIT, VIEW

Project = success(schema.TrainingProjectType, "project")
Course = success(schema.TrainingCourseType, "course")
Attendee = success(schema.TrainingAttendeeType, "attendee")


@strawberry.type
class TrainingQuery:
    training_projects = connection(
        service.projects.rows, schema.TrainingProjectType, service.PROJECT_ORDER, needs=VIEW,
        search=str | None,
        description="Training projects, by name.",
    )  # fmt: skip
    training_courses = connection(
        service.courses.rows, schema.TrainingCourseType, service.COURSE_ORDER, needs=VIEW,
        project_id=int | None, description="Latest first.",
    )  # fmt: skip
    training_recycle_bin = connection(
        service.courses.bin, schema.TrainingCourseType, service.courses.bin_order,
        description="Training courses you deleted: restore or purge them.",
    )  # fmt: skip


@strawberry.type
class TrainingMutation:
    create_training_project, update_training_project, delete_training_project = writes(
        service.projects, Project, schema.TrainingProjectInput, (CREATE, EDIT, DELETE)
    )
    (
        create_training_course, update_training_course, delete_training_course,
        restore_training_course, purge_training_course,
    ) = writes(
        service.courses, Course, schema.TrainingCourseInput, (CREATE, EDIT, DELETE),
        project_id=int,
    )  # fmt: skip
    add_training_attendee, update_training_attendee, remove_training_attendee = writes(
        service.attendees, Attendee, schema.TrainingAttendanceInput, (EDIT, EDIT, EDIT),
        course_id=int, customer_id=int,
    )  # fmt: skip
