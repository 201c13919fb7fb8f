"""/api/v1/triage — suggestions as the operator types; rules and model versions for admins."""
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ...app.triage import usecases as tri
from ...domain.roles import Actor, Role
from .deps import Box, CurrentActor, Now, require
from .schemas import STD, TakeShippedIn, TriageIn, TriageOut, errors

router = APIRouter(prefix="/api/v1/triage", tags=["triage"], responses=errors(401, 422))
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
Trainer = Annotated[Actor, Depends(require(Role.ADMIN, Role.SUPERVISOR))]


@router.post("", response_model=TriageOut, responses=STD,
             summary="All suggestions for the typed text: category top-3, urgency with reasons, special groups, duplicates")
def suggest(body: TriageIn, actor: CurrentActor, box: Box, now: Now):
    return tri.suggest(box.uow(), box.triage, body.text, now, address=body.address, actor=actor)


@router.get("/rules", responses=STD, summary="The urgency and special-group rules in force")
def get_rules(actor: CurrentActor, box: Box) -> Any:
    return tri.get_rules(box.uow(), box.triage)


@router.put("/rules", responses=STD, summary="Replace the rules (admin; each bad rule is named)")
def put_rules(body: dict[str, Any], actor: Admin, box: Box, now: Now) -> Any:
    return tri.put_rules(box.uow(), actor, body, now)


@router.get("/rules/shipped-changes", responses=STD,
            summary="Where the rules shipped with cityops differ from an admin's saved copy (new, changed, own rules; lists)")
def shipped_changes(actor: Admin, box: Box) -> dict[str, Any]:
    return tri.shipped_rule_changes(box.uow(), box.triage)


@router.post("/rules/take-shipped", responses=STD,
             summary="Take chosen shipped rules and marker lists into the saved copy, keeping every other edit (admin)")
def take_shipped(body: TakeShippedIn, actor: Admin, box: Box, now: Now) -> Any:
    return tri.take_shipped_rules(box.uow(), actor, box.triage, body.ids, body.lists, now)


@router.post("/retrain", responses=STD, summary="Train a new model from the corpus plus operator-confirmed orders")
def retrain(actor: Trainer, box: Box, now: Now) -> dict[str, Any]:
    return tri.retrain(box.uow(), box.triage, actor, now)


@router.get("/models", responses=STD, summary="Model versions, newest first; the active one is marked")
def models(actor: Trainer, box: Box) -> list[dict[str, Any]]:
    with box.uow() as uow:
        return uow.triage.models()
