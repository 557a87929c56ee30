from __future__ import annotations

import strawberry

from gql_crm.resolvers.kit import connection, mutation
from gql_crm.schema.common import DeleteSuccess
from gql_crm.schema.training import (
    TrainingAttendanceInput,
    TrainingAttendeeSuccess,
    TrainingCourseInput,
    TrainingCourseSuccess,
    TrainingCourseType,
    TrainingProjectInput,
    TrainingProjectSuccess,
    TrainingProjectType,
)
from gql_crm.services import training as service
from gql_crm.services.training import CREATE, DELETE, EDIT, VIEW

Project, Course, Attendee = TrainingProjectSuccess, TrainingCourseSuccess, TrainingAttendeeSuccess


@strawberry.type
class TrainingQuery:
    training_projects = connection(
        service.projects, TrainingProjectType, service.PROJECT_ORDER, needs=VIEW,
        search=str | None, description="By name.",
    )  # fmt: skip
    training_courses = connection(
        service.courses, TrainingCourseType, service.COURSE_ORDER, needs=VIEW,
        project_id=int | None, description="Latest first.",
    )  # fmt: skip
    training_recycle_bin = connection(
        service.course_bin, TrainingCourseType, service.BIN_ORDER,
        description="Training courses you deleted: restore or purge them.",
    )  # fmt: skip


@strawberry.type
class TrainingMutation:
    create_training_project = mutation(
        service.create_project, Project, needs=CREATE, input=TrainingProjectInput
    )
    update_training_project = mutation(
        service.update_project, Project, needs=EDIT, id=int, input=TrainingProjectInput
    )
    delete_training_project = mutation(
        service.delete_project, DeleteSuccess, needs=DELETE, id=int,
        description="Only once it has no course, not even in a recycle bin.",
    )  # fmt: skip
    create_training_course = mutation(
        service.create_course, Course, needs=CREATE, project_id=int, input=TrainingCourseInput
    )
    update_training_course = mutation(
        service.update_course, Course, needs=EDIT, id=int, input=TrainingCourseInput
    )
    delete_training_course = mutation(
        service.delete_course, DeleteSuccess, needs=DELETE, id=int,
        description="Into your recycle bin.",
    )  # fmt: skip
    restore_training_course = mutation(service.restore_course, Course, needs=DELETE, id=int)
    purge_training_course = mutation(service.purge_course, DeleteSuccess, needs=DELETE, id=int)
    add_training_attendee = mutation(
        service.add_attendee, Attendee, needs=EDIT, course_id=int, customer_id=int,
        input=TrainingAttendanceInput, description="Put a customer on a course's list.",
    )  # fmt: skip
    update_training_attendee = mutation(
        service.update_attendee, Attendee, needs=EDIT, id=int, input=TrainingAttendanceInput
    )
    remove_training_attendee = mutation(service.remove_attendee, DeleteSuccess, needs=EDIT, id=int)
