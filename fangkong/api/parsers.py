"""The API's JSON parser: a request body is a JSON object (``{…}``), or it is refused with 400.

Every operation reads named fields from its body; an array, a number or ``null`` at the top level used to
reach the view as a list or a scalar and fail there (a 500). Refused here, once, for every operation.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_("The body must be a JSON object."))
        return data
