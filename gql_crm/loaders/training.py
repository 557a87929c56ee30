from __future__ import annotations

from gql_crm.db import visibility
from gql_crm.db.models.training import TrainingAttendee, TrainingCourse, TrainingProject
from gql_crm.loaders.batch import rows_by_id, scoped_children

load_projects = rows_by_id(TrainingProject)
load_courses = rows_by_id(TrainingCourse)
load_project_courses = scoped_children(
    TrainingCourse.project_id, visibility.training_course, TrainingCourse.starts_at
)
load_course_attendees = scoped_children(
    TrainingAttendee.course_id, visibility.training_attendee, TrainingAttendee.id
)
load_customer_trainings = scoped_children(
    TrainingAttendee.customer_id, visibility.training_attendee, TrainingAttendee.id.desc()
)
