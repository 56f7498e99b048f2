import pytest

from inclusion import choices
from inclusion.actors import Actor

from ..factories import MembershipFactory
from .factories import ServiceFactory, sharing_consent


@pytest.fixture
def course_b(org_b):
    """Beta Library's course, open for referrals."""
    return ServiceFactory(organisation=org_b, name="Beta's Get Online course")


@pytest.fixture
def shared_resident(resident_a):
    """Alpha's resident, with a current consent to sharing with partners."""
    sharing_consent(resident_a)
    return resident_a


@pytest.fixture
def coordinator_b(org_b):
    return Actor.for_membership(MembershipFactory(organisation=org_b, role=choices.Role.COORDINATOR))
