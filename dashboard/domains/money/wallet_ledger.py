"""The wallet ledger: every credit, debit, transfer, payment, refund and adjustment of a patient's wallet.

(Patients' money; a hospital's own revenue and expenses are hospital_ledger.py.) Staff refunds and
adjustments go through wallet_adjustments.py, which posts here.

One door for money. Each posting, in the caller's transaction:

1. checks the request (amount, wallets, text, key) and refuses a bad one with a sentence, before
   anything is written;
2. locks the wallets it moves (`SELECT ... FOR UPDATE`, ordered by id, so two postings over the same
   wallets lock them in the same order and never deadlock);
3. looks up its idempotency key (migration 0008's `wallet_postings`) under that lock: the same key
   with the same request answers with the first posting's result and writes nothing; with another
   request it is refused. A retry racing its first attempt locks the same wallets, so it waits for
   that attempt to end and then finds its key, instead of posting again or being refused as an
   overdraft by the money the first attempt moved;
4. refuses an overdraft against the balances read under the lock, claims the key (`INSERT ... ON
   CONFLICT DO NOTHING`: the primary key lets one posting have it, whatever else races), updates
   `wallets.balance`, and writes one `wallet_transactions` row per wallet with its `balance_after`,
   linked to the key;
5. returns each wallet's balance before it (wallet_adjustments.py writes the audit row of a staff posting).

A wallet's ledger reads in `(created_at, id)` order. Rows are stamped with `clock_timestamp()` after
the wallet's lock is held, not with the transaction's start time (`now()`): a posting that waited for
the lock then always comes after the one it waited for, so the `balance_after` chain stays in order.
A wallet whose last row is dated ahead of the database's clock gets the new row a microsecond after it.

Money is Decimal from the caller to the NUMERIC(14, 2) columns; a float is read through its shortest
decimal spelling and must then have at most two decimals like any other amount.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound, ServiceError
from dashboard.platform.inputs import checked_text, usable_id
from db.ids import new_id
from db.models.money import Wallet, WalletPosting, WalletTransaction

# One posting moves at most ten million naira: far above any consultation, top-up or refund, far below
# what NUMERIC(14, 2) holds. A larger figure is a typing slip (an extra zero or two), not a payment.
MAX_AMOUNT = Decimal("10000000.00")
MAX_BALANCE = Decimal("999999999999.99")  # NUMERIC(14, 2)
MAX_KEY_LENGTH = 200  # the CHECK of migration 0008
MAX_DESCRIPTION_LENGTH = 500
CENT = Decimal("0.01")
# What each kind of posting is called in a sentence: "a debit of ₦5,000.00".
KIND_WORDS = {
    "credit": "a credit",
    "debit": "a debit",
    "transfer": "a transfer",
    "payment": "a payment",
    "refund": "a refund",
    "adjustment": "an adjustment",
}
# The app role's lock_timeout ran out (55P03); a deadlock (40P01) cannot arise from id-ordered locks, but a
# caller's own locks taken earlier in the transaction could still make one.
BUSY_STATES = frozenset({"55P03", "40P01"})
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


class InsufficientFunds(InvalidInput):
    """The posting would take a wallet below zero."""


class KeyReused(InvalidInput):
    """The idempotency key was used before, for a different request."""


class WalletBusy(ServiceError):
    """Another posting held the wallet longer than the lock timeout; the request can be sent again as it was."""


@dataclass(frozen=True)
class Posting:
    """What a posting did, or, replayed, what the first posting with its key did."""

    idempotency_key: str
    kind: str
    amount: Decimal
    transaction_ids: tuple[str, ...]  # one per wallet, in the request's order (a transfer: from, then to)
    balances: dict[str, Decimal] = field(hash=False)  # wallet id -> its balance right after the posting
    replayed: bool  # True when the key had already posted and nothing was written this time

    @property
    def balance(self) -> Decimal:
        """The balance after a one-wallet posting (credit, debit, payment, refund, adjustment)."""
        if len(self.balances) != 1:
            raise ValueError("This posting moved more than one wallet; read balances[wallet_id].")
        return next(iter(self.balances.values()))


@dataclass(frozen=True)
class Leg:
    wallet_id: str
    direction: str  # credit or debit
    role: str  # how a sentence names this wallet: "the wallet", "the wallet to transfer from", ...


# --- Input ------------------------------------------------------------------------------------------


def naira(amount: Decimal) -> str:
    """₦1,200.00"""
    return f"₦{amount:,.2f}"


def checked_amount(value: Any) -> Decimal:
    """A positive amount of naira with at most two decimals and at most MAX_AMOUNT, else a sentence."""
    if isinstance(value, bool):
        value = None  # True is an int in Python, not an amount
    if isinstance(value, float):
        value = repr(value)  # the shortest spelling of that float: 0.1 stays 0.1, 0.1 + 0.2 shows 17 decimals
    if isinstance(value, str):
        value = value.strip().removeprefix("₦").strip()
        if _GROUPED.fullmatch(value):
            value = value.replace(",", "")
    try:
        amount = Decimal(value) if isinstance(value, int | str | Decimal) else None
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidInput("The amount must be a number of naira, such as 1500 or 1500.50.")
    if amount <= 0:
        raise InvalidInput(f"The amount must be more than ₦0.00; {amount} is not.")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"The amount {naira(amount)} is more than the {naira(MAX_AMOUNT)} one posting may move.")
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise InvalidInput(f"The amount can have at most two decimal places (kobo); {amount} has more.")
    return amount.quantize(CENT)


def _checked_key(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("Every posting needs an idempotency key (a unique text the request sends with it).")
    if "\x00" in value or len(value) > MAX_KEY_LENGTH:
        raise InvalidInput(f"An idempotency key is text of at most {MAX_KEY_LENGTH} characters.")
    return value


def checked_wallet_id(value: Any, role: str) -> str:
    if not usable_id(value) or not value:
        raise NotFound(f"{role.capitalize()} does not exist.")
    return value


def _fingerprint(
    kind: str, legs: list[Leg], amount: Decimal, description: str | None, reference: str | None, posted_by: str | None
) -> str:
    request = {
        "kind": kind,
        "legs": [[leg.wallet_id, leg.direction] for leg in legs],
        "amount": str(amount),
        "description": description,
        "reference_id": reference,
        "posted_by": posted_by,
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


# --- The one posting path ---------------------------------------------------------------------------

# The whole posting in one statement, run with the wallets already locked: claim the key; only if this
# request claimed it (ON CONFLICT DO NOTHING returns no row when it was posted already), set the new
# balances and write the ledger rows, linked to the key. One statement rather than four keeps the locks
# held for fewer round trips. Rows are stamped with clock_timestamp(), taken after the locks, so a posting
# that waited for another comes after it in (created_at, id) order; and never before the wallet's last row
# (a microsecond after it instead), should that row be dated ahead of this clock (another client's clock, a
# demo network built for later today).
_WRITE = text(
    """
    WITH claim AS (
        INSERT INTO wallet_postings (idempotency_key, kind, request_fingerprint, amount, description, posted_by)
        VALUES (:key, :kind, :fingerprint, :amount, :description, :posted_by)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING idempotency_key
    ), moved AS (
        UPDATE wallets w SET balance = n.balance, updated_at = now()
        FROM unnest(CAST(:moved_ids AS text[]), CAST(:new_balances AS numeric[])) AS n(id, balance)
        WHERE w.id = n.id AND EXISTS (SELECT FROM claim)
    ), written AS (
        INSERT INTO wallet_transactions
            (id, wallet_id, transaction_type, amount, balance_after, description, reference_id, posting_key, created_at)
        SELECT l.id, l.wallet_id, l.transaction_type, :amount, l.balance_after, :description, :reference_id,
               claim.idempotency_key,
               greatest(clock_timestamp(), (SELECT max(p.created_at) + interval '1 microsecond'
                                            FROM wallet_transactions p WHERE p.wallet_id = l.wallet_id))
        FROM unnest(CAST(:transaction_ids AS text[]), CAST(:wallet_ids AS text[]), CAST(:types AS text[]),
                    CAST(:balances_after AS numeric[])) AS l(id, wallet_id, transaction_type, balance_after)
        CROSS JOIN claim
    )
    SELECT idempotency_key FROM claim
    """
)


def _replay(db: Session, existing: WalletPosting, fingerprint: str, legs: list[Leg]) -> Posting:
    if existing.request_fingerprint != fingerprint:
        raise KeyReused(
            f"This idempotency key was already used for another request ({KIND_WORDS[existing.kind]} of "
            f"{naira(existing.amount)}); send a new request with a new key."
        )
    rows = {
        wallet_id: (transaction_id, balance_after)
        for transaction_id, wallet_id, balance_after in db.execute(
            select(WalletTransaction.id, WalletTransaction.wallet_id, WalletTransaction.balance_after).where(
                WalletTransaction.posting_key == existing.idempotency_key
            )
        )
    }
    return Posting(
        idempotency_key=existing.idempotency_key,
        kind=existing.kind,
        amount=existing.amount,
        transaction_ids=tuple(rows[leg.wallet_id][0] for leg in legs),
        balances={leg.wallet_id: rows[leg.wallet_id][1] for leg in legs},
        replayed=True,
    )


def post(
    db: Session,
    *,
    kind: str,
    legs: list[Leg],
    amount: Any,
    description: Any,
    key: Any,
    reference_id: Any = None,
    posted_by: str | None = None,
    description_label: str = "The description",
    description_limit: int = MAX_DESCRIPTION_LENGTH,
) -> tuple[Posting, dict[str, Decimal]]:
    """Post `legs` for `amount`; returns the posting and, for a new one, each wallet's balance before it."""
    amount = checked_amount(amount)
    description = checked_text(description, description_label, description_limit)
    reference_id = checked_text(reference_id, "The reference", 200)
    key = _checked_key(key)
    fingerprint = _fingerprint(kind, legs, amount, description, reference_id, posted_by)

    # Lock every wallet of the posting in id order: a consistent order, so no two postings deadlock. A retry
    # of the same request locks the same wallets, so it waits here until the first attempt has committed.
    ids = sorted({leg.wallet_id for leg in legs})
    try:
        found = {
            row.id: row
            for row in db.execute(
                select(Wallet.id, Wallet.balance, Wallet.currency)
                .where(Wallet.id.in_(ids))
                .order_by(Wallet.id)
                .with_for_update()
            )
        }
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) not in BUSY_STATES:
            raise
        raise WalletBusy(
            "The wallet is busy with another payment and did not free up in time; nothing was posted, so send "
            "the same request again in a moment."
        ) from exc
    for leg in legs:
        if leg.wallet_id not in found:
            raise NotFound(f"{leg.role.capitalize()} does not exist.")

    currencies = {found[i].currency for i in ids}
    if len(currencies) > 1:
        raise InvalidInput(
            f"The two wallets hold different currencies ({', '.join(sorted(currencies))}); "
            "a transfer between them cannot be posted."
        )
    before = {i: found[i].balance for i in ids}
    after = dict(before)
    rows = []  # (transaction id, wallet id, credit or debit, balance after), in the request's order
    refusal: InvalidInput | None = None
    for leg in legs:
        if leg.direction == "debit" and after[leg.wallet_id] < amount:
            refusal = refusal or InsufficientFunds(
                f"{leg.role.capitalize()} holds {naira(after[leg.wallet_id])}; {KIND_WORDS[kind]} of "
                f"{naira(amount)} would overdraw it."
            )
        elif leg.direction == "credit" and after[leg.wallet_id] + amount > MAX_BALANCE:
            refusal = refusal or InvalidInput(f"{leg.role.capitalize()} cannot hold more than {naira(MAX_BALANCE)}.")
        after[leg.wallet_id] += amount if leg.direction == "credit" else -amount
        rows.append((new_id(), leg.wallet_id, leg.direction, after[leg.wallet_id]))
    if refusal is not None:
        # A retry of a posting already made is answered as one, not refused by the money that posting moved.
        existing = db.get(WalletPosting, key, populate_existing=True)
        if existing is not None:
            return _replay(db, existing, fingerprint, legs), {}
        raise refusal

    claimed = db.execute(
        _WRITE,
        {
            "key": key,
            "kind": kind,
            "fingerprint": fingerprint,
            "amount": amount,
            "description": description,
            "reference_id": reference_id,
            "posted_by": posted_by,
            "transaction_ids": [row[0] for row in rows],
            "wallet_ids": [row[1] for row in rows],
            "types": [row[2] for row in rows],
            "balances_after": [row[3] for row in rows],
            "moved_ids": ids,
            "new_balances": [after[i] for i in ids],
        },
    ).scalar()
    if claimed is None:
        # The key was posted already: by an earlier request, or by a retry that held these wallets' locks
        # before this one (the lock wait above ended with its commit). Nothing was written this time.
        existing = db.get(WalletPosting, key, populate_existing=True)
        return _replay(db, existing, fingerprint, legs), {}
    for wallet_id in ids:  # a Wallet the caller's session holds would show the old balance until refreshed
        held = db.identity_map.get(identity_key(Wallet, wallet_id))
        if held is not None:
            db.expire(held, ["balance", "updated_at"])
    posting = Posting(
        idempotency_key=key,
        kind=kind,
        amount=amount,
        transaction_ids=tuple(row[0] for row in rows),
        balances={leg.wallet_id: after[leg.wallet_id] for leg in legs},
        replayed=False,
    )
    return posting, before


# --- The platform's postings (no user behind them, or an optional one) ---------------------------------


def _one_wallet(
    db: Session,
    kind: str,
    direction: str,
    wallet_id: str,
    amount: Any,
    description: str | None,
    key: str,
    reference_id: str | None,
    actor: Actor | None,
) -> Posting:
    """A posting that moves one wallet's money one way (credit, debit, payment)."""
    wallet_id = checked_wallet_id(wallet_id, "the wallet")
    legs = [Leg(wallet_id, direction, "the wallet")]
    return post(
        db,
        kind=kind,
        legs=legs,
        amount=amount,
        description=description,
        key=key,
        reference_id=reference_id,
        posted_by=actor and actor.user_id,
    )[0]


def credit(
    db: Session,
    *,
    wallet_id: str,
    amount: Any,
    description: str | None,
    idempotency_key: str,
    reference_id: str | None = None,
    actor: Actor | None = None,
) -> Posting:
    """Add money to a wallet (a top-up)."""
    return _one_wallet(db, "credit", "credit", wallet_id, amount, description, idempotency_key, reference_id, actor)


def debit(
    db: Session,
    *,
    wallet_id: str,
    amount: Any,
    description: str | None,
    idempotency_key: str,
    reference_id: str | None = None,
    actor: Actor | None = None,
) -> Posting:
    """Take money from a wallet; refused if the wallet holds less."""
    return _one_wallet(db, "debit", "debit", wallet_id, amount, description, idempotency_key, reference_id, actor)


def pay(
    db: Session,
    *,
    wallet_id: str,
    amount: Any,
    description: str | None,
    idempotency_key: str,
    reference_id: str | None = None,
    actor: Actor | None = None,
) -> Posting:
    """A payment out of the wallet (a consultation's fee, say; `reference_id` names what it paid for)."""
    return _one_wallet(db, "payment", "debit", wallet_id, amount, description, idempotency_key, reference_id, actor)


def transfer(
    db: Session,
    *,
    from_wallet_id: str,
    to_wallet_id: str,
    amount: Any,
    description: str | None,
    idempotency_key: str,
    reference_id: str | None = None,
    actor: Actor | None = None,
) -> Posting:
    """Move money between two wallets in one transaction: a debit and a credit, or neither."""
    source = checked_wallet_id(from_wallet_id, "the wallet to transfer from")
    target = checked_wallet_id(to_wallet_id, "the wallet to transfer to")
    if source == target:
        raise InvalidInput("A transfer needs two different wallets; this one names the same wallet twice.")
    legs = [Leg(source, "debit", "the wallet to transfer from"), Leg(target, "credit", "the wallet to transfer to")]
    return post(
        db,
        kind="transfer",
        legs=legs,
        amount=amount,
        description=description,
        key=idempotency_key,
        reference_id=reference_id,
        posted_by=actor and actor.user_id,
    )[0]
