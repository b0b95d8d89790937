"""The REST API served by the controller."""

from pbx.api.app import ApiState, make_app

__all__ = ["ApiState", "make_app"]
