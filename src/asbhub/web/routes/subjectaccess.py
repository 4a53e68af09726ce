"""A person's subject-access document: JSON under ``/api/v1``, or HTML and PDF to send."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from asbhub.incidents.schemas import MAX_ID
from asbhub.permissions import Action, Actor
from asbhub.subjectaccess.service import subject_access
from asbhub.web.deps import DbSession, require_action
from asbhub.web.errors import ERRORS

api = APIRouter(prefix="/api/v1", tags=["subject access"], responses=ERRORS)
router = APIRouter(include_in_schema=False)
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]


@api.get("/people/{person_id}/subject-access")
def subject_access_api(
    session: DbSession,
    person_id: PersonId,
    actor: Actor = require_action(Action.SUBJECT_ACCESS_EXPORT),
) -> dict[str, Any]:
    """Everything held about one person (incidents, assessments, case reviews, restorative
    referrals) and the audit of who saw it, as one document. Audited as an export."""
    return subject_access(session, actor=actor, person_id=person_id)


@router.get("/people/{person_id}/subject-access")
def subject_access_document(
    request: Request,
    session: DbSession,
    person_id: PersonId,
    format: Annotated[Literal["html", "pdf"], Query(description="html or pdf")] = "html",
    actor: Actor = require_action(Action.SUBJECT_ACCESS_EXPORT),
) -> Response:
    doc = subject_access(session, actor=actor, person_id=person_id)
    html = request.app.state.templates.env.get_template("subjectaccess/document.html").render(d=doc)
    name = f"asbhub-subject-access-person-{person_id}.{format}"
    if format == "pdf":
        from weasyprint import HTML  # loaded on demand: it is slow to import

        pdf: bytes = HTML(string=html).write_pdf(pdf_tags=True)
        headers = {"content-disposition": f'attachment; filename="{name}"'}
        return Response(pdf, media_type="application/pdf", headers=headers)
    return Response(html, media_type="text/html; charset=utf-8")
