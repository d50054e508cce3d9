from tests.api.conftest import api, users  # noqa: F401 - shared fixtures: demo users, JSON client with tokens
