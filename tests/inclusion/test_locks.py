"""The one lock order (inclusion/locks.py): a lock taken out of order is refused in tests, and services that
lock the same resident's rows at the same moment never deadlock each other."""

import threading

import pytest
from django.db import OperationalError, connection, transaction

from devices import services as devices
from devices.models import Device, LoanPolicy
from devices.vouchers.services import voucher_issue
from inclusion import locks
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import Resident
from inclusion.services import resident_update

from ..devices.factories import DeviceFactory
from ..devices.vouchers.factories import VoucherFactory
from ..factories import MembershipFactory, ResidentFactory


@pytest.mark.django_db
def test_a_lock_taken_out_of_order_is_refused(org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    device = DeviceFactory(owning_organisation=org_a)
    with transaction.atomic():
        locks.lock_one(Device, device.pk)
        with pytest.raises(locks.LockOrderError, match="Locking a resident after a device"):
            locks.lock_one(Resident, resident.pk)


@pytest.mark.django_db
def test_locks_in_order_and_a_row_locked_again_are_allowed(org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    device = DeviceFactory(owning_organisation=org_a)
    with transaction.atomic():
        locks.lock_one(Resident, resident.pk)
        locks.lock_one(Device, device.pk)
        assert locks.lock_one(Resident, resident.pk) == resident  # already held: no new lock, no new wait


@pytest.mark.django_db
def test_the_next_transaction_starts_with_no_locks_held(org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    device = DeviceFactory(owning_organisation=org_a)
    with transaction.atomic():
        locks.lock_one(Device, device.pk)
    with transaction.atomic():
        locks.lock_one(Resident, resident.pk)  # a new transaction: the device is no longer held


@pytest.mark.django_db
def test_a_model_without_a_place_in_the_order_is_refused(org_a, staff_a):
    from inclusion.models import Membership

    with transaction.atomic(), pytest.raises(locks.LockOrderError, match="no place"):
        locks.lock_one(Membership, staff_a.pk)


@pytest.mark.django_db(transaction=True)
def test_lending_issuing_and_updating_one_resident_at_once_never_deadlock(org_a, settings):
    """Twelve rounds of a loan, the extension and the return of another loan, a voucher and a change of details,
    all on the same resident, each in its own thread and transaction at the same moment. A service that locked
    in another order would deadlock with one of the others (PostgreSQL aborts one: 'deadlock detected').
    The order check is off here: this is what the database does, whatever the check says."""
    settings.LOCK_ORDER_CHECKS = False
    rounds = 12
    resident = ResidentFactory(owning_organisation=org_a)
    LoanPolicy.objects.create(organisation=org_a, max_open_loans_per_resident=rounds * 2, max_extensions=rounds)
    actors = [Actor.for_membership(MembershipFactory(organisation=org_a)) for _ in range(4)]
    for number in range(rounds * 2):
        VoucherFactory(batch__organisation=org_a, batch__kind="data_code", batch__max_per_resident=rounds * 2,
                       code=f"CODE-{number:04d}")  # fmt: skip
    lent = [_ready_device(actors[0], org_a) for _ in range(rounds)]
    returned = [_ready_device(actors[0], org_a) for _ in range(rounds)]
    loans = [devices.loan_create(actor=actors[0], device=device, resident=resident, agreement_method="on_screen")
             for device in returned]  # fmt: skip
    failures = []

    def run(work):
        try:
            for number in range(rounds):
                barrier.wait(timeout=30)
                work(number)
        except OperationalError as error:  # a deadlock, or a lock timeout
            failures.append(str(error))
        except threading.BrokenBarrierError:
            pass
        finally:
            connection.close()

    def lend(number):
        devices.loan_create(actor=actors[0], device=lent[number], resident=resident, agreement_method="on_screen")

    def take_back(number):
        try:
            devices.loan_return(actor=actors[1], loan=loans[number], condition="good")
        except DomainError:  # extended and returned at once: whichever comes second may find it closed
            pass

    def extend(number):
        try:
            devices.loan_extend(actor=actors[0], loan=loans[number])
        except DomainError:
            pass

    def issue(number):
        voucher_issue(actor=actors[2], resident=resident, kind="data_code")

    def update(number):
        resident_update(actor=actors[3], resident=resident, preferred_name=f"Round {number}")

    work = (lend, take_back, extend, issue, update)
    barrier = threading.Barrier(len(work))
    threads = [threading.Thread(target=run, args=(each,)) for each in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    resident.refresh_from_db()
    assert resident.preferred_name == f"Round {rounds - 1}"
    assert resident.loans.filter(closed_at__isnull=True).count() == rounds  # the lent ones; the others returned
    assert resident.vouchers.count() == rounds


def _ready_device(actor, organisation):
    return DeviceFactory(owning_organisation=organisation)  # ready to lend
