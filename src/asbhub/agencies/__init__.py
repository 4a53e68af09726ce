"""Agencies, the areas they cover and the information sharing agreements between them, as data.

The policy (:mod:`asbhub.permissions`) decides on the :class:`~asbhub.permissions.Agency` and
:class:`~asbhub.permissions.Agreement` values this package loads onto each actor.
"""
