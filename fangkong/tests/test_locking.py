"""Optimistic locking (``fangkong.locking``): one helper, one exception, one 409 answer."""

import pytest

from fangkong.api.errors import error_handler
from fangkong.locking import StaleEditError, check_version, versioned_update
from fangkong.protocols.models import ProtocolVersion


@pytest.mark.django_db
def test_a_write_with_the_read_version_goes_through_and_a_stale_one_changes_nothing():
    protocol = ProtocolVersion.objects.order_by("pk").first()
    version, notes = protocol.version, protocol.notes
    assert versioned_update(ProtocolVersion, protocol.pk, version, {"notes": "first"}) == version + 1
    with pytest.raises(StaleEditError):
        versioned_update(ProtocolVersion, protocol.pk, version, {"notes": "second"})  # read before "first"
    protocol.refresh_from_db()
    assert (protocol.version, protocol.notes) == (version + 1, "first") and notes != "first"


def test_check_version_and_the_one_409_answer():
    check_version(3, 3)
    check_version(3, None)  # no version sent: nothing to compare
    with pytest.raises(StaleEditError):
        check_version(4, 3)
    response = error_handler(StaleEditError("changed"), {})
    assert response.status_code == 409
    assert response.data["error"]["code"] == "stale_version" and response.data["error"]["message"] == "changed"
