"""A network administrator's refund or adjustment of a patient's wallet: with a reason, audited, posted once.

Both go through wallet_ledger.post (the one door for money) and write the audit row with the wallet's
old and new balance. `adjust_from_form` is the Financials page's command: its idempotency key is one per
form filled in (the browser session and the form's number), so a second press of Confirm, or a retry,
replays the first posting instead of posting again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dashboard.domains.money.wallet_ledger import Leg, Posting, checked_wallet_id, post
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, OutOfScope
from dashboard.platform.scope import require_role

WRITERS = permissions.writers("wallets")
RESOURCE_TYPE = "wallet"
MAX_REASON_LENGTH = 500
DIRECTIONS = ("credit", "debit")
_audit = audit.Recorder("financial", RESOURCE_TYPE, impact="high", compliance_relevant=True)


def _require_network_admin(db: Session, actor: Actor, what: str) -> None:
    require_role(db, actor, WRITERS, what)
    if not actor.network_wide:
        audit.record_refusal(
            db, actor, action_type="scope_violation", resource_type=RESOURCE_TYPE, resource_id=None,
            detail={"attempted": what},
        )  # fmt: skip
        raise OutOfScope("Wallets are adjusted in network scope; switch the working scope to All hospitals first.")


def _admin_posting(
    db: Session,
    actor: Actor,
    *,
    kind: str,
    wallet_id: Any,
    direction: str,
    amount: Any,
    reason: Any,
    idempotency_key: Any,
    reference_id: Any,
    action_type: str,
) -> Posting:
    wallet_id = checked_wallet_id(wallet_id, "the wallet")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(f"Give the reason for this {kind}; it goes on the wallet's ledger and the audit trail.")
    posting, before = post(
        db,
        kind=kind,
        legs=[Leg(wallet_id, direction, "the wallet")],
        amount=amount,
        description=reason,
        key=idempotency_key,
        reference_id=reference_id,
        posted_by=actor.user_id,
        description_label="The reason",
        description_limit=MAX_REASON_LENGTH,
    )
    if posting.replayed:
        return posting  # nothing was written this time; the first posting's audit row stands
    _audit(
        db, actor, action_type, wallet_id, old={"balance": before[wallet_id]},
        new={
            "balance": posting.balance, "direction": direction, "amount": posting.amount, "reason": reason.strip(),
            "idempotency_key": posting.idempotency_key, "transaction_id": posting.transaction_ids[0],
        },
        money=posting.amount,
    )  # fmt: skip
    return posting


def post_adjustment(
    db: Session, actor: Actor, *, wallet_id: str, direction: str, amount: Any, reason: str, idempotency_key: str
) -> Posting:
    """A network administrator corrects a wallet's balance up ("credit") or down ("debit"), with a reason."""
    _require_network_admin(db, actor, "adjust a wallet")
    if direction not in DIRECTIONS:
        raise InvalidInput("An adjustment is a credit or a debit; pick one.")
    return _admin_posting(
        db, actor, kind="adjustment", wallet_id=wallet_id, direction=direction, amount=amount, reason=reason,
        idempotency_key=idempotency_key, reference_id=None, action_type="wallet_adjusted",
    )  # fmt: skip


def adjust_from_form(
    db: Session, actor: Actor, *, wallet_id: str, direction: str, amount: Any, reason: str, form: int
) -> Posting:
    """post_adjustment with the key of the page's form: one per browser session and form filled in."""
    key = f"dashboard-adjustment:{actor.client.session_id}:{form}"
    return post_adjustment(
        db, actor, wallet_id=wallet_id, direction=direction, amount=amount, reason=reason, idempotency_key=key
    )


def post_refund(
    db: Session,
    actor: Actor,
    *,
    wallet_id: str,
    amount: Any,
    reason: str,
    idempotency_key: str,
    reference_id: str | None = None,
) -> Posting:
    """A network administrator gives money back to a wallet (a cancelled consultation, say), with a reason."""
    _require_network_admin(db, actor, "refund to a wallet")
    return _admin_posting(
        db, actor, kind="refund", wallet_id=wallet_id, direction="credit", amount=amount, reason=reason,
        idempotency_key=idempotency_key, reference_id=reference_id, action_type="wallet_refunded",
    )  # fmt: skip
